import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { synthesize } from '../../constructs/synth/synthesize';
import estate from '../../environments';
import { cleanDist } from '../policies/helpers';
import { testTmp } from '../setup/tmpdir';
import { APPLY_SCRIPT } from '../../ci/steps';
import { runStep, step, Workflow, workflows } from './support';

/**
 * The PR workflow hands the plan summaries to `tierkit diff --plans`: the generated steps of the
 * `plans-diff` job run for real — bash assembling plans.json from downloaded plan artifacts, then
 * the real tierkit CLI (an `npx` shim runs cli/main.ts) rendering the comment from the base and
 * head dists — and the comment shows what the plans do, drift included.
 */

const ROOT = resolve(__dirname, '../..');
let pr: Workflow;
let review: Workflow;
beforeAll(() => {
  ({ pr, review } = workflows(synthesize(estate()).manifest));
});

const summary = (stack: string, over: Record<string, string[]> = {}) =>
  JSON.stringify({ stack, create: [], update: [], delete: [], replace: [], forget: [], drift: [], ...over });

function npxShim(): string {
  const bin = testTmp('ci', `npx-tierkit-${process.pid}`);
  // `npx --no-install tierkit <args>` → this checkout's CLI.
  writeFileSync(join(bin, 'npx'), `#!/bin/sh\nshift 2\nexec "${join(ROOT, 'node_modules/.bin/tsx')}" "${join(ROOT, 'cli/main.ts')}" "$@"\n`);
  chmodSync(join(bin, 'npx'), 0o755);
  return bin;
}

describe('plans-diff: the comment is rendered with the plans', () => {
  it('assembles plans.json from the plan artifacts and renders the diff with them (a plan dropping a prod database is severity 3)', () => {
    const job = review.jobs.review;
    expect(job.permissions).toEqual({ actions: 'read', contents: 'read', 'pull-requests': 'read' });
    const assembled = runStep(step(job, 'Plan summaries for tierkit diff --plans'), {
      'plans/tierkit-plan-crm/plan-summary.json': summary('crm', { delete: ['postgresql_database.database'], drift: ['postgresql_database.database'] }),
      'plans/tierkit-plan-crm-dev/plan-summary.json': summary('crm-dev', { create: ['postgresql_role.group'] }),
    });
    expect(assembled.status, assembled.stderr).toBe(0);
    const plans = JSON.parse(readFileSync(join(assembled.dir, 'tierkit-plans-diff/plans.json'), 'utf8'));
    expect(plans.schemaVersion).toBe(1);
    expect(plans.plans.map((p: any) => p.stack)).toEqual(['crm', 'crm-dev']);

    // The render step, in the review job's layout: main/ (main's checkout), main-dist/, head/ (the PR run's artifacts).
    const render = step(job, "Semantic diff of main and the head dist, with the plans, by main's tierkit");
    expect(render['working-directory']).toBe('main');
    expect(step(job, 'Plan summaries for tierkit diff --plans')['working-directory']).toBe('head');
    const dir = testTmp('ci', `review-render-${process.pid}`);
    cpSync(assembled.dir, join(dir, 'head'), { recursive: true });
    mkdirSync(join(dir, 'main'), { recursive: true });
    cpSync(cleanDist(), join(dir, 'main-dist'), { recursive: true });
    cpSync(cleanDist(), join(dir, 'head/dist'), { recursive: true });
    const r = spawnSync('bash', ['-e', '-o', 'pipefail', '-c', render.run], {
      cwd: join(dir, 'main'), encoding: 'utf8',
      env: { PATH: `${npxShim()}:${process.env.PATH}`, HOME: process.env.HOME ?? dir, NOW: '2026-11-22T06:00:00Z', REPORT_HINT: 'the tierkit-diff artifact' },
    });
    expect(r.status, r.stderr).toBe(0);
    const comment = readFileSync(join(dir, 'review/tierkit-diff/comment.md'), 'utf8');
    expect(comment).toContain('the plan of stack `crm` deletes prod database `postgresql_database.database`');
    expect(comment).toMatch(/the plan of stack `crm-dev` changes resources although this diff changes nothing there/);
    expect(comment).toContain('Plans (2)');
  }, 120_000);

  it('refuses a summary filed under another stack', () => {
    const r = runStep(step(review.jobs.review, 'Plan summaries for tierkit diff --plans'), {
      'plans/tierkit-plan-crm-dev/plan-summary.json': summary('crm'),
    });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('summarizes stack crm, not crm-dev');
  });

  it('no plans: an empty plans.json, not a failure', () => {
    const r = runStep(step(review.jobs.review, 'Plan summaries for tierkit diff --plans'), {});
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(r.dir, 'tierkit-plans-diff/plans.json'), 'utf8'))).toEqual({ plans: [], schemaVersion: 1 });
  });

  it('the posting job posts what the review job rendered: it checks out, installs and runs nothing, and reads nothing of the PR run', () => {
    const job = review.jobs.post;
    expect(job.needs).toEqual(['review']);
    expect(job.steps.every((s: any) => s.run === undefined)).toBe(true);
    expect(job.steps.some((s: any) => String(s.uses).startsWith('actions/checkout@'))).toBe(false);
    // Its only download is the review job's own artifact of this run (no run-id: not the PR run's).
    const downloads = job.steps.filter((s: any) => String(s.uses).startsWith('actions/download-artifact@'));
    expect(downloads.map((s: any) => s.with)).toEqual([{ name: 'tierkit-review', path: '.' }]);
  });
});

