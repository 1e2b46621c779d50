import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { parse } from '../args';
import { Command, EXIT, Io, UsageError } from '../command';
import { resolveFrom } from '../project';

/** tierkit's package root (holding its package.json), from this file in cli/ or lib/cli/. */
function packageRoot(): string {
  let dir = __dirname;
  while (dirname(dir) !== dir) {
    const file = join(dir, 'package.json');
    if (existsSync(file) && JSON.parse(readFileSync(file, 'utf8')).name === 'tierkit') return dir;
    dir = dirname(dir);
  }
  throw new Error(`cannot find tierkit's package.json above ${__dirname}`);
}

/**
 * Where the running tierkit was installed from, as a dependency spec: npm records it in the
 * installing project's node_modules/.package-lock.json (a tarball or directory as file:, made
 * absolute so the new repo resolves it from anywhere; a git URL as is; a registry version).
 */
export function installedSpec(root: string): string | undefined {
  const modules = dirname(root);
  if (basename(modules) !== 'node_modules' && basename(dirname(modules)) !== 'node_modules') return undefined;
  const project = basename(modules) === 'node_modules' ? dirname(modules) : dirname(dirname(modules));
  let lock: { packages?: Record<string, { resolved?: string; version?: string }> };
  try {
    lock = JSON.parse(readFileSync(join(project, 'node_modules', '.package-lock.json'), 'utf8'));
  } catch {
    return undefined;
  }
  const entry = lock.packages?.[relative(project, root).split(sep).join('/')];
  const resolved = entry?.resolved;
  if (!resolved) return undefined;
  if (resolved.startsWith('file:')) return `file:${resolve(project, resolved.slice('file:'.length))}`;
  if (/^https?:\/\/registry\./.test(resolved) && entry.version) return entry.version;
  return resolved;
}

/** `--from`: an existing path becomes an absolute file: spec; anything else is npm's to read. */
function specFrom(value: string, cwd: string): string {
  if (value.trim() === '') throw new UsageError('--from needs a dependency spec: a tarball or directory path, a git URL or a version');
  const path = resolveFrom(cwd, value.replace(/^file:/, ''));
  return existsSync(path) ? `file:${path}` : value;
}

function scaffoldPackageJson(name: string, spec: string, own: { version: string; devDependencies?: Record<string, string> }): string {
  const dev = own.devDependencies ?? {};
  const pkg = {
    name,
    version: '0.0.0',
    private: true,
    description: 'The estate: tiers, apps and sandboxes, synthesized by tierkit.',
    scripts: { synth: 'tierkit synth', check: 'tierkit check', test: 'tsc --noEmit -p . && vitest run' },
    dependencies: { tierkit: spec },
    devDependencies: { '@types/node': dev['@types/node'] ?? '20', typescript: dev.typescript ?? '5', vitest: dev.vitest ?? '4' },
    // npm blocks dependency install scripts unless listed: these two are not needed (esbuild's
    // binary comes as an optional dependency; protobufjs's only prints a notice).
    allowScripts: { '@launchql/protobufjs': false, esbuild: false },
  };
  return `${JSON.stringify(pkg, null, 2)}\n`;
}

/** The template files (templates/init), with the repo's name and today's sandbox date. */
function templateFiles(templateDir: string, name: string, today: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (rel: string) => {
    for (const entry of readdirSync(join(templateDir, rel)).sort()) {
      const child = rel ? `${rel}/${entry}` : entry;
      if (statSync(join(templateDir, child)).isDirectory()) walk(child);
      else files.set(child === 'gitignore' ? '.gitignore' : child, readFileSync(join(templateDir, child), 'utf8')
        .replace(/__NAME__/g, name).replace(/createdAt: '2026-01-05'/g, `createdAt: '${today}'`));
    }
  };
  walk('');
  return files;
}

