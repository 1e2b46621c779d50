import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ciStacks } from '../../ci/steps';
import type { Manifest } from '../../constructs/synth/manifest';
import { synthesize } from '../../constructs/synth/synthesize';
import estate from '../../environments';
import { testTmp } from '../setup/tmpdir';
import { runStep, step, Workflow, workflows } from './support';

/**
 * No merge is ever dropped (real git): last applied at A; B changes shop-demo and its apply run is
 * cancelled; C changes crm-dev. The run at C has a reviewed plan for crm-dev only: `locate` must
 * find shop-demo behind its last apply (the record on the rendered branch says A, main's history
 * says two commits since), its apply job must re-plan it from main, and publish must count it.
 */

let manifest: Manifest;
let files: Record<string, string>;
let apply: Workflow;
let root: string;
let origin: string;
const commits: Record<'A' | 'B' | 'C' | 'side', string> = { A: '', B: '', C: '', side: '' };

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const stackSha = (f: Record<string, string>, stack: string) => JSON.parse(f['dist/manifest.json']).artifacts.find((a: any) => a.kind === 'terraform-stack' && a.stack === stack).sha256 as string;

/** main's dist with the sha256 of some stacks' cdk.tf.json changed (what a merge changing them does). */
const changed = (stacks: string[]) => {
  const m = JSON.parse(files['dist/manifest.json']);
  for (const a of m.artifacts) if (a.kind === 'terraform-stack' && stacks.includes(a.stack)) a.sha256 = sha256(`${a.sha256} changed`);
  return { ...files, 'dist/manifest.json': JSON.stringify(m) };
};

/** Put the records `byTier` (tier → stack → record) on the rendered branch of `originDir`, as publish writes them. */
function writeRecords(originDir: string, byTier: Record<string, Record<string, unknown>>): void {
  const work = join(root, `records-${Object.keys(byTier).join('-')}-${Math.random().toString(36).slice(2)}`);
  mkdirSync(work, { recursive: true });
  git(work, 'init', '-q', '-b', 'rendered');
  git(work, 'config', 'user.email', 't@example.test');
  git(work, 'config', 'user.name', 't');
  for (const [tier, record] of Object.entries(byTier)) {
    mkdirSync(join(work, tier), { recursive: true });
    writeFileSync(join(work, tier, '.tierkit-applied'), JSON.stringify(record));
  }
  git(work, 'add', '-A');
  git(work, 'commit', '-qm', 'records');
  git(work, 'push', '-q', '--force', originDir, `rendered:refs/heads/${manifest.estate.argocd.targetRevision}`);
}

/** Every CI stack of `tier`'s publish job (its own and the shared platform), recorded at `commit` with the clean sha256. */
function recordsAt(commit: string): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const s of ciStacks(manifest)) {
    const tiers = s.kind === 'shared-platform' ? manifest.tiers.filter((t) => t.applyGate.name !== 'none').map((t) => t.name) : [s.tier];
    for (const t of tiers) (out[t] ??= {})[s.name] = { commit, sha256: stackSha(files, s.name) };
  }
  return out;
}

/**
 * Run locate's `behind` step at `at`. `before` is main's synthesized manifest before this push
 * (`before-dist/`, what locate synthesizes from `github.event.before`); by default the head's own, so
 * every change predates the push. `null`: main before the push was not synthesized.
 */
function behind(dist: Record<string, string>, reviewed: string[], at = commits.C, originDir = origin, before: string | null = dist['dist/manifest.json']) {
  const s = step(apply.jobs.locate, 'behind');
  const withBefore = before === null ? dist : { ...dist, 'before-dist/manifest.json': before };
  return runStep(s, withBefore, { 'steps.verify.outputs.stacks': JSON.stringify(reviewed), 'github.token': 'test-token', 'github.event.before': commits.B }, {
    setup: (dir) => {
      git(dir, 'init', '-q');
      git(dir, 'remote', 'add', 'origin', originDir);
      if (existsSync(originDir)) {
        git(dir, 'fetch', '-q', originDir, 'main:refs/remotes/origin/main');
        git(dir, 'checkout', '-q', at);
      }
    },
  });
}

beforeAll(() => {
  const out = synthesize(estate());
  manifest = out.manifest;
  files = Object.fromEntries([...out.files].map(([rel, text]) => [`dist/${rel}`, text]));
  apply = workflows(manifest).apply;
  root = testTmp('ci', `catch-up-${process.pid}`);
  origin = join(root, 'origin.git');
  const src = join(root, 'src');
  mkdirSync(src, { recursive: true });
  git(root, 'init', '-q', '--bare', origin);
  git(src, 'init', '-q', '-b', 'main');
  git(src, 'config', 'user.email', 't@example.test');
  git(src, 'config', 'user.name', 't');
  for (const [name, text] of [['A', 'a'], ['B', 'b: shop-demo'], ['C', 'c: crm-dev']] as const) {
    writeFileSync(join(src, 'README.md'), `${text}\n`);
    git(src, 'add', '.');
    git(src, 'commit', '-qm', name);
    commits[name] = git(src, 'rev-parse', 'HEAD');
  }
  git(src, 'push', '-q', origin, 'main');
  // A commit that never reached main (a record written from another branch, or a rewritten history).
  git(src, 'checkout', '-q', '-b', 'side', commits.A);
  writeFileSync(join(src, 'side.txt'), 'side\n');
  git(src, 'add', '.');
  git(src, 'commit', '-qm', 'side');
  commits.side = git(src, 'rev-parse', 'HEAD');
  git(src, 'push', '-q', origin, 'side');
});

