// Issue 22: the synthetic and sanitized seed producers as Jobs in dist. TK138 holds a producer's
// pod to what tierkit renders; TK139 its place and Vault identity; TK130–TK132 and TK135 grant a
// declared producer its own store and hashes only. Every hostile case is a hand edit of dist/ (or
// an estate prop, or an escape hatch) that a rule must name.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { Estate, Generalize, ScrubAction } from '../../constructs';
import { SANITIZE_SCRIPT } from '../../constructs/lifecycle/seed-scripts';
import { DistEdit } from './dist-edit';
import { check, cleanDist, findings, synthDist } from './helpers';
import { validateKubernetesObject } from '../support/k8s-schema';

const A = 'vault.hashicorp.com/';
const PROD = 'k8s/prod/erp.k8s.yaml';
const CI = 'k8s/ci/crm-ci.k8s.yaml';
const SANITIZED = 'erp-seed-sanitized-accounts';
const SYNTHETIC = 'crm-ci-seed-synthetic-v1';
const SEED_RULES = ['TK130', 'TK131', 'TK132', 'TK133', 'TK135', 'TK138', 'TK139'];

/** The example estate with a sanitized profile on erp (which has the golden dump). */
function withProfile(estate: Estate): void {
  const erp = estate.node.tryFindChild('erp') as any;
  erp.sanitized = [{
    name: 'accounts',
    tables: [
      { table: 'llx_societe', columns: { nom: ScrubAction.KEYED_HASH, email: ScrubAction.NULL, zip: Generalize.prefix(2) }, deleteWhere: "status = 'closed'" },
      { table: 'llx_facture', sampleShare: 0.5, columns: { fk_soc: ScrubAction.KEYED_HASH } },
    ],
    kAnonymity: [{ table: 'llx_societe', quasiIdentifiers: ['zip'], k: 2 }],
  }];
}
let base: string | undefined;
const producerDist = () => (base ??= synthDist(withProfile, 'producers'));

const tmpl = (o: any) => o.spec.jobTemplate.spec.template;
const container = (o: any, name: string) => [...(tmpl(o).spec.initContainers ?? []), ...tmpl(o).spec.containers].find((c: any) => c.name === name);
const envVar = (o: any, c: string, n: string) => container(o, c).env.find((e: any) => e.name === n);
const seedFindings = async (dir: string) => {
  const r = await check(dir);
  return Object.fromEntries(SEED_RULES.map((id) => [id, findings(r, id).map((f) => f.message)]).filter(([, m]) => m.length > 0));
};
const docs = (dir: string, rel: string) => loadAll(readFileSync(join(dir, rel), 'utf8')).filter((d) => d !== null) as any[];

