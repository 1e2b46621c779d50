import type { AppEnvironment } from '../app-environment';
import * as naming from '../naming';
import { renderPolicy, type PolicyRule } from '../statements';
import { previewSeed, previewWorkloadAccessor } from '../previews';
import { ResourceDescription, VariableDescription, address, ref, variable } from './stack-description';
import { kubernetesAuthRole } from './vault-auth-role';

/**
 * The Terraform part of an app's per-PR previews (docs/previews.md), in the stack of the app's
 * env in the previews' tier, described once as data (`describePreviews`, consumed by both renderers
 * through app-environment-stack.ts; test/estate/fast-synth.test.ts compares them byte for byte).
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
/** The preview workload's token: its agent renews it, and logs in again after the max. */
export const PREVIEW_WORKLOAD_TOKEN_TTL_SECONDS = 3600;
export const PREVIEW_WORKLOAD_TOKEN_MAX_TTL_SECONDS = 86400;

/**
 * The preview workload's Vault login (only with `previews.vaultKubernetesAuthAccessor`): a Kubernetes
 * auth role bound to ServiceAccount `<app>-preview-pr-*` (kustomize's suffix) in namespaces
 * `<app>-pr-*` — Vault matches both as globs (vault-plugin-auth-kubernetes path_login.go,
 * `strutil.StrListContainsGlob`) — whose one policy reads `<db>/creds/<the pod's namespace>`,
 * templated on the auth alias's `service_account_namespace`. A namespace name is unique in the
 * cluster, so a pod of PR 7 reads `erp-pr-7`'s credential and no other PR's.
 */
export function previewWorkloadLogin(env: AppEnvironment): { name: string; policy: string; serviceAccounts: string; namespaces: string } | undefined {
  const accessor = previewWorkloadAccessor(env);
  if (accessor === undefined) return undefined;
  const app = env.app.appName;
  const name = naming.previewWorkloadLoginName(app);
  const rules: PolicyRule[] = [{ path: naming.previewWorkloadCredsTemplate(env.estate.naming.databaseMount, accessor), capabilities: ['read'] }];
  return {
    name, policy: renderPolicy(`tierkit: preview workloads of ${app}, each its own PR's credential`, rules),
    serviceAccounts: `${naming.previewWorkloadName(app)}-pr-*`, namespaces: naming.previewNamespacePattern(app),
  };
}

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
  // The seed step checks the synthetic seed's dump against its producer's published hashes.
  const seed = previewSeed(env);
  if (seed !== undefined) rules.push({ path: `${n.kvMount}/data/${naming.seedHashKvSecretName(app, seed)}`, capabilities: ['read'] });
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

/**
 * The previews' part of the env's stack description (ids are stable public API, as the env's own).
 * The provider-membership `depends_on` of the database and grants is added by both renderers, as
 * for every resource of the stack (`NEEDS_OWNER_PRIVILEGES`).
 */
export function describePreviews(env: AppEnvironment): { variable: VariableDescription; resources: ResourceDescription[] } {
  const p = previewPieces(env);
  const n = env.estate.naming;
  const password = variable('preview_admin_password');
  return {
    variable: { id: 'preview_admin_password', description: p.passwordDescription },
    resources: [
      {
        type: 'postgresql_role', id: 'preview_admin',
        attributes: { name: p.adminRole, login: true, create_database: true, create_role: true, password_wo: password, password_wo_version: '1' },
      },
      { type: 'postgresql_database', id: 'preview_home', attributes: { name: p.homeDatabase } },
      {
        type: 'postgresql_grant', id: 'preview_home_public_revoke',
        attributes: { database: ref('postgresql_database', 'preview_home'), role: 'public', object_type: 'database', privileges: [] },
      },
      {
        type: 'postgresql_grant', id: 'preview_home_connect',
        attributes: { database: ref('postgresql_database', 'preview_home'), role: ref('postgresql_role', 'preview_admin'), object_type: 'database', privileges: ['CONNECT'] },
      },
      {
        type: 'vault_database_secret_backend_connection', id: 'preview_connection',
        attributes: {
          backend: n.databaseMount, name: p.connection, plugin_name: 'postgresql-database-plugin', allowed_roles: [p.rolePattern], verify_connection: true,
          postgresql: { connection_url: p.connectionUrl, username: ref('postgresql_role', 'preview_admin'), password_wo: password, password_wo_version: 1 },
        },
        dependsOn: [address('postgresql_grant', 'preview_home_connect')],
      },
      {
        type: 'vault_kv_secret_v2', id: 'preview_admin_credential',
        attributes: {
          mount: n.kvMount, name: p.kvSecret,
          data_json_wo: `\${jsonencode({ username = ${JSON.stringify(p.adminRole)}, password = var.preview_admin_password })}`, data_json_wo_version: 1,
          // Never refreshed: the provider's read is then no Vault request at all (resource_kv_secret_v2.go
          // kvSecretV2Read, `shouldRead`), so no CI identity needs `read` on the secret (TK173).
          disable_read: true,
        },
      },
      { type: 'vault_policy', id: 'preview_jobs_policy', attributes: { name: p.jobs, policy: p.policy } },
      kubernetesAuthRole('preview_jobs_auth_role', {
        backend: n.kubernetesAuthPath, roleName: p.jobs, serviceAccount: p.jobs, namespace: naming.PREVIEW_JOBS_NAMESPACE,
        policyIds: ['preview_jobs_policy'], ttl: { defaultSeconds: PREVIEW_JOBS_TOKEN_TTL_SECONDS, maxSeconds: PREVIEW_JOBS_TOKEN_TTL_SECONDS },
      }),
      ...workloadResources(env),
    ],
  };
}

function workloadResources(env: AppEnvironment): ResourceDescription[] {
  const w = previewWorkloadLogin(env);
  if (!w) return [];
  return [
    { type: 'vault_policy', id: 'preview_workload_policy', attributes: { name: w.name, policy: w.policy } },
    kubernetesAuthRole('preview_workload_auth_role', {
      backend: env.estate.naming.kubernetesAuthPath, roleName: w.name, serviceAccount: w.serviceAccounts, namespace: w.namespaces,
      policyIds: ['preview_workload_policy'], ttl: { defaultSeconds: PREVIEW_WORKLOAD_TOKEN_TTL_SECONDS, maxSeconds: PREVIEW_WORKLOAD_TOKEN_MAX_TTL_SECONDS },
    }),
  ];
}
