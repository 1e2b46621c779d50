import type {
  DistContents, DistProblem, KubernetesObject, Manifest, ManifestAppEnvironment, ManifestServer, ManifestStack, ManifestTier, TerraformResource,
} from '../../contract';

/**
 * The estate graph: everything the rules judge, built from a dist/ only. Every node keeps where it
 * came from (artifact file, JSON pointer, construct path) so a finding can point a reviewer at the
 * line of the artifact and at the construct that wrote it.
 */
export interface Source {
  readonly file: string;
  /** RFC 6901 pointer inside `file` (Terraform JSON), or `/<document index>` for YAML streams. */
  readonly pointer: string;
  /** cdktf's metadata path of the resource, or the Kubernetes object's `kind/namespace/name`. */
  readonly resourcePath?: string;
  /** The manifest's construct path of the app-environment (`arcodange/erp/sandbox`), if known. */
  readonly constructPath?: string;
}

export type Env = ManifestAppEnvironment;

export interface Stack {
  readonly name: string;
  readonly file: string;
  /** False for a stack the manifest does not list (hand-written or stale). */
  readonly listed: boolean;
  readonly manifest?: ManifestStack;
  /** The app-environment whose stack this is (manifest appEnvironments[].stack), if any. */
  readonly env?: Env;
  /** Server id: from the manifest, else the provider host matched against manifest servers. */
  readonly server?: string;
  /** True only when the manifest says a human approves the apply. */
  readonly humanGate: boolean;
  readonly applyGate?: string;
  readonly postgresProviders: readonly PostgresProvider[];
  readonly json: Readonly<Record<string, any>>;
  /** Provider blocks by provider name, evaluated (contract/read.ts). */
  readonly providers: Readonly<Record<string, readonly Readonly<Record<string, unknown>>[]>>;
}

export interface PostgresProvider {
  readonly host?: string;
  /** The provider's `superuser` (its default is true). */
  readonly superuser: boolean;
  readonly source: Source;
}

/**
 * A role attribute as the artifact states it: `true`/`false` (booleans or Terraform's "true"/"false"),
 * absent = the provider's default, and `'unknown'` for a value tierkit cannot resolve (`"${var.su}"`,
 * a function call): what cannot be proven false is not false.
 */
export type Tristate = boolean | 'unknown';

export interface RoleAttributes {
  readonly login: Tristate;
  readonly superuser: Tristate;
  readonly createDatabase: Tristate;
  readonly createRole: Tristate;
  readonly replication: Tristate;
  readonly bypassRowLevelSecurity: Tristate;
}

/** Role `member` is granted `role` (from `roles`, `postgresql_grant_role` or a dynamic role's IN ROLE). */
export interface Membership {
  readonly member: string;
  readonly role: string;
  readonly admin: boolean;
  /** `SET ROLE` without membership semantics (`assume_role`): still a reach. */
  readonly via: 'roles' | 'grant_role' | 'assume_role';
  readonly source: Source;
  readonly stack: Stack;
}

export interface Role {
  readonly name: string;
  readonly server?: string;
  readonly attributes: RoleAttributes;
  readonly stack: Stack;
  readonly source: Source;
  readonly resource: TerraformResource;
}

export interface Database {
  readonly name: string;
  readonly server?: string;
  /** Undefined when the resource names no owner: the provider's admin user then owns it. */
  readonly owner?: string;
  readonly stack: Stack;
  readonly source: Source;
}

export interface DatabaseGrant {
  readonly database: string;
  readonly server?: string;
  readonly role: string;
  readonly objectType: string;
  readonly privileges: readonly string[];
  readonly stack: Stack;
  readonly source: Source;
}

export interface VaultConnection {
  readonly backend: string;
  readonly name: string;
  readonly allowedRoles: readonly string[] | undefined;
  readonly username?: string;
  readonly connectionUrl?: string;
  /** root_rotation_statements as written: Vault runs them as the connection user at every rotate-root. */
  readonly rootRotationStatements?: unknown;
  /** The postgresql block's tls_ca as written: the CA Vault verifies the server with (TK049). */
  readonly tlsCa?: unknown;
  readonly stack: Stack;
  readonly source: Source;
  readonly resource: TerraformResource;
}

export interface DynamicRole {
  readonly backend: string;
  readonly name: string;
  readonly dbName?: string;
  readonly creationStatements: readonly string[];
  readonly revocationStatements: readonly string[];
  /** renew_statements and rollback_statements as written: Vault runs them as the connection user too. */
  readonly renewStatements?: unknown;
  readonly rollbackStatements?: unknown;
  readonly defaultTtl?: number;
  readonly maxTtl?: number;
  readonly stack: Stack;
  readonly source: Source;
}

export interface KvSecret {
  readonly mount: string;
  readonly name: string;
  readonly data: Readonly<Record<string, unknown>> | undefined;
  readonly stack: Stack;
  readonly source: Source;
}

