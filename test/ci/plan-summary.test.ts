import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PLAN_SUMMARY_FILE } from '../../ci/plan-summary';
import { synthesize } from '../../constructs/synth/synthesize';
import estate from '../../environments';
import { runStep, step, Workflow, workflows } from './support';

/**
 * The per-stack plan summary the PR comment reads, computed by the plan step's own jq program from
 * `terraform show -json` fixtures out of Terraform's test data (test/fixtures/terraform-show-json,
 * hashicorp/terraform@d7e07e66fc0bda7db526e867b230dea8018b496a).
 */
const FIXTURES = resolve(__dirname, '..', 'fixtures', 'terraform-show-json');
let pr: Workflow;

beforeAll(() => {
  ({ pr } = workflows(synthesize(estate()).manifest));
});

function summarize(fixture: string | object): { status: number | null; json?: any; stderr: string } {
  const program = step(pr.jobs.plan, 'terraform plan').env.PLAN_SUMMARY as string;
  const input = typeof fixture === 'string' ? readFileSync(join(FIXTURES, `${fixture}.json`), 'utf8') : JSON.stringify(fixture);
  const r = spawnSync('jq', ['-S', '--arg', 'stack', 'crm', program], { input, encoding: 'utf8' });
  return { status: r.status, json: r.status === 0 ? JSON.parse(r.stdout) : undefined, stderr: r.stderr };
}

const empty = { stack: 'crm', create: [], update: [], delete: [], replace: [], forget: [], drift: [] };

describe('plan summary per stack (from terraform show -json)', () => {
  it('lists creates, updates, deletes and replaces by address; no-ops are left out', () => {
    expect(summarize('basic-create').json).toEqual({ ...empty, create: ['test_instance.test[0]', 'test_instance.test[1]', 'test_instance.test[2]'] });
    expect(summarize('basic-delete').json).toEqual({ ...empty, update: ['test_instance.test'], delete: ['test_instance.test-delete'] });
    expect(summarize('basic-update').json).toEqual(empty);
    expect(summarize('requires-replace').json).toEqual({ ...empty, replace: ['test_instance.test'] });
    expect(summarize('multi-resource-update').json).toEqual({ ...empty, create: ['test_instance.test[1]'] });
  });

  it('shows drift: objects changed outside Terraform that this plan puts back', () => {
    expect(summarize('drift').json).toEqual({ ...empty, update: ['test_instance.no_refresh', 'test_instance.should_refresh'], drift: ['test_instance.should_refresh'] });
  });

  it('fails on an action it does not know, rather than leave it out; create-before-destroy is a replace', () => {
    const r = summarize({ resource_changes: [{ address: 'x.y', change: { actions: ['teleport'] } }] });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('x.y: action teleport is not one the plan summary knows');
    expect(summarize({ resource_changes: [{ address: 'x.y', change: { actions: ['create', 'delete'] } }] }).json).toEqual({ ...empty, replace: ['x.y'] });
  });

  it('the plan step writes it beside the plan and uploads it with the plan artifact', () => {
    const plan = step(pr.jobs.plan, 'terraform plan');
    expect(plan.run).toContain(`> ${PLAN_SUMMARY_FILE}`);
    expect(step(pr.jobs.plan, 'Upload the plan').with.path).toContain(`stack/${PLAN_SUMMARY_FILE}`);
    // The summary lines of the step, run for real with a stand-in terraform that prints a fixture.
    const lines = plan.run.split('\n').filter((l: string) => l.startsWith('terraform show -json') || l.includes(PLAN_SUMMARY_FILE)).join('\n');
    const out = runStep({ ...plan, run: lines }, { 'bin/terraform': `#!/bin/sh\ncat "${join(FIXTURES, 'requires-replace.json')}"\n` },
      { 'matrix.action': 'add', 'matrix.stack': 'crm' }, { setup: (d) => spawnSync('chmod', ['+x', join(d, 'bin/terraform')]), path: 'bin' });
    expect(out.status, out.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(out.dir, PLAN_SUMMARY_FILE), 'utf8'))).toEqual({ ...empty, replace: ['test_instance.test'] });
  });
});
