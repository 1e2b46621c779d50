import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { synthesize } from '../../constructs/synth/synthesize';
import estate from '../../environments';
import { testTmp } from '../setup/tmpdir';
import { step, Workflow, workflows } from './support';

/**
 * The apply workflow's `locate` script (actions/github-script), run with Node against a stand-in
 * `github` client returning the REST shapes GitHub documents (pulls associated with a commit,
 * workflow runs with event, status, conclusion, head_repository, head_branch, run_started_at).
 */

const HOST = `const fs = require('fs');
const fx = JSON.parse(process.env.FIXTURES);
const out = { outputs: {}, failed: [] };
const github = {
  paginate: async (method, args) => { out.calls = (out.calls || []).concat([{ method: method.name, args }]); return fx[method.name]; },
  rest: {
    repos: { listPullRequestsAssociatedWithCommit: function listPullRequestsAssociatedWithCommit() {} },
    actions: { listWorkflowRuns: function listWorkflowRuns() {} },
  },
};
const context = JSON.parse(process.env.CONTEXT);
const core = { setFailed: (m) => out.failed.push(m), setOutput: (k, v) => { out.outputs[k] = v; }, info: () => {} };
const AsyncFunction = (async () => {}).constructor;
new AsyncFunction('require', 'github', 'context', 'core', fs.readFileSync(process.env.SCRIPT, 'utf8'))(require, github, context, core)
  .then(() => fs.writeFileSync('out.json', JSON.stringify(out)), (e) => { console.error(e); process.exitCode = 2; });
`;

const MERGE = 'm'.repeat(40);
const HEAD = 'h'.repeat(40);
const REPO = { id: 812347795, full_name: 'arcodange/estate' };
const HOUR = 3600_000;
let apply: Workflow;

beforeAll(() => {
  ({ apply } = workflows(synthesize(estate()).manifest));
});

interface Run { id: number; run_number: number; name?: string; event?: string; status?: string; conclusion?: string | null; hoursAgo?: number; head_repository?: object; head_branch?: string }

function locate(runs: Run[], prOver: Record<string, unknown> = {}): { outputs: Record<string, string>; failed: string[]; calls: any[] } {
  const dir = testTmp('ci', `locate-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const script = step(apply.jobs.locate, 'pr').with.script as string;
  writeFileSync(join(dir, 'script.js'), script);
  const pr = { number: 7, merged_at: '2026-11-25T10:00:00Z', merge_commit_sha: MERGE, head: { sha: HEAD, ref: 'add-carol', repo: { full_name: REPO.full_name } }, ...prOver };
  const fixtures = {
    listPullRequestsAssociatedWithCommit: [pr],
    listWorkflowRuns: runs.map((r) => ({
      html_url: `https://github.com/arcodange/estate/actions/runs/${r.id}`, head_sha: HEAD, repository: REPO, head_repository: REPO, name: 'tierkit pull request',
      // pull_requests lists only open PRs: empty once the PR is merged.
      event: 'pull_request', status: 'completed', conclusion: 'success', pull_requests: [], head_branch: 'add-carol',
      run_started_at: new Date(Date.now() - (r.hoursAgo ?? 1) * HOUR).toISOString(), ...r,
    })),
  };
  const context = { repo: { owner: 'arcodange', repo: 'estate' }, sha: MERGE, payload: { repository: REPO } };
  const res = spawnSync(process.execPath, ['-e', HOST], {
    cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', SCRIPT: join(dir, 'script.js'), FIXTURES: JSON.stringify(fixtures), CONTEXT: JSON.stringify(context) },
  });
  expect(res.status, res.stderr).toBe(0);
  return JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8'));
}

describe('locate: the reviewed run is the newest pull_request run of the merged head', () => {
  it('accepts the newest successful run of the merged PR, and lists runs of every outcome', () => {
    const got = locate([{ id: 11, run_number: 5 }, { id: 10, run_number: 4, conclusion: 'failure' }]);
    expect(got.failed).toEqual([]);
    expect(got.outputs).toEqual({ 'run-id': '11', 'head-sha': HEAD });
    const listed = got.calls.find((c) => c.method === 'listWorkflowRuns').args;
    expect(listed).toEqual({ owner: 'arcodange', repo: 'estate', workflow_id: 'tierkit-pr.yml', head_sha: HEAD });
  });

  it('never bypasses a newer rejected run by falling back to an older approved one', () => {
    for (const conclusion of ['failure', 'cancelled', 'action_required']) {
      const got = locate([{ id: 10, run_number: 4 }, { id: 12, run_number: 6, conclusion }]);
      expect(got.outputs['run-id']).toBeUndefined();
      expect(got.failed).toEqual([`refusing to apply PR #7: the newest run concluded ${conclusion} — a later run that failed or was rejected is never bypassed by an older approved one; re-run every job of that run (its plans are made again and need their approvals again), then re-run this workflow (run https://github.com/arcodange/estate/actions/runs/12)`]);
    }
    expect(locate([{ id: 10, run_number: 4 }, { id: 12, run_number: 6, status: 'in_progress', conclusion: null }]).failed[0])
      .toContain('the newest run is still in_progress; wait for it to finish');
  });

  it('refuses a stale plan (older than ci.maxPlanAgeHours, 24 by default)', () => {
    expect(locate([{ id: 11, run_number: 5, hoursAgo: 23 }]).failed).toEqual([]);
    const got = locate([{ id: 11, run_number: 5, hoursAgo: 30 }]);
    expect(got.outputs['run-id']).toBeUndefined();
    expect(got.failed[0]).toContain('refusing to apply PR #7: its plans are 30 h old, more than ci.maxPlanAgeHours (24); re-run every job of that run');
  });

  it('refuses a run of another event, another PR, another head repository, or a commit that is no merged PR', () => {
    expect(locate([{ id: 11, run_number: 5, event: 'push' }]).failed[0]).toContain('the newest run for ' + HEAD + ' was triggered by push, not pull_request');
    // A run under another workflow name triggered no review (workflow_run matches by name): its index was never judged.
    expect(locate([{ id: 10, run_number: 4 }, { id: 11, run_number: 5, name: 'renamed' }]).failed[0]).toContain('the newest run is named "renamed", not "tierkit pull request": the review workflow (workflow_run by name) never judged it');
    expect(locate([{ id: 11, run_number: 5, head_branch: 'other' }]).failed[0]).toContain("the newest run is of branch other, not PR #7's add-carol");
    expect(locate([{ id: 11, run_number: 5, head_repository: { full_name: 'mallory/estate' } }]).failed[0]).toContain('the newest run is not of the merged head');
    expect(locate([{ id: 11, run_number: 5, repository: { id: 1, full_name: 'mallory/estate' } } as Run]).failed[0]).toContain('the newest run belongs to another repository');
    expect(locate([]).failed[0]).toContain('no tierkit pull request run for its head');
    expect(locate([{ id: 11, run_number: 5 }], { merge_commit_sha: 'x'.repeat(40) }).failed[0]).toContain('is not the merge of a reviewed pull request');
  });
});
