import {
  DatabaseSecretBackendConnection, DatabaseSecretBackendRole, KubernetesAuthBackendRole, KvSecretV2,
  PostgresqlDatabase, PostgresqlGrant, PostgresqlGrantRole, PostgresqlRole, TerraformApp, TerraformResource, TerraformStack,
  VaultPolicy, dependable,
} from '../cdktf';
import { AppEnvironment } from '../app-environment';
import {
  AppEnvironmentResourceType, NEEDS_OWNER_PRIVILEGES, ResourceDescription, address, describeAppEnvironmentStack, statePlacement,
} from './app-environment-stack';
import { addVariables, cdktfConfig } from './cdktf-config';
import { addBackend, addPostgresProvider, addVaultProvider } from './terraform-common';
import type { AppEnvironmentResources } from '../escape-hatch';

// The escape hatch's view of the stack is the model's API (escape-hatch.ts); re-exported at its old path.
export type { AppEnvironmentResources, GoldenDumpResources, TtlSweepResources } from '../escape-hatch';
// Defined with the description; re-exported at its old path.
export { TTL_SWEEP_TOKEN_TTL_SECONDS } from './app-environment-stack';

/*
 * The cdktf rendering of an app-environment stack: the typed resources of the one description
 * (app-environment-stack.ts), built through the provider classes so escape hatches get them, and
 * rendered by cdktf. Used when the plain renderer may not (escape hatches, other backends, tokens).
 */

type ResourceClass = (new (scope: TerraformStack, id: string, config: never) => TerraformResource) & { readonly prototype: object };

/** The generated class of every type the description may hold: a type missing here does not compile. */
const CLASSES: Record<AppEnvironmentResourceType, ResourceClass> = {
  postgresql_role: PostgresqlRole,
  postgresql_grant_role: PostgresqlGrantRole,
  postgresql_database: PostgresqlDatabase,
  postgresql_grant: PostgresqlGrant,
  vault_database_secret_backend_connection: DatabaseSecretBackendConnection,
  vault_database_secret_backend_role: DatabaseSecretBackendRole,
  vault_kv_secret_v2: KvSecretV2,
  vault_policy: VaultPolicy,
  vault_kubernetes_auth_backend_role: KubernetesAuthBackendRole,
};

/** One resource of the description as its typed class; `depends_on` names resources declared before it. */
function build(stack: TerraformStack, r: ResourceDescription, byId: ReadonlyMap<string, TerraformResource>): TerraformResource {
  const Class = CLASSES[r.type];
  const attributes = cdktfConfig(Class, `${r.type}.${r.id}`, r.attributes);
  const dependsOn = (r.dependsOn ?? []).map((a) => {
    const target = [...byId.values()].find((t) => address(t.terraformResourceType, t.node.id) === a);
    if (!target) throw new Error(`app-environment-stack.ts: ${r.type}.${r.id} depends on ${a}, which is not declared before it`);
    return target;
  });
  return new Class(stack, r.id, { ...attributes, ...(dependsOn.length > 0 ? { dependsOn } : {}) } as never);
}

/**
 * One stack per app-environment, as described by `describeAppEnvironmentStack`. Resource ids are
 * stable public API: diffs and policy findings point at them.
 */
