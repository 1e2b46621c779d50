import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { synthesize } from '../../constructs/synth/synthesize';
import estate from '../../environments';
import { testTmp } from '../setup/tmpdir';
import { step, Workflow, workflows } from './support';

/**
 * The apply job never applies the PR run's planfile: it plans main's stack itself (main's backend,
 * the backend's state) and applies that plan only if it does exactly what the reviewed plan does and
 * what the approval's label (the job name's counts) showed. Real terraform, real planfiles; the state
 * bucket is a local backend whose absolute `path` stands in for the S3 key.
 */

let apply: Workflow;
let n = 0;
beforeAll(() => {
  ({ apply } = workflows(synthesize(estate()).manifest));
});

function sh(script: string, cwd: string, env: Record<string, string> = {}) {
  const r = spawnSync('bash', ['-e', '-o', 'pipefail', '-c', script], {
    cwd, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? cwd, TF_IN_AUTOMATION: '1', ...env },
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

const VERIFY = "Refuse a plan whose configuration or provider lock is not main's";
const stack = (bucket: string, key: string, inputs: Record<string, string>) => JSON.stringify({
  terraform: { backend: { local: { path: join(bucket, key) } } },
  resource: { terraform_data: Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, { input: v }])) },
}, null, 2);
const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

/** A bucket where crm (a = v1, b = v1) and shop (prod_database) are live; main now changes crm's a to v2. */
function estateState() {
  const bucket = testTmp('ci', `bucket-${process.pid}-${++n}`);
  const live = (key: string, inputs: Record<string, string>) => {
    const dir = testTmp('ci', `live-${process.pid}-${++n}`);
    writeFileSync(join(dir, 'cdk.tf.json'), stack(bucket, key, inputs));
    const r = sh('terraform init -input=false >/dev/null && terraform apply -auto-approve -input=false >/dev/null', dir);
    expect(r.status, r.out).toBe(0);
  };
  live('crm.tfstate', { a: 'v1', b: 'v1' });
  live('shop.tfstate', { prod_database: 'shop' });
  return { bucket, main: stack(bucket, 'crm.tfstate', { a: 'v2', b: 'v1' }) };
}

/** The PR run's plan job (its workflow edited at will): main's exact configuration, `init`/`plan` flags of its choice. */
function prPlan(config: string, init: string, plan: string): string {
  const dir = testTmp('ci', `pr-${process.pid}-${++n}`);
  writeFileSync(join(dir, 'cdk.tf.json'), config);
  const r = sh(`terraform init -input=false ${init} >/dev/null && terraform plan -input=false -lock=false ${plan} -out=tfplan >/dev/null`, dir);
  expect(r.status, r.out).toBe(0);
  return join(dir, 'tfplan');
}

/** Runs the apply job's verify and apply steps on `tfplan`, the approval having shown `approved`. */
function applyJob(main: string, tfplan: string, approved: string) {
  const job = apply.jobs['apply-crm'];
  const verify = step(job, VERIFY);
  const applyStep = step(job, 'apply');
  const root = testTmp('ci', `apply-${process.pid}-${++n}`);
  mkdirSync(join(root, 'stack'));
  copyFileSync(tfplan, join(root, 'stack', 'tfplan'));
  mkdirSync(join(root, 'main', 'dist', verify.env.ARTIFACT_PATH, '..'), { recursive: true });
  writeFileSync(join(root, 'main', 'dist', verify.env.ARTIFACT_PATH), main);
  mkdirSync(join(root, 'main', 'terraform-locks'));
  writeFileSync(join(root, 'main', 'terraform-locks', 'none.terraform.lock.hcl'), sh('unzip -p "$P" .terraform.lock.hcl', root, { P: tfplan }).out);
  const v = sh(verify.run, join(root, 'stack'), verify.env);
  expect(v.status, v.out).toBe(0); // every plan here embeds main's exact configuration and lock
  // GitHub evaluates the expressions: a reviewed stack, and the label its job name showed.
  return sh(applyStep.run, join(root, 'stack'), { ...applyStep.env, REVIEWED: 'true', APPROVED: approved });
}

const HONEST = '0 to add, 1 to change, 0 to destroy';

