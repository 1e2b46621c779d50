// attack8 hole 1: the apply job binds a reviewed plan to main's CONFIGURATION (tfplan's tfconfig/ and
// lock, VERIFY_CONFIG_SCRIPT) and to the sha256 the PR run's own index records, but never to what
// the plan DOES. `terraform plan -replace=<addr>` (or `-destroy`, `-target`) made from main's exact
// cdk.tf.json embeds exactly main's configuration and lock, so it passes every check, and
// APPLY_SCRIPT applies it: a PR run (whose workflow file and plan-summary.json the PR author
// controls, docs/pr-flow.md threat model) can ship for `crm` (prod) a plan that drops and recreates
// the prod database, while its plan-summary.json, the index's "counts" (shown in the apply job's
// name) and the PR comment say "0 to destroy". Nothing on main re-derives the plan's actions.
// Secure behaviour asserted: the apply job refuses a plan whose actions are not the ones main's own
// configuration plans (here: a replace the configuration does not ask for).
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { synthesize } from '../../constructs/synth/synthesize';
import estate from '../../environments';
import { testTmp } from '../setup/tmpdir';
import { step, workflows } from '../ci/support';

function sh(script: string, cwd: string, env: Record<string, string> = {}) {
  const r = spawnSync('bash', ['-e', '-o', 'pipefail', '-c', script], {
    cwd, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? cwd, TF_IN_AUTOMATION: '1', ...env },
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

// main's synthesized stack (stand-in: Terraform's built-in terraform_data for the prod database).
const MAIN_CONFIG = JSON.stringify({ resource: { terraform_data: { prod_database: { input: 'shop' } } } }, null, 2);

describe('attack8: a plan of main\'s exact configuration that replaces (drops) a prod resource', () => {
  it('is refused by the apply job, not applied', () => {
    const { apply } = workflows(synthesize(estate()).manifest);
    const job = apply.jobs['apply-crm'];
    const verifyStep = step(job, "Refuse a plan whose configuration or provider lock is not main's");
    const applyStep = step(job, 'apply');
    const artifact = verifyStep.env.ARTIFACT_PATH as string;

    // The stack as it is live: applied once from main's configuration (its state = the S3 backend's).
    const live = testTmp('attack8', `live-${process.pid}`);
    writeFileSync(join(live, 'cdk.tf.json'), MAIN_CONFIG);
    const made = sh('terraform init -input=false >/dev/null && terraform apply -auto-approve -input=false >/dev/null', live);
    expect(made.status, made.out).toBe(0);
    // The PR run's plan job (its workflow edited): same configuration, same lock, `-replace`.
    const forged = sh('terraform plan -input=false -lock=false -replace=terraform_data.prod_database -out=tfplan', live);
    expect(forged.status, forged.out).toBe(0);
    expect(forged.out).toContain('1 to add, 0 to change, 1 to destroy');

    // The apply job's tree: the downloaded artifact in stack/, main's synthesized stack and lock in main/.
    const root = testTmp('attack8', `apply-${process.pid}`);
    mkdirSync(join(root, 'stack'), { recursive: true });
    copyFileSync(join(live, 'tfplan'), join(root, 'stack', 'tfplan'));
    mkdirSync(join(root, 'main', 'dist', artifact, '..'), { recursive: true });
    writeFileSync(join(root, 'main', 'dist', artifact), MAIN_CONFIG);
    mkdirSync(join(root, 'main', 'terraform-locks'), { recursive: true });
    // main's committed lock = the one the plan embeds (Terraform writes it for a stack without providers)
    const lock = sh('unzip -p tfplan .terraform.lock.hcl', live);
    expect(lock.status, lock.out).toBe(0);
    writeFileSync(join(root, 'main', 'terraform-locks', 'none.terraform.lock.hcl'), lock.out);

    const v = sh(verifyStep.run, join(root, 'stack'), verifyStep.env);
    let applied = false;
    let out = v.out;
    if (v.status === 0) {
      // the backend's state (S3 in CI) is what terraform apply reads
      copyFileSync(join(live, 'terraform.tfstate'), join(root, 'stack', 'terraform.tfstate'));
      const a = sh(applyStep.run, join(root, 'stack'), applyStep.env);
      out += a.out;
      applied = a.status === 0 && /1 destroyed/.test(a.out);
    }
    // Today: verify passes and terraform applies "1 added, 0 changed, 1 destroyed".
    expect(applied, out).toBe(false);
  });
});
