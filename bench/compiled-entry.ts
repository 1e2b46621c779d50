/**
 * The bench estate as an installed user's estate program: plain JavaScript in a project of its
 * own whose `node_modules/tierkit` is this checkout (a symlink, as `npm link` or a workspace lays
 * it out), importing `tierkit` — i.e. the compiled library `package.json` exports (`lib/`).
 * Run with the compiled CLI (`lib/cli/main.js`), both load one copy of tierkit, so the CLI's
 * "another copy of tierkit" refusal (cli/estate-entry.ts) stays as strict as it is.
 */
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as ts from 'typescript';

const ROOT = resolve(__dirname, '..');
/** The bench modules the entry needs, transpiled as they are but for the library's import. */
const MODULES = ['estate-entry', 'generate', 'spec'];
const LIBRARY_IMPORT = '../constructs';

/**
 * Write the project under `dir` (replacing it) and return its entry: `<dir>/estate-entry.js`,
 * sized by the same BENCH_* variables as `bench/estate-entry.ts`. Throws, naming the file, if a
 * bench module imports anything of the checkout but the library's index (it would load a second copy).
 */
export function writeCompiledEntry(dir: string): string {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'node_modules'), { recursive: true });
  symlinkSync(ROOT, join(dir, 'node_modules', 'tierkit'), 'dir');
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: 'tierkit-bench-estate', private: true }, null, 2)}\n`);
  for (const name of MODULES) {
    const file = join(ROOT, 'bench', `${name}.ts`);
    const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), {
      fileName: file,
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    });
    const js = outputText.replace(/require\("([^"]+)"\)/g, (whole, spec: string) => {
      if (spec === LIBRARY_IMPORT) return 'require("tierkit")';
      if (spec.startsWith('node:') || MODULES.some((m) => spec === `./${m}`)) return whole;
      throw new Error(`bench/${name}.ts imports "${spec}": the compiled bench entry may import only "${LIBRARY_IMPORT}" (as "tierkit"), node: modules and ${MODULES.map((m) => `./${m}`).join(', ')}`);
    });
    writeFileSync(join(dir, `${name}.js`), js);
  }
  return join(dir, 'estate-entry.js');
}
