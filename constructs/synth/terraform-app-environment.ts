import {
  DatabaseSecretBackendConnection, DatabaseSecretBackendRole, KubernetesAuthBackendRole, KvSecretV2,
  PostgresqlDatabase, PostgresqlGrant, PostgresqlGrantRole, PostgresqlRole, TerraformApp, TerraformResource, TerraformStack,
  TerraformVariable, VaultPolicy, dependable,
} from '../cdktf';
import { sandboxRenewStatements } from '../../contract/vault-statements';
import { AppEnvironment } from '../app-environment';
import { DEFAULT_TEMP_FILE_LIMIT_KILOBYTES } from '../runtime';
import { hasGoldenDump, hasReset, resetRevokesLeases, resetSeed } from '../lifecycle/plan';
import * as naming from '../naming';
import { Sandbox } from '../sandbox';
import {
  ROOT_ROTATION_STATEMENTS, creationStatements, environmentPolicyRules, renderPolicy, revocationStatements,
} from '../statements';
import { VAULT_TOKEN_AUDIENCE } from './pod-security';
import { addBackend, addPostgresProvider, addVaultProvider } from './terraform-common';
import type { AppEnvironmentResources, GoldenDumpResources, TtlSweepResources } from '../escape-hatch';

// The escape hatch's view of the stack is the model's API (escape-hatch.ts); re-exported at its old path.
export type { AppEnvironmentResources, GoldenDumpResources, TtlSweepResources } from '../escape-hatch';

/**
 * A Vault Kubernetes auth role of one of the env's service accounts: bound to exactly that account
 * in the env's namespace, and only to the token projected for Vault (pod-security.ts) — a pod's
 * API token is refused. One shape for the workload, the golden dump, the reset and the TTL sweep.
 */
function serviceAccountAuthRole(
  stack: TerraformStack, id: string, env: AppEnvironment, roleName: string, serviceAccount: string,
  policies: readonly string[], ttl: { readonly defaultSeconds: number; readonly maxSeconds: number },
): KubernetesAuthBackendRole {
  return new KubernetesAuthBackendRole(stack, id, {
    backend: env.estate.naming.kubernetesAuthPath,
    roleName,
    boundServiceAccountNames: [serviceAccount],
    boundServiceAccountNamespaces: [naming.namespace(env.coordinate)],
    audience: VAULT_TOKEN_AUDIENCE,
    tokenPolicies: [...policies],
    tokenTtl: ttl.defaultSeconds,
    tokenMaxTtl: ttl.maxSeconds,
  });
}

/** The sweep's token lives for one run: long enough to log in and revoke, no longer. */
export const TTL_SWEEP_TOKEN_TTL_SECONDS = 300;

/**
 * The TTL sweep's Vault identity: a policy of exactly one literal path,
 * `sys/leases/revoke-prefix/<mount>/creds/<role>` with update + sudo (the endpoint is
 * root-protected), bound to the sweep's service account in the env's namespace only.
 */
function buildTtlSweep(stack: TerraformStack, env: AppEnvironment): TtlSweepResources {
  const c = env.coordinate;
  const n = env.estate.naming;
  const policy = new VaultPolicy(stack, 'ttl_sweep_policy', {
    name: naming.ttlSweepName(c),
    policy: renderPolicy(`tierkit: TTL sweep of ${env.slug}`, [{ path: naming.ttlSweepRevokePath(c, n), capabilities: ['update', 'sudo'] }]),
  });
  const authRole = serviceAccountAuthRole(stack, 'ttl_sweep_auth_role', env, naming.ttlSweepName(c), naming.ttlSweepName(c), [policy.name],
    { defaultSeconds: TTL_SWEEP_TOKEN_TTL_SECONDS, maxSeconds: TTL_SWEEP_TOKEN_TTL_SECONDS });
  return { policy, authRole };
}


/**
 * The golden dump's read-only role: LOGIN, `pg_read_all_data` and nothing else, CONNECT on its
 * own prod database only.
 *
 * Its password is a write-only Terraform variable, stored by the same apply into a write-only KV
 * secret that only the golden dump Job's Vault role can read. Not a Vault dynamic role: the prod
 * connection user would need ADMIN OPTION on pg_read_all_data (PostgreSQL 16+), i.e. the power
 * to hand server-wide read access to anyone it creates. Not a Vault static role either: Vault
 * would need to ALTER the role, so the prod connection user would need ADMIN on it, and the
 * provider grants that membership with INHERIT — the prod connection user would then read every
 * database it can connect to. Rotation: change the variable and bump the two `*_wo_version`s.
 */
