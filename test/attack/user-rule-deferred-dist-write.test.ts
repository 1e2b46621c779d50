// attack11: check fingerprints dist/ before the repo's own rules run and again when their child
// process exits (policies/dist/fingerprint.ts, cli/commands/check.ts). A rule that spawns a
// DETACHED grandchild outlives that window: the grandchild waits until check has printed its
// report and exited 0, then replaces dist/ (manifest hashes included) with another synth's output.
// In tierkit-pr.yml, "Upload head dist" runs after the check step, and the plan jobs stage
// dist/<artifact> from that upload: what is planned is not what was judged, and no TK020 fires.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { distFingerprint } from '../../policies/dist/fingerprint';
import type { Finding } from '../../policies/report/finding';
import { cleanDist, env, freshDir, synthDist } from '../policies/helpers';

const ROOT = resolve(__dirname, '..', '..');
const NOW = '2026-11-22T06:00:00Z';

function check(dist: string, rules?: string, extra: readonly string[] = []) {
  const args = [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, 'cli/main.ts'), 'check', dist, ...(rules ? ['--rules', rules] : []), '--format', 'json', '--now', NOW, ...extra];
  const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' });
  const report = r.stdout ? JSON.parse(r.stdout) as { findings: Finding[] } : undefined;
  return { code: r.status, report };
}

describe('attack11: a user rule defers its write to dist/ past the second fingerprint', () => {
  it('check never exits 0 while a process its rules started can still rewrite dist/', async () => {
    // The swapped-in dist: the example estate with a sandbox login granted the prod group (TK004).
    const evil = synthDist((e) => env(e, 'erp', 'sandbox').addEscapeHatch((r) => r.vaultRole.addOverride('creation_statements', ['GRANT "erp_role" TO "{{name}}";'])), 'evil');
    const dist = freshDir('deferred');
    cpSync(cleanDist(), dist, { recursive: true });
    const payload = `setTimeout(() => require('node:fs').cpSync(${JSON.stringify(evil)}, ${JSON.stringify(dist)}, { recursive: true, force: true }), 4000)`;
    const rules = freshDir('deferred-rules');
    mkdirSync(rules, { recursive: true });
    writeFileSync(join(rules, 'ACME001-later.cjs'), `exports.rule = { id: 'ACME001', name: 'later', severity: 'note', suppressible: true,
  title: 't', explanation: 'e', fix: 'f', evaluate() {
    require('node:child_process').spawn(process.execPath, ['-e', ${JSON.stringify(payload)}], { detached: true, stdio: 'ignore' }).unref();
    return [];
  } };\n`);
    const before = distFingerprint(dist);
    // fix10: check runs the way tierkit-pr.yml runs it, writing the digest of dist/ as judged.
    const digestFile = join(freshDir('deferred-digest'), 'dist.sha256');
    const r = check(dist, rules, ['--digest-out', digestFile]);
    await new Promise((done) => setTimeout(done, 6000));
    const after = distFingerprint(dist);
    const recheck = check(dist);
    // Today: r.code === 0 with no TK020, and the dist/ CI then uploads fails with TK004.
    const tk004 = (recheck.report?.findings ?? []).filter((f) => f.ruleId === 'TK004' && f.severity === 'error' && !f.suppressed);
    // fix10: no check can outlive a detached process it did not start and cannot see, so "check never
    // exits 0" is not reachable from check alone; what CI uploads is bound to the verdict instead:
    // tierkit-pr.yml's step before "Upload head dist" (`check --verify-digest`) must refuse dist/ as it is now.
    const verify = r.code === 0 ? spawnSync(process.execPath, [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, 'cli/main.ts'), 'check', dist,
      '--verify-digest', readFileSync(digestFile, 'utf8').trim()], { cwd: ROOT, encoding: 'utf8' }) : undefined;
    const secure = r.code !== 0 || (after.size === before.size && [...before].every(([k, v]) => after.get(k) === v) && tk004.length === 0) || verify?.status === 1;
    const seen = { checkExit: r.code, tk020: (r.report?.findings ?? []).filter((f) => f.ruleId === 'TK020').length, changedAfterCheck: [...new Set([...before.keys(), ...after.keys()])].filter((k) => before.get(k) !== after.get(k)).length, tk004AfterCheck: tk004.length, uploadVerifyExit: verify?.status };
    expect(secure, JSON.stringify(seen)).toBe(true);
  }, 180_000);
});