export function buildAppEnvironmentStack(app: TerraformApp, env: AppEnvironment, gatingTier?: string): AppEnvironmentResources {
  const description = describeAppEnvironmentStack(env);
  const stack = new TerraformStack(app, env.stackName);
  addBackend(stack, env.estate, env.stackName, statePlacement(env, gatingTier));
  addPostgresProvider(stack, env.server!);
  addVaultProvider(stack, env.estate);
  addVariables(stack, description.variables);
  const byId = new Map<string, TerraformResource>();
  for (const r of description.resources) byId.set(r.id, build(stack, r, byId));
  // The escape hatch's typed view: each id is its class, or the description and this map disagree.
  const findOptional = <T extends TerraformResource>(Class: new (...args: never[]) => T, id: string): T | undefined => {
    const found = byId.get(id);
    if (found !== undefined && !(found instanceof Class)) throw new Error(`app-environment-stack.ts: ${id} is not a ${Class.name}`);
    return found;
  };
  const find = <T extends TerraformResource>(Class: new (...args: never[]) => T, id: string): T => {
    const found = findOptional(Class, id);
    if (found === undefined) throw new Error(`app-environment-stack.ts: every app-environment stack declares ${id}`);
    return found;
  };

  const providerMembership = findOptional(PostgresqlGrantRole, 'provider_owner_membership');
  const goldenRole = findOptional(PostgresqlRole, 'golden_dump_role');
  const resetAuthRole = findOptional(KubernetesAuthBackendRole, 'reset_auth_role');
  const ttlSweepPolicy = findOptional(VaultPolicy, 'ttl_sweep_policy');
  const promoteRole = findOptional(DatabaseSecretBackendRole, 'promote_role');
  const previewAdmin = findOptional(PostgresqlRole, 'preview_admin');
  const maintenanceRevokes: Record<string, PostgresqlGrant> = {};
  for (const r of byId.values()) {
    const m = /^maintenance_(.+)_public_revoke$/.exec(r.node.id);
    if (m) maintenanceRevokes[m[1]] = find(PostgresqlGrant, r.node.id);
  }
  const resources: AppEnvironmentResources = {
    stack,
    groupRole: find(PostgresqlRole, 'group_role'),
    vaultConnectionRole: find(PostgresqlRole, 'vault_connection_role'),
    vaultConnectionAdmin: find(PostgresqlGrantRole, 'vault_connection_admin'),
    providerMembership,
    database: find(PostgresqlDatabase, 'database'),
    databasePublicRevoke: find(PostgresqlGrant, 'database_public_revoke'),
    databaseConnect: find(PostgresqlGrant, 'database_connect'),
    maintenanceRevokes,
    vaultConnection: find(DatabaseSecretBackendConnection, 'vault_connection'),
    vaultRole: find(DatabaseSecretBackendRole, 'vault_role'),
    kvConfig: find(KvSecretV2, 'kv_config'),
    vaultPolicy: find(VaultPolicy, 'vault_policy'),
    kubernetesAuthRole: find(KubernetesAuthBackendRole, 'kubernetes_auth_role'),
    goldenDump: goldenRole && {
      role: goldenRole, connect: find(PostgresqlGrant, 'golden_dump_connect'), credential: find(KvSecretV2, 'golden_dump_credential'),
      policy: find(VaultPolicy, 'golden_dump_policy'), authRole: find(KubernetesAuthBackendRole, 'golden_dump_auth_role'),
    },
    resetAuthRole,
    resetPolicy: findOptional(VaultPolicy, 'reset_policy'),
    resetRevokePolicy: findOptional(VaultPolicy, 'reset_revoke_policy'),
    ttlSweep: ttlSweepPolicy && { policy: ttlSweepPolicy, authRole: find(KubernetesAuthBackendRole, 'ttl_sweep_auth_role') },
    promote: promoteRole && { role: promoteRole },
    previews: previewAdmin && {
      adminRole: previewAdmin, homeDatabase: find(PostgresqlDatabase, 'preview_home'), homePublicRevoke: find(PostgresqlGrant, 'preview_home_public_revoke'),
      homeConnect: find(PostgresqlGrant, 'preview_home_connect'), connection: find(DatabaseSecretBackendConnection, 'preview_connection'),
      credential: find(KvSecretV2, 'preview_admin_credential'), policy: find(VaultPolicy, 'preview_jobs_policy'),
      authRole: find(KubernetesAuthBackendRole, 'preview_jobs_auth_role'),
      workloadPolicy: findOptional(VaultPolicy, 'preview_workload_policy'),
      workloadAuthRole: findOptional(KubernetesAuthBackendRole, 'preview_workload_auth_role'),
    },
  };
  for (const hatch of env.escapeHatches) hatch(resources);
  if (providerMembership) afterProviderMembership(stack, providerMembership);
  return resources;
}

/** Escape hatches may add grants too: every one of them waits for the provider's membership. */
function afterProviderMembership(stack: TerraformStack, membership: PostgresqlGrantRole): void {
  for (const c of stack.node.findAll()) {
    if (!(c instanceof TerraformResource) || !NEEDS_OWNER_PRIVILEGES.has(c.terraformResourceType)) continue;
    c.dependsOn = [...(c.dependsOn ?? []), dependable(membership)];
  }
}
