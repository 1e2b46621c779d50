import { beforeAll, describe, expect, it } from 'vitest';
import { sandboxExpiryGuard } from '../../contract/vault-statements';
import { Unknown } from '../../contract/terraform/unknown';
import { AppEnvironment } from '../../constructs';
import { PostgresqlGrant } from '../../constructs/cdktf';
import * as naming from '../../constructs/naming';
import { synthesize } from '../../constructs/synth/synthesize';
import exampleEstate from '../../environments';
import type { ManifestAppEnvironment } from '../../constructs/synth/manifest';
import { DistContents, TerraformResource } from '../../policies/dist';
import { synthToDist } from '../support/synth';

let dist: DistContents;
beforeAll(() => {
  dist = synthToDist();
});

function stackOf(env: ManifestAppEnvironment) {
  const stack = dist.stacks.find((s) => s.name === env.stack);
  if (!stack) throw new Error(`no stack ${env.stack}`);
  return stack;
}

function resource(env: ManifestAppEnvironment, type: string, pick: (r: TerraformResource) => boolean = () => true): Record<string, any> {
  // The env's own resources: its app's preview pieces (`preview_*`) are judged by test/estate/previews.test.ts and TK170–TK172.
  const hits = stackOf(env).resources.filter((r) => r.type === type && !r.name.startsWith('preview_') && pick(r));
  expect(hits, `${env.slug}: exactly one ${type}`).toHaveLength(1);
  return hits[0].attributes;
}

function envs(): readonly ManifestAppEnvironment[] {
  return dist.manifest.appEnvironments;
}

describe('the example estate', () => {
  it('declares the decision record coordinates with the naming table’s names', () => {
    const byslug = new Map(envs().map((e) => [e.slug, e]));
    const prod = byslug.get('erp')!;
    const sandbox = byslug.get('erp-sandbox')!;
    expect(prod.names).toMatchObject({
      database: 'erp', groupRole: 'erp_role', vaultCredsPath: 'postgres/creds/erp', kvPath: 'kvv2/erp/config',
      host: 'erp.arcodange.lab', namespace: 'erp', argoApplication: 'erp',
    });
    expect(sandbox.names).toMatchObject({
      database: 'erp-sandbox', groupRole: 'erp_sandbox_role', vaultCredsPath: 'postgres/creds/erp-sandbox',
      kvPath: 'kvv2/erp-sandbox/config', host: 'erp-sandbox.arcodange.lab', namespace: 'erp-sandbox', argoApplication: 'erp-sandbox',
    });
    expect(sandbox.sandbox).toMatchObject({ seed: 'golden', owner: 'arcodange' });
    expect(sandbox.exceptions.map((x) => x.kind)).toContain('seed');
    expect(sandbox.server).toBe(prod.server);
  });

  it('gates every stack that reaches the prod server behind the prod gate, and the non-prod server automatically', () => {
    const stack = (name: string) => dist.manifest.stacks.find((s) => s.name === name)!;
    expect(stack('erp-sandbox')).toMatchObject({ tier: 'dev', gatingTier: 'prod', applyGate: 'two-approvals', humanGate: true });
    expect(stack('erp-dev')).toMatchObject({ tier: 'dev', gatingTier: 'dev', humanGate: false });
    expect(stack('shop-demo')).toMatchObject({ tier: 'demo', gatingTier: 'dev', humanGate: false });
    expect(stack('platform')).toMatchObject({ gatingTier: 'prod', humanGate: true });
  });
});

