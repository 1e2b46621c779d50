/**
 * The only module that imports cdktf and its providers. cdktf is deprecated upstream (its fork
 * is CDK Terrain, `cdktn`): moving is an import rename here. Providers are imported deeply
 * because the vault index costs ~200 ms and 30 MB.
 */
export { App as TerraformApp, TerraformResource, TerraformStack, TerraformVariable, LocalBackend, S3Backend, Token, Tokenization } from 'cdktf';
/** The cdktf version every stack's metadata records (cdktf reads it from its own package.json). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const CDKTF_VERSION: string = require('cdktf/package.json').version;
// What `dependsOn: [resource]` stores: a token rendering the resource's address.
export { dependable } from 'cdktf/lib/tfExpression';
export { PostgresqlProvider } from '@cdktf/provider-postgresql/lib/provider';
export { Role as PostgresqlRole } from '@cdktf/provider-postgresql/lib/role';
export { Database as PostgresqlDatabase } from '@cdktf/provider-postgresql/lib/database';
export { Grant as PostgresqlGrant } from '@cdktf/provider-postgresql/lib/grant';
export { GrantRole as PostgresqlGrantRole } from '@cdktf/provider-postgresql/lib/grant-role';
export { VaultProvider } from '@cdktf/provider-vault/lib/provider';
export { DatabaseSecretBackendConnection } from '@cdktf/provider-vault/lib/database-secret-backend-connection';
export { DatabaseSecretBackendRole } from '@cdktf/provider-vault/lib/database-secret-backend-role';
export { KvSecretV2 } from '@cdktf/provider-vault/lib/kv-secret-v2';
export { Policy as VaultPolicy } from '@cdktf/provider-vault/lib/policy';
export { QuotaLeaseCount as VaultQuotaLeaseCount } from '@cdktf/provider-vault/lib/quota-lease-count';
export { QuotaRateLimit as VaultQuotaRateLimit } from '@cdktf/provider-vault/lib/quota-rate-limit';
export { KubernetesAuthBackendRole } from '@cdktf/provider-vault/lib/kubernetes-auth-backend-role';
export { JwtAuthBackend } from '@cdktf/provider-vault/lib/jwt-auth-backend';
export { JwtAuthBackendRole } from '@cdktf/provider-vault/lib/jwt-auth-backend-role';
export { Mount as VaultMount } from '@cdktf/provider-vault/lib/mount';
export { AuthBackend as VaultAuthBackend } from '@cdktf/provider-vault/lib/auth-backend';
