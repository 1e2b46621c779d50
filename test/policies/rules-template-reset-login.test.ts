import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { Sandbox, SandboxKind, SandboxReset, Tier, type Estate } from '../../constructs';
import { RESET_SCRIPT, credentialsTemplate } from '../../constructs/lifecycle/scripts';
import type { CheckReport } from '../../policies/report/finding';
import { check, findings, freshDir, synthDist } from './helpers';
import { editDist, manifestEdit, rehashManifest } from './rehash';
import { validateKubernetesObject } from '../support/k8s-schema';

// TK117 (the template reset Job's login) and TK118 (Vault's pool on the sandbox's connection), and
// TK135 holding the reset pod to the template script, against a hostile author: a suppression,
// hand-edited stacks and manifests (dist re-hashed). The example estate gains crm-fast (dev,
// reset: SandboxReset.TEMPLATE), as in rules-template-reset.test.ts.

const messages = (r: CheckReport, id: string) => findings(r, id).map((f) => f.message);
const CREDS = 'postgres/creds/crm-fast-template-reset';

function withFast(e: Estate): Sandbox {
  const crm = e.node.tryFindChild('crm') as ConstructorParameters<typeof Sandbox>[0];
  return new Sandbox(crm, 'fast', { tier: Tier.DEV, kind: SandboxKind.ENGINEER, owner: 'arcodange', createdAt: '2026-11-21', ttlHours: 72, reset: SandboxReset.TEMPLATE });
}
let base: string | undefined;
const fastDist = () => (base ??= synthDist((e) => { withFast(e); }, 'template-login'));

/** Edit the reset CronJob of crm-fast in its Kubernetes file, re-hashed. */
function editResetPod(dir: string, edit: (pod: any) => void): string {
  const file = join(dir, 'k8s', 'dev', 'crm-fast.k8s.yaml');
  const docs = parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS());
  const cron = docs.find((d: any) => d?.kind === 'CronJob' && d.metadata?.name === 'crm-fast-reset');
  edit(cron.spec.jobTemplate.spec.template);
  writeFileSync(file, docs.map((d) => stringify(d)).join('---\n'));
  rehashManifest(dir);
  return dir;
}