describe('seed producers as rendered', () => {
  it('renders the synthetic producer in crm-ci and a sanitized producer beside the golden dump, valid against the Kubernetes schemas', () => {
    const dir = producerDist();
    const ci = docs(dir, CI);
    const cron = ci.find((d) => d.kind === 'CronJob' && d.metadata.name === SYNTHETIC);
    expect(cron.spec.suspend).toBe(true);
    expect(tmpl(cron).spec.serviceAccountName).toBe(SYNTHETIC);
    // Reads nothing from Vault: the agent only fetches the token that publishes.
    expect(Object.keys(tmpl(cron).metadata.annotations).filter((k) => k.includes('inject-secret'))).toEqual([]);
    expect(container(cron, 'synthetic-seed').env.map((e: any) => e.name)).not.toContain('PGHOST');
    const pv = ci.find((d) => d.kind === 'PersistentVolume' && d.metadata.name === 'tierkit-seed-crm-ci-synthetic-v1');
    expect(pv.spec.nfs).toEqual({ server: 'seeds.arcodange.lab', path: '/tierkit-seeds/crm/synthetic-v1', readOnly: false });
    const sql = ci.find((d) => d.kind === 'ConfigMap' && d.metadata.name === `${SYNTHETIC}-sql`);
    expect(sql.data['seed.sql']).toMatch(/^-- tierkit synthetic seed: app crm, synthetic:v1, seed 20261126/);

    const prod = docs(dir, PROD);
    const san = prod.find((d) => d.kind === 'CronJob' && d.metadata.name === SANITIZED);
    expect(tmpl(san).spec.volumes.find((v: any) => v.name === 'golden').persistentVolumeClaim).toEqual({ claimName: 'tierkit-seed-golden', readOnly: true });
    expect(tmpl(san).metadata.annotations[`${A}agent-inject-secret-seed`]).toBe('kvv2/data/tierkit-seeds/erp.golden');
    expect(envVar(san, 'sanitize', 'TIERKIT_SANITIZE_SQL').value).toContain("SELECT pg_temp.tk_mask('llx_societe', 'email', 'null', NULL);");
    expect(container(san, 'sanitize').env.map((e: any) => e.name)).not.toContain('PGHOST');
    expect(envVar(san, 'publish-seed-hash', 'TIERKIT_SEED_KV_NAME').value).toBe('tierkit-seeds/erp.sanitized-accounts');
    for (const d of [...ci, ...prod]) validateKubernetesObject(d);

    // Its Vault identity: its own hash secret, and the golden's hashes to read; bound to its own service account.
    const stack = JSON.parse(readFileSync(join(dir, 'terraform/erp/cdk.tf.json'), 'utf8'));
    expect(stack.resource.vault_policy.seed_producer_sanitized_accounts_policy.policy).toContain('path "kvv2/data/tierkit-seeds/erp.sanitized-accounts"');
    const role = stack.resource.vault_kubernetes_auth_backend_role.seed_producer_sanitized_accounts_auth_role;
    expect([role.bound_service_account_names, role.bound_service_account_namespaces]).toEqual([[SANITIZED], ['erp']]);
  });

  it('passes check: the example estate, and with a sanitized producer', async () => {
    expect(await seedFindings(cleanDist())).toEqual({});
    expect(await seedFindings(producerDist())).toEqual({});
  });
});

