import { cpSync, readFileSync, rmSync } from 'node:fs';
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

describe('TK018, TK019, TK023–TK026 on the example estate', () => {
  it('pass, and none can be suppressed', async () => {
    const report = await check(dir);
    for (const id of ['TK018', 'TK019', 'TK023', 'TK024', 'TK025', 'TK026']) {
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

  it("a PR workflow job's check is an error; the review's context alone is TK026's pass (its App is TK019's)", async () => {
    const to = ruleset((p) => { p.required_status_checks = [{ context: 'synth, check, diff' }, { context: 'tierkit review' }]; });
    expect(await messages(to, 'TK026')).toEqual([expect.stringContaining('main requires {"context":"synth, check, diff"}')]);
    expect(await messages(to, 'TK019')).toEqual([expect.stringContaining('is bound to no App')]);
    const gone = ruleset((p) => { p.required_status_checks = [{ context: 'synth, check, diff', integration_id: 1040010 }]; });
    expect(await messages(gone, 'TK026')).toEqual([expect.stringContaining('main does not require "tierkit review"'), expect.stringContaining('main requires')]);
  });

  it('a non-strict policy, or no required check at all, is an error', async () => {
    expect(await messages(ruleset((p) => { p.strict_required_status_checks_policy = false; }), 'TK026')).toEqual([expect.stringContaining('not strict')]);
    const none = edited('ci/rulesets/tierkit-main.json', (r) => { r.rules = r.rules.filter((x: any) => x.type !== 'required_status_checks'); });
    expect(await messages(none, 'TK026')).toEqual([expect.stringContaining('requires no status check')]);
  });
});

describe("TK018: only main's post job holds the review App's token, in the tierkit-review environment", () => {
  it('another environment, a token of another App, wider permissions, another repository, or no environment is an error', async () => {
    const cases: [(p: any) => void, string][] = [
      [(p) => { p.environment = 'tierkit-any-branch'; }, 'runs in the environment "tierkit-any-branch", not "tierkit-review"'],
      [(p) => { delete p.environment; }, 'runs in the environment undefined'],
      [(p) => { p.appToken.appId = 2222222; }, '"appId":2222222'], [(p) => { p.appToken.appId = 15368; }, '"appId":15368'],
      [(p) => { p.appToken.permissions.contents = 'write'; }, '"contents":"write"'],
      [(p) => { p.appToken.repositories = []; }, '"repositories":[]'],
      [(p) => { p.appToken.privateKeySecret = 'REPO_LEVEL_KEY'; }, '"privateKeySecret":"REPO_LEVEL_KEY"'],
      [(p) => { delete p.appToken; }, 'mints undefined'],
    ];
    for (const [edit, why] of cases) {
      const got = await messages(review((j) => { edit(job(j, 'post')); }), 'TK018');
      expect(got, why).toEqual([expect.stringContaining(why)]);
    }
  });

  it('the review job (it runs tierkit on the PR\'s data) naming the environment or a token is an error; so is the token job checking out', async () => {
    const to = review((j) => { job(j, 'review').environment = 'tierkit-review'; job(j, 'review').appToken = job(j, 'post').appToken; });
    expect(await messages(to, 'TK018')).toEqual([expect.stringContaining('review job "review" names the environment "tierkit-review"')]);
    const busy = review((j) => { job(j, 'post').checkouts = ['${{ github.sha }}']; });
    expect(await messages(busy, 'TK018')).toEqual([expect.stringContaining('holds the review App\'s token and also checks out')]);
  });
});

describe("TK019: main's check is bound to the declared review App", () => {
  const ruleset = (edit: (c: any) => void) => edited('ci/rulesets/tierkit-main.json', (r) => {
    edit(r.rules.find((x: any) => x.type === 'required_status_checks').parameters.required_status_checks[0]);
  });
  const manifest = (edit: (ci: any) => void) => edited('manifest.json', (m) => { edit(m.estate.ci); });

  it('the example binds "tierkit review" to its review App', () => {
    const r = JSON.parse(readFileSync(join(dir, 'ci/rulesets/tierkit-main.json'), 'utf8'));
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    expect(r.rules.find((x: any) => x.type === 'required_status_checks').parameters.required_status_checks).toEqual([{ context: 'tierkit review', integration_id: m.estate.ci.reviewAppId }]);
    expect(m.estate.ci.reviewAppId).toBe(1040010);
  });

  it('bound to GitHub Actions (any workflow posts as it), to another App, or to none is an error', async () => {
    expect(await messages(ruleset((c) => { c.integration_id = 15368; }), 'TK019')).toEqual([expect.stringContaining('bound to GitHub Actions (15368)')]);
    expect(await messages(ruleset((c) => { c.integration_id = 777; }), 'TK019')).toEqual([expect.stringContaining('bound to App 777, not to the review App 1040010')]);
    expect(await messages(ruleset((c) => { delete c.integration_id; }), 'TK019')).toEqual([expect.stringContaining('bound to no App')]);
  });

  it('a manifest with no review App, GitHub Actions as the App, or a publisher as the App is an error (a hand-edited dist, estate props)', async () => {
    expect(await messages(manifest((ci) => { delete ci.reviewAppId; }), 'TK019')).toEqual(expect.arrayContaining([expect.stringContaining('no review App is declared')]));
    expect(await messages(manifest((ci) => { ci.reviewAppId = 15368; }), 'TK019')).toEqual(expect.arrayContaining([expect.stringContaining('the review App is GitHub Actions')]));
    expect(await messages(manifest((ci) => { ci.reviewAppId = ci.publisherAppIds.dev; }), 'TK019')).toEqual(expect.arrayContaining([expect.stringContaining("also tier dev's publisher")]));
  });

  it('TK018 and TK019 are declared unsuppressible', () => {
    expect(RULES.find((r) => r.id === 'TK019')?.suppressible).toBe(false);
    expect(RULES.find((r) => r.id === 'TK018')?.suppressible).toBe(false);
  });
});