describe('Postgres isolation in every app-environment stack', () => {
  it('the decision record’s prod database has a read-only golden dump role', () => {
    const erp = envs().find((e) => e.slug === 'erp')!;
    expect(stackOf(erp).resources.some((r) => r.attributes.name === erp.names.goldenDumpRole)).toBe(true);
  });

  it('each database is owned by its own env’s NOLOGIN group role', () => {
    for (const env of envs()) {
      const db = resource(env, 'postgresql_database');
      expect(db.name).toBe(env.names.database);
      expect(db.owner, env.slug).toBe(env.names.groupRole);
      const group = resource(env, 'postgresql_role', (r) => r.attributes.name === env.names.groupRole);
      expect(group.login).toBe(false);
      for (const attr of ['superuser', 'create_database', 'create_role', 'replication', 'bypass_row_level_security']) {
        expect(group[attr] ?? false, `${env.slug} group ${attr}`).toBe(false);
      }
    }
  });

  it('revokes everything from PUBLIC and grants CONNECT to the env’s group and the CI planners’ read-only group only', () => {
    for (const env of envs()) {
      // (The preview home database's grants are judged by test/estate/previews.test.ts and TK170.)
      const all = stackOf(env).resources.filter((r) => r.type === 'postgresql_grant' && !r.name.startsWith('preview_')).map((r) => r.attributes);
      // The server's own databases (TK041): PUBLIC revoked there too, nothing granted.
      const maintenance = all.filter((g) => g.database === 'postgres' || g.database === 'template1');
      expect(maintenance.map((g) => [g.database, g.role, g.object_type, g.privileges]).sort(), env.slug).toEqual([
        ['postgres', 'public', 'database', []], ['template1', 'public', 'database', []],
      ]);
      const grants = all.filter((g) => !maintenance.includes(g));
      expect(grants.every((g) => g.database === env.names.database && g.object_type === 'database')).toBe(true);
      const byRole = new Map(grants.map((g) => [g.role, g.privileges]));
      expect(byRole.get('public'), env.slug).toEqual([]);
      expect(byRole.get(env.names.groupRole), env.slug).toEqual(['CONNECT']);
      // The planners' group (contract/planner.ts): CONNECT, so a plan can refresh this database's grants.
      expect(byRole.get('tierkit_planner'), env.slug).toEqual(['CONNECT']);
      // The only other grantee allowed: the env's own read-only golden dump role (prod, when a sandbox seeds from it).
      const others = [...byRole.keys()].filter((r) => r !== 'public' && r !== env.names.groupRole && r !== 'tierkit_planner');
      expect(others, env.slug).toEqual(byRole.has(env.names.goldenDumpRole) ? [env.names.goldenDumpRole] : []);
      if (others.length > 0) {
        expect(env.tier).toBe('prod');
        expect(byRole.get(env.names.goldenDumpRole)).toEqual(['CONNECT']);
        const golden = resource(env, 'postgresql_role', (r) => r.attributes.name === env.names.goldenDumpRole);
        expect(golden.roles).toEqual(['pg_read_all_data']);
        for (const attr of ['superuser', 'create_database', 'create_role', 'replication', 'bypass_row_level_security']) {
          expect(golden[attr] ?? false, `golden ${attr}`).toBe(false);
        }
      }
    }
  });

  it('gives the Vault connection user LOGIN CREATEROLE and ADMIN OPTION on its own group only', () => {
    for (const env of envs()) {
      const conn = resource(env, 'postgresql_role', (r) => r.attributes.name === env.names.vaultConnectionRole);
      expect(conn).toMatchObject({ login: true, create_role: true });
      expect(conn.superuser ?? false).toBe(false);
      expect(conn.create_database ?? false).toBe(false);
      expect(conn.password, 'no password may be sent on every apply').toBeUndefined();
      // The reader evaluates attributes (contract/, #10): a variable without a default is an Unknown, shown as written.
      expect(conn.password_wo).toBeInstanceOf(Unknown);
      expect(String(conn.password_wo)).toBe('${var.vault_connection_password}');
      const grants = stackOf(env).resources.filter((r) => r.type === 'postgresql_grant_role').map((r) => r.attributes);
      const server = dist.manifest.servers.find((s) => s.id === env.server)!;
      const expected = [
        expect.objectContaining({ role: env.names.vaultConnectionRole, grant_role: env.names.groupRole, with_admin_option: true }),
        // A managed server's provider role joins the group (inheriting; on 16+ the read-back may show its creator link's admin option).
        ...(server.superuser ? [] : [{ role: server.adminRole, grant_role: env.names.groupRole, lifecycle: { ignore_changes: ['with_admin_option'] }, '//': expect.anything() }]),
      ];
      expect(grants).toHaveLength(expected.length);
      expect(grants).toEqual(expect.arrayContaining(expected));
    }
  });

  it('on a managed server, makes the provider role a member of the group before the database and its grants', () => {
    const managed = envs().filter((e) => !dist.manifest.servers.find((s) => s.id === e.server)!.superuser);
    expect(managed.length).toBeGreaterThan(5);
    for (const env of managed) {
      for (const r of stackOf(env).resources.filter((x) => x.type === 'postgresql_database' || x.type === 'postgresql_grant')) {
        expect(r.raw.depends_on, `${env.slug} ${r.address}`).toEqual(['postgresql_grant_role.provider_owner_membership']);
      }
    }
  });

  it('makes a grant added by an escape hatch wait for the managed provider membership too', () => {
    const e = exampleEstate();
    const env = e.node.findAll().find((c): c is AppEnvironment => c instanceof AppEnvironment && c.slug === 'crm-dev')!;
    env.addEscapeHatch((r) => {
      new PostgresqlGrant(r.stack, 'extra_temp', { database: r.database.name, role: r.groupRole.name, objectType: 'database', privileges: ['TEMPORARY'] });
    });
    const stack = JSON.parse(synthesize(e).files.get(naming.dist.terraformStack('crm-dev'))!);
    expect(stack.resource.postgresql_grant.extra_temp.depends_on).toEqual(['postgresql_grant_role.provider_owner_membership']);
  });

  it('never writes a literal admin credential: the provider reads variables (a managed server names its admin role)', () => {
    for (const stack of dist.stacks) {
      const server = dist.manifest.servers.find((s) => s.id === dist.manifest.stacks.find((x) => x.name === stack.name)?.server);
      for (const provider of stack.json.provider?.postgresql ?? []) {
        expect(provider.password).toBe('${var.pg_admin_password}');
        expect(provider.username).toBe(server?.adminRole ?? '${var.pg_admin_username}');
      }
      expect(JSON.stringify(stack.json.terraform.backend)).not.toContain(process.cwd());
    }
  });
});

