/* The Terraform half of the baseline, written the way a cdktf user does: provider index imports. */
import { mkdirSync } from 'node:fs';
import { App, S3Backend, TerraformStack, TerraformVariable } from 'cdktf';
import * as postgresql from '@cdktf/provider-postgresql';
import * as vault from '@cdktf/provider-vault';
import { ESTATE_SETTINGS as S, EstateSpec, TIER_NAMES, TierName } from '../spec';
import { Env, TIERS, environments, gatingTiers, serverOf, slug, snake, host } from './config';

/** `place`: the state key's path below the prefix (`<gating tier>/servers/<server>` or `<gating tier>/platform`). */
function baseStack(app: App, name: string, place: string): TerraformStack {
  const stack = new TerraformStack(app, name);
  new S3Backend(stack, { bucket: S.backend.bucket, region: S.backend.region, key: `${S.backend.keyPrefix}/${place}/${name}.tfstate`, encrypt: true });
  stack.addOverride('terraform.backend.s3.use_lockfile', true);
  new vault.provider.VaultProvider(stack, 'vault', { address: S.vaultAddress, skipChildToken: true });
  return stack;
}

function policy(comment: string, rules: { path: string; capabilities: string[] }[]): string {
  const body = [...rules].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((r) => `path "${r.path}" {\n  capabilities = [${r.capabilities.map((c) => `"${c}"`).join(', ')}]\n}\n`).join('\n');
  return `# ${comment}\n${body}`;
}

