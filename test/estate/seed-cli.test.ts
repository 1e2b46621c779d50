// Issue 22: `tierkit seed` run as the CLI (a child process) on the example estate: the synthetic
// SQL is byte-identical across runs and working directories; what it cannot produce is refused with
// the app and the fix. (The dump and the sanitize steps run against real PostgreSQL in test/pg/.)
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { testTmp } from '../setup/tmpdir';

const ROOT = resolve(__dirname, '..', '..');
const tierkit = (cwd: string, ...args: string[]) => {
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, 'cli/main.ts'), 'seed', ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

describe('tierkit seed', () => {
  it('generate writes the same SQL from any working directory, and names its sha256', () => {
    const a = join(testTmp('seed-cli'), 'a');
    const b = join(testTmp('seed-cli'), 'b');
    const one = tierkit(ROOT, 'generate', 'crm', '--out', a);
    expect(one.stderr).toBe('');
    expect(one.code).toBe(0);
    const two = tierkit(join(ROOT, 'docs'), 'generate', 'crm', '--out', b, '--estate', join(ROOT, 'environments/index.ts'));
    expect(two.code).toBe(0);
    const sql = readFileSync(join(a, 'crm.synthetic-v1.sql'), 'utf8');
    expect(readFileSync(join(b, 'crm.synthetic-v1.sql'), 'utf8')).toBe(sql);
    expect(one.stdout).toContain(`sha256 ${createHash('sha256').update(sql).digest('hex')}`);
    expect(sql).toContain('INSERT INTO "crm_deal"');
  });

  it('refuses an app without a generator or profile, an unknown app, and a sanitize without the golden\'s hashes', () => {
    const out = join(testTmp('seed-cli'), 'refused');
    expect(tierkit(ROOT, 'generate', 'shop', '--out', out)).toMatchObject({ code: 1, stderr: expect.stringContaining('app "shop" declares no synthetic generator (App.synthetic)') });
    expect(tierkit(ROOT, 'generate', 'nope', '--out', out)).toMatchObject({ code: 1, stderr: expect.stringContaining('the estate has no app "nope"') });
    expect(tierkit(ROOT, 'sanitize', 'erp', 'x', '--out', out, '--golden', 'g.dump')).toMatchObject({ code: 2, stderr: expect.stringContaining('pass --golden <seed.dump> and --golden-hashes <file>') });
    expect(tierkit(ROOT, 'sanitize', 'erp', 'x', '--out', out, '--golden', 'g.dump', '--golden-hashes', 'g.h')).toMatchObject({ code: 1, stderr: expect.stringContaining('app "erp" declares no sanitized profile "x" (App.sanitized: none)') });
  });
});
