import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { synthesize } from '../../constructs/synth/synthesize';
import { githubWorkflows } from '../../ci/github';
import { githubRulesets } from '../../contract/github-rulesets';
import { PR_WORKFLOW_NAME } from '../../contract/review-workflow';
import estate from '../../environments';
import { testTmp } from '../setup/tmpdir';
import { cleanDist } from '../policies/helpers';
import { editJson } from '../policies/support/dist-edit';
import { parse as parseYaml } from 'yaml';
import { runStep, step, Workflow, workflows } from './support';

/**
 * The review workflow (`tierkit-pr-review.yml`): what it checks out and runs, and its scripts run
 * for real — the PR resolution and the status (github-script, with a stand-in `github` returning
 * the REST shapes GitHub documents: a workflow_run payload, pulls.list, repos.getCommit) and the
 * plan-index check (bash, jq).
 */

const HOST = `const fs = require('fs');
const fx = JSON.parse(process.env.FIXTURES);
const out = { outputs: {}, failed: [], calls: [] };
const record = (name) => async (args) => { out.calls.push({ method: name, args }); return fx[name]; };
const github = {
  paginate: async (method, args) => { out.calls.push({ method: method.name, args }); return fx[method.name]; },
  rest: {
    pulls: { list: function list() {} },
    repos: { getCommit: record('getCommit'), createCommitStatus: record('createCommitStatus') },
  },
};
const context = JSON.parse(process.env.CONTEXT);
const core = { setFailed: (m) => out.failed.push(m), setOutput: (k, v) => { out.outputs[k] = v; }, info: () => {} };
const AsyncFunction = (async () => {}).constructor;
new AsyncFunction('require', 'github', 'context', 'core', fs.readFileSync(process.env.SCRIPT, 'utf8'))(require, github, context, core)
  .then(() => fs.writeFileSync('out.json', JSON.stringify(out)), (e) => { console.error(e); process.exitCode = 2; });
`;

const REPO = { id: 812347795, full_name: 'arcodange/estate', owner: { login: 'arcodange' }, html_url: 'https://github.com/arcodange/estate' };
const FORK = { id: 99, full_name: 'mallory/estate', owner: { login: 'mallory' } };
const HEAD = 'h'.repeat(40);
let review: Workflow;
let pr: Workflow;
beforeAll(() => { ({ review, pr } = workflows(synthesize(estate()).manifest)); });

function script(s: Record<string, any>, run: Record<string, unknown>, fixtures: Record<string, unknown>, env: Record<string, string> = {}) {
  const dir = testTmp('ci', `review-${process.pid}-${Math.random().toString(36).slice(2)}`);
  writeFileSync(join(dir, 'script.js'), s.with.script);
  const context = { repo: { owner: 'arcodange', repo: 'estate' }, runId: 77, payload: { repository: REPO, workflow_run: run } };
  const res = spawnSync(process.execPath, ['-e', HOST], {
    cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', SCRIPT: join(dir, 'script.js'), FIXTURES: JSON.stringify(fixtures), CONTEXT: JSON.stringify(context), ...env },
  });
  expect(res.status, res.stderr).toBe(0);
  return JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as { outputs: Record<string, string>; failed: string[]; calls: { method: string; args: any }[] };
}

/** A completed pull_request run of the PR workflow for a fork's branch: `pull_requests` is empty for a fork (github/docs#22501). */
const forkRun = (over: Record<string, unknown> = {}) => ({
  id: 500, event: 'pull_request', path: '.github/workflows/tierkit-pr.yml', conclusion: 'success', head_sha: HEAD, head_branch: 'add-carol',
  repository: REPO, head_repository: FORK, pull_requests: [], html_url: 'https://github.com/arcodange/estate/actions/runs/500', ...over,
});
const openPr = (over: Record<string, unknown> = {}) => ({ number: 7, head: { sha: HEAD, ref: 'add-carol', repo: FORK }, base: { ref: 'main', repo: REPO }, ...over });
const commit = { data: { commit: { committer: { date: '2026-11-25T10:00:00Z' } } } };