function environmentStack(app: App, e: Env, gating: ReadonlyMap<string, TierName>): void {
  const name = slug(e);
  const server = serverOf(e.tier);
  const [ttl, maxTtl] = TIERS[e.tier].ttl;
  const stack = baseStack(app, name, `${gating.get(server.id)}/servers/${server.id}`);
  let username = server.adminRole;
  if (!username) {
    const user = new TerraformVariable(stack, 'pg_admin_username', { type: 'string', sensitive: true, description: `Admin role on ${server.id}` });
    user.addOverride('ephemeral', true);
    username = user.stringValue;
  }
  const password = new TerraformVariable(stack, 'pg_admin_password', { type: 'string', sensitive: true, description: `Admin password on ${server.id}` });
  password.addOverride('ephemeral', true);
  new postgresql.provider.PostgresqlProvider(stack, 'postgresql', {
    host: server.host, port: server.port, username, password: password.stringValue,
    superuser: server.superuser, sslmode: server.sslMode, expectedVersion: String(server.majorVersion),
  });
  const group = new postgresql.role.Role(stack, 'group_role', { name: `${snake(e)}_role`, login: false });
  const connectionPassword = new TerraformVariable(stack, 'vault_connection_password', { type: 'string', sensitive: true });
  connectionPassword.addOverride('ephemeral', true);
  const connectionRole = new postgresql.role.Role(stack, 'vault_connection_role', {
    name: `${snake(e)}_vault`, login: true, createRole: true, passwordWo: connectionPassword.stringValue, passwordWoVersion: '1',
  });
  const admin = new postgresql.grantRole.GrantRole(stack, 'vault_connection_admin', {
    role: connectionRole.name, grantRole: group.name, withAdminOption: true,
  });
  // Managed servers: the provider's role must inherit the owner for database GRANT/REVOKE to work.
  const member = server.adminRole
    ? { dependsOn: [new postgresql.grantRole.GrantRole(stack, 'provider_owner_membership', { role: server.adminRole, grantRole: group.name, lifecycle: { ignoreChanges: ['with_admin_option'] } })] }
    : {};
  const db = new postgresql.database.Database(stack, 'database', { name, owner: group.name, ...member });
  new postgresql.grant.Grant(stack, 'database_public_revoke', { database: db.name, role: 'public', objectType: 'database', privileges: [], ...member });
  for (const maintenance of ['postgres', 'template1']) {
    new postgresql.grant.Grant(stack, `maintenance_${maintenance}_public_revoke`, { database: maintenance, role: 'public', objectType: 'database', privileges: [], ...member });
  }
  const connect = new postgresql.grant.Grant(stack, 'database_connect', {
    database: db.name, role: group.name, objectType: 'database', privileges: ['CONNECT'], ...member,
  });
  new postgresql.grant.Grant(stack, 'planner_connect', { database: db.name, role: 'tierkit_planner', objectType: 'database', privileges: ['CONNECT'], ...member });
  const connection = new vault.databaseSecretBackendConnection.DatabaseSecretBackendConnection(stack, 'vault_connection', {
    backend: 'postgres', name, pluginName: 'postgresql-database-plugin', allowedRoles: [name], verifyConnection: true,
    rootRotationStatements: [`ALTER ROLE "{{name}}" WITH PASSWORD '{{password}}';`],
    postgresql: {
      connectionUrl: `postgresql://{{username}}:{{password}}@${server.host}:${server.port}/${name}?sslmode=${server.sslMode}`,
      username: connectionRole.name, passwordWo: connectionPassword.stringValue, passwordWoVersion: 1,
    },
    dependsOn: [admin, connect],
  });
  const groupIdent = `"${snake(e)}_role"`;
  new vault.databaseSecretBackendRole.DatabaseSecretBackendRole(stack, 'vault_role', {
    backend: 'postgres', name, dbName: connection.name, defaultTtl: ttl, maxTtl,
    creationStatements: [
      `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}' IN ROLE ${groupIdent};`,
      `ALTER ROLE "{{name}}" SET ROLE ${groupIdent};`,
    ],
    revocationStatements: [`GRANT "{{name}}" TO CURRENT_USER;`, `REASSIGN OWNED BY "{{name}}" TO ${groupIdent};`, `DROP OWNED BY "{{name}}";`, `DROP ROLE IF EXISTS "{{name}}";`],
  });
  new vault.kvSecretV2.KvSecretV2(stack, 'kv_config', {
    mount: 'kvv2', name: `${name}/config`,
    dataJson: JSON.stringify({
      app: e.app, env: e.env, tier: e.tier, database: name, database_host: server.host, database_port: server.port,
      host: host(e), vault_creds_path: `postgres/creds/${name}`,
    }),
  });
  const workload = new vault.policy.Policy(stack, 'vault_policy', {
    name,
    policy: policy(`workload of ${name}`, [
      { path: `postgres/creds/${name}`, capabilities: ['read'] },
      { path: `kvv2/data/${name}/config`, capabilities: ['read'] },
      { path: `kvv2/metadata/${name}/config`, capabilities: ['read'] },
    ]),
  });
  new vault.kubernetesAuthBackendRole.KubernetesAuthBackendRole(stack, 'kubernetes_auth_role', {
    backend: 'kubernetes', roleName: name, boundServiceAccountNames: [name], boundServiceAccountNamespaces: [name],
    tokenPolicies: [workload.name], tokenTtl: ttl, tokenMaxTtl: maxTtl,
  });
  // Sandboxes and the demo tier are reset from their seed by a Job with its own Vault login.
  if (e.sandbox || e.tier === 'demo') {
    // The reset also reads its seed's published hashes, with a policy of its own.
    const reset = new vault.policy.Policy(stack, 'reset_policy', {
      name: `${name}-reset`,
      policy: policy(`reset of ${name}`, [{ path: `kvv2/data/tierkit-seeds/${name}`, capabilities: ['read'] }]),
    });
    new vault.kubernetesAuthBackendRole.KubernetesAuthBackendRole(stack, 'reset_auth_role', {
      backend: 'kubernetes', roleName: `${name}-reset`, boundServiceAccountNames: [`${name}-reset`], boundServiceAccountNamespaces: [name],
      tokenPolicies: [workload.name, reset.name], tokenTtl: ttl, tokenMaxTtl: maxTtl,
    });
    // The hourly (demo) reset revokes the env's leases too.
    if (e.tier === 'demo') {
      new vault.policy.Policy(stack, 'reset_revoke_policy', {
        name: `${name}-reset-revoke`,
        policy: policy(`hourly reset of ${name}`, [{ path: `sys/leases/revoke-prefix/postgres/creds/${name}`, capabilities: ['update', 'sudo'] }]),
      });
    }
  }
  // A sandbox's expiry revokes its leases with an identity of its own (the TTL sweep).
  if (e.sandbox) {
    const sweep = new vault.policy.Policy(stack, 'ttl_sweep_policy', {
      name: `${name}-ttl-sweep`,
      policy: policy(`TTL sweep of ${name}`, [{ path: `sys/leases/revoke-prefix/postgres/creds/${name}`, capabilities: ['update', 'sudo'] }]),
    });
    new vault.kubernetesAuthBackendRole.KubernetesAuthBackendRole(stack, 'ttl_sweep_auth_role', {
      backend: 'kubernetes', roleName: `${name}-ttl-sweep`, boundServiceAccountNames: [`${name}-ttl-sweep`], boundServiceAccountNamespaces: [name],
      tokenPolicies: [sweep.name], tokenTtl: 300, tokenMaxTtl: 300,
    });
  }
}

