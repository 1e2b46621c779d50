/**
 * Every Vault provider type tierkit knows (hashicorp/vault 5.6.0, the version @cdktf/provider-vault
 * 15.6.1 pins): how each is modelled, or why it cannot create reach. One Vault holds prod, so any
 * other `vault_*` resource, data source or ephemeral resource — identity groups and entities
 * attach policies, `vault_generic_endpoint` writes anywhere, a data source reads a secret at plan
 * time — is an error no suppression accepts (TK071). Exported for the known-types registry.
 */
export interface VaultTypeTable {
  readonly resource: Readonly<Record<string, string>>;
  readonly data: Readonly<Record<string, string>>;
  readonly ephemeral: Readonly<Record<string, string>>;
}

/** Types the estate graph models, and the rules that judge them. */
export const VAULT_MODELLED_TYPES: VaultTypeTable = {
  resource: {
    vault_policy: 'read by the canonical policy parser (TK070), judged by TK007 and TK014; its name by TK072',
    vault_kubernetes_auth_backend_role: 'TK008 (bindings, policies), TK072 (its role path)',
    vault_jwt_auth_backend_role: 'TK008 (claims, policies), TK072 (its role path)',
    vault_database_secret_backend_connection: 'TK005 (allowed roles, user), TK072 (its config path)',
    vault_database_secrets_mount: 'TK005 (each connection block), TK071 (its mount path must be the estate\'s database mount)',
    vault_database_secret_backend_role: 'TK004 (statements), TK006 (TTLs), TK072 (its role path)',
    vault_kv_secret_v2: 'TK010 (literal secrets), TK072 (its path)',
    vault_mount: 'TK071: only in the shared platform stack, only the estate\'s database and KV mounts',
    vault_auth_backend: 'TK071: only in the shared platform stack, only the estate\'s Kubernetes auth path',
    vault_jwt_auth_backend: 'TK071: only in the shared platform stack, only the estate\'s JWT path trusting the CI issuer',
    vault_quota_lease_count: 'TK046 (its env\'s creds path exactly, no other env\'s, a positive max_leases); TK007/TK014 judge who may write it',
    vault_quota_rate_limit: 'TK046 (its env\'s creds path exactly, no other env\'s, a positive rate); TK007/TK014 judge who may write it',
  },
  data: {
    vault_policy_document: 'rendered locally exactly as the provider renders it, then read like a literal policy (TK070)',
  },
  ephemeral: {},
};

/** The short list of types that cannot create reach: metadata-only reads, no secret, no write. */
export const VAULT_INERT_TYPES: VaultTypeTable = {
  resource: {},
  data: {
    vault_auth_backend: 'reads an auth mount\'s type and accessor (sys/auth): metadata, no secret',
    vault_auth_backends: 'lists auth mounts (sys/auth): metadata, no secret',
    vault_identity_oidc_openid_config: 'the OIDC provider\'s public discovery document',
    vault_identity_oidc_public_keys: 'the OIDC provider\'s public keys',
  },
  ephemeral: {},
};

export type VaultBlock = keyof VaultTypeTable;

/** Whether a `vault_*` type of a Terraform block (`resource`, `data`, `ephemeral`) is known. */
export function knownVaultType(block: VaultBlock, type: string): boolean {
  return Object.hasOwn(VAULT_MODELLED_TYPES[block], type) || Object.hasOwn(VAULT_INERT_TYPES[block], type);
}
