import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { AdminKind, App, Estate, PostgresServer, Sandbox, SandboxKind, Tier } from '../../constructs';
import { synthesize } from '../../constructs/synth/synthesize';
import { writeDist } from '../../constructs/synth/write';
import { isSecretName } from '../../policies/rules/support/secret-names';
import { check, cleanDist, distWithFiles, env, findings, freshDir, handStack, synthDist } from './helpers';
import { TEST_CA_PEM } from '../support/ca';
import { editDist } from './rehash';

function misDeclaredEstate(): string {
  // A dev server declared with a real superuser admin: dev stacks apply automatically on merge.
  const estate = new Estate({
    name: 'test', domain: 'test.lab', vault: { address: 'https://vault.test.lab' },
    argocd: { repoUrl: 'https://git.test.lab/estate.git' }, ci: { repository: 'test/estate', repositoryId: '100001' },
  });
  new PostgresServer(estate, 'prod-pg', { host: 'pg-prod.test.lab', majorVersion: 16, tiers: [Tier.PROD], sslMode: 'verify-full', caCertificatePem: TEST_CA_PEM });
  new PostgresServer(estate, 'dev-pg', { host: 'pg-dev.test.lab', majorVersion: 18, adminKind: AdminKind.SUPERUSER, tiers: [Tier.DEV] });
  new App(estate, 'erp', { tiers: [Tier.DEV, Tier.PROD], objectPrefix: 'llx_', image: 'example/erp:1.0.0@sha256:' + 'e'.repeat(64) });
  const dir = freshDir('misdeclared');
  writeDist(dir, synthesize(estate).files);
  return dir;
}

describe('TK009 superuser provider gate', () => {
  it('passes the example estate, listing the loopback local stack as an exemption', async () => {
    const report = await check(cleanDist());
    expect(findings(report, 'TK009')).toEqual([]);
    expect(report.exceptions.filter((e) => e.subject.startsWith('TK009')).map((e) => e.constructPath)).toEqual(['arcodange/crm/local']);
  });

  it('catches a mis-declared estate whose automatically applied dev stack holds a superuser provider', async () => {
    const report = await check(misDeclaredEstate());
    expect(findings(report, 'TK009').map((f) => f.message)).toEqual([
      'stack "erp-dev" configures a superuser provider for pg-dev.test.lab but applies with gate "automatic-on-merge"',
    ]);
  });

  it('catches a hand-written stack whose provider leaves superuser at its default (true)', async () => {
    const dir = distWithFiles({ 'terraform/adhoc/cdk.tf.json': handStack({}, { host: 'pg-prod.arcodange.lab', username: '${var.u}', password: '${var.p}' }) });
    expect(findings(await check(dir), 'TK009').map((f) => f.message)).toEqual([
      'stack "adhoc" configures a superuser provider for pg-prod.arcodange.lab but applies outside the manifest (no gate at all)',
    ]);
  });
});