function buildGoldenDump(stack: TerraformStack, env: AppEnvironment, database: PostgresqlDatabase): GoldenDumpResources {
  const c = env.coordinate;
  const n = env.estate.naming;
  const tier = env.estate.tier(env.tier).config;
  const password = new TerraformVariable(stack, 'golden_dump_password', {
    type: 'string', sensitive: true,
    description: `Password of ${naming.goldenDumpRoleName(c)}, the golden dump's read-only role (TF_VAR_golden_dump_password)`,
  });
  password.addOverride('ephemeral', true);
  const role = new PostgresqlRole(stack, 'golden_dump_role', {
    name: naming.goldenDumpRoleName(c), login: true, roles: ['pg_read_all_data'],
    passwordWo: password.stringValue, passwordWoVersion: '1',
  });
  const connect = new PostgresqlGrant(stack, 'golden_dump_connect', {
    database: database.name, role: role.name, objectType: 'database', privileges: ['CONNECT'],
  });
  const credential = new KvSecretV2(stack, 'golden_dump_credential', {
    mount: n.kvMount,
    name: naming.goldenDumpKvSecretName(c),
    // Write-only: the password never lands in the Terraform state.
    dataJsonWo: `\${jsonencode({ username = ${JSON.stringify(naming.goldenDumpRoleName(c))}, password = var.golden_dump_password })}`,
    dataJsonWoVersion: 1,
  });
  const policy = new VaultPolicy(stack, 'golden_dump_policy', {
    name: naming.goldenDumpName(c),
    policy: renderPolicy(`tierkit: golden dump of ${env.slug}`, [
      { path: `${n.kvMount}/data/${naming.goldenDumpKvSecretName(c)}`, capabilities: ['read'] },
      // The producer publishes the golden's hashes; no other policy may write them (TK132).
      { path: `${n.kvMount}/data/${naming.seedHashKvSecretName(c.app, 'golden')}`, capabilities: ['create', 'update'] },
    ]),
  });
  const authRole = serviceAccountAuthRole(stack, 'golden_dump_auth_role', env, naming.goldenDumpName(c), naming.goldenDumpName(c), [policy.name], tier.secretTtl);
  return { role, connect, credential, policy, authRole };
}

/**
 * One stack per app-environment (DESIGN, isolation model layers 1–4 and 6). Resource ids are
 * stable public API: diffs and policy findings point at them.
 */
