/**
 * What tierkit writes on a Vault database connection (constructs/synth/app-environment-stack.ts,
 * terraform-platform.ts, terraform-previews.ts): TK151 refuses anything else, since no rule models it.
 */

/** Terraform's and cdktf's own keys tierkit writes (`//` is cdktf's metadata); never `provider` (another Vault, unjudged), count, lifecycle. */
const META = ['//', 'depends_on'];

/** A `vault_database_secret_backend_connection`'s top-level attributes. */
export const CONNECTION_ATTRIBUTES: ReadonlySet<string> = new Set([
  ...META, 'backend', 'name', 'plugin_name', 'allowed_roles', 'verify_connection', 'root_rotation_statements', 'postgresql',
]);

/** A `vault_database_secrets_mount` postgresql block's connection settings (beside its plugin settings). */
export const MOUNT_CONNECTION_ATTRIBUTES: ReadonlySet<string> = new Set([
  'name', 'plugin_name', 'allowed_roles', 'verify_connection', 'root_rotation_statements',
]);

/**
 * The postgresql block: not `username_template` (rendered into the statements as {{name}}),
 * `password_authentication`, `disable_escaping`, `password` (state-held), pool sizes, auth types.
 * `max_connection_lifetime` is written for a template-reset sandbox (TK118 judges it).
 */
export const POSTGRESQL_BLOCK_ATTRIBUTES: ReadonlySet<string> = new Set([
  'connection_url', 'username', 'password_wo', 'password_wo_version', 'tls_ca', 'max_connection_lifetime',
]);

export const CONNECTION_PLUGIN = 'postgresql-database-plugin';

/** The plugin blocks of hashicorp/vault's database resources (v5: database_secret_backend_connection.go dbEngines). */
export const PLUGIN_BLOCKS: ReadonlySet<string> = new Set([
  'cassandra', 'couchbase', 'elasticsearch', 'hana', 'influxdb', 'mongodb', 'mongodbatlas', 'mssql', 'mysql', 'mysql_aurora',
  'mysql_legacy', 'mysql_rds', 'oracle', 'postgresql', 'redis', 'redis_elasticache', 'redshift', 'snowflake',
]);

/** A login Vault may put between double quotes as {{name}}: what constructs/naming.ts derives, nothing that quotes or templates. */
export const USERNAME_SHAPE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}$/;
