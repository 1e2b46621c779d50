// attack13: fix10 bound the uploaded dist/ to the verdict with `check --digest-out tierkit-dist.sha256`
// and, before "Upload head dist", `check dist --verify-digest "$(cat tierkit-dist.sha256)"`. The
// expected digest was read back from a file in the workspace — the same file system a detached
// process started by the PR's code (estate code at synth, or a repo rule) can write. Such a process
// waits until check has judged, swaps in another dist/, and writes that dist/'s digest (which
// `check --verify-digest <anything>` prints for it) into the file: the verify step exited 0 and the
// plan jobs planned a dist/ no check judged.
// Since fix12 this test drives the generated steps themselves (the check step, the diff job's verify
// step, a plan job's verify step) instead of a hand-written copy of the old one: the design moved the
// expected digest from the file to the check step's $GITHUB_OUTPUT, so "the workflow's step" is now
// those steps. The adversary is unchanged (swap dist/, rewrite the digest file). Appending its own
// line to the check step's $GITHUB_OUTPUT file is a documented residual (docs/pr-flow.md, Threat model).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../policies/report/finding';
import { cleanDist, env, freshDir, synthDist } from '../policies/helpers';

const ROOT = resolve(__dirname, '..', '..');
const NOW = '2026-11-22T06:00:00Z';
const CLI = [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, 'cli/main.ts')];
const TIERKIT = `"${process.execPath}" ${CLI.map((c) => `"${c}"`).join(' ')}`;

type WorkflowStep = { id?: string; name: string; run?: string; env?: Record<string, string> };
const pr = parseYaml(readFileSync(join(ROOT, '.github/workflows/tierkit-pr.yml'), 'utf8')) as { jobs: Record<string, { steps: WorkflowStep[] }> };
const step = (job: string, pred: (s: WorkflowStep) => boolean) => {
  const s = pr.jobs[job].steps.find(pred);
  if (!s?.run) throw new Error(`no such step in tierkit-pr.yml job ${job}`);
  return s;
};

function bash(script: string, cwd: string, env: Record<string, string>) {
  return spawnSync('bash', ['-e', '-o', 'pipefail', '-c', script.replaceAll('npx --no-install tierkit', TIERKIT)], { cwd, encoding: 'utf8', env: { ...process.env, ...env } });
}

describe('attack13: a process the PR started rewrites the digest file along with dist/', () => {
  it('the PR workflow refuses a dist/ check never judged (diff job before the upload, and each plan job)', async () => {
    const evil = synthDist((e) => env(e, 'erp', 'sandbox').addEscapeHatch((r) => r.vaultRole.addOverride('creation_statements', ['GRANT "erp_role" TO "{{name}}";'])), 'evil13');
    // The diff job's workspace: a git checkout (the check step judges at the commit's time) with dist/.
    const work = freshDir('digest13');
    mkdirSync(work, { recursive: true });
    const git = (...a: string[]) => spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t.invalid', ...a], { cwd: work, encoding: 'utf8', env: { ...process.env, GIT_COMMITTER_DATE: NOW, GIT_AUTHOR_DATE: NOW } });
    git('init', '-q');
    git('commit', '-q', '--allow-empty', '-m', 'head');
    const sha = git('rev-parse', 'HEAD').stdout.trim();
    const dist = join(work, 'dist');
    cpSync(cleanDist(), dist, { recursive: true });
    const output = join(work, '.github-output-check');
    // The detached process (started e.g. by apps/*.ts during `tierkit synth`, before check ran): once
    // check has judged, it swaps dist/ and writes the swapped dist/'s digest where the old step read it.
    const digestFile = join(work, 'tierkit-dist.sha256');
    const payload = `const fs = require('node:fs'), cp = require('node:child_process');
const t = setInterval(() => {
  if (!fs.existsSync(${JSON.stringify(output)}) || !fs.readFileSync(${JSON.stringify(output)}, 'utf8').includes('dist-digest=')) return;
  clearInterval(t);
  fs.cpSync(${JSON.stringify(evil)}, ${JSON.stringify(dist)}, { recursive: true, force: true });
  const r = cp.spawnSync(process.execPath, [...${JSON.stringify(CLI)}, 'check', ${JSON.stringify(dist)}, '--verify-digest', '0'.repeat(64)], { encoding: 'utf8' });
  fs.writeFileSync(${JSON.stringify(digestFile)}, /has sha256 ([0-9a-f]{64})/.exec(r.stderr)[1] + '\\n');
}, 100);
setTimeout(() => clearInterval(t), 120000);`;
    const child = spawnSync('sh', ['-c', `"${process.execPath}" -e '${payload.replace(/'/g, `'\\''`)}' >/dev/null 2>&1 &`], { cwd: ROOT });
    expect(child.status).toBe(0);

    const checkStep = step('diff', (s) => s.id === 'check');
    const r = bash(checkStep.run!, work, { HEAD_SHA: sha, BASE_SHA: sha, GITHUB_OUTPUT: output });
    const expected = /^dist-digest=([0-9a-f]{64})$/m.exec(readFileSync(output, 'utf8'))?.[1];
    // Control: check passed the clean dist/ it judged, and handed its digest over.
    expect({ exit: r.status, expected: expected?.length }, r.stderr).toEqual({ exit: 0, expected: 64 });
    for (let i = 0; i < 150 && !existsSync(digestFile); i++) await new Promise((done) => setTimeout(done, 100));
    expect(existsSync(digestFile), 'the adversary swapped dist/').toBe(true);

    // The diff job's step right before "Upload head dist", its EXPECTED as GitHub hands it over.
    const verify = bash(step('diff', (s) => s.name === 'Head dist is the one check judged').run!, work, { EXPECTED: expected!, GITHUB_OUTPUT: join(work, '.github-output-verify') });
    // A plan job's step, on a fresh runner: the downloaded artifact at dist/, main's checkout at base/
    // (its `npm ci` dropped: this checkout's tierkit stands for main's).
    const runner = freshDir('digest13-plan');
    cpSync(dist, join(runner, 'dist'), { recursive: true });
    mkdirSync(join(runner, 'base'));
    const planVerify = step('plan', (s) => s.name === 'Downloaded dist is the one check judged');
    expect(planVerify.env).toEqual({ EXPECTED: '${{ needs.diff.outputs.dist-digest }}' });
    const plan = bash(planVerify.run!.replace(/^npm ci\n/, ''), join(runner, 'base'), { EXPECTED: expected! });

    const recheck = spawnSync(process.execPath, [...CLI, 'check', dist, '--format', 'json', '--now', NOW], { cwd: ROOT, encoding: 'utf8' });
    const tk004 = ((JSON.parse(recheck.stdout) as { findings: Finding[] }).findings).filter((f) => f.ruleId === 'TK004' && f.severity === 'error' && !f.suppressed);
    const seen = { verifyExit: verify.status, planVerifyExit: plan.status, tk004OnUploadedDist: tk004.length };
    // The swap happened (the uploaded dist/ is not what check judged)…
    expect(tk004.length, JSON.stringify(seen)).toBeGreaterThan(0);
    // …and both the diff job and the plan job refuse it.
    expect(seen, `${verify.stderr}\n${plan.stderr}`).toMatchObject({ verifyExit: 1, planVerifyExit: 1 });
    expect(plan.stderr).toContain(`but check judged ${expected}`);
  }, 240_000);
});