export function buildAppEnvironmentStack(app: TerraformApp, env: AppEnvironment): AppEnvironmentResources {
  const estate = env.estate;
  const server = env.server!;
  const c = env.coordinate;
  const n = estate.naming;
  const tier = estate.tier(env.tier).config;
  const stack = new TerraformStack(app, env.stackName);
  addBackend(stack, estate, env.stackName);
  addPostgresProvider(stack, server);
  addVaultProvider(stack, estate);

  const groupRole = new PostgresqlRole(stack, 'group_role', { name: env.groupRole.name, login: false });

  // Write-only: Terraform sends the first password once; Vault's rotate-root owns it after that.
  const connectionPassword = new TerraformVariable(stack, 'vault_connection_password', {
    type: 'string', sensitive: true,
    description: `First password of ${env.vaultConnectionRole.name}; rotated by Vault (TF_VAR_vault_connection_password)`,
  });
  connectionPassword.addOverride('ephemeral', true);
  const caps = env.estate.tier(env.tier).databaseCaps;
  // Where the platform declared a role holding SET on temp_file_limit, the connection user joins
  // it so the credentials it creates carry the cap (a superuser-only setting they cannot lift).
  const tempFileLimit = caps && server.tempFileLimitRole !== undefined;
  const vaultConnectionRole = new PostgresqlRole(stack, 'vault_connection_role', {
    name: env.vaultConnectionRole.name,
    login: true,
    createRole: true,
    ...(tempFileLimit ? { roles: [server.tempFileLimitRole!] } : {}),
    passwordWo: connectionPassword.stringValue,
    passwordWoVersion: '1',
  });
  // ADMIN OPTION on its own group only: PostgreSQL 16+ lets it grant nothing else.
  const vaultConnectionAdmin = new PostgresqlGrantRole(stack, 'vault_connection_admin', {
    role: vaultConnectionRole.name, grantRole: groupRole.name, withAdminOption: true,
  });

  // The provider issues database GRANT/REVOKE as itself, never as the owner: a provider user that
  // is neither superuser nor a member of the owner only gets warnings (01006/01007, ignored by the
  // provider), and PUBLIC keeps CONNECT. On a managed server the provider's role is therefore a
  // declared, inheriting member of the env's group, before the database and every grant (escape
  // hatches' included: afterProviderMembership below).
  // On 16+ the creator also holds its own ADMIN-only link to each role it creates (it may not be
  // granted the admin option "back", 0LP01), and the provider reads one unordered row per
  // (member, role): it may read that link's admin_option = true. with_admin_option forces a
  // replacement, so its read-back is ignored rather than planning a replace on every run.
  const providerMembership = server.adminKind.superuser ? undefined : new PostgresqlGrantRole(stack, 'provider_owner_membership', {
    role: server.adminRole!, grantRole: groupRole.name, lifecycle: { ignoreChanges: ['with_admin_option'] },
  });
  // Enforced by the server for every non-superuser connection: a lower tier's env on a shared
  // server cannot take the connections its neighbours (prod's, on prod's server) need.
  const database = new PostgresqlDatabase(stack, 'database', {
    name: env.database.name, owner: groupRole.name, ...(caps ? { connectionLimit: caps.connectionLimit } : {}),
  });
  const databasePublicRevoke = new PostgresqlGrant(stack, 'database_public_revoke', {
    database: database.name, role: 'public', objectType: 'database', privileges: [],
  });
  const databaseConnect = new PostgresqlGrant(stack, 'database_connect', {
    database: database.name, role: groupRole.name, objectType: 'database', privileges: ['CONNECT'],
  });
  // Every login on the server (a sandbox's credential on prod's) may otherwise connect to the
  // server's own databases and use TEMP there. The server is shared by its envs' stacks, so each
  // stack declares the same revoke: idempotent, and its destroy issues the same REVOKE (the
  // provider never restores PUBLIC's defaults), so no env's removal reopens it. The owner (or a
  // superuser) alone can revoke: a managed provider login that does not own them only warns.
  const maintenanceRevokes: Record<string, PostgresqlGrant> = {};
  for (const name of naming.MAINTENANCE_DATABASES) {
    maintenanceRevokes[name] = new PostgresqlGrant(stack, `maintenance_${name}_public_revoke`, {
      database: name, role: 'public', objectType: 'database', privileges: [],
    });
  }

  const connectionName = naming.vaultConnectionName(c);
  const roleName = naming.vaultRoleName(c);
  const vaultConnection = new DatabaseSecretBackendConnection(stack, 'vault_connection', {
    backend: n.databaseMount,
    name: connectionName,
    pluginName: 'postgresql-database-plugin',
    allowedRoles: [roleName],
    verifyConnection: true,
    rootRotationStatements: [...ROOT_ROTATION_STATEMENTS],
    postgresql: {
      connectionUrl: `postgresql://{{username}}:{{password}}@${server.host}:${server.port}/${env.database.name}?sslmode=${server.sslMode}`,
      username: vaultConnectionRole.name,
      passwordWo: connectionPassword.stringValue,
      passwordWoVersion: 1,
    },
    dependsOn: [vaultConnectionAdmin, databaseConnect],
  });
  const vaultRole = new DatabaseSecretBackendRole(stack, 'vault_role', {
    backend: n.databaseMount,
    name: roleName,
    dbName: vaultConnection.name,
    creationStatements: creationStatements(c, caps && {
      ...caps, tempFileLimitKilobytes: tempFileLimit ? caps.tempFileLimitKilobytes ?? DEFAULT_TEMP_FILE_LIMIT_KILOBYTES : undefined,
    }, env instanceof Sandbox ? env.expiresAt : undefined),
    revocationStatements: revocationStatements(c),
    // Vault's renewal, refused past the sandbox's expiry (contract/vault-statements.ts).
    ...(env instanceof Sandbox && env.expiresAt !== undefined ? { renewStatements: sandboxRenewStatements(env.slug, env.expiresAt) } : {}),
    defaultTtl: tier.secretTtl.defaultSeconds,
    maxTtl: tier.secretTtl.maxSeconds,
  });

  const kvConfig = new KvSecretV2(stack, 'kv_config', {
    mount: n.kvMount,
    name: naming.kvSecretName(c),
    // Configuration only; credentials come from the dynamic role, never from KV.
    dataJson: JSON.stringify({
      app: c.app, env: c.env, tier: env.tier.name,
      database: env.database.name, database_host: server.host, database_port: server.port,
      host: env.host, vault_creds_path: naming.vaultCredsPath(c, n),
    }),
  });
  const vaultPolicy = new VaultPolicy(stack, 'vault_policy', {
    name: naming.vaultPolicyName(c),
    policy: renderPolicy(`tierkit: workload of ${env.slug}`, environmentPolicyRules(c, n)),
  });
  const kubernetesAuthRole = serviceAccountAuthRole(stack, 'kubernetes_auth_role', env, naming.kubernetesAuthRoleName(c), naming.serviceAccountName(c),
    [vaultPolicy.name], tier.secretTtl);

  const goldenDump = hasGoldenDump(env) ? buildGoldenDump(stack, env, database) : undefined;
  // The reset Job logs in with its own service account (which may scale the Deployment) and
  // gets the env's own policy plus reading its seed's hashes: the workload's service account gains nothing.
  const resetPolicy = hasReset(env)
    ? new VaultPolicy(stack, 'reset_policy', {
      name: naming.resetName(c),
      policy: renderPolicy(`tierkit: reset of ${env.slug}`, [
        { path: `${n.kvMount}/data/${naming.seedHashKvSecretName(c.app, resetSeed(env))}`, capabilities: ['read'] },
      ]),
    })
    : undefined;
  // An hourly reset revokes the env's leases after restoring it: one literal revoke-prefix path,
  // the TTL sweep's, in a policy of its own (TK124) that only the reset's role hands out (TK125).
  const resetRevokePolicy = resetRevokesLeases(env)
    ? new VaultPolicy(stack, 'reset_revoke_policy', {
      name: naming.resetRevokeName(c),
      policy: renderPolicy(`tierkit: hourly reset of ${env.slug} revokes its leases`, [{ path: naming.ttlSweepRevokePath(c, n), capabilities: ['update', 'sudo'] }]),
    })
    : undefined;
  const resetAuthRole = resetPolicy
    ? serviceAccountAuthRole(stack, 'reset_auth_role', env, naming.resetName(c), naming.resetName(c),
      [vaultPolicy.name, resetPolicy.name, ...(resetRevokePolicy ? [resetRevokePolicy.name] : [])], tier.secretTtl)
    : undefined;

  const ttlSweep = env instanceof Sandbox && env.expiresAt !== undefined ? buildTtlSweep(stack, env) : undefined;

  const resources: AppEnvironmentResources = {
    stack, groupRole, vaultConnectionRole, vaultConnectionAdmin, providerMembership, database, databasePublicRevoke, databaseConnect,
    maintenanceRevokes, vaultConnection, vaultRole, kvConfig, vaultPolicy, kubernetesAuthRole, goldenDump, resetAuthRole, resetPolicy, resetRevokePolicy, ttlSweep,
  };
  for (const hatch of env.escapeHatches) hatch(resources);
  if (providerMembership) afterProviderMembership(stack, providerMembership);
  return resources;
}

/** Privileges a managed provider grants as the owner's member: they must wait for the membership. */
const NEEDS_OWNER_PRIVILEGES = new Set(['postgresql_database', 'postgresql_grant', 'postgresql_schema', 'postgresql_default_privileges']);

/** Escape hatches may add grants too: every one of them waits for the provider's membership. */
function afterProviderMembership(stack: TerraformStack, membership: PostgresqlGrantRole): void {
  for (const c of stack.node.findAll()) {
    if (!(c instanceof TerraformResource) || !NEEDS_OWNER_PRIVILEGES.has(c.terraformResourceType)) continue;
    c.dependsOn = [...(c.dependsOn ?? []), dependable(membership)];
  }
}