describe('locate finds every stack behind its last apply (real git)', () => {
  it('A applied; B (shop-demo) cancelled; C (crm-dev) reviewed: the run at C catches shop-demo up, and only it', () => {
    writeRecords(origin, recordsAt(commits.A));
    // Main before this push (B) already had shop-demo's change; crm-dev's is C's own.
    const r = behind(changed(['shop-demo', 'crm-dev']), ['crm-dev'], commits.C, origin, changed(['shop-demo'])['dist/manifest.json']);
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(JSON.parse(r.outputs['catch-up'])).toEqual(['shop-demo']);
    expect(r.stdout).toContain(`::warning::stack shop-demo changed since its last apply at ${commits.A} (2 commit(s) since), with no reviewed plan in this run: its apply job re-plans it from main`);
  });

  it('nothing is behind when every changed stack has a reviewed plan, or nothing changed', () => {
    writeRecords(origin, recordsAt(commits.A));
    expect(JSON.parse(behind(changed(['shop-demo', 'crm-dev']), ['crm-dev', 'shop-demo']).outputs['catch-up'])).toEqual([]);
    expect(JSON.parse(behind(files, []).outputs['catch-up'])).toEqual([]);
  });

  it('a record whose commit is not in main\'s history counts as behind, even at the same configuration', () => {
    const records = recordsAt(commits.A);
    records.prod.crm = { commit: commits.side, sha256: stackSha(files, 'crm') };
    writeRecords(origin, records);
    const r = behind(files, []);
    expect(JSON.parse(r.outputs['catch-up'])).toEqual(['crm']);
    expect(r.stdout).toContain(`stack crm was last recorded at ${commits.side}, which is not in main's history`);
  });

  it('another tier\'s record never speaks for a stack: staging\'s publisher cannot mark prod\'s crm as applied (attack5)', () => {
    const dist = changed(['crm']);
    const records = recordsAt(commits.A);
    // What a staging publisher could push: prod's stack "applied" at this very configuration and commit.
    records.staging.crm = { commit: commits.C, sha256: stackSha(dist, 'crm') };
    writeRecords(origin, records);
    expect(JSON.parse(behind(dist, []).outputs['catch-up'])).toEqual(['crm']);
  });

  it('a stack missing from existing records is behind (it was added by a merge whose run was cancelled)', () => {
    const records = recordsAt(commits.A);
    delete records.dev['crm-dev'];
    writeRecords(origin, records);
    expect(JSON.parse(behind(files, []).outputs['catch-up'])).toEqual(['crm-dev']);
  });

  it("refuses a stack this push changed that the reviewed index leaves out: never caught up (attack10)", () => {
    writeRecords(origin, recordsAt(commits.A));
    // C changes crm-dev and shop-demo; the PR run's index plans crm-dev only.
    const r = behind(changed(['shop-demo', 'crm-dev']), ['crm-dev'], commits.C, origin, files['dist/manifest.json']);
    expect(r.status).toBe(1);
    expect(r.outputs['catch-up']).toBeUndefined();
    const now = stackSha(changed(['shop-demo']), 'shop-demo');
    expect(r.stdout).toContain(`::error::refusing to apply: stack shop-demo changed in this push (main before it, ${commits.B}, synthesizes it to sha256 ${stackSha(files, 'shop-demo')}; main now to ${now}), yet the merged pull request's reviewed run has no plan for it`);
    expect(r.stdout).not.toContain('stack crm-dev changed in this push');
  });

  it('refuses a stack new in this push without a reviewed plan, and refuses when main before the push was not synthesized', () => {
    const records = recordsAt(commits.A);
    delete records.dev['crm-dev'];
    writeRecords(origin, records);
    const before = JSON.parse(files['dist/manifest.json']);
    before.artifacts = before.artifacts.filter((a: any) => !(a.kind === 'terraform-stack' && a.stack === 'crm-dev'));
    const added = behind(files, [], commits.C, origin, JSON.stringify(before));
    expect(added.status).toBe(1);
    expect(added.stdout).toContain('stack crm-dev changed in this push');
    expect(added.stdout).toContain('(none: the stack is new)');
    const unknown = behind(files, [], commits.C, origin, null);
    expect(unknown.status).toBe(1);
    expect(unknown.stdout).toContain('::error::refusing to apply: stacks crm-dev differ from their last apply and have no reviewed plan in this run, but main before this push');
    // Nothing behind: main before the push is not needed.
    writeRecords(origin, recordsAt(commits.A));
    const clean = behind(files, [], commits.C, origin, null);
    expect(clean.status, clean.stdout).toBe(0);
    expect(JSON.parse(clean.outputs['catch-up'])).toEqual([]);
  });

  it("main before the push is synthesized by locate, never read from the checkout (a merged PR could commit before-dist/)", () => {
    const s = step(apply.jobs.locate, 'Synthesize main as it was before this push (the catch-up check and removed stacks read it)');
    const names = apply.jobs.locate.steps.map((x: any) => x.name);
    expect(names.indexOf(s.name)).toBeLessThan(names.findIndex((n: string) => n.startsWith('Stacks behind their last apply')));
    const planted = runStep(s, { 'before-dist/manifest.json': files['dist/manifest.json'] }, { 'github.event.before': '0'.repeat(40) });
    expect(planted.status).toBe(1);
    expect(planted.stdout).toContain('::error::the checkout holds before-dist/ or before-main/, which only this job writes');
    const first = runStep(s, {}, { 'github.event.before': '0'.repeat(40) });
    expect(first.status, first.stdout + first.stderr).toBe(0);
    expect(first.stdout).toContain('no previous commit of main');
  });

  it('no rendered branch yet: nothing recorded, nothing behind; an unreadable remote fails the job', () => {
    const fresh = join(root, 'fresh.git');
    git(root, 'init', '-q', '--bare', fresh);
    git(join(root, 'src'), 'push', '-q', fresh, 'main');
    const none = behind(files, [], commits.C, fresh);
    expect(none.status, none.stderr).toBe(0);
    expect(JSON.parse(none.outputs['catch-up'])).toEqual([]);
    expect(none.stdout).toContain('no branch');
    const broken = behind(files, [], commits.C, join(root, 'no-such-remote.git'));
    expect(broken.status).toBe(1);
    expect(broken.stdout).toContain('the apply records cannot be read');
  });
});

