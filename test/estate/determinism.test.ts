import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { synthesize } from '../../constructs/synth/synthesize';
import exampleEstate from '../../environments';
import { testTmp } from '../setup/tmpdir';

const ROOT = resolve(__dirname, '..', '..');

function tree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(relative(dir, p), readFileSync(p, 'utf8'));
    }
  };
  walk(dir);
  return out;
}

function runCli(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): void {
  execFileSync(process.execPath, [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, 'cli/main.ts'), ...args], {
    cwd, env: { ...process.env, ...env }, stdio: 'pipe',
  });
}

describe('deterministic synthesis', () => {
  it('two in-process syntheses are identical', () => {
    const a = synthesize(exampleEstate()).files;
    const b = synthesize(exampleEstate()).files;
    expect([...a.keys()]).toEqual([...b.keys()]);
    for (const [k, v] of a) expect(b.get(k), k).toBe(v);
  });

  it('is byte-identical from another cwd, another TMPDIR, another time zone and locale', () => {
    const base = testTmp('determinism');
    const elsewhere = join(base, 'elsewhere');
    mkdirSync(elsewhere, { recursive: true });
    const a = join(base, 'a');
    const b = join(base, 'b');
    runCli(ROOT, ['synth', '--quiet', '--out', a]);
    runCli(elsewhere, ['synth', '--quiet', '--app', join(ROOT, 'environments/index.ts'), '--out', b],
      { TZ: 'Pacific/Chatham', LANG: 'tr_TR.UTF-8', LC_ALL: 'tr_TR.UTF-8', TMPDIR: elsewhere });
    const ta = tree(a);
    const tb = tree(b);
    expect([...tb.keys()].sort()).toEqual([...ta.keys()].sort());
    for (const [k, v] of ta) expect(tb.get(k), k).toBe(v);
    for (const v of ta.values()) {
      expect(v).not.toContain(ROOT);
      expect(v).not.toContain(base);
    }
  }, 60_000);
});
