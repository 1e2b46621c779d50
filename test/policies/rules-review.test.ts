import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REVIEW_PLAN_FILE } from '../../contract/review-workflow';
import { RULES } from '../../policies/rules';
import { check, cleanDist, findings, freshDir } from './helpers';
import { editJson, rehashManifest } from './support/dist-edit';

/**
 * TK023–TK026: the review workflow's plan (dist/ci/review.json) and main's required check
 * (dist/ci/rulesets/tierkit-main.json), hand-edited as a hostile PR author would (hashes rewritten,
 * so TK020 does not catch it first). Each case names the rule that must catch it.
 */

let dir: string;
beforeAll(() => { dir = cleanDist(); });

function edited(rel: string, edit: (j: any) => any): string {
  const to = freshDir('review');
  cpSync(dir, to, { recursive: true });
  editJson(to, rel, edit);
  return to;
}
const review = (edit: (j: any) => any) => edited(REVIEW_PLAN_FILE, edit);
const messages = async (to: string, id: string) => findings(await check(to), id).map((f) => f.message);
const job = (j: any, id: string) => j.jobs.find((x: any) => x.job === id);

describe('TK023–TK026 on the example estate', () => {
  it('pass, and none can be suppressed', async () => {
    const report = await check(dir);
    for (const id of ['TK023', 'TK024', 'TK025', 'TK026']) {
      expect(findings(report, id), id).toEqual([]);
      expect(RULES.find((r) => r.id === id)?.suppressible, id).toBe(false);
    }
  });
});

describe('TK023: the review workflow plan', () => {
  it('missing or unreadable is an error (fail closed)', async () => {
    const gone = freshDir('review');
    cpSync(dir, gone, { recursive: true });
    rmSync(join(gone, REVIEW_PLAN_FILE));
    rehashManifest(gone);
    expect(await messages(gone, 'TK023')).toEqual([expect.stringContaining('ci/review.json is missing')]);
    expect(await messages(gone, 'TK024')).toEqual([expect.stringContaining('ci/review.json is missing')]);
    const broken = review(() => ['not', 'an', 'object']);
    expect(await messages(broken, 'TK025')).toEqual([expect.stringContaining('cannot be read')]);
  });

  it('a pull_request_target trigger, a run of another file, or another status context is an error', async () => {
    const to = review((j) => { j.on.pull_request_target = {}; j.triggering.path = '.github/workflows/other.yml'; j.statusContext = 'tierkit'; });
    const got = await messages(to, 'TK023');
    expect(got).toEqual(expect.arrayContaining([
      expect.stringContaining('not only by workflow_run (completed)'),
      expect.stringContaining('not only a pull_request run of .github/workflows/tierkit-pr.yml'),
      expect.stringContaining('posts the status "tierkit"'),
      expect.stringContaining('was edited by hand'),
    ]));
  });
});

describe('TK024: main only, the head as data', () => {
  it("a review job that checks out the head, downloads into main's checkout, or runs the artifact's tierkit is an error", async () => {
    const to = review((j) => {
      job(j, 'review').checkouts = ['${{ github.event.workflow_run.head_sha }}'];
      job(j, 'review').headArtifacts[0].path = 'main/policies';
      job(j, 'review').headArtifacts[1].path = 'head/../main';
      job(j, 'review').tierkit = 'head';
      job(j, 'review').dataCheckouts = [{ ref: 'refs/pull/7/head', path: '.tierkit-rendered' }];
    });
    const got = await messages(to, 'TK024');
    expect(got).toEqual([
      expect.stringContaining('checks out "${{ github.event.workflow_run.head_sha }}"'),
      expect.stringContaining('checks out "refs/pull/7/head" at ".tierkit-rendered" as data: only the rendered branch "rendered"'),
      expect.stringContaining('to "main/policies"'),
      expect.stringContaining('to "head/../main"'),
      expect.stringContaining('runs tierkit from "head"'),
    ]);
  });

  it('the job that writes may not also check out or read the PR run', async () => {
    const to = review((j) => { job(j, 'post').checkouts = ['${{ github.sha }}']; });
    expect(await messages(to, 'TK024')).toEqual([expect.stringContaining('review job "post" holds a write permission (or the review App\'s token) and also checks out')]);
  });
});

describe('TK025: least permissions', () => {
  it('an extra permission, or a job tierkit does not write, is an error', async () => {
    const to = review((j) => {
      job(j, 'review').permissions['id-token'] = 'write';
      job(j, 'post').permissions.contents = 'write';
      j.jobs.push({ job: 'extra', needs: [], permissions: {}, checkouts: [], headArtifacts: [], tierkit: 'none' });
    });
    expect(await messages(to, 'TK025')).toEqual([
      expect.stringContaining('job review has permissions {"actions":"read","contents":"read","id-token":"write","pull-requests":"read"}'),
      expect.stringContaining('job post has permissions'),
      expect.stringContaining('job "extra" is not one tierkit writes'),
    ]);
  });
});

describe("TK026: main's required check", () => {
  const ruleset = (edit: (r: any) => void) => edited('ci/rulesets/tierkit-main.json', (r) => { edit(r.rules.find((x: any) => x.type === 'required_status_checks').parameters); });

  it("a PR workflow job's check, or the review's context unbound to GitHub Actions, is an error", async () => {
    const to = ruleset((p) => { p.required_status_checks = [{ context: 'synth, check, diff' }, { context: 'tierkit review' }]; });
    expect(await messages(to, 'TK026')).toEqual([
      expect.stringContaining('main does not require "tierkit review" bound to the GitHub Actions app'),
      expect.stringContaining('main requires {"context":"synth, check, diff"}'),
      expect.stringContaining('main requires {"context":"tierkit review"}'),
    ]);
  });

  it('a non-strict policy, or no required check at all, is an error', async () => {
    expect(await messages(ruleset((p) => { p.strict_required_status_checks_policy = false; }), 'TK026')).toEqual([expect.stringContaining('not strict')]);
    const none = edited('ci/rulesets/tierkit-main.json', (r) => { r.rules = r.rules.filter((x: any) => x.type !== 'required_status_checks'); });
    expect(await messages(none, 'TK026')).toEqual([expect.stringContaining('requires no status check')]);
  });
});
