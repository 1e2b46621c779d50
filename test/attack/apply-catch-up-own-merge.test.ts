// attack10 hole 1: the PR run's plan index decides which stacks are "reviewed". A stack the merge
// itself changed but the (PR-controlled) index leaves out is not refused: locate's BEHIND_SCRIPT sees
// its sha256 differ from the last apply record and marks it "behind", so its apply job takes the
// catch-up path — REVIEWED=false, no BIND_PLAN, no counts — and applies main's own plan of the
// merge's change. The approvers of prod see "catch-up: behind its last apply, re-planned from main"
// and approve before any plan exists (docs/pr-flow.md): the reviewed-plan binding of issue 12 is
// bypassed for exactly the change this PR made. Here the record is at A, the push is B (A's child):
// no merge was dropped in between, so crm's difference is B's own and must have a reviewed plan.
// Secure behaviour asserted: locate refuses (or at least never catches up) a stack changed by this push.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ciStacks } from '../../ci/steps';
import type { Manifest } from '../../constructs/synth/manifest';
import { synthesize } from '../../constructs/synth/synthesize';
import estate from '../../environments';
import { testTmp } from '../setup/tmpdir';
import { runStep, step, Workflow, workflows } from '../ci/support';

let manifest: Manifest;
let files: Record<string, string>;
let apply: Workflow;
let root: string;
let origin: string;
const commits = { A: '', B: '' };
const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const stackSha = (f: Record<string, string>, stack: string) => JSON.parse(f['dist/manifest.json']).artifacts.find((a: any) => a.kind === 'terraform-stack' && a.stack === stack).sha256 as string;

beforeAll(() => {
  const out = synthesize(estate());
  manifest = out.manifest;
  files = Object.fromEntries([...out.files].map(([rel, text]) => [`dist/${rel}`, text]));
  apply = workflows(manifest).apply;
  root = testTmp('attack', `catch-up-own-${process.pid}`);
  origin = join(root, 'origin.git');
  const src = join(root, 'src');
  mkdirSync(src, { recursive: true });
  git(root, 'init', '-q', '--bare', origin);
  git(src, 'init', '-q', '-b', 'main');
  git(src, 'config', 'user.email', 't@example.test');
  git(src, 'config', 'user.name', 't');
  for (const name of ['A', 'B'] as const) {
    writeFileSync(join(src, 'README.md'), `${name}\n`);
    git(src, 'add', '.');
    git(src, 'commit', '-qm', name);
    commits[name] = git(src, 'rev-parse', 'HEAD');
  }
  git(src, 'push', '-q', origin, 'main');
  // Every stack applied at A (what publish records).
  const byTier: Record<string, Record<string, unknown>> = {};
  for (const s of ciStacks(manifest)) {
    const tiers = s.kind === 'shared-platform' ? manifest.tiers.filter((t) => t.applyGate.name !== 'none').map((t) => t.name) : [s.tier];
    for (const t of tiers) (byTier[t] ??= {})[s.name] = { commit: commits.A, sha256: stackSha(files, s.name) };
  }
  const work = join(root, 'records');
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
  git(work, 'push', '-q', '--force', origin, `rendered:refs/heads/${manifest.estate.argocd.targetRevision}`);
});

describe('attack10: a merge\'s own stack change left out of the PR run\'s index', () => {
  it('is not applied through the catch-up path (no reviewed plan, no binding, no counts)', () => {
    // B changes prod's crm; the PR run's tierkit-plans.json lists no plan for it.
    const m = JSON.parse(files['dist/manifest.json']);
    for (const a of m.artifacts) if (a.kind === 'terraform-stack' && a.stack === 'crm') a.sha256 = sha256(`${a.sha256} changed by B`);
    const dist = { ...files, 'dist/manifest.json': JSON.stringify(m) };
    const r = runStep(step(apply.jobs.locate, 'behind'), dist, {
      'steps.verify.outputs.stacks': JSON.stringify([]), 'github.token': 'test-token', 'github.event.before': commits.A,
    }, {
      setup: (dir) => {
        git(dir, 'init', '-q');
        git(dir, 'remote', 'add', 'origin', origin);
        git(dir, 'fetch', '-q', origin, 'main:refs/remotes/origin/main');
        git(dir, 'checkout', '-q', commits.B);
      },
    });
    const caughtUp = r.status === 0 ? JSON.parse(r.outputs['catch-up']) as string[] : [];
    // Today: status 0, catch-up ["crm"], "crm changed since its last apply at A (1 commit(s) since)".
    expect(caughtUp, r.stdout).not.toContain('crm');
  });
});
