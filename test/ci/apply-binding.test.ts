import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../../constructs/synth/manifest';
import { synthesize } from '../../constructs/synth/synthesize';
import estate from '../../environments';
import { testTmp } from '../setup/tmpdir';
import { step, Workflow, workflows } from './support';

/**
 * "Apply only what was reviewed", with the real terraform binary: the apply job's generated steps
 * run with bash against real planfiles (made here by `terraform plan -out`), and the plan job's
 * lock staging against a stand-in provider installed by the real `terraform init -plugin-dir`.
 * The stacks here use only Terraform's built-in `terraform_data` (no provider download), standing in
 * for a synthesized stack: what is checked is the planfile's embedded configuration and lock file.
 */

let manifest: Manifest;
let apply: Workflow;
let pr: Workflow;
let n = 0;

beforeAll(() => {
  manifest = synthesize(estate()).manifest;
  ({ apply, pr } = workflows(manifest));
});

function sh(script: string, cwd: string, env: Record<string, string> = {}): { status: number | null; out: string } {
  const r = spawnSync('bash', ['-e', '-o', 'pipefail', '-c', script], {
    cwd, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? cwd, TF_IN_AUTOMATION: '1', ...env },
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

const MAIN_CONFIG = JSON.stringify({ resource: { terraform_data: { marker: { input: 'reviewed' } } } }, null, 2);

/** A real planfile of `config` (plus extra files staged beside it), made the way the plan job makes it. */
function planOf(config: string, extra: Record<string, string> = {}): string {
  const dir = testTmp('ci', `plan-${process.pid}-${++n}`);
  writeFileSync(join(dir, 'cdk.tf.json'), config);
  for (const [f, c] of Object.entries(extra)) writeFileSync(join(dir, f), c);
  const r = sh('terraform init -input=false >/dev/null && terraform plan -input=false -lock=false -out=tfplan >/dev/null', dir);
  expect(r.status, r.out).toBe(0);
  return join(dir, 'tfplan');
}

/** The lock file Terraform writes for a stack without providers (what main would commit as terraform-locks/none…). */
function emptyLock(): string {
  return sh('unzip -p "$P" .terraform.lock.hcl', '/', { P: planOf(MAIN_CONFIG) }).out;
}

/** An apply job's working tree: the downloaded artifact in stack/, main's artifact in main/. */
function applyTree(tfplan: string, opts: { mainLock?: string | null } = {}): string {
  const root = testTmp('ci', `apply-${process.pid}-${++n}`);
  const job = apply.jobs['apply-crm'];
  const artifact = step(job, "Refuse a plan whose configuration or provider lock is not main's").env.ARTIFACT_PATH as string;
  mkdirSync(join(root, 'stack'), { recursive: true });
  copyFileSync(tfplan, join(root, 'stack', 'tfplan'));
  // The artifact's own cdk.tf.json is the PR run's: never used.
  writeFileSync(join(root, 'stack', 'cdk.tf.json'), '{"resource":{"terraform_data":{"forged":{}}}}');
  mkdirSync(join(root, 'main', 'dist', artifact, '..'), { recursive: true });
  writeFileSync(join(root, 'main', 'dist', artifact), MAIN_CONFIG);
  mkdirSync(join(root, 'main', 'terraform-locks'), { recursive: true });
  if (opts.mainLock !== null) writeFileSync(join(root, 'main', 'terraform-locks', 'none.terraform.lock.hcl'), opts.mainLock ?? emptyLock());
  return root;
}

function verify(root: string) {
  const s = step(apply.jobs['apply-crm'], "Refuse a plan whose configuration or provider lock is not main's");
  expect(s['working-directory']).toBe('stack');
  return sh(s.run, join(root, 'stack'), s.env);
}

describe('the apply job applies only a plan of main\'s configuration and lock file', () => {
  it('verifies, then runs the real terraform apply of a genuine plan (main\'s files staged, not the artifact\'s)', () => {
    const root = applyTree(planOf(MAIN_CONFIG));
    const v = verify(root);
    expect(v.status, v.out).toBe(0);
    expect(readFileSync(join(root, 'stack', 'cdk.tf.json'), 'utf8')).toBe(MAIN_CONFIG);
    const names = apply.jobs['apply-crm'].steps.map((x: any) => x.name);
    expect(names.indexOf("Refuse a plan whose configuration or provider lock is not main's")).toBeLessThan(names.indexOf('terraform apply (the reviewed plan, nothing else)'));
    // GitHub evaluates the step's expressions: a reviewed stack, and the counts its job name showed.
    const applyStep = step(apply.jobs['apply-crm'], 'apply');
    const a = sh(applyStep.run, join(root, 'stack'), { ...applyStep.env, REVIEWED: 'true', APPROVED: '1 to add, 0 to change, 0 to destroy' });
    expect(a.status, a.out).toBe(0);
    expect(a.out).toContain('Apply complete! Resources: 1 added');
  });

  it('refuses a forged plan: its configuration differs from main\'s synthesized stack', () => {
    const forged = MAIN_CONFIG.replace('reviewed', 'something else');
    const v = verify(applyTree(planOf(forged)));
    expect(v.status).toBe(1);
    expect(v.out).toContain("the plan of crm was made from a configuration that is not main's synthesized terraform/crm/cdk.tf.json (a forged or outdated plan): refusing; re-run the PR checks on the merged head, then re-run this workflow");
  });

  it('refuses a plan whose configuration had another file staged beside the stack (an override)', () => {
    const v = verify(applyTree(planOf(MAIN_CONFIG, { 'zz_override.tf.json': '{"resource":{"terraform_data":{"marker":{"input":"other"}}}}' })));
    expect(v.status).toBe(1);
    expect(v.out).toContain('was made from configuration files tfconfig/m-/cdk.tf.json tfconfig/m-/zz_override.tf.json tfconfig/modules.json');
  });

  it('refuses a file that is no planfile, with the same message', () => {
    const fake = join(testTmp('ci', `fake-${process.pid}-${++n}`), 'tfplan');
    writeFileSync(fake, 'not a zip');
    const v = verify(applyTree(fake));
    expect(v.status).toBe(1);
    expect(v.out).toContain('the plan of crm was made from configuration files  — not main\'s cdk.tf.json alone');
  });

  it('refuses a plan made with a swapped lock file, and names the missing lock file on main', () => {
    const tfplan = planOf(MAIN_CONFIG);
    const r = sh('printf "provider \\"registry.terraform.io/hashicorp/vault\\" {}\\n" > .terraform.lock.hcl && mv tfplan t.zip && zip -q t.zip .terraform.lock.hcl && mv t.zip tfplan', join(tfplan, '..'));
    expect(r.status, r.out).toBe(0);
    const v = verify(applyTree(tfplan));
    expect(v.status).toBe(1);
    expect(v.out).toContain("the plan of crm was made with provider packages other than main's committed terraform-locks/none.terraform.lock.hcl records");
    const missing = verify(applyTree(planOf(MAIN_CONFIG), { mainLock: null }));
    expect(missing.status).toBe(1);
    expect(missing.out).toContain('main has no committed provider lock file terraform-locks/none.terraform.lock.hcl for crm');
  });
});

describe('committed provider lock files: the real terraform init refuses a package the lock does not record', () => {
  /** A stand-in provider package (a shell script) zipped in `-plugin-dir` layout. */
  function pluginDir(label: string, body: string): string {
    const dir = testTmp('ci', `plugins-${label}-${process.pid}-${++n}`);
    const bin = join(dir, 'terraform-provider-vault_v15.6.1');
    writeFileSync(bin, `#!/bin/sh\necho ${body}\n`);
    chmodSync(bin, 0o755);
    const zipDir = join(dir, 'registry.terraform.io/hashicorp/vault');
    mkdirSync(zipDir, { recursive: true });
    const r = sh(`zip -qX "${zipDir}/terraform-provider-vault_15.6.1_linux_amd64.zip" terraform-provider-vault_v15.6.1`, dir);
    expect(r.status, r.out).toBe(0);
    return dir;
  }
  const VAULT_STACK = JSON.stringify({ terraform: { required_providers: { vault: { source: 'hashicorp/vault', version: '15.6.1' } } } });

  it('stages the head\'s committed lock for the stack\'s provider set; init with it refuses a swapped provider package', () => {
    const genuine = pluginDir('genuine', 'stand-in provider');
    const swapped = pluginDir('swapped', 'swapped provider');
    // The lock file the estate repository commits (terraform providers lock; here: init -plugin-dir).
    const scratch = testTmp('ci', `lock-${process.pid}-${++n}`);
    writeFileSync(join(scratch, 'cdk.tf.json'), VAULT_STACK);
    const made = sh(`terraform init -input=false -plugin-dir="${genuine}" >/dev/null`, scratch);
    expect(made.status, made.out).toBe(0);
    const committed = readFileSync(join(scratch, '.terraform.lock.hcl'), 'utf8');
    expect(committed).toContain('h1:');

    const root = testTmp('ci', `stage-${process.pid}-${++n}`);
    mkdirSync(join(root, 'stack'));
    writeFileSync(join(root, 'stack', 'cdk.tf.json'), VAULT_STACK);
    mkdirSync(join(root, 'head', 'terraform-locks'), { recursive: true });
    writeFileSync(join(root, 'head', 'terraform-locks', 'vault.terraform.lock.hcl'), committed);
    const stage = step(pr.jobs.plan, 'Stage the committed provider lock file');
    const staged = sh(stage.run, root, { STACK: 'platform-dev', ACTION: 'add' });
    expect(staged.status, staged.out).toBe(0);
    expect(readFileSync(join(root, 'stack', '.terraform.lock.hcl'), 'utf8')).toBe(committed);
    expect(step(pr.jobs.plan, 'terraform plan').run).toContain('terraform init -input=false -lockfile=readonly');

    const refused = sh(`terraform init -no-color -input=false -lockfile=readonly -plugin-dir="${swapped}"`, join(root, 'stack'));
    expect(refused.status).toBe(1);
    expect(refused.out.replace(/\s*│\s*/g, ' ').replace(/\s+/g, ' ')).toContain("doesn't match any of the checksums previously recorded in the dependency lock file");
    const ok = sh(`terraform init -input=false -lockfile=readonly -plugin-dir="${genuine}"`, join(root, 'stack'));
    expect(ok.status, ok.out).toBe(0);
  });

  it('refuses to plan a stack whose provider set has no committed lock file, naming the file to commit', () => {
    const root = testTmp('ci', `nolock-${process.pid}-${++n}`);
    mkdirSync(join(root, 'stack'));
    writeFileSync(join(root, 'stack', 'cdk.tf.json'), JSON.stringify({ terraform: { required_providers: { vault: {}, postgresql: {} } } }));
    mkdirSync(join(root, 'head'));
    const r = sh(step(pr.jobs.plan, 'Stage the committed provider lock file').run, root, { STACK: 'crm', ACTION: 'add' });
    expect(r.status).toBe(1);
    expect(r.out).toContain('no committed provider lock file terraform-locks/postgresql+vault.terraform.lock.hcl for stack crm');
    expect(existsSync(join(root, 'stack', '.terraform.lock.hcl'))).toBe(false);
  });
});
