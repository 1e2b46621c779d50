import { manifestStackStateKey } from '../../contract/state-access';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Tier } from '../../constructs';
import { applierRoleName } from '../../constructs/naming';
import type { Manifest } from '../../constructs/synth/manifest';
import { stateAccess } from '../../contract/state-access';
import { computeChangeSet, renderJson } from '../../diff';
import { estateWithoutShop, pairDirs, read, writeEstate } from '../diff/fixtures';
import { adminSecretSteps, runGithubScript, runStep, step, Workflow, workflows } from './support';

/**
 * A pull request that removes an app removes its stacks from the manifest, hence their
 * `apply-<stack>` jobs; their reviewed destroy plans must still be applied, each behind the gate
 * the stack had (read from main before the merge, never from the PR run's own output).
 */

let base: Manifest;
let head: Manifest;
let apply: Workflow;
/** The reviewed plan index the PR run of the removal uploads. */
let index: Record<string, any>;
let removedNames: string[];

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

beforeAll(() => {
  const dirs = pairDirs('ci-remove');
  writeEstate(dirs.base);
  const b = read(dirs.base);
  base = b.manifest;
  // The pull request removing shop retires its stacks (estate retiredStacks): their state keys stay
  // with the appliers of their gating tiers until the destroys ran (test/ci/retired-stacks.test.ts).
  const retired = base.stacks.filter((s) => s.applyGate !== 'none' && s.name.startsWith('shop'));
  writeEstate(dirs.head, (e) => {
    (e as { retiredStacks: unknown }).retiredStacks = retired.map((s) => ({
      stack: s.name, tier: Tier.ALL.find((t) => t.name === s.gatingTier)!, server: s.server, reason: 'the shop app was removed; destroy pending',
    }));
  }, estateWithoutShop);
  const h = read(dirs.head);
  head = h.manifest;
  removedNames = base.stacks.filter((s) => s.applyGate !== 'none' && !head.stacks.some((x) => x.name === s.name)).map((s) => s.name);
  // The PR run: matrix step on the real diff, one plan per entry, then the index job's index.
  const pr = workflows(head).pr;
  const diffJson = renderJson(computeChangeSet(b, h));
  const matrix = runStep(step(pr.jobs.diff, 'matrix'), { 'tierkit-diff/tierkit-diff.json': diffJson });
  expect(matrix.status, matrix.stderr).toBe(0);
  const planMatrix = readFileSync(join(matrix.dir, 'tierkit-diff/plan-matrix.json'), 'utf8');
  const files: Record<string, string> = {
    'tierkit-diff/comment.md': '<!-- tierkit-diff -->\nbody\n',
    'tierkit-diff/plan-matrix.json': planMatrix,
    'dist/manifest.json': readFileSync(join(dirs.head, 'manifest.json'), 'utf8'),
  };
  for (const e of JSON.parse(planMatrix)) files[`plans/tierkit-plan-${e.stack}/tfplan.sha256`] = `${sha(e.stack)}  tfplan\n`;
  const posted = runGithubScript(step(pr.jobs.index, 'Write the plan index'), files);
  expect(posted.status, posted.stderr).toBe(0);
  index = JSON.parse(readFileSync(join(posted.dir, 'tierkit-plans.json'), 'utf8'));
  apply = workflows(head).apply;
});

/** Run the locate job's removal steps against main (head, or `main`), main before the push (base) and an index. */
function locateRemoved(idx: Record<string, any>, main: Manifest = head) {
  const files = {
    'dist/manifest.json': JSON.stringify(main),
    'before-dist/manifest.json': JSON.stringify(base),
    'reviewed/tierkit-plans.json': JSON.stringify(idx),
  };
  const cands = runStep(step(apply.jobs.locate, 'removed-candidates'), files);
  expect(cands.status, cands.stderr).toBe(0);
  const r = runStep(step(apply.jobs.locate, 'removed'), files, { 'steps.removed-candidates.outputs.stacks': cands.outputs.stacks });
  const parse = (k: string) => (r.outputs[k] === undefined ? undefined : JSON.parse(r.outputs[k]));
  return { ...r, candidates: JSON.parse(cands.outputs.stacks), envs: parse('envs'), platforms: parse('platforms') };
}

