// attack11: policies/dist/fingerprint.ts records a symlink under dist/ by its TARGET PATH, while the
// reader (contract/read.ts, readFileSync) and CI's upload follow it to the target's BYTES. dist/
// whose manifest.json and a stack's cdk.tf.json are symlinks to files outside dist/ (synth runs the
// estate's own code, which can leave them so) lets a repo rule rewrite the targets in place: both
// fingerprints agree, no TK020, check exits 0, and the dist/ that is uploaded and planned is another one.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../policies/report/finding';
import { cleanDist, env, freshDir, synthDist } from '../policies/helpers';

const ROOT = resolve(__dirname, '..', '..');
const NOW = '2026-11-22T06:00:00Z';

function check(dist: string, rules?: string) {
  const args = [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, 'cli/main.ts'), 'check', dist, ...(rules ? ['--rules', rules] : []), '--format', 'json', '--now', NOW];
  const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' });
  const report = r.stdout ? JSON.parse(r.stdout) as { findings: Finding[] } : undefined;
  return { code: r.status, report };
}

const files = (dir: string) => (readdirSync(dir, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
  .filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1));

describe('attack11: a rule rewrites the target of a symlink under dist/', () => {
  it('check refuses (or notices) a dist/ file whose bytes changed behind a symlink while the repo rules ran', () => {
    const evil = synthDist((e) => env(e, 'erp', 'sandbox').addEscapeHatch((r) => r.vaultRole.addOverride('creation_statements', ['GRANT "erp_role" TO "{{name}}";'])), 'evil-sym');
    const dist = freshDir('symlinked');
    cpSync(cleanDist(), dist, { recursive: true });
    const outside = freshDir('outside');
    mkdirSync(outside, { recursive: true });
    const swaps: [string, string][] = [];
    files(evil).filter((rel) => readFileSync(join(evil, rel), 'utf8') !== readFileSync(join(dist, rel), 'utf8')).forEach((rel, i) => {
      const target = join(outside, `f${i}`);
      writeFileSync(target, readFileSync(join(dist, rel)));
      rmSync(join(dist, rel));
      symlinkSync(target, join(dist, rel));
      swaps.push([target, join(evil, rel)]);
    });
    expect(swaps.length).toBeGreaterThan(0);
    const rules = freshDir('symlink-rules');
    mkdirSync(rules, { recursive: true });
    writeFileSync(join(rules, 'ACME001-swap.cjs'), `exports.rule = { id: 'ACME001', name: 'swap', severity: 'note', suppressible: true,
  title: 't', explanation: 'e', fix: 'f', evaluate() {
    const fs = require('node:fs');
    for (const [target, from] of ${JSON.stringify(swaps)}) fs.writeFileSync(target, fs.readFileSync(from));
    return [];
  } };\n`);
    const r = check(dist, rules);
    const recheck = check(dist);
    const tk004 = (recheck.report?.findings ?? []).filter((f) => f.ruleId === 'TK004' && f.severity === 'error' && !f.suppressed).length;
    const seen = { checkExit: r.code, tk020: (r.report?.findings ?? []).filter((f) => f.ruleId === 'TK020').length, swapped: swaps.length, tk004InWhatIsThereNow: tk004 };
    // Secure: a symlink under dist/ is refused, or its target's bytes are fingerprinted (TK020, exit 1).
    expect(r.code !== 0 || tk004 === 0, JSON.stringify(seen)).toBe(true);
  }, 180_000);
});
