import {
  DatabaseSecretBackendConnection, KubernetesAuthBackendRole, KvSecretV2, PostgresqlDatabase, PostgresqlGrant, PostgresqlRole,
  TerraformStack, TerraformVariable, VaultPolicy,
} from '../cdktf';
import type { AppEnvironment } from '../app-environment';
import type { PreviewResources } from '../escape-hatch';
import * as naming from '../naming';
import { renderPolicy, type PolicyRule } from '../statements';
import { VAULT_TOKEN_AUDIENCE } from './pod-security';

/**
 * The Terraform part of an app's per-PR previews (docs/previews.md), in the stack of the app's
 * env in the previews' tier: both renderers call `previewPieces`, so the cdktf stack and the plain
 * one cannot drift apart (test/estate/fast-synth.test.ts compares them byte for byte).
 *
 * - `<app>_preview_admin`: LOGIN CREATEDB CREATEROLE, no membership, no grant but CONNECT on its
 *   home database. On PostgreSQL 16+ (validation refuses older servers) it manages only the roles
 *   it creates, and owns (through them) only the databases it creates.
 * - `<app>-previews`: its home database, owned by the provider's login, PUBLIC revoked: the admin
 *   and the preview connection log in there; no preview's data lives in it.
 * - the preview Vault connection, logging in as the admin (every credential it mints is then a role
 *   the admin created, which the PostDelete Job can drop), `allowed_roles` = [`<app>-pr-*`]. No
 *   rotate-root: the Jobs read the same password from KV (rotate by bumping the variable's version).
 * - the Jobs' Vault identity: a Kubernetes auth role bound to the Jobs' service account in the
 *   `tierkit-previews` namespace, whose policy reads the admin's credential, writes the app's
 *   `<app>-pr-*` Vault roles and revokes their leases — nothing else.
 */

/** The Jobs' token lives for one run. */
export const PREVIEW_JOBS_TOKEN_TTL_SECONDS = 600;

export interface PreviewPieces {
  readonly adminRole: string;
  readonly homeDatabase: string;
  readonly connection: string;
  readonly rolePattern: string;
  readonly kvSecret: string;
  readonly jobs: string;
  readonly connectionUrl: string;
  readonly policy: string;
  readonly passwordDescription: string;
}

export function previewPieces(env: AppEnvironment): PreviewPieces {
  const app = env.app.appName;
  const server = env.server!;
  const n = env.estate.naming;
  const home = naming.previewHomeDatabaseName(app);
  const pattern = naming.previewVaultRolePattern(app);
  const rules: PolicyRule[] = [
    { path: `${n.kvMount}/data/${naming.previewAdminKvSecretName(app)}`, capabilities: ['read'] },
    { path: `${n.databaseMount}/roles/${pattern}`, capabilities: ['create', 'update', 'delete'] },
    { path: `sys/leases/revoke-prefix/${n.databaseMount}/creds/${pattern}`, capabilities: ['update', 'sudo'] },
  ];
  return {
    adminRole: naming.previewAdminRoleName(app),
    homeDatabase: home,
    connection: naming.previewConnectionName(app),
    rolePattern: pattern,
    kvSecret: naming.previewAdminKvSecretName(app),
    jobs: naming.previewApplicationSetName(app),
    connectionUrl: `postgresql://{{username}}:{{password}}@${server.host}:${server.port}/${home}?sslmode=${server.sslMode}`,
    policy: renderPolicy(`tierkit: preview Jobs of ${app}`, rules),
    passwordDescription: `Password of ${naming.previewAdminRoleName(app)}, the preview admin (TF_VAR_preview_admin_password)`,
  };
}

