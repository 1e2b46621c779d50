// attack13: fix10 binds the uploaded dist/ to the verdict with `check --digest-out tierkit-dist.sha256`
// and, before "Upload head dist", `check dist --verify-digest "$(cat tierkit-dist.sha256)"`
// (ci/github-pr.ts). The expected digest is read back from a file in the workspace — the same file
// system a detached process started by the PR's code (estate code at synth, or a repo rule) can
// write. Such a process waits until check has written the digest file, swaps in another dist/, and
// writes that dist/'s digest (which `check --verify-digest <anything>` prints for it) into the file:
// the verify step exits 0 and the plan jobs plan a dist/ no check judged.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../policies/report/finding';
import { cleanDist, env, freshDir, synthDist } from '../policies/helpers';

const ROOT = resolve(__dirname, '..', '..');
const NOW = '2026-11-22T06:00:00Z';
const CLI = [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, 'cli/main.ts')];

function check(dist: string, extra: readonly string[] = []) {
  const r = spawnSync(process.execPath, [...CLI, 'check', dist, '--format', 'json', '--now', NOW, ...extra], { cwd: ROOT, encoding: 'utf8' });
  const report = r.stdout ? JSON.parse(r.stdout) as { findings: Finding[] } : undefined;
  return { code: r.status, report };
}

describe('attack13: a process the PR started rewrites the digest file along with dist/', () => {
  it('the PR workflow verify step refuses a dist/ check never judged', async () => {
    const evil = synthDist((e) => env(e, 'erp', 'sandbox').addEscapeHatch((r) => r.vaultRole.addOverride('creation_statements', ['GRANT "erp_role" TO "{{name}}";'])), 'evil13');
    const dist = freshDir('digest13');
    cpSync(cleanDist(), dist, { recursive: true });
    const digestFile = join(freshDir('digest13-file'), 'tierkit-dist.sha256');
    // The detached process (started e.g. by apps/*.ts during `tierkit synth`, before check ran).
    const payload = `const fs = require('node:fs'), cp = require('node:child_process');
const t = setInterval(() => {
  if (!fs.existsSync(${JSON.stringify(digestFile)})) return;
  clearInterval(t);
  fs.cpSync(${JSON.stringify(evil)}, ${JSON.stringify(dist)}, { recursive: true, force: true });
  const r = cp.spawnSync(process.execPath, [...${JSON.stringify(CLI)}, 'check', ${JSON.stringify(dist)}, '--verify-digest', '0'.repeat(64)], { encoding: 'utf8' });
  fs.writeFileSync(${JSON.stringify(digestFile)}, /has sha256 ([0-9a-f]{64})/.exec(r.stderr)[1] + '\\n');
}, 100);`;
    const child = spawnSync('sh', ['-c', `"${process.execPath}" -e '${payload.replace(/'/g, `'\\''`)}' >/dev/null 2>&1 &`], { cwd: ROOT });
    expect(child.status).toBe(0);
    const r = check(dist, ['--digest-out', digestFile]);
    await new Promise((done) => setTimeout(done, 15000));
    // The workflow's step: `tierkit check dist --verify-digest "$(cat tierkit-dist.sha256)"`.
    const verify = spawnSync(process.execPath, [...CLI, 'check', dist, '--verify-digest', readFileSync(digestFile, 'utf8').trim()], { cwd: ROOT, encoding: 'utf8' });
    const recheck = check(dist);
    const tk004 = (recheck.report?.findings ?? []).filter((f) => f.ruleId === 'TK004' && f.severity === 'error' && !f.suppressed);
    const seen = { checkExit: r.code, verifyExit: verify.status, verifyOut: verify.stdout.trim(), tk004OnUploadedDist: tk004.length };
    // Secure: check failed, or what the verify step accepts is what check judged (no TK004 there).
    expect(r.code !== 0 || verify.status !== 0 || tk004.length === 0, JSON.stringify(seen)).toBe(true);
  }, 240_000);
});