describe('TK010 literal secrets', () => {
  it('passes the example estate', async () => {
    expect(findings(await check(cleanDist()), 'TK010')).toEqual([]);
  });

  it('catches literal passwords in a provider, a KV secret, a connection URL and a Kubernetes Secret', async () => {
    const dir = synthDist((e) => env(e, 'crm', 'dev').addEscapeHatch((r) => {
      r.kvConfig.addOverride('data_json', JSON.stringify({ db_password: 'hunter2' }));
      r.vaultConnection.addOverride('postgresql.connection_url', 'postgresql://crm_dev_vault:s3cret@pg:5432/crm-dev');
    }));
    const withHand = join(dir, 'k8s/dev/extra.yaml');
    writeFileSync(withHand, 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: crm-dev\nstringData:\n  password: hunter2\n');
    const stackFile = join(dir, 'terraform/adhoc/cdk.tf.json');
    require('node:fs').mkdirSync(join(dir, 'terraform/adhoc'), { recursive: true });
    writeFileSync(stackFile, JSON.stringify(handStack({}, { host: 'localhost', superuser: false, username: 'admin', password: 'letmein' })));
    const messages = findings(await check(dir), 'TK010').map((f) => f.message);
    expect(messages).toEqual([
      'Secret crm-dev/db carries its values in the manifest',
      'terraform/adhoc/cdk.tf.json/provider/postgresql/0/password: literal value for "password"',
      'terraform/crm-dev/cdk.tf.json/resource/vault_database_secret_backend_connection/vault_connection/postgresql/connection_url: a password inside a URL',
      'terraform/crm-dev/cdk.tf.json/resource/vault_kv_secret_v2/kv_config/data_json: literal value for "db_password" inside data_json',
    ]);
  });
  it('reads every PostgreSQL spelling of a PASSWORD literal: E\'…\', U&\'…\', $$…$$, $tag$…$tag$, after a comment (attack10)', async () => {
    const hostile = [
      "CREATE ROLE a LOGIN PASSWORD E'pr-author\\'s';", 'CREATE ROLE b LOGIN PASSWORD $$pr-author-knows$$;', 'CREATE ROLE c LOGIN PASSWORD $t$x$t$;',
      "CREATE ROLE d LOGIN PASSWORD U&'x';", "CREATE ROLE e LOGIN PASSWORD /* c */ 'x';", "CREATE ROLE f LOGIN PASSWORD -- c\n 'x';",
      "CREATE ROLE g LOGIN PASSWORD '{{password}}'; CREATE ROLE h LOGIN password $$x$$;",
      // attack13: no gap before the quote (the lexer ends the keyword there), and N'…'.
      "CREATE ROLE l LOGIN PASSWORD'x';", "CREATE ROLE m LOGIN PASSWORD/* c */'x';", "CREATE ROLE n LOGIN PASSWORD N'x';",
    ];
    const vaultOnly = ["ALTER ROLE i PASSWORD E'{{password}}';", "ALTER ROLE o PASSWORD'{{password}}';", 'ALTER ROLE j PASSWORD $${{password}}$$;', 'ALTER ROLE k PASSWORD $T${{password}}$T$;'];
    const dir = editDist(cleanDist(), freshDir('tk010-spellings'), { crm: (j: any) => {
      j.resource.vault_database_secret_backend_role.vault_role.creation_statements.push(...hostile, ...vaultOnly);
    } });
    const n = JSON.parse(readFileSync(join(dir, 'terraform/crm/cdk.tf.json'), 'utf8')).resource.vault_database_secret_backend_role.vault_role.creation_statements.length;
    const first = n - hostile.length - vaultOnly.length;
    const messages = findings(await check(dir), 'TK010').map((f) => f.message);
    expect([...messages].sort()).toEqual(hostile.map((_, i) => `terraform/crm/cdk.tf.json/resource/vault_database_secret_backend_role/vault_role/creation_statements/${first + i}: a literal PASSWORD in SQL`).sort());
  });

  it.each([
    ...['PGPASSWORD', 'DB_PASS', 'API_TOKEN', 'SECRET_KEY', 'DB_PASSWORD', 'clientSecret', 'MYSQL_ROOT_PASSWORD', 'apiKey', 'private_key', 'password_wo', 'db.password']
      .map((n) => [n, true] as const),
    ...['PGPASSFILE', 'TIERKIT_CREDENTIALS_FILE', 'bypass_row_level_security', 'secretName', 'token_ttl', 'token_bound_cidrs',
      'password_wo_version', 'root_rotation_statements', 'AWS_ACCESS_KEY_ID', 'key', 'passthrough'].map((n) => [n, false] as const),
  ])('judges %s as secret-named: %s', (name, expected) => {
    expect(isSecretName(name)).toBe(expected);
  });

  it('catches literal env vars judged by their name (PGPASSWORD, DB_PASS, API_TOKEN, SECRET_KEY) in an edited and a hand-written manifest', async () => {
    const dir = distWithFiles({
      // Dropped into dist/ by hand: a worker with literal credentials next to a proper secretKeyRef.
      'k8s/dev/worker.k8s.yaml': [{
        apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'worker', namespace: 'shop-dev' },
        spec: { template: { spec: { containers: [{ name: 'w', image: 'x', env: [
          { name: 'DB_PASS', value: 'hunter2' },
          { name: 'API_TOKEN', value: 'ghp_abc123' },
          { name: 'SECRET_KEY', value: 'django-insecure' },
          { name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: 'redis', key: 'password' } } },
          { name: 'PGPASSWORD', value: '$(REDIS_PASSWORD)' },
          { name: 'PGPASSFILE', value: '/dev/null' },
        ] }] } } },
      }],
    });
    // A synthesized manifest edited after synthesis (as a hurried hotfix would).
    const file = join(dir, 'k8s/dev/erp-sandbox.k8s.yaml');
    const docs = parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS());
    const deployment = docs.find((d) => d.kind === 'Deployment');
    deployment.spec.template.spec.containers[0].env.unshift({ name: 'DB_PASSWORD', value: 'hunter2' });
    const pod = docs.find((d) => d.kind === 'CronJob').spec.jobTemplate.spec.template;
    pod.spec.initContainers[1].env.unshift({ name: 'PGPASSWORD', value: 'hunter2' });
    const template = 'vault.hashicorp.com/agent-inject-template-database';
    pod.metadata.annotations[template] = pod.metadata.annotations[template].replace("'{{ .Data.password }}'", "'hunter2'");
    writeFileSync(file, docs.map((d) => stringify(d)).join('---\n'));
    const found = findings(await check(dir), 'TK010');
    expect(found.map((f) => f.message)).toEqual([
      'Deployment erp-sandbox/erp: literal value for "DB_PASSWORD"',
      'CronJob erp-sandbox/erp-sandbox-reset: a literal "PGPASSWORD" assigned in the text',
      'CronJob erp-sandbox/erp-sandbox-reset: literal value for "PGPASSWORD"',
      'Deployment shop-dev/worker: literal value for "DB_PASS"',
      'Deployment shop-dev/worker: literal value for "API_TOKEN"',
      'Deployment shop-dev/worker: literal value for "SECRET_KEY"',
    ]);
    expect(found.find((f) => f.message.includes('DB_PASSWORD'))).toMatchObject({ file: 'k8s/dev/erp-sandbox.k8s.yaml', env: 'erp-sandbox' });
  });

});

