import { describe, expect, it } from 'vitest';
import { AdminKind, App, Estate, PostgresServer, Sandbox, SandboxKind, Tier, synthesize, validateEstate } from '../../constructs';
import type { PreviewSettings } from '../../constructs/previews';
import { TEST_CA_PEM } from '../support/ca';
import { parseAllDocuments } from 'yaml';
import { POD_PG_CA_FILE } from '../../contract/pg-ca';

// Per-PR previews as declared (docs/previews.md): what validation refuses, each issue naming the
// construct path, the property, the value and the fix; and where synthesis puts the pieces.

function estate(nonprodMajor = 18, legacyCreateRoleReason?: string): Estate {
  const e = new Estate({
    name: 'test', domain: 'test.lab', vault: { address: 'https://vault.test.lab' },
    argocd: { repoUrl: 'https://git.test.lab/estate.git' }, ci: { repository: 'test/estate', repositoryId: '100001' },
  });
  new PostgresServer(e, 'prod-pg', { host: 'pg-prod.test.lab', majorVersion: 16, tiers: [Tier.PROD], sslMode: 'verify-full', caCertificatePem: TEST_CA_PEM });
  new PostgresServer(e, 'nonprod-pg', {
    host: 'pg-nonprod.test.lab', majorVersion: nonprodMajor, adminKind: AdminKind.MANAGED, adminRole: 'tierkit_admin',
    tiers: [Tier.CI, Tier.DEV, Tier.DEMO, Tier.STAGING], legacyCreateRoleReason,
  });
  return e;
}

function erp(e: Estate, previews: Partial<PreviewSettings> | undefined = { tier: Tier.DEV }, tiers = [Tier.DEV, Tier.PROD]): App {
  return new App(e, 'erp', { tiers, objectPrefix: 'llx_', image: 'example/erp:1.0.0@sha256:' + 'e'.repeat(64), previews: previews as PreviewSettings });
}

const issues = (e: Estate) => validateEstate(e).map((i) => ({ path: i.path, property: i.property, value: i.value, message: i.message, fix: i.fix }));