describe('TK138: a producer pod is exactly what tierkit renders', () => {
  const edit = (label: string, rel: string, name: string, fn: (o: any) => void) => new DistEdit(label, producerDist()).object(rel, 'CronJob', name, fn).dir;

  it('names sanitize SQL that is not tierkit\'s calls (a psql meta-command, a replaced verification)', async () => {
    for (const sql of ['\\! cp /golden/seed.dump /seeds/seed.dump', "SELECT pg_temp.tk_drop_orphans();\nDROP FUNCTION pg_temp.tk_verify();"]) {
      const got = await seedFindings(edit('sp-sql', PROD, SANITIZED, (o) => { envVar(o, 'sanitize', 'TIERKIT_SANITIZE_SQL').value = sql; }));
      expect(got).toEqual({ TK138: [expect.stringMatching(/its TIERKIT_SANITIZE_SQL is not tierkit's sanitize calls .*is not one of tierkit's sanitize calls/)] });
    }
  });

  it('names a delete predicate tierkit cannot read', async () => {
    const got = await seedFindings(edit('sp-pred', PROD, SANITIZED, (o) => {
      envVar(o, 'sanitize', 'TIERKIT_SANITIZE_SQL').value = "SELECT pg_temp.tk_delete('llx_societe', 'pg_read_file(''/etc/passwd'') IS NULL');";
    }));
    expect(got.TK138?.[0]).toMatch(/the delete predicate on llx_societe/);
  });

  it('names the golden mounted writable, an extra agent template, and the publish step writing another seed\'s hashes', async () => {
    const got = await seedFindings(edit('sp-pod', PROD, SANITIZED, (o) => {
      tmpl(o).spec.volumes.find((v: any) => v.name === 'golden').persistentVolumeClaim.readOnly = false;
      tmpl(o).metadata.annotations[`${A}agent-inject-template-x`] = '{{ with secret "database/creds/erp" }}{{ end }}';
      envVar(o, 'publish-seed-hash', 'TIERKIT_SEED_KV_NAME').value = 'tierkit-seeds/erp.golden';
    }));
    const msg = got.TK138?.join('\n') ?? '';
    expect(msg).toContain('volume "golden" is not one tierkit renders');
    expect(msg).toContain('annotation vault.hashicorp.com/agent-inject-template-x is not one tierkit renders');
    expect(msg).toContain('container "publish-seed-hash" sets TIERKIT_SEED_KV_NAME to "tierkit-seeds/erp.golden"');
  });

  it('names the synthetic producer given a database credential and another image', async () => {
    const got = await seedFindings(edit('sp-syn', CI, SYNTHETIC, (o) => {
      Object.assign(tmpl(o).metadata.annotations, { [`${A}agent-inject-secret-database`]: 'database/creds/crm', [`${A}agent-inject-template-database`]: 'x' });
      container(o, 'synthetic-seed').image = 'postgres:15';
    }));
    const msg = got.TK138?.join('\n') ?? '';
    expect(msg).toContain('annotation vault.hashicorp.com/agent-inject-secret-database is not one tierkit renders');
    expect(msg).toContain('container "synthetic-seed" runs image "postgres:15"');
  });

  it('names a backslash in the synthetic SQL ConfigMap (psql would run it as a meta-command)', async () => {
    const dir = new DistEdit('sp-cm', producerDist()).object(CI, 'ConfigMap', `${SYNTHETIC}-sql`, (o) => { o.data['seed.sql'] += '\\! id\n'; }).dir;
    expect((await seedFindings(dir)).TK138).toEqual([expect.stringContaining('holds a backslash')]);
  });

  it('names another pod of the namespace mounting the store writable, and a sanitize script run in a sandbox (TK135 leaves it to TK138)', async () => {
    const dir = new DistEdit('sp-other', producerDist())
      .object(CI, 'Deployment', 'crm', (o) => {
        o.spec.template.spec.volumes = [...(o.spec.template.spec.volumes ?? []), { name: 'x', persistentVolumeClaim: { claimName: 'tierkit-seed-synthetic-v1' } }];
      })
      .object('k8s/dev/erp-sandbox.k8s.yaml', 'CronJob', 'erp-sandbox-reset', (o) => {
        container(o, 'reset').command = ['/bin/bash', '-c', SANITIZE_SCRIPT];
      }).dir;
    const got = await seedFindings(dir);
    expect(got.TK138).toEqual([
      expect.stringMatching(/Deployment "crm-ci\/crm" writes seed "synthetic:v1" but is not tierkit's synthetic producer pod: it runs as service account/),
      expect.stringMatching(/CronJob "erp-sandbox\/erp-sandbox-reset" runs a seed producer script without its seed store/),
    ]);
  });
});

describe('TK131: only the producer\'s own PV on its store is writable', () => {
  it('names a second writable PV on the synthetic store in the producer\'s own namespace', async () => {
    const dir = new DistEdit('sp-second-pv', producerDist()).k8s(CI, (d) => {
      const pv = structuredClone(d.find((x) => x.kind === 'PersistentVolume'));
      pv.metadata.name = 'tierkit-seed-crm-ci-synthetic-v1-b';
      pv.spec.claimRef.name = 'other';
      return [...d, pv];
    }).dir;
    const got = await seedFindings(dir);
    expect(got.TK131).toEqual([expect.stringContaining('PersistentVolume "tierkit-seed-crm-ci-synthetic-v1-b" lets namespace "crm-ci"')]);
  });
});

describe('TK139: a producer runs where its data class allows, with its own identity only', () => {
  const stackEdit = (label: string, stack: string, fn: (json: any) => void) => {
    const e = new DistEdit(label, producerDist());
    const rel = `terraform/${stack}/cdk.tf.json`;
    const json = JSON.parse(readFileSync(join(e.dir, rel), 'utf8'));
    fn(json);
    return e.write(rel, `${JSON.stringify(json, null, 2)}\n`).dir;
  };

  it('names a producer policy that also reads prod\'s credential, and one that writes another seed\'s hashes (TK132 too)', async () => {
    const got = await seedFindings(stackEdit('sp-policy', 'erp', (j) => {
      const p = j.resource.vault_policy.seed_producer_sanitized_accounts_policy;
      p.policy += '\npath "database/creds/erp" {\n  capabilities = ["read"]\n}\npath "kvv2/data/tierkit-seeds/erp.golden" {\n  capabilities = ["update"]\n}\n';
    }));
    expect(got.TK139).toEqual([expect.stringMatching(/seed producer "erp-seed-sanitized-accounts" \(sanitized:accounts\): Vault policy "erp-seed-sanitized-accounts" grants .*database\/creds\/erp/)]);
    expect(got.TK132).toEqual([expect.stringContaining('reaches the seed hash "kvv2/data/tierkit-seeds/erp.golden"')]);
  });

  it('names the workload\'s auth role handing out the producer\'s policy', async () => {
    const got = await seedFindings(stackEdit('sp-role', 'crm-ci', (j) => {
      j.resource.vault_kubernetes_auth_backend_role.kubernetes_auth_role.token_policies.push('${vault_policy.seed_producer_synthetic_v1_policy.name}');
    }));
    expect(got.TK139).toEqual([expect.stringMatching(/auth role "auth\/kubernetes\/role\/crm-ci" .*hands out or takes the producer's name/)]);
  });

  it('refuses a manifest that moves the synthetic producer to prod, or the sanitized one to a dev env; its volume then is no producer\'s (TK131, TK138)', async () => {
    const dir = new DistEdit('sp-place', producerDist()).manifest((m) => {
      const ci = m.appEnvironments.find((e: any) => e.slug === 'crm-ci');
      const prod = m.appEnvironments.find((e: any) => e.slug === 'crm');
      prod.seedProducers = [{ seed: 'synthetic:v1', kind: 'synthetic', name: 'crm-seed-synthetic-v1' }];
      ci.seedProducers = [{ seed: 'sanitized:accounts', kind: 'sanitized', name: 'crm-ci-seed-sanitized-accounts' }];
    }).dir;
    const got = await seedFindings(dir);
    expect(got.TK139).toEqual(expect.arrayContaining([
      expect.stringContaining('producer "crm-seed-synthetic-v1" of seed "synthetic:v1" in crm (tier prod): runs on a live tier'),
      expect.stringContaining('producer "crm-ci-seed-sanitized-accounts" of seed "sanitized:accounts" in crm-ci (tier ci): does not run in its app\'s prod namespace'),
    ]));
    expect(got.TK131).toEqual([expect.stringContaining('PersistentVolume "tierkit-seed-crm-ci-synthetic-v1" lets namespace "crm-ci"')]);
    expect(got.TK138).toEqual([expect.stringContaining('the manifest declares no producer of it')]);
  });

  it('cannot be suppressed', async () => {
    const dir = new DistEdit('sp-supp', producerDist()).manifest((m) => {
      const ci = m.appEnvironments.find((e: any) => e.slug === 'crm-ci');
      ci.seedProducers = [{ seed: 'synthetic:v1', kind: 'synthetic', name: 'wrong-name' }];
      ci.suppressions = [{ ruleId: 'TK139', reason: 'we know what we are doing here' }, { ruleId: 'TK131', reason: 'we know what we are doing here' }];
    }).dir;
    const r = await check(dir);
    expect(findings(r, 'TK139').every((f) => !f.suppressed)).toBe(true);
    expect(findings(r, 'TK139')).toHaveLength(1);
    expect(findings(r, 'TK100').length).toBeGreaterThan(0);
  });
});
