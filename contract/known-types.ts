/**
 * The resource and data source types whose reach tierkit models: the rules judge what each does.
 * Anything else of the `postgresql` or `vault` providers is unmodelled (its own rules report it);
 * any type of another provider is refused (TK022). Extend a list when a type gets modelled in
 * policies/graph — and only then: a type listed here is read as understood.
 */
export const POSTGRESQL_TYPES: readonly string[] = [
  // Every resource of the pinned cyrilgdn/postgresql: its reach is modelled in policies/graph/postgres.ts
  // and judged by TK001–TK005, TK030–TK040.
  'postgresql_database', 'postgresql_default_privileges', 'postgresql_extension', 'postgresql_function',
  'postgresql_grant', 'postgresql_grant_role', 'postgresql_physical_replication_slot', 'postgresql_publication',
  'postgresql_replication_slot', 'postgresql_role', 'postgresql_schema', 'postgresql_security_label',
  'postgresql_server', 'postgresql_subscription', 'postgresql_user_mapping',
];

export const VAULT_TYPES: readonly string[] = [
  // Modelled in policies/graph (each with its rules: policies/graph/vault-types.ts, which a test keeps equal).
  'vault_auth_backend',
  'vault_database_secret_backend_connection',
  'vault_database_secret_backend_role',
  'vault_database_secrets_mount',
  'vault_jwt_auth_backend',
  'vault_jwt_auth_backend_role',
  'vault_kubernetes_auth_backend_role',
  'vault_kv_secret_v2',
  'vault_mount',
  'vault_policy',
  'vault_quota_lease_count',
  'vault_quota_rate_limit',
];

/** Data sources are listed as `data.<type>`. */
export const POSTGRESQL_DATA_TYPES: readonly string[] = ['postgresql_schemas', 'postgresql_sequences', 'postgresql_tables'];
export const VAULT_DATA_TYPES: readonly string[] = [
  // vault_policy_document is rendered as the provider does; the others read public metadata only.
  'vault_auth_backend', 'vault_auth_backends', 'vault_identity_oidc_openid_config', 'vault_identity_oidc_public_keys', 'vault_policy_document',
];

/** The providers tierkit writes, with the only registry source each may come from. */
export const PROVIDER_SOURCES: Readonly<Record<string, string>> = {
  postgresql: 'cyrilgdn/postgresql',
  vault: 'hashicorp/vault',
};

/**
 * Arguments that are values supplied at plan or apply time (passwords from sensitive variables,
 * write-only secrets, their rotation counters): they may be unknown. Every other argument of a
 * modelled type can decide reach, so an unknown there is a finding (TK021).
 */
export const SECRET_INPUTS: ReadonlySet<string> = new Set([
  'password', 'password_wo', 'password_wo_version', 'data_json', 'data_json_wo', 'data_json_wo_version',
  'client_key', 'client_cert', 'private_key',
]);

/** A provider block's login (who it logs in as comes from the manifest's server, not from this value). */
export const PROVIDER_CREDENTIALS: ReadonlySet<string> = new Set(['username', 'password', 'token', 'client_cert', 'client_key']);

const KNOWN = new Set([...POSTGRESQL_TYPES, ...VAULT_TYPES, ...POSTGRESQL_DATA_TYPES.map((t) => `data.${t}`), ...VAULT_DATA_TYPES.map((t) => `data.${t}`)]);

/** Whether tierkit models this resource (`kind` resource) or data source type. */
export function isKnownType(kind: 'resource' | 'data', type: string): boolean {
  return KNOWN.has(kind === 'data' ? `data.${type}` : type);
}

/** The provider a type belongs to, by Terraform's rule: the type name's first `_`-separated word. */
export function providerOfType(type: string): string {
  return type.split('_')[0];
}