describe('Vault pieces of every app-environment stack', () => {
  it('creates only a LOGIN role that expires, is IN ROLE its own group, and acts as it (capped, with timeout defaults, below prod)', () => {
    for (const env of envs()) {
      // The env's own role; prod may also hold its app's promote role (issue 17, test/policies/promote-credential.test.ts).
      const role = resource(env, 'vault_database_secret_backend_role', (r) => r.name === 'vault_role');
      const group = `"${env.names.groupRole}"`;
      expect(role.name).toBe(env.names.vaultRole);
      expect(role.db_name).toBe(env.names.vaultConnection);
      const capped = env.tier !== 'prod';
      expect(role.creation_statements).toEqual([
        `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'${capped ? ' CONNECTION LIMIT 10' : ''} IN ROLE ${group};`,
        `ALTER ROLE "{{name}}" SET ROLE ${group};`,
        ...(capped ? [
          `ALTER ROLE "{{name}}" SET statement_timeout = '300s';`,
          `ALTER ROLE "{{name}}" SET idle_in_transaction_session_timeout = '300s';`,
        ] : []),
        // Where the server declares the platform's temp_file_limit role (prod-pg: erp-sandbox).
        ...(capped && dist.manifest.servers.find((s) => s.id === env.server)?.tempFileLimitRole ? [`ALTER ROLE "{{name}}" SET temp_file_limit = '1048576kB';`] : []),
        // A sandbox's credential: none after its expiry, VALID UNTIL no later than it (issue 18).
        ...(env.sandbox ? [sandboxExpiryGuard(env.slug, env.sandbox.expiresAt)] : []),
      ]);
      expect(resource(env, 'postgresql_database').connection_limit).toBe(capped ? 20 : undefined);
      expect(role.revocation_statements.length).toBeGreaterThan(0);
      expect(role.revocation_statements.at(-1)).toMatch(/^DROP ROLE (IF EXISTS )?"\{\{name\}\}";$/);
      const tier = dist.manifest.tiers.find((t) => t.name === env.tier)!;
      expect(role.default_ttl).toBe(tier.secretTtl.defaultSeconds);
      expect(role.max_ttl).toBe(tier.secretTtl.maxSeconds);
    }
  });

  it('lets each connection issue only its own env’s role', () => {
    for (const env of envs()) {
      const conn = resource(env, 'vault_database_secret_backend_connection');
      expect(conn.name).toBe(env.names.vaultConnection);
      // …and, on prod of an app with a promote credential, that declared role (TK160 judges its statements).
      expect(conn.allowed_roles).toEqual([env.names.vaultRole, ...(env.promote ? [env.promote.name] : [])]);
      expect(conn.postgresql.username).toBe(env.names.vaultConnectionRole);
      expect(conn.postgresql.connection_url).toContain(`/${env.names.database}?`);
    }
  });

  it('scopes each env’s policy to its own creds and config paths, exactly', () => {
    for (const env of envs()) {
      const policy = resource(env, 'vault_policy', (r) => r.attributes.name === env.names.vaultPolicy);
      const paths = [...String(policy.policy).matchAll(/path "([^"]+)"/g)].map((m) => m[1]).sort();
      expect(paths).toEqual([
        `kvv2/data/${env.slug}/config`, `kvv2/metadata/${env.slug}/config`, env.names.vaultCredsPath,
      ].sort());
      expect(String(policy.policy)).not.toMatch(/[*+]/);
      const kv = resource(env, 'vault_kv_secret_v2', (r) => r.attributes.name === `${env.slug}/config`);
      expect(`${kv.mount}/${kv.name}`).toBe(env.names.kvPath);
      expect(kv.data_json).not.toMatch(/password|secret|token/i);
    }
  });

  it('binds each Kubernetes auth role to its own namespace, service account and policy', () => {
    for (const env of envs()) {
      const auth = resource(env, 'vault_kubernetes_auth_backend_role', (r) => r.attributes.role_name === env.names.kubernetesAuthRole);
      expect(auth).toMatchObject({
        role_name: env.names.kubernetesAuthRole,
        bound_service_account_names: [env.names.serviceAccount],
        bound_service_account_namespaces: [env.names.namespace],
        token_policies: [env.names.vaultPolicy],
      });
    }
  });

  it('gives each gated tier a CI applier bound to the repo and its GitHub environment, reaching only its stacks', () => {
    const prod = dist.stacks.find((s) => s.name === naming.tierPlatformStackName('prod'))!;
    const role = prod.resources.find((r) => r.type === 'vault_jwt_auth_backend_role' && r.attributes.role_name === 'tierkit-apply-prod')!.attributes;
    expect(role.bound_claims).toEqual({
      repository: 'arcodange/estate', repository_id: '812347795', environment: 'prod', ref: 'refs/heads/main', event_name: 'push',
      job_workflow_ref: 'arcodange/estate/.github/workflows/tierkit-apply.yml@refs/heads/main',
    });
    expect(role.bound_claims_type).toBe('string');
    const policy = String(prod.resources.find((r) => r.type === 'vault_policy' && r.attributes.name === 'tierkit-apply-prod')!.attributes.policy);
    expect(policy).toContain('path "postgres/roles/erp-sandbox"');
    expect(policy).toContain('path "kvv2/data/tierkit/postgres-admin/prod-pg"');
    const dev = dist.stacks.find((s) => s.name === naming.tierPlatformStackName('dev'))!;
    const devPolicy = String(dev.resources.find((r) => r.type === 'vault_policy' && r.attributes.name === 'tierkit-apply-dev')!.attributes.policy);
    expect(devPolicy).toContain('path "postgres/roles/erp-dev"');
    expect(devPolicy).not.toMatch(/"postgres\/(roles|config)\/erp"|erp-sandbox|postgres-admin\/prod-pg/);
  });
});

