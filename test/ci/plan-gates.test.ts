import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { computeChangeSet, renderJson } from '../../diff';
import { plannerRoleName } from '../../constructs/naming';
import type { Manifest } from '../../constructs/synth/manifest';
import { synthesize } from '../../constructs/synth/synthesize';
import estate from '../../environments';
import { app, estateWithoutShop, pairDirs, read, writeEstate } from '../diff/fixtures';
import { adminSecretSteps, Job, planJobs, runStep, step, Workflow, workflows } from './support';

/**
 * A pull request's plan runs the PR's own code with the server's read-only planner login (never
 * the admin credential: no plan job reads one). A login of a server behind a human apply gate (or a
 * superuser one) is still only read in a job that waits for a human: the `<tier>-plan` environment
 * of the stack's gating tier.
 */

let manifest: Manifest;
let pr: Workflow;

beforeAll(() => {
  manifest = synthesize(estate()).manifest;
  pr = workflows(manifest).pr;
});

const tier = (name: string | undefined) => manifest.tiers.find((t) => t.name === name);
const humanGated = (server: string) => {
  const s = manifest.servers.find((x) => x.id === server)!;
  return s.superuser || !!tier(s.gatingTier)?.applyGate.human;
};

/** Run the diff job's matrix step on a diff JSON; returns its outputs, parsed. */
function matrices(diffJson: string): { plans: any[]; matrix: any; any: string; gated: Record<string, any>; gatedTiers: string[] } {
  const r = runStep(step(pr.jobs.diff, 'matrix'), { 'tierkit-diff/tierkit-diff.json': diffJson });
  expect(r.status, r.stderr).toBe(0);
  return {
    plans: JSON.parse(readFileSync(`${r.dir}/tierkit-diff/plan-matrix.json`, 'utf8')),
    matrix: JSON.parse(r.outputs.matrix), any: r.outputs.any, gated: JSON.parse(r.outputs.gated), gatedTiers: JSON.parse(r.outputs['gated-tiers']),
  };
}

function diffJson(name: string, mutate: (e: any) => void, make?: () => any): string {
  const { base, head } = pairDirs(name);
  writeEstate(base);
  writeEstate(head, mutate, make);
  return renderJson(computeChangeSet(read(base), read(head)));
}

/** The job that plans a matrix entry, as the workflow's `if` conditions route it. */
function routedJob(entry: { human: boolean; gatingTier: string }): [string, Job] {
  const id = entry.human ? `plan-${entry.gatingTier}` : 'plan';
  return [id, pr.jobs[id]];
}