describe('apply job names carry the reviewed plan counts; each apply job summarizes its own plan', () => {
  it('the index records Terraform\'s counts per stack, locate passes only well-formed ones, the job name reads them', async () => {
    const { runGithubScript } = await import('./support');
    const m = synthesize(estate()).manifest;
    const { apply } = workflows(m);
    const files: Record<string, string> = {
      'tierkit-diff/comment.md': '<!-- tierkit-diff -->\n',
      'tierkit-diff/plan-matrix.json': JSON.stringify([{ stack: 'crm', action: 'change', gatingTier: 'prod' }]),
      'dist/manifest.json': '{}\n',
      'plans/tierkit-plan-crm/tfplan.sha256': `${'a'.repeat(64)}  tfplan\n`,
      'plans/tierkit-plan-crm/plan-summary.json': summary('crm', { create: ['a.x'], replace: ['b.y'], delete: ['c.z'], update: ['d.w'] }),
    };
    const posted = runGithubScript(step(pr.jobs.index, 'Write the plan index'), files);
    expect(posted.status, posted.stderr).toBe(0);
    expect(posted.posted).toEqual([]); // the PR run's index job posts nothing
    const index = JSON.parse(readFileSync(join(posted.dir, 'tierkit-plans.json'), 'utf8'));
    expect(index.counts).toEqual({ crm: '2 to add, 1 to change, 2 to destroy' });

    // locate's verify step: a label that is not the counts' form is dropped (it becomes a job name).
    index.counts['erp'] = '0 to add\nname: injected';
    const verify = step(apply.jobs.locate, 'verify');
    const r = runStep(verify, { 'reviewed/tierkit-plans.json': JSON.stringify(index), 'dist/manifest.json': '{}\n' }, { 'steps.pr.outputs.head-sha': index.headSha }, {
      setup: (dir) => { index.distSha256 = spawnSync('sha256sum', [join(dir, 'dist/manifest.json')], { encoding: 'utf8' }).stdout.split(' ')[0]; writeFileSync(join(dir, 'reviewed/tierkit-plans.json'), JSON.stringify(index)); },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.outputs.counts)).toEqual({ crm: '2 to add, 1 to change, 2 to destroy' });
    expect(apply.jobs['apply-crm'].name).toBe("apply crm (prod, gated by prod: two-approvals) — ${{ contains(fromJSON(needs.locate.outputs.catch-up), 'crm') && 'catch-up: behind its last apply, re-planned from main' || needs.locate.outputs.counts && fromJSON(needs.locate.outputs.counts)['crm'] || 'no reviewed plan' }}");
  });

  it("the apply step writes the verified plan's own counts to the job summary", () => {
    const line = APPLY_SCRIPT.split('\n').find((l) => l.includes('GITHUB_STEP_SUMMARY'))!;
    const plan = { resource_changes: [
      { change: { actions: ['create'] } }, { change: { actions: ['delete', 'create'] } }, { change: { actions: ['update'] } },
      { change: { actions: ['delete'] } }, { change: { actions: ['no-op'] } },
    ] };
    const r = runStep({ name: 'summary', run: line }, { 'plan.json': JSON.stringify(plan) }, {}, { setup: () => {} });
    expect(r.status, r.stderr).toBe(0);
    // No GITHUB_STEP_SUMMARY in runStep's env: the line writes to /dev/null; run again with one.
    const dir = r.dir;
    const out = spawnSync('bash', ['-c', line], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH, STACK: 'crm', GITHUB_STEP_SUMMARY: join(dir, 'summary.md') } });
    expect(out.status, out.stderr).toBe(0);
    expect(readFileSync(join(dir, 'summary.md'), 'utf8')).toBe('### crm: 2 to add, 1 to change, 2 to destroy\n');
  });
});