describe('CI appliers reach every Vault object of the stacks they apply', () => {
  /** The Vault API paths a resource is written at, read from the artifact itself (not from the naming module). */
  function apiPaths(r: TerraformResource): string[] {
    const a = r.attributes as Record<string, any>;
    switch (r.type) {
      // rotate-root: the apply job rotates a new connection's first password away.
      // (Not the preview connection: it is never rotated — docs/previews.md; the apply job's rotate step skips it.)
      case 'vault_database_secret_backend_connection': return [`${a.backend}/config/${a.name}`, ...(r.name === 'preview_connection' ? [] : [`${a.backend}/rotate-root/${a.name}`])];
      case 'vault_database_secret_backend_role': return [`${a.backend}/roles/${a.name}`];
      // disable_read (the preview admin's secret, TK173): the provider never reads it, nor its metadata
      // (resource_kv_secret_v2.go: metadata only on read, custom_metadata or delete_all_versions).
      case 'vault_kv_secret_v2': return [`${a.mount}/data/${a.name}`, ...(a.disable_read === true && a.custom_metadata === undefined && a.delete_all_versions !== true ? [] : [`${a.mount}/metadata/${a.name}`])];
      case 'vault_policy': return [`sys/policies/acl/${a.name}`];
      case 'vault_kubernetes_auth_backend_role': return [`auth/${a.backend}/role/${a.role_name}`];
      default:
        expect(r.type.startsWith('vault_'), `unknown Vault resource ${r.type}: teach this test its API path`).toBe(false);
        return [];
    }
  }

  it('the applier policy of each stack’s gating tier names every Vault path the stack writes (lifecycle objects included)', () => {
    let checked = 0;
    for (const env of envs()) {
      const { gatingTier: gating, applyGate } = dist.manifest.stacks.find((s) => s.name === env.stack)!;
      if (applyGate === 'none') continue; // applied by hand (local tier): no CI applier
      const platform = dist.stacks.find((s) => s.name === naming.tierPlatformStackName(gating))!;
      const policy = String(platform.resources.find((r) => r.type === 'vault_policy')!.attributes.policy);
      const granted = new Set([...policy.matchAll(/path "([^"]+)"/g)].map((m) => m[1]));
      for (const r of stackOf(env).resources) {
        for (const path of apiPaths(r)) {
          expect(granted.has(path), `${env.stack}: ${r.address} is written at ${path}, which the ${gating} applier cannot reach`).toBe(true);
          checked++;
        }
      }
    }
    // erp (golden dump) and the sandboxes (reset) bring lifecycle paths: the test must see them.
    expect(checked).toBeGreaterThan(envs().length * 6);
  });
});

describe('Kubernetes manifests of every app-environment', () => {
  const objectsOf = (env: ManifestAppEnvironment) =>
    dist.kubernetes.filter((o) => o.file === naming.dist.k8sAppEnvironment(env.tier, env)).map((o) => o.object);

  it('puts everything in the env’s namespace, with its service account and Vault role', () => {
    for (const env of envs()) {
      const objects = objectsOf(env);
      const ns = objects.filter((o) => o.kind === 'Namespace');
      expect(ns.map((o) => o.metadata.name)).toEqual([env.names.namespace]);
      for (const o of objects.filter((x) => x.kind !== 'Namespace' && x.kind !== 'PersistentVolume')) expect(o.metadata.namespace).toBe(env.names.namespace);
      // Seed volumes are cluster-scoped: each is pinned to a claim in the env's own namespace (issue 22).
      for (const o of objects.filter((x) => x.kind === 'PersistentVolume')) expect(o.spec.claimRef.namespace).toBe(env.names.namespace);
      const sa = objects.find((o) => o.kind === 'ServiceAccount')!;
      expect(sa.metadata.name).toBe(env.names.serviceAccount);
      const deployment = objects.find((o) => o.kind === 'Deployment')!;
      expect(deployment.spec.template.spec.serviceAccountName).toBe(env.names.serviceAccount);
      expect(deployment.spec.template.metadata.annotations['vault.hashicorp.com/role']).toBe(env.names.kubernetesAuthRole);
      const ingress = objects.find((o) => o.kind === 'Ingress')!;
      expect(ingress.spec.rules.map((r: any) => r.host)).toEqual([env.names.host]);
    }
  });

  it('denies all ingress and egress by default; every pod may reach DNS and, unless the tier denies egress, its allow list', () => {
    for (const env of envs()) {
      const policies = objectsOf(env).filter((o) => o.kind === 'NetworkPolicy');
      const deny = policies.find((p) => p.metadata.name === 'default-deny')!;
      expect(deny.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
      const tier = dist.manifest.tiers.find((t) => t.name === env.tier)!;
      // Policies for every pod; the narrow ones per destination are in network-policies.test.ts.
      const egressTargets = policies.filter((p) => Object.keys(p.spec.podSelector).length === 0)
        .flatMap((p) => p.spec.egress ?? []).flatMap((e: any) => e.to ?? []);
      const cidrs = egressTargets.filter((t: any) => t.ipBlock).map((t: any) => t.ipBlock.cidr).sort();
      // A sandbox whose template denies egress (manifest sandbox.egress false) gets no allow list (issue 18).
      expect(cidrs, env.slug).toEqual(tier.egress === 'deny' || env.sandbox?.egress === false ? [] : tier.egressAllowList);
    }
  });

  it('labels sandboxes with owner, seed and expiry', () => {
    const sb = envs().find((e) => e.slug === 'crm-alice')!;
    const ns = objectsOf(sb).find((o) => o.kind === 'Namespace')!;
    expect(ns.metadata.annotations).toMatchObject({
      'tierkit.io/owner': 'alice', 'tierkit.io/seed': 'synthetic:v1', 'tierkit.io/expires-at': '2026-11-23T00:00:00.000Z',
    });
  });

  it('has one Argo CD Application per app-environment and an app-of-apps per tier', () => {
    const apps = dist.kubernetes.map((o) => o.object).filter((o) => o.kind === 'Application');
    for (const env of envs()) {
      const app = apps.find((a) => a.metadata.name === env.names.argoApplication)!;
      expect(app.spec.destination.namespace).toBe(env.names.namespace);
      expect(app.spec.source).toMatchObject({ path: env.tier, directory: { include: `${env.slug}.k8s.yaml` } });
    }
    for (const tier of dist.manifest.tiers) {
      const root = apps.find((a) => a.metadata.name === naming.argoTierApplicationName(tier.name))!;
      expect(root.spec.source.path).toBe(`${tier.name}/argocd`);
    }
  });
});

describe('manifest.json', () => {
  it('lists every artifact with a correct sha256, and nothing else is written', async () => {
    const { createHash } = await import('node:crypto');
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    for (const a of dist.manifest.artifacts) {
      const text = readFileSync(join(dist.dir, a.path), 'utf8');
      expect(createHash('sha256').update(text).digest('hex'), a.path).toBe(a.sha256);
    }
    expect(dist.stacks.every((s) => s.listed)).toBe(true);
    expect(dist.kubernetes.every((o) => o.listed)).toBe(true);
  });
});