describe('the review workflow runs main, and reads the PR run as data', () => {
  it("is triggered only by the PR workflow's completed runs, checks out only main, and runs nothing from the artifacts", () => {
    expect(review.on).toEqual({ workflow_run: { workflows: [PR_WORKFLOW_NAME], types: ['completed'] } });
    expect(pr.name).toBe(PR_WORKFLOW_NAME);
    const steps = Object.values(review.jobs).flatMap((j: any) => j.steps);
    const checkouts = steps.filter((s: any) => String(s.uses).startsWith('actions/checkout@'));
    // main at the event's commit, and the rendered branch (read-only data): never the head.
    expect(checkouts.map((s: any) => s.with.ref)).toEqual(['${{ github.sha }}', 'rendered']);
    expect(JSON.stringify(checkouts)).not.toMatch(/head_sha|head_branch|pull_request/);
    for (const s of steps.filter((x: any) => x.run !== undefined)) {
      // A run step works in main's checkout, or reads head/ with bash and jq alone.
      expect(['main', 'head', undefined], s.name).toContain(s['working-directory']);
      if (s['working-directory'] === 'head') expect(s.run).not.toMatch(/\bnpx\b|\bnpm\b|\bnode\b|\.\/|\bbash\b|\bsource\b|\beval\b/);
      expect(s.run, s.name).not.toMatch(/(^|\s)(\.\.\/)?head\/[^\s"]*\.(sh|js|ts)\b/);
    }
    const downloads = review.jobs.review.steps.filter((s: any) => String(s.uses).startsWith('actions/download-artifact@'));
    expect(downloads.map((s: any) => s.with.path)).toEqual(['head/dist', 'head/plans', 'head/index']);
    expect(downloads.every((s: any) => s.with['run-id'] === '${{ github.event.workflow_run.id }}')).toBe(true);
    expect(review.jobs.review.permissions).toEqual({ actions: 'read', contents: 'read', 'pull-requests': 'read' });
    // The post job's GITHUB_TOKEN can post nothing: a status it posted would be GitHub Actions', which any workflow posts as.
    expect(review.jobs.post.permissions).toEqual({});
    // The workflow is what the plan in dist/ says (the plan is what TK023–TK025 judge).
    const plan = JSON.parse(synthesize(estate()).files.get('ci/review.json')!);
    expect(Object.keys(review.jobs)).toEqual(plan.jobs.map((j: any) => j.job));
    for (const j of plan.jobs) {
      const rendered = review.jobs[j.job];
      expect(rendered.permissions, j.job).toEqual(j.permissions);
      const uses = (a: string) => rendered.steps.filter((s: any) => String(s.uses).startsWith(`actions/${a}@`)).map((s: any) => s.with);
      expect(uses('checkout').map((w: any) => w.ref), j.job).toEqual([...j.checkouts, ...j.dataCheckouts.map((c: any) => c.ref)]);
      expect(uses('download-artifact').filter((w: any) => w['run-id']).map((w: any) => w.path), j.job).toEqual(j.headArtifacts.map((a: any) => a.path));
    }
  });
});

describe("the status and the comment are posted with the review App's token, minted in the tierkit-review environment", () => {
  it('the post job runs in tierkit-review and mints the declared App\'s token (pinned action, this repository, statuses and pull requests only)', () => {
    const post = review.jobs.post;
    expect(post.environment).toBe('tierkit-review');
    expect(review.jobs.review.environment).toBeUndefined();
    const mint = post.steps.filter((s: any) => String(s.uses).startsWith('actions/create-github-app-token@'));
    expect(mint).toHaveLength(1);
    expect(post.steps[0]).toBe(mint[0]);
    expect(mint[0]).toEqual({
      id: 'app', name: expect.any(String), uses: 'actions/create-github-app-token@df432ceedc7162793a195dd1713ff69aefc7379e',
      with: {
        'app-id': '1040010', 'private-key': '${{ secrets.TIERKIT_REVIEW_APP_PRIVATE_KEY }}', owner: 'arcodange', repositories: 'estate',
        'permission-pull-requests': 'write', 'permission-statuses': 'write',
      },
    });
    // Every step that writes to GitHub uses that token, never the job's GITHUB_TOKEN.
    const scripts = post.steps.filter((s: any) => String(s.uses).startsWith('actions/github-script@'));
    expect(scripts.map((s: any) => s.name)).toEqual(['Post the sticky comment', 'Commit status tierkit review']);
    for (const s of scripts) expect(s.with['github-token'], s.name).toBe('${{ steps.app.outputs.token }}');
    // No other job reads the App's key.
    expect(JSON.stringify(review.jobs.review)).not.toContain('TIERKIT_REVIEW_APP_PRIVATE_KEY');
  });

  it("no other job of any generated workflow names tierkit-review or reads the App's key (it would post the status main requires)", () => {
    const holders: string[] = [];
    for (const [file, text] of githubWorkflows(synthesize(estate()).manifest)) {
      if (!file.endsWith('.yml') || !text.includes('jobs:')) continue;
      const wf = parseYaml(text) as Workflow;
      for (const [id, j] of Object.entries((wf?.jobs ?? {}) as Record<string, any>)) {
        if (j.environment === 'tierkit-review' || JSON.stringify(j).includes('TIERKIT_REVIEW_APP_PRIVATE_KEY')) holders.push(`${file}#${id}`);
      }
    }
    expect(holders).toEqual(['tierkit-pr-review.yml#post']);
  });

  it('with no review App declared, the token step has no App id (it fails) and the ruleset stays on GitHub Actions, which check refuses (TK019)', () => {
    const e = estate();
    const m = synthesize(e).manifest;
    const none = { ...m, estate: { ...m.estate, ci: { ...m.estate.ci, reviewAppId: undefined } } };
    const { review: r } = workflows(none);
    expect(r.jobs.post.steps[0].with['app-id']).toBe('');
    const main = githubRulesets(none).find((x) => x.name === 'tierkit-main')!;
    expect(JSON.stringify(main.rules)).toContain('{"context":"tierkit review","integration_id":15368}');
  });
});

describe('the review workflow interpolates no event text into code', () => {
  it('no ${{ }} expression in any run: or github-script body (head_branch, titles and messages are the PR author\'s)', () => {
    for (const [id, job] of Object.entries(review.jobs as Record<string, any>)) {
      for (const s of job.steps) {
        expect(String(s.run ?? ''), `${id}: ${s.name}`).not.toContain('${{');
        expect(String(s.with?.script ?? ''), `${id}: ${s.name}`).not.toContain('${{');
      }
    }
    // The author-controlled fields reach steps only through env, or not at all.
    expect(JSON.stringify(review)).not.toMatch(/display_title|head_commit\.message|pull_requests\[/);
  });
});

describe('resolving the PR: from GitHub, never from an artifact', () => {
  const resolve = (run: Record<string, unknown>, prs: unknown[]) => script(step(review.jobs.review, 'pr'), run, { list: prs, getCommit: commit });

  it("a fork's PR (empty pull_requests) is found by owner:branch and its head commit", () => {
    const got = resolve(forkRun(), [openPr()]);
    expect(got.failed).toEqual([]);
    expect(got.outputs).toEqual({ 'pr-number': '7' });
    // No commit date is read: the check instant is the review job's own clock (attack17).
    expect(got.calls.map((c: { method: string }) => c.method)).not.toContain('getCommit');
    expect(got.calls[0]).toEqual({ method: 'list', args: { owner: 'arcodange', repo: 'estate', state: 'open', base: 'main', head: 'mallory:add-carol', per_page: 100 } });
  });

  it('refuses a run whose PR moved on, another event, another file of the same name, another base, or two matching PRs', () => {
    const cases: [Record<string, unknown>, unknown[], string][] = [
      [forkRun(), [openPr({ head: { sha: 'n'.repeat(40), ref: 'add-carol', repo: FORK } })], '0 open pull requests'],
      [forkRun({ event: 'push' }), [openPr()], 'not a pull_request run (push)'],
      [forkRun({ path: '.github/workflows/evil.yml' }), [openPr()], 'is of .github/workflows/evil.yml'],
      [forkRun(), [openPr({ base: { ref: 'release', repo: REPO } })], '0 open pull requests'],
      [forkRun(), [openPr({ head: { sha: HEAD, ref: 'add-carol', repo: { ...FORK, id: 100 } } })], '0 open pull requests'],
      [forkRun(), [openPr(), openPr({ number: 8 })], '2 open pull requests'],
      [forkRun({ repository: { ...REPO, id: 1 } }), [openPr()], 'belongs to another repository'],
    ];
    for (const [run, prs, why] of cases) {
      const got = resolve(run, prs);
      expect(got.outputs['pr-number'], why).toBeUndefined();
      expect(got.failed, why).toEqual([expect.stringContaining(why)]);
    }
  });
});

describe('the required status', () => {
  const status = (review_: string, conclusion: string) => {
    const got = script(step(review.jobs.post, 'Commit status tierkit review'), forkRun({ conclusion }), { createCommitStatus: {} }, { REVIEW: review_ });
    return got.calls.find((c) => c.method === 'createCommitStatus')!.args;
  };
  it('is success only when the review succeeded on a successful PR run, always on the run\'s head commit', () => {
    expect(status('success', 'success')).toMatchObject({ sha: HEAD, state: 'success', context: 'tierkit review', target_url: 'https://github.com/arcodange/estate/actions/runs/77' });
    expect(status('failure', 'success')).toMatchObject({ sha: HEAD, state: 'failure' });
    expect(status('success', 'failure')).toMatchObject({ state: 'failure', description: 'the PR run concluded failure' });
    expect(status('skipped', 'success')).toMatchObject({ state: 'failure' });
  });
});

describe("the PR run's plan index is what the review judged", () => {
  const sha = (s: string) => createHash('sha256').update(s).digest('hex');
  const manifest = '{"estate":"x"}\n';
  const files = (index: Record<string, unknown>) => ({
    'head/dist/manifest.json': manifest,
    'review/plans/tierkit-plan-crm/tfplan.sha256': `${sha('crm')}\n`,
    'head/index/tierkit-plans.json': JSON.stringify({ headSha: HEAD, distSha256: sha(manifest), plans: { crm: sha('crm') }, ...index }),
  });
  const verify = (index: Record<string, unknown>) => runStep(step(review.jobs.review, "The PR run's plan index is what this review judged"), files(index), { 'github.event.workflow_run.head_sha': HEAD });

  it('passes the honest index', () => {
    const r = verify({});
    expect(r.status, r.stderr + r.stdout).toBe(0);
  });

  it('refuses an index naming another dist (the apply would hold main to a dist nobody judged), another head, or other plans', () => {
    expect(verify({ distSha256: sha('another manifest') }).stdout).toContain('names a dist other than the one judged');
    expect(verify({ headSha: 'o'.repeat(40) }).stdout).toContain(`is not of the head ${HEAD}`);
    expect(verify({ plans: { crm: sha('crm'), erp: sha('erp') } }).stdout).toContain('lists plans other than those judged');
    expect(verify({ plans: { crm: sha('forged') } }).stdout).toContain('lists plans other than those judged');
    expect(verify({ plans: 'crm' }).status).toBe(1);
  });
});

describe("main's tierkit judges the head dist (the check step, run for real)", () => {
  const ROOT = resolvePath(__dirname, '../..');
  function layout(edit?: (head: string) => void): string {
    const dir = testTmp('ci', `review-check-${process.pid}-${Math.random().toString(36).slice(2)}`);
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    // `npx --no-install tierkit <args>` → this checkout's CLI (main's tierkit, in the job).
    writeFileSync(join(bin, 'npx'), `#!/bin/sh\nshift 2\nexec "${join(ROOT, 'node_modules/.bin/tsx')}" "${join(ROOT, 'cli/main.ts')}" "$@"\n`);
    chmodSync(join(bin, 'npx'), 0o755);
    mkdirSync(join(dir, 'main'));
    spawnSync('git', ['init', '-q', join(dir, 'main')]);
    spawnSync('git', ['-C', join(dir, 'main'), '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '--allow-empty', '-m', 'main', '--date', '2026-11-20T00:00:00Z'],
      { env: { ...process.env, GIT_COMMITTER_DATE: '2026-11-20T00:00:00Z' } });
    cpSync(cleanDist(), join(dir, 'head/dist'), { recursive: true });
    edit?.(join(dir, 'head/dist'));
    return dir;
  }
  const runCheck = (dir: string, headAt = '2026-11-22T06:00:00Z') => {
    const s = step(review.jobs.review, 'check');
    const r = spawnSync('bash', ['-e', '-o', 'pipefail', '-c', s.run], {
      cwd: join(dir, 'main'), encoding: 'utf8',
      env: { PATH: `${join(dir, 'bin')}:${process.env.PATH}`, HOME: process.env.HOME ?? dir, GITHUB_OUTPUT: join(dir, '.out'), HEAD_COMMITTED_AT: headAt },
    });
    expect(r.status, r.stderr).toBe(0);
    return Object.fromEntries(readFileSync(join(dir, '.out'), 'utf8').trim().split('\n').map((l) => l.split('=') as [string, string]));
  };

  it("a clean head dist passes, at the review job's own clock whatever a commit's date says", () => {
    const before = Math.floor(Date.now() / 1000) * 1000;
    const out = runCheck(layout(), '2030-01-01T00:00:00Z');
    expect(out.rc).toBe('0');
    expect(out.now).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(Date.parse(out.now)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(out.now)).toBeLessThanOrEqual(Date.now());
  }, 120_000);

  it('a head dist that gives the review workflow more permissions fails the check (the PR run\'s own check said nothing)', () => {
    const out = runCheck(layout((head) => editJson(head, 'ci/review.json', (j) => { j.jobs[0].permissions.contents = 'write'; })));
    expect(out.rc).toBe('1');
  }, 120_000);
});