describe('App previews: validation', () => {
  it('an app with previews on a PostgreSQL 18 dev server validates', () => {
    const e = estate();
    erp(e, { tier: Tier.DEV, maxOpen: 5, label: 'needs preview', requeueAfterSeconds: 120 });
    expect(issues(e)).toEqual([]);
  });

  it('accepts the collector window at its bounds (1 and 2160 hours) and names the prop, value and fix outside them', () => {
    for (const ok of [1, 2160]) {
      const e = estate();
      erp(e, { tier: Tier.DEV, orphanAfterHours: ok });
      expect(issues(e), String(ok)).toEqual([]);
    }
    const e = estate();
    erp(e, { tier: Tier.DEV, orphanAfterHours: 2161 });
    expect(issues(e)).toEqual([{ path: 'test/erp', property: 'previews.orphanAfterHours', value: 2161, message: 'is not a whole number of hours from 1 to 2160', fix: 'e.g. orphanAfterHours: 72' }]);
  });

  it('refuses an app name whose per-PR Job name would exceed a label value (63 characters), naming the app, prop and fix', () => {
    const e = estate();
    const name = 'a'.repeat(34);
    new App(e, name, { tiers: [Tier.DEV], objectPrefix: 'llx_', image: 'example/erp:1.0.0@sha256:' + 'e'.repeat(64), previews: { tier: Tier.DEV } });
    expect(issues(e)).toContainEqual({
      path: `test/${name}`, property: 'previews.tier', value: 'dev',
      message: `the preview Job "${name}-previews-create-pr-9999999999" would be 64 characters; a Job's name is its pods' job-name label, at most 63`,
      fix: 'shorten the app name',
    });
    const ok = estate();
    new App(ok, 'a'.repeat(33), { tiers: [Tier.DEV], objectPrefix: 'llx_', image: 'example/erp:1.0.0@sha256:' + 'e'.repeat(64), previews: { tier: Tier.DEV } });
    expect(issues(ok).filter((i) => i.message.includes('preview Job'))).toEqual([]);
  });

  it('refuses a server before PostgreSQL 16, whatever reason the server gives for its other roles', () => {
    const e = estate(15, 'a legacy dev server we accept for env connections');
    erp(e);
    const found = issues(e);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ path: 'test/erp', property: 'previews.tier', value: 'dev' });
    expect(found[0].message).toMatch(/PostgreSQL 16\+ \(server nonprod-pg is 15\)/);
    expect(found[0].fix).toMatch(/upgrade server nonprod-pg to 16/);
  });

  it('refuses the prod tier (live data) and a tier the app does not run in', () => {
    const e1 = estate();
    erp(e1, { tier: Tier.PROD });
    expect(issues(e1).map((i) => [i.property, i.value])).toContainEqual(['previews.tier', 'prod']);
    const e2 = estate();
    erp(e2, { tier: Tier.DEMO });
    const found = issues(e2);
    expect(found).toHaveLength(1);
    expect(found[0].message).toMatch(/does not run in tier demo/);
  });

  it('refuses previews on a server that also holds live data', () => {
    const e = new Estate({
      name: 'test', domain: 'test.lab', vault: { address: 'https://vault.test.lab' },
      argocd: { repoUrl: 'https://git.test.lab/estate.git' }, ci: { repository: 'test/estate', repositoryId: '100001' },
    });
    new PostgresServer(e, 'one-pg', { host: 'pg.test.lab', majorVersion: 18, tiers: [Tier.DEV, Tier.PROD], sslMode: 'verify-full', caCertificatePem: TEST_CA_PEM });
    erp(e);
    const found = issues(e);
    expect(found.map((i) => [i.property, i.value])).toEqual([['previews.tier', 'dev']]);
    expect(found[0].message).toMatch(/server one-pg holds live data/);
  });

  it('refuses a cap, a label and a requeue interval out of range', () => {
    for (const [prop, value] of [['maxOpen', 0], ['maxOpen', 21], ['maxOpen', 2.5], ['label', 'a,b'], ['label', ''], ['label', ' x'],
      ['requeueAfterSeconds', 5], ['requeueAfterSeconds', 86400], ['orphanAfterHours', 0], ['orphanAfterHours', 2161], ['orphanAfterHours', 1.5],
      ['orphanAfterHours', -72]] as const) {
      const e = estate();
      erp(e, { tier: Tier.DEV, [prop]: value });
      const found = issues(e);
      expect(found, `${prop}=${value}`).toHaveLength(1);
      expect(found[0]).toMatchObject({ path: 'test/erp', property: `previews.${prop}`, value });
      expect(found[0].fix.length).toBeGreaterThan(0);
    }
  });

  it('refuses a declared env (of this app or another) whose names fall under the previews\' `<app>-pr-` prefix', () => {
    const e = estate();
    const app = erp(e);
    new Sandbox(app, 'pr-7', { tier: Tier.DEV, kind: SandboxKind.BRANCH, owner: 'alice', createdAt: '2026-11-20' });
    new App(e, 'erp-pr', { tiers: [Tier.DEV], objectPrefix: 'x_', image: 'example/x:1' });
    const found = issues(e).filter((i) => i.property === 'env');
    expect(found.map((i) => [i.path, i.value])).toEqual([['test/erp/pr-7', 'pr-7'], ['test/erp-pr/dev', 'dev']]);
    expect(found[1].message).toMatch(/"erp-pr-dev", a name of app erp's previews/);
  });

  it('refuses a declared env deriving the previews\' home names (`<app>-previews`: database, connection, Jobs\' policy)', () => {
    const e = estate();
    const app = erp(e);
    new Sandbox(app, 'previews', { tier: Tier.DEV, kind: SandboxKind.TEAM, owner: 'team', createdAt: '2026-11-20' });
    new App(e, 'erp-previews', { tiers: [Tier.PROD], objectPrefix: 'x_', image: 'example/x:1@sha256:' + 'e'.repeat(64) });
    const found = issues(e).filter((i) => i.property === 'env');
    expect(found.map((i) => [i.path, i.value])).toEqual([['test/erp/previews', 'previews'], ['test/erp-previews/prod', 'prod']]);
    expect(found[0].message).toMatch(/"erp-previews", the name of app erp's preview home database/);
  });

  it('type problems of the nested props are issues, not exceptions', () => {
    const e = estate();
    erp(e, { tier: 'dev' as unknown as Tier });
    expect(issues(e).map((i) => i.property)).toEqual(['previews.tier']);
  });
});