describe('stacks removed by a pull request', () => {
  it('the reviewed index records how each removed stack was planned: a destroy, under its gating tier', () => {
    expect(removedNames).toEqual(['shop', 'shop-alice', 'shop-bob-checkout', 'shop-demo', 'shop-dev', 'shop-staging', 'shop-team-growth']);
    for (const n of removedNames) {
      expect(index.plans[n], n).toBe(sha(n));
      expect(index.planned[n], n).toEqual({ action: 'destroy', gatingTier: base.stacks.find((s) => s.name === n)!.gatingTier });
    }
    expect(Object.keys(apply.jobs).filter((id) => removedNames.some((n) => id === `apply-${n}`))).toEqual([]); // main has no job of its own for them
  });

  it('locate hands every removed stack, with its gate and server from main before the push, to the destroy job', () => {
    const r = locateRemoved(index);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.candidates.sort()).toEqual(removedNames);
    const expected = removedNames.map((n) => {
      const s = base.stacks.find((x) => x.name === n)!;
      return { stack: n, kind: 'app-environment', gatingTier: s.gatingTier, applyGate: s.applyGate, server: s.server, artifact: s.artifact };
    });
    expect(r.envs.include).toEqual(expected);
    expect(r.envs.include.find((e: any) => e.stack === 'shop')).toMatchObject({ gatingTier: 'prod', applyGate: 'two-approvals', server: 'prod-pg' });
    expect(r.platforms.include).toEqual([]);
    expect(r.outputs['any-envs']).toBe('true');
    expect(r.outputs['any-platforms']).toBe('false');
  });

  it('the destroy job applies each in the environment and with the applier role of its gating tier, before any other apply', () => {
    const job = apply.jobs['remove-app-environments'];
    expect(job.environment).toBe('${{ matrix.gatingTier }}');
    expect(job.strategy.matrix).toBe('${{ fromJSON(needs.locate.outputs.removed-envs) }}');
    expect(job.if).toContain("needs.locate.outputs.any-removed-envs == 'true'");
    const roles = JSON.parse(job.env.APPLIER_ROLES);
    for (const e of locateRemoved(index).envs.include) {
      expect(roles[e.gatingTier], e.stack).toBe(applierRoleName(e.gatingTier));
      const login = adminSecretSteps(job).get(e.server)!;
      expect(login.if, e.stack).toBe(`matrix.server == '${e.server}'`);
      expect(login.with.role).toBe('${{ fromJSON(env.APPLIER_ROLES)[matrix.gatingTier] }}');
    }
    const names = job.steps.map((s: any) => s.name);
    expect(names.indexOf('Refuse a plan whose sha256 differs from the reviewed one')).toBeLessThan(names.indexOf('terraform apply (the reviewed destroy plan, deletes only)'));
    expect(step(job, 'Refuse a plan whose sha256 differs from the reviewed one').env.REVIEWED).toBe('${{ fromJSON(needs.locate.outputs.plans)[matrix.stack] }}');
    // Removed app-environments first (the applier policies still reach them), removed platforms last.
    const applyJobs = Object.keys(apply.jobs).filter((id) => id.startsWith('apply-'));
    for (const id of applyJobs) expect(apply.jobs[id].needs, id).toContain('remove-app-environments');
    expect(apply.jobs['remove-platforms'].needs).toEqual(['locate', 'remove-app-environments', ...applyJobs]);
  });

  it('the destroy jobs apply a reviewed plan only when it deletes and nothing else', () => {
    for (const id of ['remove-app-environments', 'remove-platforms']) {
      const s = step(apply.jobs[id], 'terraform apply (the reviewed destroy plan, deletes only)');
      // A stand-in terraform: `show -json` prints the plan given by the test, `apply` leaves a mark.
      const run = (actions: string[][]) => runStep(s, {
        // The same for the reviewed plan and the job's own (-destroy of main before the push): they agree.
        'plan-fixture.json': JSON.stringify({ errored: false, complete: true, resource_changes: actions.map((a, i) => ({ address: `postgresql_role.r${i}`, change: { actions: a } })) }),
      }, { 'matrix.stack': 'shop' }, {
        path: 'bin',
        setup: (dir) => {
          mkdirSync(join(dir, 'bin'), { recursive: true });
          writeFileSync(join(dir, 'bin', 'terraform'), '#!/bin/bash\ncase "$1" in show) cat plan-fixture.json ;; apply) touch applied ;; esac\n', { mode: 0o755 });
        },
      });
      // runStep runs the step's script in its own directory (the step's stack/ working directory).
      const ok = run([['delete'], ['no-op']]);
      expect(ok.status, `${id}: ${ok.stderr}${ok.stdout}`).toBe(0);
      expect(existsSync(join(ok.dir, 'applied'))).toBe(true);
      const bad = run([['delete'], ['create'], ['delete', 'create']]);
      expect(bad.status, id).toBe(1);
      expect(bad.stdout).toContain('::error::the destroy plan of a removed stack would create postgresql_role.r1, delete+create postgresql_role.r2: refusing to apply');
      expect(existsSync(join(bad.dir, 'applied'))).toBe(false);
    }
    // The apply jobs of stacks main still has apply their reviewed plan as it is (it may create).
    const kept = Object.keys(apply.jobs).find((j) => j.startsWith('apply-'))!;
    expect(apply.jobs[kept].steps.some((x: any) => x.name === 'terraform apply (the reviewed plan, nothing else)')).toBe(true);
  });

  it('a tampered index cannot loosen the gate, and anything odd is refused', () => {
    const looser = { ...index, planned: { ...index.planned, shop: { action: 'destroy', gatingTier: 'dev' } } };
    expect(locateRemoved(looser).envs.include.find((e: any) => e.stack === 'shop').gatingTier).toBe('prod');
    const stricter = { ...index, planned: { ...index.planned, 'shop-dev': { action: 'destroy', gatingTier: 'prod' } } };
    // Planned under a stricter tier than main retires it: the applier of that tier holds no key of
    // the stack, so the destroy is refused with the entry to correct (before retiredStacks it ran
    // as prod's applier, which had no key either and failed at the state read).
    const s = locateRemoved(stricter);
    expect(s.status).toBe(1);
    expect(s.stdout).toContain('stack shop-dev is retired as app-environment of tier dev on server nonprod-pg, but its destroy applies as app-environment of tier prod');
    const stricterRetired = { ...head, estate: { ...head.estate, retiredStacks: head.estate.retiredStacks!.map((x) => (x.stack === 'shop-dev' ? { ...x, gatingTier: 'prod' } : x)) } } as Manifest;
    expect(locateRemoved(stricter, stricterRetired).envs.include.find((e: any) => e.stack === 'shop-dev').gatingTier).toBe('prod');

    const notDestroy = locateRemoved({ ...index, planned: { ...index.planned, shop: { action: 'change', gatingTier: 'prod' } } });
    expect(notDestroy.status).toBe(1);
    expect(notDestroy.stdout).toContain('stack shop is not in main, but its reviewed plan is no destroy plan');
    const unknownTier = locateRemoved({ ...index, planned: { ...index.planned, shop: { action: 'destroy', gatingTier: 'nobody' } } });
    expect(unknownTier.status).toBe(1);
    expect(unknownTier.stdout).toContain('planned under an unknown tier nobody');
    const never = locateRemoved({ ...index, plans: { ...index.plans, ghost: sha('ghost') }, planned: { ...index.planned, ghost: { action: 'destroy', gatingTier: 'dev' } } });
    expect(never.status).toBe(1);
    expect(never.stdout).toContain('stack ghost has a reviewed destroy plan, but main had no such stack before this push');
  });

  it("main's state identities keep each removed stack's key for its gating tier's applier, and for no planner", () => {
    const access = stateAccess(head)!;
    for (const n of removedNames) {
      const was = base.stacks.find((s) => s.name === n)!;
      const gt = was.gatingTier;
      // The key the retired entry keeps is the very key the stack's state had in base (layout 2 names tier and server).
      const key = manifestStackStateKey(base.estate.backend as never, was)!;
      expect(key).toBe(`estate/${gt}/servers/${was.server}/${n}.tfstate`);
      const holders = access.identities.filter((i) => JSON.stringify(i.permissionsPolicy).includes(`/${key}"`)).map((i) => i.name);
      expect(holders, n).toEqual([`tierkit-state-apply-${gt}`]);
    }
  });

  it("locate refuses a removed stack main does not retire, naming the entry to declare; and one retired as another tier's", () => {
    const bare = { ...head, estate: { ...head.estate, retiredStacks: undefined } } as unknown as Manifest;
    const r = locateRemoved(index, bare);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('::error::refusing to apply: ');
    expect(r.stdout).toContain('stack shop was removed, but main does not retire it, so no state identity keeps its key: add { stack: "shop", tier: Tier.PROD, server: "prod-pg", reason } to the estate prop retiredStacks');
    const laxer = { ...head, estate: { ...head.estate, retiredStacks: head.estate.retiredStacks!.map((x) => (x.stack === 'shop' ? { ...x, gatingTier: 'dev' } : x)) } } as Manifest;
    const l = locateRemoved(index, laxer);
    expect(l.status).toBe(1);
    expect(l.stdout).toContain('stack shop is retired as app-environment of tier dev on server prod-pg, but its destroy applies as app-environment of tier prod on server prod-pg');
  });

  it('after a destroy, the job says the retiredStacks entry can go (nothing else records it), before the token revocation', () => {
    for (const [id, holder] of [['remove-app-environments', 'the prod applier'], ['remove-platforms', 'platform-admin']]) {
      const job = apply.jobs[id];
      const names = job.steps.map((x: any) => x.name);
      expect(names.slice(-2), id).toEqual(['Destroyed: its retiredStacks entry can go', 'Revoke the Vault token']);
      expect(names.indexOf('terraform apply (the reviewed destroy plan, deletes only)')).toBeLessThan(names.length - 2);
      const r = runStep(step(job, 'Destroyed: its retiredStacks entry can go'), {}, { 'matrix.stack': 'shop', 'matrix.gatingTier': 'prod' });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain(`::notice title=retired stack destroyed::stack shop is destroyed: drop it from the estate prop retiredStacks in a pull request, so its state key leaves ${holder}`);
    }
  });

  it('nothing removed: no candidates, the destroy jobs are skipped', () => {
    const kept = { ...index, plans: Object.fromEntries(Object.entries(index.plans).filter(([n]) => !removedNames.includes(n))) };
    const cands = runStep(step(apply.jobs.locate, 'removed-candidates'), { 'dist/manifest.json': JSON.stringify(head), 'reviewed/tierkit-plans.json': JSON.stringify(kept) });
    expect(cands.outputs).toEqual({ stacks: '[]', any: 'false' });
    expect(step(apply.jobs.locate, 'removed').if).toBe("steps.removed-candidates.outputs.any == 'true'");
  });
});