describe('the apply job applies its own plan of main, and only when it is the reviewed one', () => {
  it('applies a genuine plan (the job\'s own plan, which does the same)', () => {
    const { bucket, main } = estateState();
    const a = applyJob(main, prPlan(main, '', ''), HONEST);
    expect(a.status, a.out).toBe(0);
    expect(a.out).toContain(`crm: main's own plan does what the reviewed plan does (${HONEST})`);
    expect(a.out).toContain('Apply complete! Resources: 0 added, 1 changed, 0 destroyed');
    expect(readFileSync(join(bucket, 'crm.tfstate'), 'utf8')).toContain('"v2"');
  });

  it('refuses a -replace plan of main\'s exact configuration, whatever label it shows', () => {
    const { bucket, main } = estateState();
    const before = sha(join(bucket, 'crm.tfstate'));
    const forged = prPlan(main, '', '-replace=terraform_data.b');
    for (const label of [HONEST, '1 to add, 1 to change, 1 to destroy']) {
      const a = applyJob(main, forged, label);
      expect(a.status).toBe(1);
      expect(a.out).toContain('the reviewed plan replaces terraform_data.b on request (-replace)');
      expect(a.out).toContain("terraform_data.b: the reviewed plan does delete+create, main's plan does nothing");
      expect(a.out).not.toContain('Apply complete');
    }
    expect(sha(join(bucket, 'crm.tfstate'))).toBe(before);
  });

  it('refuses a -destroy plan and a -target plan (same actions as main\'s, but incomplete)', () => {
    const { bucket, main } = estateState();
    const before = sha(join(bucket, 'crm.tfstate'));
    const destroy = applyJob(main, prPlan(main, '', '-destroy'), HONEST);
    expect(destroy.status).toBe(1);
    expect(destroy.out).toContain("terraform_data.b: the reviewed plan does delete, main's plan does nothing");
    const target = applyJob(main, prPlan(main, '', '-target=terraform_data.a'), HONEST);
    expect(target.status).toBe(1);
    expect(target.out).toContain('the reviewed plan is incomplete (-target, or deferred actions)');
    expect(target.out).not.toContain('terraform_data.a: the reviewed plan does');
    expect(sha(join(bucket, 'crm.tfstate'))).toBe(before);
  });

  it('refuses a plan made against another stack\'s state (-backend-config), and never touches that state', () => {
    const { bucket, main } = estateState();
    const shop = sha(join(bucket, 'shop.tfstate'));
    const forged = prPlan(main, `-backend-config=path=${join(bucket, 'shop.tfstate')}`, '');
    const a = applyJob(main, forged, HONEST);
    expect(a.status).toBe(1);
    expect(a.out).toContain("terraform_data.prod_database: the reviewed plan does delete, main's plan does nothing");
    expect(sha(join(bucket, 'shop.tfstate'))).toBe(shop);
  });

  it('refuses a genuine plan when the approval showed other counts (a forged index label), or none', () => {
    const { bucket, main } = estateState();
    const before = sha(join(bucket, 'crm.tfstate'));
    const genuine = prPlan(main, '', '');
    for (const label of ['0 to add, 0 to change, 0 to destroy', '']) {
      const a = applyJob(main, genuine, label);
      expect(a.status).toBe(1);
      expect(a.out).toContain(`the approval showed ${JSON.stringify(label)}, main's plan does ${HONEST}`);
    }
    expect(sha(join(bucket, 'crm.tfstate'))).toBe(before);
  });

  it('refuses when the comparison program is missing (an empty env is never a pass)', () => {
    const { main } = estateState();
    const job = apply.jobs['apply-crm'];
    const applyStep = step(job, 'apply');
    expect(applyStep.env.BIND_PLAN).toContain('process.exit(1)');
    const root = testTmp('ci', `noenv-${process.pid}-${++n}`);
    copyFileSync(prPlan(main, '', ''), join(root, 'tfplan'));
    writeFileSync(join(root, 'cdk.tf.json'), main);
    const r = sh(applyStep.run, root, { STACK: 'crm', REVIEWED: 'true', APPROVED: HONEST });
    expect(r.status).not.toBe(0);
    expect(r.out).toContain('BIND_PLAN');
    expect(r.out).not.toContain('Apply complete');
  });
});

describe("a removed stack's destroy applies the job's own -destroy plan of main before the push", () => {
  /** The destroy step alone, in a directory holding main-before's verified stack and the reviewed plan. */
  function destroyJob(before: string, tfplan: string) {
    const s = step(apply.jobs['remove-app-environments'], 'terraform apply (the reviewed destroy plan, deletes only)');
    const dir = testTmp('ci', `destroy-${process.pid}-${++n}`);
    copyFileSync(tfplan, join(dir, 'tfplan'));
    writeFileSync(join(dir, 'cdk.tf.json'), before); // staged by the verify step (removed-stack-config.test.ts)
    return sh(s.run, dir, { ...s.env, STACK: 'crm' });
  }

  it('destroys what the reviewed destroy plan destroys', () => {
    const { bucket } = estateState();
    const before = stack(bucket, 'crm.tfstate', { a: 'v1', b: 'v1' });
    const d = destroyJob(before, prPlan(before, '', '-destroy'));
    expect(d.status, d.out).toBe(0);
    expect(d.out).toContain('Apply complete! Resources: 0 added, 0 changed, 2 destroyed');
  });

  it('refuses a deletes-only plan made against another stack\'s state (it would drop shop\'s prod database)', () => {
    const { bucket } = estateState();
    const before = stack(bucket, 'crm.tfstate', { a: 'v1', b: 'v1' });
    const shop = sha(join(bucket, 'shop.tfstate'));
    const d = destroyJob(before, prPlan(before, `-backend-config=path=${join(bucket, 'shop.tfstate')}`, '-destroy'));
    expect(d.status).toBe(1);
    expect(d.out).toContain("terraform_data.prod_database: the reviewed plan does delete, main's plan does nothing");
    expect(d.out).not.toContain('Apply complete');
    expect(sha(join(bucket, 'shop.tfstate'))).toBe(shop);
  });
});
