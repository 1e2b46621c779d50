import { spawnSync, SpawnSyncReturns } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * tierkit as a user adopts it (issue 14): pack the package, install the tarball — the only tierkit
 * anywhere in the temp dir — into a fresh tool dir, `tierkit init` an estate repo, and run what
 * its README and its generated workflows run. npm installs from the registry, preferring the
 * cache `npm ci` of this repo filled.
 */

const ROOT = resolve(__dirname, '..', '..');
const MINUTES = 60_000;

function run(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' } });
  if (r.error) throw r.error;
  return r;
}
function ok(r: SpawnSyncReturns<string>, what: string): string {
  expect(r.status, `${what} failed:\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r.stdout;
}
const git = (cwd: string, ...args: string[]) => ok(run('git', ['-c', 'user.email=e2e@tierkit.invalid', '-c', 'user.name=e2e', '-c', 'commit.gpgsign=false', ...args], cwd), `git ${args[0]}`).trim();

describe('tierkit installed from its tarball into an estate repo', () => {
  let base: string;
  let tarball: string;
  let estate: string;

  beforeAll(() => {
    // Outside this repository: nothing up the tree may resolve a module the tarball does not bring.
    base = mkdtempSync(join(existsSync('/tmp') ? '/tmp' : tmpdir(), 'tierkit-e2e-'));
    const packed = JSON.parse(ok(run('npm', ['pack', '--json', '--pack-destination', base], ROOT), 'npm pack'))[0];
    tarball = join(base, packed.filename);
    estate = join(base, 'estate');
  }, 5 * MINUTES);
  afterAll(() => rmSync(base, { recursive: true, force: true }), 2 * MINUTES);

  it('ships only the compiled library, its types, the CLI and the init template — small', () => {
    const files = ok(run('tar', ['-tzf', tarball], base), 'tar').trim().split('\n').map((f) => f.replace(/^package\//, ''));
    const outside = files.filter((f) => !/^(lib\/.+\.(js|d\.ts|json)|bin\/tierkit|templates\/init\/.+|package\.json|README\.md)$/.test(f));
    expect(outside).toEqual([]);
    for (const f of ['lib/constructs/index.js', 'lib/constructs/index.d.ts', 'lib/policies/index.d.ts', 'lib/policies/testing/matchers.d.ts', 'lib/constructs/cdktf.d.ts', 'lib/cli/main.js', 'lib/package.json', 'templates/init/environments/index.ts']) {
      expect(files, f).toContain(f);
    }
    // No sources, tests, bench or example estate; every compiled module has its declaration.
    expect(files.filter((f) => /^(test|bench|environments|apps|cli|constructs|policies)\//.test(f))).toEqual([]);
    for (const js of files.filter((f) => f.startsWith('lib/') && f.endsWith('.js'))) expect(files, js).toContain(js.replace(/\.js$/, '.d.ts'));
    // A bound against accidental contents (the file list above is the exact guard), not a target: 474 kB at
    // stop 10, 590 kB at stop 11, 648 kB once the data promote, previews, template reset and quotas joined,
    // 804 kB at stop 14 (the review workflow, state migrate, the preview seed and orphan collector).
    expect(statSync(tarball).size).toBeLessThan(900 * 1024);
    const pkg = JSON.parse(ok(run('tar', ['-xzOf', tarball, 'package/package.json'], base), 'tar'));
    expect(pkg.private).toBeUndefined();
    expect(Object.keys(pkg.exports).sort()).toEqual(['.', './package.json', './policies', './providers', './testing']);
    expect(pkg.dependencies.tsx).toBeDefined();
  });

  it('init scaffolds an estate repo that installs, synthesizes, tests, checks, diffs and runs its own workflows', () => {
    // The tool dir installs the tarball; init depends on what it was installed from.
    const tool = join(base, 'tool');
    mkdirSync(tool, { recursive: true });
    writeFileSync(join(tool, 'package.json'), '{ "name": "tool", "private": true }\n');
    ok(run('npm', ['install', '--prefer-offline', '--no-save', tarball], tool), 'npm install <tarball>');
    const init = run(join(tool, 'node_modules/.bin/tierkit'), ['init', estate], base);
    const initOut = ok(init, 'tierkit init');
    expect(init.stderr).toBe('');
    expect(initOut).toContain(`tierkit: file:${tarball}`);
    expect(JSON.parse(readFileSync(join(estate, 'package.json'), 'utf8')).dependencies).toEqual({ tierkit: `file:${tarball}` });
    for (const f of ['tsconfig.json', 'cdktf.json', 'environments/index.ts', 'apps/orders.ts', 'policies/ACME001-image-pinned.ts', 'test/estate.test.ts', '.github/workflows/tierkit-pr.yml', '.github/workflows/tierkit-apply.yml', 'README.md', '.gitignore']) {
      expect(existsSync(join(estate, f)), f).toBe(true);
    }
    // A second init refuses the now non-empty dir; --force adds nothing over the existing files.
    expect(run(join(tool, 'node_modules/.bin/tierkit'), ['init', estate], base).status).toBe(1);
    writeFileSync(join(estate, 'README.md'), 'mine\n');
    expect(ok(run(join(tool, 'node_modules/.bin/tierkit'), ['init', estate, '--force'], base), 'init --force')).toContain('wrote 0 files');
    expect(readFileSync(join(estate, 'README.md'), 'utf8')).toBe('mine\n');

    // The README's two commands.
    ok(run('npm', ['install', '--prefer-offline'], estate), 'npm install');
    const installed = JSON.parse(readFileSync(join(estate, 'node_modules/tierkit/package.json'), 'utf8'));
    expect(existsSync(join(estate, 'node_modules/tierkit/cli/main.ts'))).toBe(false);
    expect(installed.version).toBe(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
    expect(ok(run('npm', ['run', 'synth'], estate), 'npm run synth')).toMatch(/app-environments, \d+ files/);
    ok(run('npm', ['test'], estate), 'npm test');

    const tierkit = (...args: string[]) => run('npx', ['--no-install', 'tierkit', ...args], estate);
    const check = tierkit('check', '--format', 'json');
    expect(check.status, check.stderr).toBe(0);
    const report = JSON.parse(check.stdout);
    expect(report.rules.map((r: { id: string }) => r.id)).toContain('ACME001');
    expect(ok(tierkit('ci', 'github', '--check'), 'ci github --check')).toBe('');

    // Change an app: the working tree against HEAD.
    git(estate, 'init', '-q', '-b', 'main');
    git(estate, 'add', '-A');
    git(estate, 'commit', '-q', '-m', 'estate');
    const baseSha = git(estate, 'rev-parse', 'HEAD');
    const app = join(estate, 'apps/orders.ts');
    writeFileSync(app, readFileSync(app, 'utf8').replace("'new-checkout': false", "'new-checkout': false, 'fast-refunds': false"));
    ok(run('npm', ['run', 'synth'], estate), 'npm run synth (changed)');
    const diff = ok(tierkit('diff', '--base-ref', 'HEAD', '--format', 'json'), 'diff --base-ref HEAD');
    expect(JSON.stringify(JSON.parse(diff))).toContain('fast-refunds');
    git(estate, 'commit', '-q', '-am', 'a flag');
    const headSha = git(estate, 'rev-parse', 'HEAD');

    // The pull-request workflow's tierkit steps, as GitHub would run them in this checkout.
    const pr = parseYaml(readFileSync(join(estate, '.github/workflows/tierkit-pr.yml'), 'utf8'));
    const job = Object.values(pr.jobs as Record<string, { name: string; steps: { id?: string; name: string; run?: string; env?: Record<string, string> }[] }>)
      .find((j) => j.name === 'synth, check, diff')!;
    const steps = job.steps.filter((s) => s.run?.includes('npx --no-install tierkit'));
    expect(steps.map((s) => s.name)).toEqual(['Generated workflows are up to date', 'Synthesize head', 'Policy check (SARIF)', 'Semantic diff against the base (synthesized in a temporary worktree)',
      'Head dist is the one check judged']);
    const exprs: Record<string, string> = {
      'github.event.pull_request.head.sha': headSha, 'github.event.pull_request.base.sha': baseSha, 'github.run_id': '1',
    };
    for (const s of steps) {
      const env = Object.fromEntries(Object.entries(s.env ?? {}).map(([k, v]) => [k, v.replace(/\$\{\{ ([^}]+) \}\}/g, (_, e: string) => exprs[e])]));
      // GitHub sets GITHUB_OUTPUT for every step (the check step hands its dist digest to the plan jobs).
      ok(run('bash', ['-e', '-o', 'pipefail', '-c', s.run!], estate, { GITHUB_OUTPUT: join(estate, '.github-output'), ...env }), `step "${s.name}"`);
      // A later step reads an earlier one's outputs (the check step's dist-digest) as GitHub hands them over.
      const written = existsSync(join(estate, '.github-output')) ? readFileSync(join(estate, '.github-output'), 'utf8') : '';
      for (const line of written.split('\n')) {
        const kv = /^([^=]+)=(.*)$/.exec(line);
        if (s.id && kv) exprs[`steps.${s.id}.outputs.${kv[1]}`] = kv[2];
      }
      writeFileSync(join(estate, '.github-output'), '');
    }
    expect(JSON.parse(readFileSync(join(estate, 'tierkit.sarif'), 'utf8')).version).toBe('2.1.0');
    expect(readFileSync(join(estate, 'tierkit-diff/comment.md'), 'utf8')).toContain('tierkit diff');
    expect(readFileSync(join(estate, 'tierkit-diff/tierkit-diff.json'), 'utf8')).toContain('fast-refunds');

    // The base's own tierkit: with this checkout's node_modules gone, `diff --base-ref` and the
    // apply workflow's removed-stacks step can only synthesize the base by `npm ci` of the base's
    // own lockfile in its worktree (the tool dir's tierkit runs the diff itself).
    const modules = join(base, 'estate-node_modules');
    renameSync(join(estate, 'node_modules'), modules);
    try {
      const viaCi = ok(run(join(tool, 'node_modules/.bin/tierkit'), ['diff', '--base-ref', baseSha, '--format', 'json'], estate), 'diff --base-ref (npm ci in the base)');
      expect(JSON.stringify(JSON.parse(viaCi))).toContain('fast-refunds');
      const apply = parseYaml(readFileSync(join(estate, '.github/workflows/tierkit-apply.yml'), 'utf8'));
      const before = (apply.jobs.locate.steps as { name: string; run: string }[]).find((st) => st.name.startsWith('Synthesize main as it was before this push'))!;
      const runnerTemp = mkdtempSync(join(base, 'runner-'));
      ok(run('bash', ['-e', '-o', 'pipefail', '-c', before.run], estate, { BEFORE: baseSha, RUNNER_TEMP: runnerTemp, GITHUB_WORKSPACE: estate, npm_config_prefer_offline: 'true' }),
        'removed stacks: synthesize main before the push');
      expect(lstatSync(join(runnerTemp, 'before/node_modules')).isSymbolicLink()).toBe(false);
      expect(JSON.parse(readFileSync(join(runnerTemp, 'before/node_modules/tierkit/package.json'), 'utf8')).version).toBe(installed.version);
      // What it synthesized is main before the push: the flag the head added is not there.
      const beforeDist = join(estate, 'before-dist');
      expect(JSON.parse(readFileSync(join(beforeDist, 'manifest.json'), 'utf8')).appEnvironments.length).toBeGreaterThan(0);
      expect(run('grep', ['-rl', 'fast-refunds', beforeDist], base).status).toBe(1); // grep: no match
      expect(run('grep', ['-rl', 'new-checkout', beforeDist], base).status).toBe(0);
      git(estate, 'worktree', 'remove', '--force', join(runnerTemp, 'before'));
    } finally {
      renameSync(modules, join(estate, 'node_modules'));
    }
    // Nothing of the base's worktree is left beside the repo.
    expect(ok(run('ls', ['-a', base], base), 'ls').split('\n').filter((n) => n.includes('tierkit-base'))).toEqual([]);
  }, 15 * MINUTES);
});