describe('TK011 egress default deny', () => {
  it('passes the example estate', async () => {
    expect(findings(await check(cleanDist()), 'TK011')).toEqual([]);
  });

  it('catches an allow-all egress policy dropped next to the default deny, and a namespace without one', async () => {
    const dir = distWithFiles({
      'k8s/dev/extra.k8s.yaml': [
        { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'open', namespace: 'erp-dev' },
          spec: { podSelector: {}, policyTypes: ['Egress'], egress: [{}] } },
        { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'internet', namespace: 'shop-demo' },
          spec: { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }] }] } },
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'scratch' } },
      ],
    });
    expect(findings(await check(dir), 'TK011').map((f) => f.message)).toEqual([
      'NetworkPolicy erp-dev/open allows egress to every destination',
      'NetworkPolicy shop-demo/internet allows egress to 0.0.0.0/0, outside the demo allow list [] and the env\'s own Postgres server, Vault and API endpoints',
      'namespace "scratch" (tier unknown) has no default-deny egress NetworkPolicy',
    ]);
  });
});

describe('TK011 platform endpoints: the env\'s own, on their port only', () => {
  const egress = (name: string, namespace: string, cidr: string, port?: number, pods: Record<string, string> = {}) => ({
    apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace },
    spec: { podSelector: { matchLabels: pods }, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr } }], ...(port ? { ports: [{ protocol: 'TCP', port }] } : {}) }] },
  });

  it('accepts the synthesized endpoints (erp-sandbox reaches prod-pg, its own server) and inner CIDRs of an allow list', async () => {
    const dir = distWithFiles({ 'k8s/dev/extra.k8s.yaml': [egress('inner', 'crm-dev', '10.10.7.0/24', 443)] });
    expect(findings(await check(dir), 'TK011')).toEqual([]);
  });

  it('catches another env\'s server, the own server on every port, and the API server for workload pods', async () => {
    const dir = distWithFiles({
      'k8s/dev/extra.k8s.yaml': [
        // crm-dev's database is on nonprod-pg: prod-pg is not its server.
        egress('to-prod-pg', 'crm-dev', '10.20.5.10/32', 5432),
        // shop-demo (demo: egress denied) may reach its server on 5432 only.
        egress('own-pg-any-port', 'shop-demo', '10.10.5.10/32'),
        egress('api-for-workload', 'crm-alice', '10.0.1.0/28', 6443, { 'tierkit.io/app': 'crm', 'tierkit.io/env': 'alice' }),
      ],
    });
    expect(findings(await check(dir), 'TK011').map((f) => f.message).sort()).toEqual([
      'NetworkPolicy crm-alice/api-for-workload allows egress to 10.0.1.0/28, outside the dev allow list [10.10.0.0/16] and the env\'s own Postgres server, Vault and API endpoints',
      'NetworkPolicy crm-dev/to-prod-pg allows egress to 10.20.5.10/32, outside the dev allow list [10.10.0.0/16] and the env\'s own Postgres server, Vault and API endpoints',
      'NetworkPolicy shop-demo/own-pg-any-port allows egress to 10.10.5.10/32 (its Postgres server nonprod-pg) on ports other than TCP 5432',
    ]);
  });
});