describe('the template reset login and pool (TK117, TK118) and its pod (TK135)', () => {
  it('tierkit writes the login\'s Vault role, the connection user\'s ADMIN OPTION, the pool lifetime, and a reset pod that clones with that login', async () => {
    const report = await check(fastDist());
    expect(report.findings.filter((f) => f.severity === 'error')).toEqual([]);
    const json = JSON.parse(readFileSync(join(fastDist(), 'terraform', 'crm-fast', 'cdk.tf.json'), 'utf8'));
    const role = json.resource.vault_database_secret_backend_role.template_reset_vault_role;
    expect(role.creation_statements[0]).toBe(`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}' CONNECTION LIMIT 2 IN ROLE "crm_fast_template";`);
    expect(role.max_ttl).toBe(1800);
    expect(json.resource.postgresql_grant_role.template_reset_vault_admin).toMatchObject({ role: '${postgresql_role.vault_connection_role.name}', grant_role: '${postgresql_role.template_reset_role.name}', with_admin_option: true });
    expect(json.resource.vault_database_secret_backend_connection.vault_connection.allowed_roles).toEqual(['crm-fast', 'crm-fast-template-reset']);
    expect(json.resource.vault_database_secret_backend_connection.vault_connection.postgresql.max_connection_lifetime).toBe(10);
    expect(json.resource.vault_policy.reset_policy.policy).toContain(`path "${CREDS}" {\n  capabilities = ["read"]\n}`);
    const yaml = readFileSync(join(fastDist(), 'k8s', 'dev', 'crm-fast.k8s.yaml'), 'utf8');
    expect(yaml).toContain('tierkit template reset: check the golden');
    expect(yaml).toContain('tierkit golden load: DROP OWNED BY');
    expect(yaml).toContain(`vault.hashicorp.com/agent-inject-secret-database: ${CREDS}`);
  });

  it('the template sandbox\'s objects (the reset and golden-load CronJobs included) validate against the kubernetes-models schemas', () => {
    const docs = parseAllDocuments(readFileSync(join(fastDist(), 'k8s', 'dev', 'crm-fast.k8s.yaml'), 'utf8')).map((d) => d.toJS());
    expect(docs.filter((d: any) => d.kind === 'CronJob').map((d: any) => d.metadata.name).sort()).toEqual(['crm-fast-golden-load', 'crm-fast-reset', 'crm-fast-ttl-sweep']);
    for (const d of docs) expect(() => validateKubernetesObject(d as never), `${d.kind}/${d.metadata?.name}`).not.toThrow();
  });

  it('another Vault role IN ROLE the template role, under any other name, is TK004\'s error (only the exact reset login is left to TK117)', async () => {
    const dir = editDist(fastDist(), freshDir('tk117-second'), {
      'crm-fast': (j) => {
        const r = j.resource.vault_database_secret_backend_role;
        r.second = { ...r.template_reset_vault_role, name: 'crm-fast-extra' };
        j.resource.vault_database_secret_backend_connection.vault_connection.allowed_roles.push('crm-fast-extra');
      },
    });
    const report = await check(dir);
    expect(messages(report, 'TK004')).toEqual(expect.arrayContaining([expect.stringContaining('Vault role "postgres/roles/crm-fast-extra" of crm-fast (tier dev): IN ROLE "crm_fast_template"')]));
    expect(messages(report, 'TK005')).toEqual(expect.arrayContaining([expect.stringContaining('allows role "crm-fast-extra"')]));
  });

  it('a hand-edited manifest that drops `reset: template` launders nothing: the login, the ADMIN edge, the allowed role and the pod are judged as any env\'s', async () => {
    const dir = editDist(fastDist(), freshDir('tk117-launder'), {});
    manifestEdit(dir, (m) => { delete m.appEnvironments.find((e: any) => e.slug === 'crm-fast').sandbox.reset; });
    const report = await check(dir);
    expect(messages(report, 'TK003')).toEqual(expect.arrayContaining([expect.stringContaining('"crm_fast_vault" holds ADMIN OPTION on "crm_fast_template"')]));
    expect(messages(report, 'TK004')).toEqual(expect.arrayContaining([expect.stringContaining('crm-fast-template-reset')]));
    expect(messages(report, 'TK005')).toEqual(expect.arrayContaining([expect.stringContaining('allows role "crm-fast-template-reset"')]));
    expect(messages(report, 'TK135')).toEqual(expect.arrayContaining([expect.stringContaining('container "reset"'), expect.stringContaining('container "golden-load"')]));
  });

  it('TK117: widened statements, a long life, another connection, rollback statements — suppressed or not — are errors', async () => {
    const dir = editDist(synthDist((e) => { withFast(e).addSuppression('TK117', 'the reset needs a little more for a while'); }, 'tk117'), freshDir('tk117'), {
      'crm-fast': (j) => {
        const r = j.resource.vault_database_secret_backend_role.template_reset_vault_role;
        r.creation_statements = [...r.creation_statements, 'GRANT "erp_role" TO "{{name}}";'];
        r.max_ttl = 86400;
        r.rollback_statements = ['SELECT 1;'];
        r.db_name = 'erp';
      },
    });
    const msgs = messages(await check(dir), 'TK117');
    expect(msgs).toEqual(expect.arrayContaining([
      expect.stringContaining('its creation statements are not tierkit\'s'),
      expect.stringContaining('has max_ttl 86400; the login lives one reset: at most 1800 s'),
      expect.stringContaining('sets rollback statements ["SELECT 1;"]'),
      expect.stringContaining('uses connection "erp", not the sandbox\'s own "crm-fast"'),
    ]));
  });

  it('TK117: another policy reaching the creds path (a glob, another stack) or another auth role handing out the reset policy is an error', async () => {
    const dir = editDist(fastDist(), freshDir('tk117-reach'), {
      'crm-fast': (j) => {
        j.resource.vault_policy.vault_policy.policy += '\npath "postgres/creds/crm-fast-*" {\n  capabilities = ["read"]\n}\n';
        j.resource.vault_kubernetes_auth_backend_role.kubernetes_auth_role.token_policies.push('crm-fast-reset');
      },
      'crm-alice': (j) => {
        j.resource.vault_policy.vault_policy.policy += `\npath "${CREDS}" {\n  capabilities = ["read"]\n}\n`;
      },
    });
    const msgs = messages(await check(dir), 'TK117');
    expect(msgs).toEqual(expect.arrayContaining([
      `Vault policy "crm-fast" (stack crm-fast) grants ["read"] on "postgres/creds/crm-fast-*", which reaches ${CREDS}: only crm-fast's reset policy "crm-fast-reset" reads the template reset login of crm-fast (tier dev)`,
      `Vault policy "crm-alice" (stack crm-alice) grants ["read"] on "${CREDS}", which reaches ${CREDS}: only crm-fast's reset policy "crm-fast-reset" reads the template reset login of crm-fast (tier dev)`,
      expect.stringContaining('auth role "crm-fast" (stack crm-fast) hands out policy "crm-fast-reset"'),
    ]));
  });

  it('TK117: the connection user\'s ADMIN OPTION removed is an error (PostgreSQL 16+ would refuse the login)', async () => {
    const dir = editDist(fastDist(), freshDir('tk117-admin'), {
      'crm-fast': (j) => { delete j.resource.postgresql_grant_role.template_reset_vault_admin; delete j.resource.vault_database_secret_backend_role.template_reset_vault_role.depends_on; },
    });
    expect(messages(await check(dir), 'TK117')).toEqual([expect.stringContaining('ADMIN OPTION on "crm_fast_template" 0 times')]);
  });

  it('TK118: no pool lifetime, or one longer than half the drain, is an error', async () => {
    for (const lifetime of [undefined, 3600]) {
      const dir = editDist(fastDist(), freshDir('tk118'), {
        'crm-fast': (j) => {
          const pg = j.resource.vault_database_secret_backend_connection.vault_connection.postgresql;
          if (lifetime === undefined) delete pg.max_connection_lifetime; else pg.max_connection_lifetime = lifetime;
        },
      });
      expect(messages(await check(dir), 'TK118')).toEqual([expect.stringContaining(`max_connection_lifetime ${JSON.stringify(lifetime ?? null)}`)]);
    }
  });

  it('TK135: a template sandbox\'s reset pod back on pg_restore, or cloning with the app\'s credential, is an error', async () => {
    const restore = editResetPod(editDist(fastDist(), freshDir('tk135-restore'), {}), (pod) => {
      pod.spec.initContainers.find((c: any) => c.name === 'reset').command[2] = RESET_SCRIPT;
    });
    expect(messages(await check(restore), 'TK135')).toEqual([expect.stringContaining('container "reset" does not run tierkit\'s script')]);
    const appCreds = editResetPod(editDist(fastDist(), freshDir('tk135-creds'), {}), (pod) => {
      pod.metadata.annotations['vault.hashicorp.com/agent-inject-secret-database'] = 'postgres/creds/crm-fast';
      pod.metadata.annotations['vault.hashicorp.com/agent-inject-template-database'] = credentialsTemplate('postgres/creds/crm-fast', false);
    });
    expect(messages(await check(appCreds), 'TK135')).toEqual([expect.stringContaining('annotation vault.hashicorp.com/agent-inject-secret-database is not the one tierkit renders')]);
  });

  it('TK135: a reset or golden-load pod that names another connection user (the 16+ check of its grant then reads nothing) is an error', async () => {
    for (const [name, container] of [['crm-fast-reset', 'reset'], ['crm-fast-golden-load', 'golden-load']]) {
      const dir = editDist(fastDist(), freshDir('tk135-conn'), {});
      const file = join(dir, 'k8s', 'dev', 'crm-fast.k8s.yaml');
      const docs = parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS());
      const pod = docs.find((d: any) => d?.kind === 'CronJob' && d.metadata?.name === name).spec.jobTemplate.spec.template;
      const c = [...(pod.spec.initContainers ?? []), ...pod.spec.containers].find((x: any) => x.name === container);
      const v = c.env.find((e: any) => e.name === 'TIERKIT_VAULT_CONNECTION_ROLE');
      expect(v.value).toBe('crm_fast_vault');
      v.value = 'crm_alice_vault';
      writeFileSync(file, docs.map((d) => stringify(d)).join('---\n'));
      rehashManifest(dir);
      expect(messages(await check(dir), 'TK135'), name).toEqual([expect.stringContaining(`container "${container}"`)]);
    }
  });

  it('a second, inheriting membership of the connection user in the template role (a grant without ADMIN, or the role\'s `roles`) is TK128\'s error (on 16+ one inheriting row undoes the narrowing)', async () => {
    for (const edit of [
      (j: any) => { j.resource.postgresql_grant_role.extra = { role: '${postgresql_role.vault_connection_role.name}', grant_role: '${postgresql_role.template_reset_role.name}' }; },
      (j: any) => { j.resource.postgresql_role.vault_connection_role.roles = ['${postgresql_role.template_reset_role.name}']; },
    ]) {
      const report = await check(editDist(fastDist(), freshDir('tk117-member'), { 'crm-fast': edit }));
      // On 16+ the grant's options are the union of its rows: one inheriting row undoes the narrowing.
      expect(messages(report, 'TK128')).toEqual([expect.stringContaining('"crm_fast_vault" is made a member of "crm_fast_template"')]);
    }
  });

  it('TK135: a reset pod without the seed dump (it could not load a stale golden) or pointing it elsewhere is an error', async () => {
    for (const edit of [
      (vars: any[]) => vars.splice(vars.findIndex((e) => e.name === 'TIERKIT_DUMP_FILE'), 1),
      (vars: any[]) => { vars.find((e) => e.name === 'TIERKIT_DUMP_FILE').value = '/tmp/seed.dump'; },
    ]) {
      const dir = editResetPod(editDist(fastDist(), freshDir('tk135-dump'), {}), (pod) => {
        const vars = pod.spec.initContainers.find((c: any) => c.name === 'reset').env;
        expect(vars.find((e: any) => e.name === 'TIERKIT_DUMP_FILE').value).toBe('/seeds/seed.dump');
        edit(vars);
      });
      expect(messages(await check(dir), 'TK135')).toEqual([expect.stringContaining('container "reset"')]);
    }
  });

  it('a hand-edited manifest naming another connection user, with the pods edited to match, is still an error', async () => {
    const dir = editDist(fastDist(), freshDir('tk184-manifest-conn'), {});
    for (const name of ['crm-fast-reset', 'crm-fast-golden-load']) {
      const file = join(dir, 'k8s', 'dev', 'crm-fast.k8s.yaml');
      const docs = parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS());
      const pod = docs.find((d: any) => d?.kind === 'CronJob' && d.metadata?.name === name).spec.jobTemplate.spec.template;
      for (const c of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) {
        for (const v of c.env ?? []) if (v.name === 'TIERKIT_VAULT_CONNECTION_ROLE') v.value = 'crm_alice_vault';
      }
      writeFileSync(file, docs.map((d) => stringify(d)).join('---\n'));
    }
    manifestEdit(dir, (m) => { m.appEnvironments.find((e: any) => e.slug === 'crm-fast').names.vaultConnectionRole = 'crm_alice_vault'; });
    const report = await check(dir);
    // The pods then match the manifest, but the manifest no longer matches the stack the pods' check is about.
    expect(messages(report, 'TK184')).toEqual([]);
    expect(messages(report, 'TK020')).toEqual(expect.arrayContaining([expect.stringContaining('repeats the Postgres role "crm_alice_vault"')]));
    expect(messages(report, 'TK117')).toEqual([expect.stringContaining('grants "crm_alice_vault" ADMIN OPTION on "crm_fast_template" 0 times')]);
    expect(messages(report, 'TK005')).toEqual(expect.arrayContaining([expect.stringContaining('logs in as "crm_fast_vault", not as its env\'s connection role "crm_alice_vault"')]));
  });
});