describe('App previews: synthesis', () => {
  it('puts the preview admin, its home database, connection and the Jobs\' identity in the stack of the app\'s env in the previews\' tier only', () => {
    const e = estate();
    erp(e, { tier: Tier.DEV, maxOpen: 4 });
    const files = synthesize(e).files;
    const dev = JSON.parse(files.get('terraform/erp-dev/cdk.tf.json')!);
    const prod = JSON.parse(files.get('terraform/erp/cdk.tf.json')!);
    const role = dev.resource.postgresql_role.preview_admin;
    expect([role.name, role.login, role.create_database, role.create_role, role.superuser, role.roles]).toEqual(['erp_preview_admin', true, true, true, undefined, undefined]);
    const conn = dev.resource.vault_database_secret_backend_connection.preview_connection;
    expect(conn.allowed_roles).toEqual(['erp-pr-*']);
    expect(conn.postgresql.connection_url).toContain('/erp-previews?');
    expect(dev.resource.vault_kubernetes_auth_backend_role.preview_jobs_auth_role.bound_service_account_namespaces).toEqual(['tierkit-previews']);
    expect(JSON.stringify(prod)).not.toContain('preview');
  });
});

describe('App previews: a verify-full previews server', () => {
  // Every step that runs psql carries the server's CA and writes it where PGSSLROOTCERT points (its
  // /tmp volume) before its first psql; before, only the seed step did, and create, drain and drop
  // could not connect (test/pg/verify-full.test.ts runs the scripts against a TLS server).
  it('each database step of the preview Jobs writes the CA it carries before its first psql', () => {
    const e = new Estate({
      name: 'test', domain: 'test.lab', vault: { address: 'https://vault.test.lab' },
      argocd: { repoUrl: 'https://git.test.lab/estate.git' }, ci: { repository: 'test/estate', repositoryId: '100001' },
    });
    new PostgresServer(e, 'prod-pg', { host: 'pg-prod.test.lab', majorVersion: 16, tiers: [Tier.PROD], sslMode: 'verify-full', caCertificatePem: TEST_CA_PEM });
    new PostgresServer(e, 'nonprod-pg', {
      host: 'pg-nonprod.test.lab', majorVersion: 18, adminKind: AdminKind.MANAGED, adminRole: 'tierkit_admin', tiers: [Tier.DEV], sslMode: 'verify-full', caCertificatePem: TEST_CA_PEM,
    });
    erp(e);
    expect(issues(e)).toEqual([]);
    const objects: any[] = parseAllDocuments(synthesize(e).files.get('k8s/dev/previews/erp/preview.k8s.yaml')!).map((d) => d.toJS());
    const steps = ['erp-previews-create', 'erp-previews-drop'].flatMap((name) => {
      const spec = objects.find((o) => o.kind === 'Job' && o.metadata.name === name).spec.template.spec;
      return [...(spec.initContainers ?? []), ...spec.containers];
    }).filter((c) => c.command.join(' ').includes('psql'));
    expect(steps.map((c) => c.name)).toEqual(['create-database', 'drain-database', 'drop-database']);
    for (const c of steps) {
      const env = Object.fromEntries(c.env.map((v: any) => [v.name, v.value]));
      expect([env.PGSSLMODE, env.PGSSLROOTCERT], c.name).toEqual(['verify-full', POD_PG_CA_FILE]);
      expect(Buffer.from(env.TIERKIT_PG_CA_BASE64, 'base64').toString('utf8'), c.name).toBe(TEST_CA_PEM);
      expect(c.volumeMounts, c.name).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
      const script: string = c.command[c.command.length - 1];
      const write = script.indexOf('base64 -d > "${PGSSLROOTCERT');
      expect(write, c.name).toBeGreaterThan(0);
      expect(write, c.name).toBeLessThan(script.indexOf('psql '));
    }
  });
});
