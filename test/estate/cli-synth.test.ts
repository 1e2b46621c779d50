import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { testTmp } from '../setup/tmpdir';

const ROOT = resolve(__dirname, '..', '..');
const FIXTURES = join(ROOT, 'test/fixtures/estates');

function tierkit(args: string[], cwd = ROOT) {
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, 'cli/main.ts'), ...args], {
    cwd, encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A previous tierkit dist (its manifest lists nothing) holding one file of the user's. */
function previousDist(out: string): void {
  writeFileSync(join(out, 'manifest.json'), JSON.stringify({ schemaVersion: 1, generator: { name: 'tierkit', version: '0' }, artifacts: [] }));
  writeFileSync(join(out, 'keep.txt'), 'previous output');
}

describe('tierkit synth', () => {
  it('writes dist/ and prints a summary per tier', () => {
    const out = join(testTmp('cli'), 'ok');
    const cwd = join(testTmp('cli'), 'cwd-ok');
    mkdirSync(cwd, { recursive: true });
    const r = tierkit(['synth', '--app', join(FIXTURES, 'small.ts'), '--out', out], cwd);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/2 app-environments, \d+ files/);
    expect(r.stdout).toMatch(/dev\s+2 terraform stacks, 3 kubernetes files/);
    expect(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')).appEnvironments).toHaveLength(2);
    // Nothing but --out is written: no cdktf.out/ (or anything else) left in the cwd.
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('refuses an invalid estate with exit 1, one clear message, no stack trace, and dist/ untouched', () => {
    const out = join(testTmp('cli'), 'invalid');
    mkdirSync(out, { recursive: true });
    previousDist(out);
    const r = tierkit(['synth', '--app', join(FIXTURES, 'invalid-golden.ts'), '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('test/erp/sandbox: seed = "golden"');
    expect(r.stderr).toMatch(/fix: .*reason/);
    expect(r.stderr).toContain('nothing was written');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(readdirSync(out)).toEqual(['keep.txt', 'manifest.json']);
    expect(readdirSync(join(out, '..')).filter((f) => f.includes('.tmp-') || f.includes('.old-') || f.includes('tierkit-'))).toEqual([]);
  });

  it('refuses every bad input of the estate model the same way: exit 1, construct path, property, value and fix, no stack, dist untouched', async () => {
    const expected: Record<string, RegExp> = {
      'not-dns-label': /test\/ERP_app: name = "ERP_app"/,
      'over-63-bytes': /ttlSweepCronJob = "a{40}-b{20}-ttl-sweep": derived name is 71 bytes; the limit is 52 \(groupRole, vaultConnectionRole, goldenDumpRole/,
      'duplicate-app': /test\/erp: app = "erp"/,
      'duplicate-env': /test\/erp\/dev: env = "dev"/,
      'derived-collision': /test\/erp-sandbox\/prod: coordinate = "erp-sandbox\/prod"/,
      'sandbox-on-prod': /test\/erp\/sb: tier = "prod"/,
      'sandbox-without-ttl': /test\/erp\/sb: ttlHours = 0/,
      'ttl-over-max': /test\/erp\/sb: ttlHours = 500/,
      'golden-without-reason': /test\/erp\/sb: seed = "golden"/,
      'unknown-tier': /test\/erp: tiers = "qa"/,
      'app-without-tiers': /test\/erp: tiers/,
      'tier-typo': /test\/erp\/sb: tier = undefined: is not a tier/,
    };
    const { BAD_INPUTS } = await import('../fixtures/estates/bad-input');
    expect(Object.keys(expected).sort()).toEqual(Object.keys(BAD_INPUTS).sort());
    const dir = testTmp('cli');
    // In parallel: each case is its own process.
    const results = await Promise.all(Object.keys(expected).map((name) => new Promise<[string, number | null, string, string]>((done) => {
      const out = join(dir, `bad-${name}`);
      mkdirSync(out, { recursive: true });
      previousDist(out);
      const child = spawn(process.execPath, [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, 'cli/main.ts'), 'synth', '--app', join(FIXTURES, 'bad-input.ts'), '--out', out], {
        cwd: ROOT, env: { ...process.env, TIERKIT_BAD_INPUT: name },
      });
      let stderr = '';
      child.stderr.on('data', (d) => { stderr += d; });
      child.on('close', (code) => done([name, code, stderr, out]));
    })));
    for (const [name, code, stderr, out] of results) {
      expect(code, `${name}: ${stderr}`).toBe(1);
      expect(stderr, name).toMatch(expected[name]);
      expect(stderr, name).toMatch(/fix: /);
      expect(stderr, name).toContain('nothing was written');
      expect(stderr, name).not.toMatch(/\n\s+at /);
      expect(readdirSync(out), name).toEqual(['keep.txt', 'manifest.json']);
    }
  }, 120_000);

  it('reports a crashing estate program briefly, with the stack only under --verbose', () => {
    const quiet = tierkit(['synth', '--app', join(FIXTURES, 'throws.ts'), '--out', join(testTmp('cli'), 'x')]);
    expect(quiet.code).toBe(1);
    expect(quiet.stderr).toContain('boom: the estate program failed');
    expect(quiet.stderr).not.toMatch(/\n\s+at /);
    const verbose = tierkit(['synth', '--verbose', '--app', join(FIXTURES, 'throws.ts'), '--out', join(testTmp('cli'), 'x')]);
    expect(verbose.stderr).toMatch(/\n\s+at /);
  });

  it('removes stale files: the files the previous manifest lists, and nothing else', () => {
    const out = join(testTmp('cli'), 'stale');
    expect(tierkit(['synth', '--quiet', '--app', join(FIXTURES, 'small.ts'), '--out', out]).code).toBe(0);
    // A previous synth wrote terraform/gone (its manifest lists it); the user added notes.txt.
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    manifest.artifacts.push({ path: 'terraform/gone/cdk.tf.json', kind: 'terraform-stack' });
    writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest));
    mkdirSync(join(out, 'terraform/gone'), { recursive: true });
    writeFileSync(join(out, 'terraform/gone/cdk.tf.json'), '{}');
    writeFileSync(join(out, 'terraform/notes.txt'), 'mine');
    expect(tierkit(['synth', '--quiet', '--app', join(FIXTURES, 'small.ts'), '--out', out]).code).toBe(0);
    expect(existsSync(join(out, 'terraform/gone'))).toBe(false);
    expect(existsSync(join(out, 'terraform/erp-dev/cdk.tf.json'))).toBe(true);
    expect(readFileSync(join(out, 'terraform/notes.txt'), 'utf8')).toBe('mine');
  });

  it('exits 2 on usage errors, before writing anything', () => {
    const out = join(testTmp('cli'), 'usage');
    const r = tierkit(['synth', '--bogus', '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Unknown option '--bogus'");
    expect(existsSync(out)).toBe(false);
    expect(tierkit(['nope']).code).toBe(2);
    expect(tierkit(['synth', 'extra-arg']).code).toBe(2);
    const jobs = tierkit(['synth', '--jobs', '0', '--out', out]);
    expect(jobs.code).toBe(2);
    expect(jobs.stderr).toContain('--jobs must be an integer from 1 to 64 (got "0")');
    expect(existsSync(out)).toBe(false);
  });

  it('renders on worker threads (--jobs) byte for byte what one thread renders', () => {
    const dir = testTmp('cli');
    const outs = ['1', '3'].map((jobs) => {
      const out = join(dir, `jobs-${jobs}`);
      const r = tierkit(['synth', '--jobs', jobs, '--out', out, '--quiet']);
      expect(r.stderr, `--jobs ${jobs}`).toBe('');
      expect(r.code).toBe(0);
      return out;
    });
    const files = (d: string) => readdirSync(d, { recursive: true, withFileTypes: true }).filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name).slice(d.length)).sort();
    const [serial, parallel] = outs;
    expect(files(parallel)).toEqual(files(serial));
    expect(files(serial).length).toBeGreaterThan(40);
    for (const f of files(serial)) expect(readFileSync(join(parallel, f), 'utf8'), f).toBe(readFileSync(join(serial, f), 'utf8'));
  });

  it('refuses an estate program that builds another tree on a worker thread, writing nothing', () => {
    const out = join(testTmp('cli'), 'nondeterministic');
    const r = tierkit(['synth', '--app', join(FIXTURES, 'nondeterministic.ts'), '--jobs', '2', '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/synthesis worker 1 rendered other app-environments than this thread expects: is the estate program .* deterministic\?/);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses an invalid estate on worker threads as on one: the validation issues, no stack, nothing written', () => {
    const dir = testTmp('cli', 'invalid-jobs');
    const runs = ['1', '2'].map((jobs) => tierkit(['synth', '--app', join(FIXTURES, 'invalid-golden.ts'), '--jobs', jobs, '--out', join(dir, `invalid-${jobs}`)]));
    for (const r of runs) {
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('test/erp/sandbox: seed = "golden"');
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    expect(runs[1].stderr.replace(/invalid-2/g, 'invalid-1')).toBe(runs[0].stderr);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('validates again after the workers: a tree the program changes meanwhile is refused, writing nothing', () => {
    const out = join(testTmp('cli'), 'later');
    const r = tierkit(['synth', '--app', join(FIXTURES, 'invalid-later.ts'), '--jobs', '2', '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('test/erp/late: seed = "golden"');
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a tree the program grows while the workers run (valid, but the platform was rendered before), writing nothing', () => {
    const out = join(testTmp('cli'), 'grows-later');
    const r = tierkit(['synth', '--app', join(FIXTURES, 'grows-later.ts'), '--jobs', '2', '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the estate program added or removed constructs while synth rendered it');
    expect(existsSync(out)).toBe(false);
  });

  it('has --help for the tool and the command', () => {
    const top = tierkit(['--help']);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/synth\s+Synthesize/);
    const help = tierkit(['synth', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: tierkit synth');
    expect(help.stdout).toContain('Exit codes');
  });
});