/** The cdktf resources (ids are stable public API, as the env's own). */
export function buildPreviews(stack: TerraformStack, env: AppEnvironment): PreviewResources {
  const p = previewPieces(env);
  const n = env.estate.naming;
  const password = new TerraformVariable(stack, 'preview_admin_password', { type: 'string', sensitive: true, description: p.passwordDescription });
  password.addOverride('ephemeral', true);
  const adminRole = new PostgresqlRole(stack, 'preview_admin', {
    name: p.adminRole, login: true, createDatabase: true, createRole: true, passwordWo: password.stringValue, passwordWoVersion: '1',
  });
  const homeDatabase = new PostgresqlDatabase(stack, 'preview_home', { name: p.homeDatabase });
  const homePublicRevoke = new PostgresqlGrant(stack, 'preview_home_public_revoke', {
    database: homeDatabase.name, role: 'public', objectType: 'database', privileges: [],
  });
  const homeConnect = new PostgresqlGrant(stack, 'preview_home_connect', {
    database: homeDatabase.name, role: adminRole.name, objectType: 'database', privileges: ['CONNECT'],
  });
  const connection = new DatabaseSecretBackendConnection(stack, 'preview_connection', {
    backend: n.databaseMount, name: p.connection, pluginName: 'postgresql-database-plugin', allowedRoles: [p.rolePattern], verifyConnection: true,
    postgresql: { connectionUrl: p.connectionUrl, username: adminRole.name, passwordWo: password.stringValue, passwordWoVersion: 1 },
    dependsOn: [homeConnect],
  });
  const credential = new KvSecretV2(stack, 'preview_admin_credential', {
    mount: n.kvMount, name: p.kvSecret,
    dataJsonWo: `\${jsonencode({ username = ${JSON.stringify(p.adminRole)}, password = var.preview_admin_password })}`, dataJsonWoVersion: 1,
  });
  const policy = new VaultPolicy(stack, 'preview_jobs_policy', { name: p.jobs, policy: p.policy });
  const authRole = new KubernetesAuthBackendRole(stack, 'preview_jobs_auth_role', {
    backend: n.kubernetesAuthPath, roleName: p.jobs, boundServiceAccountNames: [p.jobs],
    boundServiceAccountNamespaces: [naming.PREVIEW_JOBS_NAMESPACE], audience: VAULT_TOKEN_AUDIENCE, tokenPolicies: [policy.name],
    tokenTtl: PREVIEW_JOBS_TOKEN_TTL_SECONDS, tokenMaxTtl: PREVIEW_JOBS_TOKEN_TTL_SECONDS,
  });
  return { adminRole, homeDatabase, homePublicRevoke, homeConnect, connection, credential, policy, authRole };
}

type Block = { [key: string]: unknown };

/** The same resources as plain JSON blocks, for terraform-app-environment-plain.ts. */
export function plainPreviews(env: AppEnvironment, add: (type: string, id: string, attrs: Block) => void, variables: Record<string, Block>): void {
  const p = previewPieces(env);
  const n = env.estate.naming;
  const ref = (type: string, id: string) => `\${${type}.${id}.name}`;
  variables.preview_admin_password = { description: p.passwordDescription, ephemeral: true, sensitive: true, type: 'string' };
  add('postgresql_role', 'preview_admin', {
    create_database: true, create_role: true, login: true, name: p.adminRole,
    password_wo: '${var.preview_admin_password}', password_wo_version: '1',
  });
  add('postgresql_database', 'preview_home', { name: p.homeDatabase });
  add('postgresql_grant', 'preview_home_public_revoke', {
    database: ref('postgresql_database', 'preview_home'), object_type: 'database', privileges: [], role: 'public',
  });
  add('postgresql_grant', 'preview_home_connect', {
    database: ref('postgresql_database', 'preview_home'), object_type: 'database', privileges: ['CONNECT'], role: ref('postgresql_role', 'preview_admin'),
  });
  add('vault_database_secret_backend_connection', 'preview_connection', {
    allowed_roles: [p.rolePattern], backend: n.databaseMount, depends_on: ['postgresql_grant.preview_home_connect'], name: p.connection,
    plugin_name: 'postgresql-database-plugin',
    postgresql: {
      connection_url: p.connectionUrl, password_wo: '${var.preview_admin_password}', password_wo_version: 1, username: ref('postgresql_role', 'preview_admin'),
    },
    verify_connection: true,
  });
  add('vault_kv_secret_v2', 'preview_admin_credential', {
    data_json_wo: `\${jsonencode({ username = ${JSON.stringify(p.adminRole)}, password = var.preview_admin_password })}`,
    data_json_wo_version: 1, mount: n.kvMount, name: p.kvSecret,
  });
  add('vault_policy', 'preview_jobs_policy', { name: p.jobs, policy: p.policy });
  add('vault_kubernetes_auth_backend_role', 'preview_jobs_auth_role', {
    audience: VAULT_TOKEN_AUDIENCE, backend: n.kubernetesAuthPath, bound_service_account_names: [p.jobs],
    bound_service_account_namespaces: [naming.PREVIEW_JOBS_NAMESPACE], role_name: p.jobs,
    token_max_ttl: PREVIEW_JOBS_TOKEN_TTL_SECONDS, token_policies: [ref('vault_policy', 'preview_jobs_policy')], token_ttl: PREVIEW_JOBS_TOKEN_TTL_SECONDS,
  });
}