const CRUD = ['create', 'read', 'update', 'delete'];

/** The strictest gate of the tiers in use governs the platform stacks. */
function estateGate(envs: readonly Env[]): TierName {
  return [...new Set(envs.map((e) => e.tier))].reduce((a, b) => (TIERS[b].gateRank > TIERS[a].gateRank
    || (TIERS[b].gateRank === TIERS[a].gateRank && TIER_NAMES.indexOf(b) > TIER_NAMES.indexOf(a)) ? b : a));
}

function platformStacks(app: App, envs: readonly Env[]): void {
  const platformPlace = `${estateGate(envs)}/platform`;
  const shared = baseStack(app, 'platform', platformPlace);
  new vault.mount.Mount(shared, 'database_mount', { path: 'postgres', type: 'database', description: 'dynamic Postgres credentials' });
  new vault.mount.Mount(shared, 'kv_mount', { path: 'kvv2', type: 'kv', options: { version: '2' }, description: 'app configuration' });
  new vault.authBackend.AuthBackend(shared, 'kubernetes_auth', { type: 'kubernetes', path: 'kubernetes' });
  const issuer = 'https://token.actions.githubusercontent.com';
  new vault.jwtAuthBackend.JwtAuthBackend(shared, 'ci_jwt_auth', { path: 'jwt', oidcDiscoveryUrl: issuer, boundIssuer: issuer });
  const audience = `https://github.com/${S.ciRepository.split('/')[0]}`;
  const repo = { repository: S.ciRepository, repository_id: '100002' };
  const applierClaims = (environment: string) => ({
    ...repo, environment, ref: 'refs/heads/main', event_name: 'push', job_workflow_ref: `${S.ciRepository}/.github/workflows/tierkit-apply.yml@refs/heads/main`,
  });
  const ciRole = (stack: TerraformStack, id: string, name: string, p: vault.policy.Policy, claims: Record<string, string>) => new vault.jwtAuthBackendRole.JwtAuthBackendRole(stack, id, {
    backend: 'jwt', roleName: name, roleType: 'jwt', userClaim: 'sub', boundAudiences: [audience],
    boundClaimsType: 'string', boundClaims: claims, tokenPolicies: [p.name], tokenTtl: 3600, tokenMaxTtl: 3600,
  });
  const ciTiers: string[] = [];

  const gating = gatingTiers(envs);
  for (const tier of TIER_NAMES.filter((t) => envs.some((e) => e.tier === t))) {
    const gated = envs.filter((e) => gating.get(serverOf(e.tier).id) === tier);
    // An applier identity only for tiers that gate something and apply from CI.
    if (TIERS[tier].gateRank === 0 || gated.length === 0) continue;
    const stack = baseStack(app, `platform-${tier}`, platformPlace);
    const rules = gated.flatMap((e) => {
      const s = slug(e);
      return [
        { path: `postgres/config/${s}`, capabilities: CRUD }, { path: `postgres/roles/${s}`, capabilities: CRUD },
        { path: `kvv2/data/${s}/config`, capabilities: CRUD }, { path: `kvv2/metadata/${s}/config`, capabilities: ['read', 'delete'] },
        { path: `sys/policies/acl/${s}`, capabilities: CRUD }, { path: `auth/kubernetes/role/${s}`, capabilities: CRUD },
      ];
    });
    for (const [server, t] of gating) if (t === tier) rules.push({ path: `kvv2/data/tierkit/postgres-admin/${server}`, capabilities: ['read'] });
    const applier = `tierkit-apply-${tier}`;
    const p = new vault.policy.Policy(stack, 'applier_policy', { name: applier, policy: policy(`CI applier of ${tier}`, rules) });
    ciRole(stack, 'applier_role', applier, p, applierClaims(tier));
    const planner = `tierkit-plan-${tier}`;
    const reads = rules.map((r) => ({ path: r.path, capabilities: ['read'] }));
    const pp = new vault.policy.Policy(stack, 'planner_policy', { name: planner, policy: policy(`CI planner of ${tier}`, reads) });
    ciRole(stack, 'planner_role', planner, pp, { ...repo, event_name: 'pull_request', ...(TIERS[tier].gateRank > 2 ? { environment: `${tier}-plan` } : {}) });
    // PostgreSQL 16+ servers: the planner's short-lived login, issued by a server-level connection.
    for (const [id, t] of gating) {
      const srv = S.servers.find((x) => x.id === id)!;
      if (t !== tier || srv.majorVersion < 16) continue;
      const key = id.replace(/-/g, '_');
      const name = `tierkit-planner-${id}`;
      const pw = new TerraformVariable(stack, `planner_issuer_password_${key}`, { type: 'string', sensitive: true, description: `issuer on ${id}` });
      pw.addOverride('ephemeral', true);
      const conn = new vault.databaseSecretBackendConnection.DatabaseSecretBackendConnection(stack, `planner_login_connection_${key}`, {
        backend: 'postgres', name, pluginName: 'postgresql-database-plugin', allowedRoles: [name], verifyConnection: true,
        rootRotationStatements: [`ALTER ROLE "{{name}}" WITH PASSWORD '{{password}}';`],
        postgresql: { connectionUrl: `postgresql://{{username}}:{{password}}@${srv.host}:${srv.port}/postgres?sslmode=${srv.sslMode}`, username: 'tierkit_planner_issuer', passwordWo: pw.value, passwordWoVersion: 1 },
      });
      new vault.databaseSecretBackendRole.DatabaseSecretBackendRole(stack, `planner_login_role_${key}`, {
        backend: 'postgres', name, dbName: conn.name, defaultTtl: 900, maxTtl: 3600,
        creationStatements: [`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}' IN ROLE "tierkit_planner";`],
        revocationStatements: ['DROP ROLE IF EXISTS "{{name}}";'],
      });
    }
    // Every env but prod's is rate-limited on its creds path, by the platform (a community Vault: no lease-count quota).
    for (const e of gated.filter((x) => x.tier !== 'prod')) {
      const s = slug(e);
      new vault.quotaRateLimit.QuotaRateLimit(stack, `vault_rate_quota_${s.replace(/-/g, '_')}`, { name: `${s}-creds-rate`, path: `postgres/creds/${s}`, rate: 30, interval: 60 });
    }
    ciTiers.push(tier);
  }
  const adminRules = [
    ...['postgres', 'kvv2'].map((m) => ({ path: `sys/mounts/${m}`, capabilities: CRUD })),
    ...['kubernetes', 'jwt'].map((a) => ({ path: `sys/auth/${a}`, capabilities: [...CRUD, 'sudo'] })),
    ...['tierkit-platform-admin', ...ciTiers.flatMap((t) => [`tierkit-apply-${t}`, `tierkit-plan-${t}`])].flatMap((r) => [
      { path: `sys/policies/acl/${r}`, capabilities: CRUD }, { path: `auth/jwt/role/${r}`, capabilities: CRUD },
    ]),
  ];
  const admin = new vault.policy.Policy(shared, 'platform_admin_policy', { name: 'tierkit-platform-admin', policy: policy('CI applier of the platform stacks', adminRules) });
  ciRole(shared, 'platform_admin_role', 'tierkit-platform-admin', admin, applierClaims('platform-admin'));
}

/** `cdktf synth` of the whole estate: one stack per app-environment plus the platform stacks. */
export function synthTerraform(spec: EstateSpec, outdir: string): void {
  mkdirSync(outdir, { recursive: true }); // cdktf's App creates only the last path segment
  const app = new App({ outdir });
  const envs = environments(spec);
  const gating = gatingTiers(envs);
  for (const e of envs) environmentStack(app, e, gating);
  platformStacks(app, envs);
  app.synth();
}
