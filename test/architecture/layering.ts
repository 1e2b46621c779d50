import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import * as ts from 'typescript';

/**
 * The allowed imports between the repository's folders (README, "Layout"), checked over every
 * import form TypeScript resolves: `import`, `import type`, `export … from`, `import()` and
 * `require()`. Only relative imports cross folders; package imports (`cdktf`, `yaml`) are free.
 */

/** The folders whose imports are judged, and the other folders each may import. */
export const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  contract: [],
  constructs: ['contract'],
  policies: ['contract'],
  diff: ['contract'],
  ci: ['contract'],
  // `tierkit promote` edits the estate's releases and synthesizes and checks the result: a command.
  promote: ['contract', 'constructs', 'policies'],
};

/**
 * The documented exceptions, by importing folder: files of other folders it may import, and why.
 * Keep this list short: a new entry needs a reason a reviewer accepts.
 */
export const EXCEPTIONS: Readonly<Record<string, readonly { file: string; why: string }[]>> = Object.fromEntries(
  ['constructs', 'policies', 'diff', 'ci'].map((from) => [from, [
    { file: 'package.json', why: 'the version stamped into the manifest and reports' },
    ...(from !== 'policies' ? [] : [
      { file: 'constructs/lifecycle/scripts.ts', why: 'the lifecycle scripts\' text: TK122, TK125, TK127, TK133 and TK135 compare a container\'s script verbatim with what tierkit writes; a leaf module' },
      { file: 'constructs/lifecycle/images.ts', why: 'tierkit\'s pinned Job images: TK133 and TK135 hold the golden dump and the reset to them (the image runs the script); imports nothing' },
      { file: 'constructs/lifecycle/preview-scripts.ts', why: 'the preview Jobs\' scripts: TK179 compares their containers verbatim with what tierkit writes; a leaf over naming.ts and statements.ts' },
      { file: 'constructs/lifecycle/preview-collector.ts', why: 'the preview orphan collector\'s script and schedule: TK180 compares its CronJob whole, the script verbatim; a leaf over naming.ts and preview-scripts.ts' },
      { file: 'constructs/statements.ts', why: 'the Vault role statements the preview create script embeds (TK179); a leaf over naming.ts and contract/' },
      { file: 'constructs/lifecycle/template-reset.ts', why: 'the template reset and golden load scripts\' text: TK135 compares those pods\' scripts verbatim; a leaf over scripts.ts' },
      { file: 'constructs/lifecycle/seed-scripts.ts', why: 'the seed producers\' scripts and paths: TK135 and TK138 compare a producer container\'s script verbatim with what tierkit writes; imports only scripts.ts and seed-verify.ts' },
    ]),
    ...(from === 'constructs' ? [] : [
      { file: 'constructs/naming.ts', why: 'the derived names (roles, namespaces, appliers, labels): one definition for writer and readers; a leaf module' },
      { file: 'constructs/tier.ts', why: 'the built-in tiers and their defaults (TK116 compares loosenings with them); a leaf module over enums.ts' },
      { file: 'constructs/enums.ts', why: 'the enum-like classes those defaults are made of; imports nothing' },
    ]),
  ]]),
);

/** The exception modules are vocabulary, not the model: they may import only each other. */
const LEAVES: readonly string[] = [
  'constructs/naming.ts', 'constructs/tier.ts', 'constructs/enums.ts', 'constructs/lifecycle/scripts.ts',
  // The seed verification scripts.ts embeds (shared with the sanitize producer); imports nothing.
  'constructs/lifecycle/seed-verify.ts',
  // tierkit's pinned Job images (digests); imports nothing.
  'constructs/lifecycle/images.ts',
  // The preview Jobs' scripts and the statements they embed (TK179).
  'constructs/lifecycle/preview-scripts.ts', 'constructs/statements.ts',
  // The preview orphan collector's script and schedule (TK180), over preview-scripts.ts.
  'constructs/lifecycle/preview-collector.ts',
  // The template reset's scripts (over scripts.ts).
  'constructs/lifecycle/template-reset.ts',
  // The seed producers' scripts (over scripts.ts and seed-verify.ts).
  'constructs/lifecycle/seed-scripts.ts',
];

export interface SourceFile {
  /** Repository-relative, `/`-separated. */
  readonly path: string;
  readonly text: string;
}

/** Every relative import of `file`, resolved to a repository-relative path (extension as written). */
function relativeImports(file: SourceFile): string[] {
  const info = ts.preProcessFile(file.text, true, true);
  return info.importedFiles.map((i) => i.fileName).filter((n) => n.startsWith('.'))
    .map((n) => posix.normalize(posix.join(posix.dirname(file.path), n)));
}

