// attack8 hole 2: a saved plan carries its own backend configuration (the planfile's `tfplan` records
// the backend type, its merged settings and the workspace), and `terraform apply tfplan` uses THAT
// backend, not the one of the cdk.tf.json the apply job staged and `terraform init`ed. The apply job
// verifies only tfconfig/ and the lock (VERIFY_CONFIG_SCRIPT): `terraform init
// -backend-config=key=estate/shop.tfstate` before `terraform plan` leaves tfconfig/ byte-identical to
// main's erp-sandbox stack, so a PR run (workflow edited) can plan erp-sandbox's configuration against
// shop's state: every resource of prod `shop` in that state is absent from the configuration, so the
// plan destroys them (DROP DATABASE shop on prod-pg: the provider address in the state is the same
// cyrilgdn/postgresql the erp-sandbox config declares, on the same prod server) — applied in the job
// titled "apply erp-sandbox" with the prod applier's Vault token, prod-pg's admin password and
// tierkit-state-apply-prod (which may write both keys). TK092 judges only the synthesized backend.
// Secure behaviour asserted: the apply job refuses a plan whose recorded backend is not main's stack's.
// Stand-in: a local backend whose `path` plays the S3 `key`.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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

const stackConfig = (key: string, resource: string) =>
  JSON.stringify({ terraform: { backend: { local: { path: key } } }, resource: { terraform_data: { [resource]: { input: resource } } } }, null, 2);
// main's erp-sandbox stack (its backend key is its own) and prod shop's live stack.
const SANDBOX = stackConfig('erp-sandbox.tfstate', 'sandbox_database');
const SHOP = stackConfig('shop.tfstate', 'prod_database');

describe('attack8: a plan of main\'s exact configuration made against another stack\'s state', () => {
  it('is refused by the apply job, not applied to that other state', () => {
    const { apply } = workflows(synthesize(estate()).manifest);
    const job = apply.jobs['apply-erp-sandbox'];
    const verifyStep = step(job, "Refuse a plan whose configuration or provider lock is not main's");
    const applyStep = step(job, 'apply');
    const artifact = verifyStep.env.ARTIFACT_PATH as string;

    // The state bucket: shop is live (its state holds the prod database).
    const bucket = testTmp('attack8', `bucket-${process.pid}`);
    writeFileSync(join(bucket, 'cdk.tf.json'), SHOP);
    const live = sh('terraform init -input=false >/dev/null && terraform apply -auto-approve -input=false >/dev/null', bucket);
    expect(live.status, live.out).toBe(0);

    // The PR run's plan job: main's erp-sandbox cdk.tf.json, initialized with -backend-config pointing at shop's key.
    const pr = testTmp('attack8', `pr-${process.pid}`);
    writeFileSync(join(pr, 'cdk.tf.json'), SANDBOX);
    copyFileSync(join(bucket, 'shop.tfstate'), join(pr, 'shop.tfstate'));
    const forged = sh('terraform init -input=false -backend-config=path=shop.tfstate >/dev/null && terraform plan -no-color -input=false -lock=false -out=tfplan', pr);
    expect(forged.status, forged.out).toBe(0);
    expect(forged.out).toContain('terraform_data.prod_database will be destroyed');

    const root = testTmp('attack8', `apply-${process.pid}`);
    mkdirSync(join(root, 'stack'), { recursive: true });
    copyFileSync(join(pr, 'tfplan'), join(root, 'stack', 'tfplan'));
    mkdirSync(join(root, 'main', 'dist', artifact, '..'), { recursive: true });
    writeFileSync(join(root, 'main', 'dist', artifact), SANDBOX);
    mkdirSync(join(root, 'main', 'terraform-locks'), { recursive: true });
    const lock = sh('unzip -p tfplan .terraform.lock.hcl', pr);
    expect(lock.status, lock.out).toBe(0);
    writeFileSync(join(root, 'main', 'terraform-locks', 'none.terraform.lock.hcl'), lock.out);

    const v = sh(verifyStep.run, join(root, 'stack'), verifyStep.env);
    let out = v.out;
    if (v.status === 0) {
      // The bucket as the apply job's backend sees it: both keys.
      copyFileSync(join(bucket, 'shop.tfstate'), join(root, 'stack', 'shop.tfstate'));
      const a = sh(applyStep.run, join(root, 'stack'), applyStep.env);
      out += a.out;
    }
    const shopState = join(root, 'stack', 'shop.tfstate');
    const shopDropped = existsSync(shopState) && !readFileSync(shopState, 'utf8').includes('prod_database');
    // Today: verify passes; "Apply complete! Resources: 1 added, 0 changed, 1 destroyed" and shop's state lost prod_database.
    expect(shopDropped, out).toBe(false);
  });
});