describe("the caught-up stack's apply job", () => {
  it('runs for a stack behind, re-plans it from main instead of downloading a reviewed plan, and publish counts it', () => {
    const job = apply.jobs['apply-shop-demo'];
    expect(job.if).toContain("contains(fromJSON(needs.locate.outputs.catch-up), 'shop-demo')");
    expect(job.name).toContain('catch-up: behind its last apply, re-planned from main');
    const reviewed = "contains(fromJSON(needs.locate.outputs.stacks), 'shop-demo')";
    expect(step(job, 'Download the reviewed plan').if).toBe(reviewed);
    expect(step(job, "Refuse a plan whose configuration or provider lock is not main's").if).toBe(reviewed);
    const plan = step(job, "Catch-up: terraform plan of main's stack");
    expect(plan.if).toBe(`!(${reviewed})`);
    const names = job.steps.map((s: any) => s.name);
    expect(names.indexOf("Catch-up: terraform plan of main's stack")).toBeGreaterThan(names.findIndex((n: string) => n.startsWith('Vault login')));
    expect(names.indexOf("Catch-up: terraform plan of main's stack")).toBeLessThan(names.indexOf('terraform apply (the reviewed plan, nothing else)'));
    expect(apply.jobs['publish-demo'].if).toContain("!contains(fromJSON(needs.locate.outputs.catch-up), 'shop-demo')");
    expect(step(apply.jobs['publish-demo'], 'Publish k8s/demo').env.CAUGHT_UP_STACKS).toBe('${{ needs.locate.outputs.catch-up }}');
  });

  it("stages main's stack and its committed lock file; refuses when main has no lock file for it", () => {
    const job = apply.jobs['apply-shop-demo'];
    const s = step(job, "Catch-up: stage main's stack and committed lock file (no reviewed plan in this run)");
    const artifact = `dist/${s.env.ARTIFACT_PATH}`;
    const providers = Object.keys(JSON.parse(files[artifact]).terraform.required_providers).sort().join('+');
    const lock = `main/terraform-locks/${providers}.terraform.lock.hcl`;
    const ok = runStep({ ...s, 'working-directory': undefined, run: `mkdir -p stack && cd stack\n${s.run}` }, { [`main/${artifact}`]: files[artifact], [lock]: '# lock\n' });
    expect(ok.status, ok.stderr + ok.stdout).toBe(0);
    expect(readFileSync(join(ok.dir, 'stack/cdk.tf.json'), 'utf8')).toBe(files[artifact]);
    expect(readFileSync(join(ok.dir, 'stack/.terraform.lock.hcl'), 'utf8')).toBe('# lock\n');
    const refused = runStep({ ...s, run: `mkdir -p stack && cd stack\n${s.run}` }, { [`main/${artifact}`]: files[artifact] });
    expect(refused.status).toBe(1);
    expect(refused.stdout).toContain(`main has no committed provider lock file terraform-locks/${providers}.terraform.lock.hcl`);
  });
});