/** The relative imports of `file` that load a module at run time (top-level, not `import type`). */
function runtimeImports(file: SourceFile): string[] {
  const source = ts.createSourceFile(file.path, file.text, ts.ScriptTarget.Latest, false);
  const out: string[] = [];
  for (const st of source.statements) {
    const spec = ts.isImportDeclaration(st) && !st.importClause?.isTypeOnly ? st.moduleSpecifier
      : ts.isExportDeclaration(st) && !st.isTypeOnly ? st.moduleSpecifier : undefined;
    if (spec && ts.isStringLiteral(spec) && spec.text.startsWith('.')) out.push(posix.normalize(posix.join(posix.dirname(file.path), spec.text)));
  }
  return out;
}

/**
 * Modules that load a module by a computed path (no literal the layering could judge), and why:
 * both load the user's own files, never a module of this repository.
 */
export const COMPUTED_LOADS: Readonly<Record<string, string>> = {
  'constructs/synth/worker.ts': "a synth worker thread loads the user's estate program",
  'policies/user-rules.ts': "user rules: the estate repo's own policies/*.ts files",
};

/** `require(x)` and `import(x)` whose argument is not a string literal: a load the layering cannot judge. */
function computedLoads(file: SourceFile): number {
  const source = ts.createSourceFile(file.path, file.text, ts.ScriptTarget.Latest, false);
  let n = 0;
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && (node.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(node.expression) && node.expression.text === 'require'))) {
      const arg = node.arguments[0];
      if (!arg || !(ts.isStringLiteral(arg) || ts.isNoSubstitutionTemplateLiteral(arg))) n++;
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return n;
}

/** Whether `target` (an import path, maybe without extension) names `file`. */
function names(target: string, file: string): boolean {
  return target === file || `${target}.ts` === file || `${target}/index.ts` === file;
}

/** One line per import that breaks the layering: `file: imports target (rule)`. */
export function layeringViolations(files: readonly SourceFile[]): string[] {
  const out: string[] = [];
  for (const file of files) {
    const from = file.path.split('/')[0];
    const allowed = ALLOWED[from];
    if (!allowed) continue;
    // A computed path escapes every rule below: only the listed modules may load one.
    if (!COMPUTED_LOADS[file.path] && /\b(require|import)\s*\(/.test(file.text) && computedLoads(file) > 0) {
      out.push(`${file.path}: loads a module by a computed path (the layering cannot judge it; only ${Object.keys(COMPUTED_LOADS).join(', ')} may)`);
    }
    for (const target of relativeImports(file)) {
      if (target.startsWith('..')) {
        out.push(`${file.path}: imports ${target}, outside the repository`);
        continue;
      }
      const to = target.split('/')[0];
      if (LEAVES.includes(file.path)) {
        // contract/ imports nothing of the repository, so a leaf importing it closes no cycle.
        if (to !== 'contract' && !LEAVES.some((l) => names(target, l))) out.push(`${file.path}: imports ${target} (a vocabulary module imports only contract/ and ${LEAVES.join(', ')})`);
        continue;
      }
      if (to === from || allowed.includes(to)) continue;
      if ((EXCEPTIONS[from] ?? []).some((x) => names(target, x.file))) continue;
      out.push(`${file.path}: imports ${target} (${from}/ may import ${[from, ...allowed].map((f) => `${f}/`).join(', ')} and the documented exceptions only)`);
    }
  }
  return out.sort();
}

/** The TypeScript sources of the judged folders. */
export function repositorySources(root: string): SourceFile[] {
  const out: SourceFile[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(ts|mts|cts)$/.test(name)) out.push({ path: relative(root, p).split('\\').join('/'), text: readFileSync(p, 'utf8') });
    }
  };
  for (const folder of Object.keys(ALLOWED)) walk(join(root, folder));
  return out;
}

export const REPOSITORY_ROOT = join(dirname(__filename), '..', '..');

/**
 * The import cycles among `files` (type-only imports included: a model that names a synthesizer
 * type is tied to it), each as its modules in a stable order. Tarjan's strongly connected components.
 */
export function importCycles(files: readonly SourceFile[], only: 'all' | 'runtime' = 'all'): string[][] {
  const byPath = new Map(files.map((f) => [f.path, f]));
  const resolveTarget = (t: string) => [t, `${t}.ts`, `${t}/index.ts`].find((p) => byPath.has(p));
  const imports = only === 'all' ? relativeImports : runtimeImports;
  const edges = new Map(files.map((f) => [f.path, imports(f).map(resolveTarget).filter((p): p is string => p !== undefined)]));
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (stack.includes(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const f of [...byPath.keys()].sort()) if (!index.has(f)) visit(f);
  return out.sort((a, b) => (a[0] < b[0] ? -1 : 1));
}