import type { PolicyPathRule } from '../../contract/vault-policy';
export type { PolicyPathRule };

export interface VaultPolicy {
  readonly name: string;
  readonly rules: readonly PolicyPathRule[];
  /** Set when the policy text is outside what tierkit reads with certainty (TK070 reports it; no other rule judges it). */
  readonly parseError?: string;
  /** `data.vault_policy_document.<name>` when the text was rendered from one. */
  readonly via?: string;
  readonly stack: Stack;
  readonly source: Source;
}

/** A `vault_quota_lease_count` or `vault_quota_rate_limit` as written (numbers as read; unreadable ones undefined). */
export interface VaultQuota {
  readonly kind: 'lease-count' | 'rate-limit';
  readonly name: string;
  /** The quota's path as written ('' or absent: global — every request of the Vault). */
  readonly path: unknown;
  /** max_leases (lease-count) or rate (rate-limit). */
  readonly limit: unknown;
  /** Attributes as written, for what narrows or moves the quota (namespace, role, inheritable). */
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly stack: Stack;
  readonly source: Source;
}

export interface AuthRole {
  readonly kind: 'kubernetes' | 'jwt';
  readonly backend: string;
  readonly name: string;
  readonly policies: readonly string[];
  /** kubernetes: bound service account names / namespaces. */
  readonly serviceAccounts: readonly string[];
  readonly namespaces: readonly string[];
  /**
   * kubernetes: bound_service_account_namespace_selector as written, when set. Vault (1.16+) ORs it
   * with `namespaces`: any namespace whose labels match is admitted too.
   */
  readonly namespaceSelector?: unknown;
  /** jwt: bound claims (values as strings or string lists). */
  readonly boundClaims: Readonly<Record<string, unknown>>;
  /** jwt: the resource's attributes as written (bound_claims_type, bound_audiences, …), for rules that judge claims. */
  readonly attributes?: Readonly<Record<string, unknown>>;
  readonly stack: Stack;
  readonly source: Source;
}

export interface K8sObject {
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
  readonly object: Readonly<Record<string, any>>;
  readonly listed: boolean;
  readonly source: Source;
}

/** Lookups from a derived name back to the app-environment that owns it. */
export interface EnvIndex {
  readonly bySlug: ReadonlyMap<string, Env>;
  readonly byStack: ReadonlyMap<string, Env>;
  /** Any Postgres role name the env owns (group, Vault connection, golden dump). */
  readonly byRole: ReadonlyMap<string, Env>;
  readonly byDatabase: ReadonlyMap<string, Env>;
  readonly byVaultConnection: ReadonlyMap<string, Env>;
  readonly byVaultRole: ReadonlyMap<string, Env>;
  readonly byVaultPolicy: ReadonlyMap<string, Env>;
  readonly byNamespace: ReadonlyMap<string, Env>;
}

export interface EstateGraph {
  readonly dir: string;
  readonly manifest: Manifest;
  readonly tiers: ReadonlyMap<string, ManifestTier>;
  readonly servers: ReadonlyMap<string, ManifestServer>;
  readonly envs: readonly Env[];
  readonly index: EnvIndex;
  readonly stacks: readonly Stack[];
  readonly resources: readonly TerraformResource[];
  readonly roles: readonly Role[];
  readonly memberships: readonly Membership[];
  readonly databases: readonly Database[];
  readonly databaseGrants: readonly DatabaseGrant[];
  readonly vaultConnections: readonly VaultConnection[];
  readonly dynamicRoles: readonly DynamicRole[];
  readonly kvSecrets: readonly KvSecret[];
  readonly vaultPolicies: readonly VaultPolicy[];
  readonly authRoles: readonly AuthRole[];
  readonly vaultQuotas: readonly VaultQuota[];
  readonly kubernetes: readonly K8sObject[];
  readonly rawKubernetes: readonly KubernetesObject[];
  /** Data source instances of every stack (`data.<type>.<name>`). */
  readonly dataSources: readonly TerraformResource[];
  /** What the strict reader refused in dist/ (TK020 reports each). */
  readonly problems: readonly DistProblem[];
  /** `ci/state-access.json` as read (contract/read.ts), when the dist holds one (TK093). */
  readonly stateAccess?: DistContents['stateAccess'];
  /** `ci/rulesets/*.json` as read (TK094). */
  readonly githubRulesets?: DistContents['githubRulesets'];
  /** `ci/data-promote.json` as read, when the dist holds one (TK163). */
  readonly dataPromote?: DistContents['dataPromote'];
  /** `ci/review.json` as read, when the dist holds one (TK023–TK025). */
  readonly review?: DistContents['review'];
}

/** The key of a cluster-wide object (role, database) on one server. */
export function serverKey(server: string | undefined, name: string): string {
  return `${server ?? '?'}\u0000${name}`;
}