/** Write `content` unless `file` exists: init never overwrites. Returns whether it wrote. */
function writeNew(file: string, content: string): boolean {
  mkdirSync(dirname(file), { recursive: true });
  try {
    writeFileSync(file, content, { flag: 'wx' });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/**
 * The workflows of the new repo, from its own estate program. Its `import 'tierkit'` cannot
 * resolve before `npm install`, so while it loads, that name means this running tierkit.
 */
function workflowsOf(entry: string): Map<string, string> {
  const constructs = require.resolve('../../constructs');
  const mod = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
  const original = mod._resolveFilename;
  mod._resolveFilename = function (request: string, ...rest: unknown[]) {
    return request === 'tierkit' ? constructs : original.call(this, request, ...rest);
  };
  try {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { loadEstate } = require('../estate-entry') as typeof import('../estate-entry');
    const { synthesize } = require('../../constructs/synth/synthesize') as typeof import('../../constructs/synth/synthesize');
    const { githubWorkflows } = require('../../ci/github') as typeof import('../../ci/github');
    /* eslint-enable @typescript-eslint/no-require-imports */
    return githubWorkflows(synthesize(loadEstate(entry)).manifest);
  } finally {
    mod._resolveFilename = original;
  }
}

export const initCommand: Command = {
  name: 'init',
  summary: 'Scaffold an estate repository that uses tierkit (npx tierkit init [dir])',
  help: `Usage: tierkit init [dir] [--from <spec>] [--force]

Writes an estate repository into dir (default: the current directory): package.json (depending
on tierkit), tsconfig.json, cdktf.json, environments/ (the estate and its servers), apps/ (one
app with a sandbox), policies/ (the repo's own rules), test/ (vitest, with tierkit/testing),
.github/workflows (tierkit ci github), README.md. Then: npm install && npm run synth; npm test.

Options:
  --from <spec>  the tierkit dependency of the new package.json: a tarball or directory path,
                 a git URL or a version (default: where this tierkit was installed from)
  --force        also write into a non-empty directory; existing files are never overwritten
  --verbose      print stack traces of unexpected errors
  -h, --help     show this help

Exit codes: 0 written, 1 a non-empty directory without --force, 2 usage error.`,

  async run(argv: readonly string[], io: Io) {
    const { values, positionals } = parse(argv, { from: { type: 'string' }, force: { type: 'boolean' }, verbose: { type: 'boolean' } }, 1);
    const dir = resolveFrom(io.cwd, positionals[0] ?? '.');
    const root = packageRoot();
    const spec = values.from !== undefined ? specFrom(values.from, io.cwd) : installedSpec(root);
    if (!spec) throw new UsageError(`cannot tell where this tierkit (${root}) was installed from; pass --from <spec> (a tarball or directory path, a git URL or a version)`);
    if (existsSync(dir) && !statSync(dir).isDirectory()) throw new UsageError(`${dir} is not a directory`);
    if (existsSync(dir) && readdirSync(dir).length > 0 && !values.force) {
      io.err(`tierkit init: refusing to scaffold into ${dir}: it is not empty. Pass --force to add the files it lacks (existing files are never overwritten), or name a new directory.`);
      return EXIT.FAILED;
    }
    const own = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    const name = basename(dir).toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'estate';
    const files = templateFiles(join(root, 'templates', 'init'), name, new Date().toISOString().slice(0, 10));
    files.set('package.json', scaffoldPackageJson(name, spec, own));
    files.set('cdktf.json', `${JSON.stringify({
      language: 'typescript', app: 'npx tierkit synth --app environments/index.ts', projectId: name, sendCrashReports: 'false',
      terraformProviders: ['cyrilgdn/postgresql@1.26.0', 'hashicorp/vault@5.6.0'], terraformModules: [], context: {},
    }, null, 2)}\n`);
    const written: string[] = [];
    const kept: string[] = [];
    for (const [rel, content] of files) (writeNew(join(dir, rel), content) ? written : kept).push(rel);
    try {
      for (const [file, content] of workflowsOf(join(dir, 'environments', 'index.ts'))) {
        const rel = `.github/workflows/${file}`;
        (writeNew(join(dir, rel), content) ? written : kept).push(rel);
      }
    } catch (err) {
      io.err(`tierkit init: the workflows were not generated (${(err as Error)?.message ?? err}); run \`npx tierkit ci github\` once the estate synthesizes`);
    }
    io.out(`tierkit init: wrote ${written.length} files → ${dir} (tierkit: ${spec})`);
    if (kept.length > 0) io.out(`  kept, already there: ${kept.join(', ')}`);
    io.out(`Next:\n  cd ${relative(io.cwd, dir) || '.'}\n  npm install && npm run synth\n  npm test`);
    return EXIT.OK;
  },
};