describe('plans behind the gate of the credential they read', () => {
  it('a job without a human-approved environment never reads a human-gated or superuser server\'s login; no plan job reads an admin credential', () => {
    const jobs = planJobs(pr);
    expect(jobs.length).toBeGreaterThan(1);
    let gatedReads = 0;
    for (const [id, job] of jobs) {
      expect([...adminSecretSteps(job).keys()], `${id} reads an admin credential`).toEqual([]);
      for (const [server, s] of adminSecretSteps(job, 'planner')) {
        const srv = manifest.servers.find((x) => x.id === server)!;
        if (!humanGated(server)) continue;
        gatedReads++;
        expect(job.environment, `${id} reads ${server}'s planner login`).toBe(`${srv.gatingTier}-plan`);
        expect(s.with.role, id).toBe(plannerRoleName(srv.gatingTier!));
      }
      if (job.environment === undefined) {
        expect([...adminSecretSteps(job, 'planner').keys()].filter(humanGated), id).toEqual([]);
        expect(step(job, 'Refuse a server whose credential this job may not read').env.ALLOWED).toBe(JSON.stringify(['nonprod-pg']));
      }
    }
    expect(gatedReads).toBeGreaterThanOrEqual(2); // prod-pg (superuser, prod) and stage-pg (preprod)
  });

  it('every human-gated tier has a plan job in its `<tier>-plan` environment; automatic ones plan without an environment', () => {
    for (const t of manifest.tiers.filter((x) => x.applyGate.human)) {
      const job = pr.jobs[`plan-${t.name}`];
      expect(job?.environment, t.name).toBe(`${t.name}-plan`);
      expect(job.strategy.matrix).toBe(`\${{ fromJSON(needs.diff.outputs.gated)['${t.name}'] }}`);
      expect(job.if).toBe(`contains(fromJSON(needs.diff.outputs.gated-tiers), '${t.name}')`);
    }
    expect(pr.jobs.plan.environment).toBeUndefined();
    expect(pr.jobs.plan.strategy.matrix).toBe('${{ fromJSON(needs.diff.outputs.matrix) }}');
    // The final comment waits for every plan; the diff comment does not (reviewers read it before approving).
    expect(pr.jobs.index.needs).toEqual(expect.arrayContaining(planJobs(pr).map(([id]) => id)));
  });

  it('routes changed stacks: prod-gated ones to plan-prod, automatic ones to plan, each job holding their server\'s credential', () => {
    const json = diffJson('plan-route', (e) => {
      app(e, 'crm').environment('dev')!.addEscapeHatch((r: any) => r.database.addOverride('connection_limit', 7));
      app(e, 'erp').environment('prod')!.addEscapeHatch((r: any) => r.database.addOverride('connection_limit', 7));
    });
    const m = matrices(json);
    expect(m.matrix.include.map((x: any) => x.stack)).toEqual(['crm-dev']);
    expect(m.any).toBe('true');
    expect(m.gatedTiers).toEqual(['prod']);
    expect(m.gated.prod.include.map((x: any) => x.stack)).toEqual(['erp']);
    for (const entry of m.plans) {
      const [id, job] = routedJob(entry);
      expect(adminSecretSteps(job, 'planner').get(entry.server)?.if, `${entry.stack} in ${id}`).toBe(`matrix.server == '${entry.server}'`);
    }
  });

  it('a removed app: its prod stack\'s destroy plan waits for prod-plan, its dev stacks plan automatically', () => {
    const m = matrices(diffJson('plan-remove', () => {}, estateWithoutShop));
    expect(m.gated.prod.include.filter((x: any) => x.action === 'destroy').map((x: any) => x.stack)).toContain('shop');
    expect(m.matrix.include.map((x: any) => x.stack)).toEqual(expect.arrayContaining(['shop-dev', 'shop-demo']));
    expect(m.matrix.include.every((x: any) => !humanGated(x.server))).toBe(true);
  });

  it('a stack whose gate is loosened in the PR still plans under the stricter gate it had', () => {
    const json = JSON.stringify({
      affectedStacks: [{ name: 'crm-x', action: 'change', tier: 'dev', gatingTier: 'dev', applyGate: 'automatic-on-merge', humanGate: false, server: 'nonprod-pg', artifact: 'terraform/crm-x/cdk.tf.json' }],
      manifest: [{ section: 'stacks', key: 'crm-x', action: 'change', changes: [{ path: 'gatingTier', before: 'prod', after: 'dev' }] }],
    });
    const m = matrices(json);
    expect(m.matrix.include).toEqual([]);
    expect(m.any).toBe('false');
    expect(m.gated.prod.include).toEqual([expect.objectContaining({ stack: 'crm-x', gatingTier: 'prod', human: true })]);
    // The prod-plan job refuses a server that is not prod's, rather than reading its credential.
    const refuse = step(pr.jobs['plan-prod'], 'Refuse a server whose credential this job may not read');
    const r = runStep(refuse, {}, { 'matrix.stack': 'crm-x', 'matrix.server': 'nonprod-pg' });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('::error::stack crm-x reaches server nonprod-pg');
    expect(runStep(refuse, {}, { 'matrix.stack': 'erp', 'matrix.server': 'prod-pg' }).status).toBe(0);
    expect(runStep(refuse, {}, { 'matrix.stack': 'platform', 'matrix.server': '' }).status).toBe(0);
  });

  it('an unknown gating tier fails the diff job instead of planning without a gate', () => {
    const json = JSON.stringify({ affectedStacks: [{ name: 'odd', action: 'add', tier: 'x', gatingTier: 'vault-admins', applyGate: 'unknown', humanGate: true, artifact: 'terraform/odd/cdk.tf.json' }] });
    const r = runStep(step(pr.jobs.diff, 'matrix'), { 'tierkit-diff/tierkit-diff.json': json });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('no gated plan job for tier(s) vault-admins');
  });
});