describe('TK012 seed profile', () => {
  it('passes the example estate (the golden seed of erp-sandbox is a reasoned exception)', async () => {
    const report = await check(cleanDist());
    expect(findings(report, 'TK012')).toEqual([]);
    expect(report.exceptions.find((e) => e.property === 'seed')?.value).toBe('golden');
  });

  it('catches a golden seed whose exception was dropped from the manifest', async () => {
    const dir = distWithFiles({});
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    const sandbox = manifest.appEnvironments.find((e: { slug: string }) => e.slug === 'erp-sandbox');
    sandbox.exceptions = sandbox.exceptions.filter((x: { kind: string }) => x.kind !== 'seed');
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
    expect(findings(await check(dir), 'TK012').map((f) => f.message)).toEqual([
      'sandbox erp-sandbox (tier dev) is seeded "golden" (live), which tier dev does not allow (synthetic, sanitized) and no reasoned exception covers',
    ]);
  });

  it('catches a hand-written sandbox namespace seeded from golden', async () => {
    const dir = distWithFiles({
      'k8s/ci/rogue.k8s.yaml': [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'crm-rogue', labels: { 'tierkit.io/tier': 'ci' }, annotations: { 'tierkit.io/seed': 'golden' } } }],
    });
    expect(findings(await check(dir), 'TK012').map((f) => f.message)).toEqual([
      'namespace "crm-rogue" outside the manifest is seeded "golden" on tier ci: no declared, reasoned exception can cover it',
    ]);
  });
});

describe('TK013 sandbox TTL', () => {
  it('passes the example estate at a time when every sandbox is alive', async () => {
    expect(findings(await check(cleanDist()), 'TK013')).toEqual([]);
  });


  it('catches a TTL over the tier maximum without a reasoned exception (hand-edited manifest)', async () => {
    const dir = distWithFiles({});
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    const sb = manifest.appEnvironments.find((e: { slug: string }) => e.slug === 'shop-alice').sandbox;
    sb.ttlHours = 500;
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
    expect(findings(await check(dir), 'TK013').map((f) => f.message)).toEqual([
      'sandbox shop-alice (tier dev) lives 500h, over the dev maximum of 168h, without a reasoned exception',
    ]);
  });
});

describe('TK015 sandbox expired', () => {
  it('passes the example estate at a time when every sandbox is alive', async () => {
    expect(findings(await check(cleanDist()), 'TK015')).toEqual([]);
  });

  it('warns about the CI branch sandbox once --now passes its expiry, without failing the check', async () => {
    const report = await check(cleanDist(), new Date('2026-11-22T09:30:00Z'));
    expect(findings(report, 'TK015').map((f) => `${f.severity} ${f.message}`)).toEqual([
      'warning sandbox crm-br-lead-scoring (tier ci) of bob expired at 2026-11-22T09:30:00.000Z (evaluated at 2026-11-22T09:30:00.000Z)',
    ]);
    expect(report.summary.errors).toBe(0);
  });

  it('catches a sandbox declared long ago', async () => {
    const dir = synthDist((e) => {
      const crm = e.node.tryFindChild('crm') as App;
      new Sandbox(crm, 'old', { tier: Tier.DEV, kind: SandboxKind.ENGINEER, owner: 'team-growth', createdAt: '2026-01-01' });
    });
    expect(findings(await check(dir), 'TK015').map((f) => f.message)).toEqual([
      'sandbox crm-old (tier dev) of team-growth expired at 2026-01-04T00:00:00.000Z (evaluated at 2026-11-22T06:00:00.000Z)',
    ]);
    expect(findings(await check(dir), 'TK013')).toEqual([]);
  });
});
