// The mutation corpus of issue #10 (fail closed, PostgreSQL part): each case is an attack a PR
// author can write, as resources added to (or attributes changed on) one env's stack. The test
// applies each case twice — through env.addEscapeHatch and as a hand edit of dist/ with the
// manifest's hashes rewritten — and expects the named rule to catch it at the named pointer.
import type { Estate } from '../../constructs';
import type { AppEnvironmentResources } from '../../constructs/synth/terraform-app-environment';
import { env } from './helpers';

export type Block = Record<string, unknown>;

export interface Case {
  readonly id: string;
  /** The class of issue #10 it belongs to (2 unmodelled reach, 3 unquoted SQL, 4 undeclared roles, 5 admin credential). */
  readonly klass: 2 | 3 | 4 | 5;
  readonly rule: string;
  /** `<app>/<env>`: the env whose stack carries the attack. */
  readonly env: string;
  readonly resources?: Record<string, Record<string, Block>>;
  readonly data?: Record<string, Record<string, Block>>;
  readonly outputs?: Record<string, Block>;
  readonly modules?: Record<string, Block>;
  /** Attributes overridden on an existing resource of the env (escape hatch key, Terraform address). */
  readonly edit?: { readonly key: keyof AppEnvironmentResources; readonly address: string; readonly attrs: Block };
  /** The pointer (prefix) inside the stack file the finding must point at. */
  readonly pointer: string;
}

const SANDBOX_DB = 'erp-sandbox';
const INJECT = `; COMMIT; GRANT "erp_role" TO "erp_sandbox_role"; --`;

export const CASES: readonly Case[] = [
  // Class 2: provider resources with reach the graph did not model.
  { id: 'security-definer', klass: 2, rule: 'TK032', env: 'erp/sandbox', pointer: '/resource/postgresql_function/escalate/security_definer',
    resources: { postgresql_function: { escalate: { name: 'escalate', database: SANDBOX_DB, schema: 'public', returns: 'void', language: 'plpgsql',
      security_definer: true, body: 'BEGIN EXECUTE format(\'GRANT "erp_role" TO %I\', session_user); END;' } } } },
  { id: 'function-untrusted-language', klass: 2, rule: 'TK032', env: 'shop/dev', pointer: '/resource/postgresql_function/shell/language',
    resources: { postgresql_function: { shell: { name: 'shell', database: 'shop-dev', returns: 'int', language: 'plpython3u', body: 'return 1' } } } },
  { id: 'function-other-database', klass: 2, rule: 'TK032', env: 'shop/dev', pointer: '/resource/postgresql_function/elsewhere/database',
    resources: { postgresql_function: { elsewhere: { name: 'f', database: 'shop', returns: 'int', language: 'sql', body: 'select 1' } } } },
  { id: 'fdw-dev-to-prod', klass: 2, rule: 'TK033', env: 'shop/dev', pointer: '/resource/postgresql_server/prod/options',
    resources: { postgresql_server: { prod: { server_name: 'prod', fdw_name: 'postgres_fdw', options: { host: 'pg-prod.arcodange.lab', port: '5432', dbname: 'shop' } } } } },
  { id: 'fdw-by-address', klass: 2, rule: 'TK033', env: 'shop/dev', pointer: '/resource/postgresql_server/byip/options',
    resources: { postgresql_server: { byip: { server_name: 'byip', fdw_name: 'postgres_fdw', options: { host: '10.20.5.10', dbname: 'shop' } } } } },
  { id: 'user-mapping-public', klass: 2, rule: 'TK033', env: 'shop/dev', pointer: '/resource/postgresql_user_mapping/everyone/user_name',
    resources: { postgresql_user_mapping: { everyone: { server_name: 'whatever', user_name: 'public', options: { user: 'shop_dev_role' } } } } },
  { id: 'table-grant-on-prod', klass: 2, rule: 'TK034', env: 'erp/sandbox', pointer: '/resource/postgresql_grant/prod_tables/database',
    resources: { postgresql_grant: { prod_tables: { database: 'erp', schema: 'public', object_type: 'table', objects: [], privileges: ['SELECT', 'UPDATE'], role: 'erp_sandbox_role' } } } },
  { id: 'default-privileges-on-prod', klass: 2, rule: 'TK034', env: 'erp/sandbox', pointer: '/resource/postgresql_default_privileges/future/database',
    resources: { postgresql_default_privileges: { future: { database: 'erp', schema: 'public', owner: 'erp_role', role: 'erp_sandbox_role', object_type: 'table', privileges: ['SELECT', 'INSERT'] } } } },
  { id: 'schema-takeover', klass: 2, rule: 'TK034', env: 'erp/sandbox', pointer: '/resource/postgresql_schema/takeover/database',
    resources: { postgresql_schema: { takeover: { name: 'public', database: 'erp', owner: 'erp_sandbox_role' } } } },
  { id: 'extension-dblink', klass: 2, rule: 'TK035', env: 'erp/sandbox', pointer: '/resource/postgresql_extension/dblink/name',
    resources: { postgresql_extension: { dblink: { name: 'dblink', database: SANDBOX_DB } } } },
  { id: 'security-label', klass: 2, rule: 'TK035', env: 'erp/sandbox', pointer: '/resource/postgresql_security_label/unmask',
    resources: { postgresql_security_label: { unmask: { label_provider: 'anon', object_type: 'column', object_name: 'customers.iban', label: 'NULL' } } } },
  { id: 'subscription-from-prod', klass: 2, rule: 'TK036', env: 'shop/dev', pointer: '/resource/postgresql_subscription/copy/conninfo',
    resources: { postgresql_subscription: { copy: { name: 'copy', database: 'shop-dev', publications: ['all'],
      conninfo: 'host=pg-prod.arcodange.lab port=5432 dbname=shop user=shop_vault' } } } },
  { id: 'subscription-uri-host-override', klass: 2, rule: 'TK036', env: 'shop/dev', pointer: '/resource/postgresql_subscription/uri/conninfo',
    resources: { postgresql_subscription: { uri: { name: 'uri', database: 'shop-dev', publications: ['all'],
      conninfo: 'postgresql://shop_dev_vault@pg-nonprod.arcodange.lab:5432/shop-dev?host=pg-prod.arcodange.lab&dbname=shop' } } } },
  { id: 'subscription-host-list', klass: 2, rule: 'TK036', env: 'shop/dev', pointer: '/resource/postgresql_subscription/list/conninfo',
    resources: { postgresql_subscription: { list: { name: 'list', database: 'shop-dev', publications: ['all'],
      conninfo: 'host=pg-nonprod.arcodange.lab,pg-prod.arcodange.lab dbname=shop-dev' } } } },
  { id: 'publication-on-prod', klass: 2, rule: 'TK036', env: 'erp/sandbox', pointer: '/resource/postgresql_publication/leak/database',
    resources: { postgresql_publication: { leak: { name: 'leak', database: 'erp', all_tables: true } } } },
  { id: 'physical-slot', klass: 2, rule: 'TK036', env: 'erp/sandbox', pointer: '/resource/postgresql_physical_replication_slot/cluster',
    resources: { postgresql_physical_replication_slot: { cluster: { name: 'cluster' } } } },
  { id: 'logical-slot-on-prod', klass: 2, rule: 'TK036', env: 'erp/sandbox', pointer: '/resource/postgresql_replication_slot/decode/database',
    resources: { postgresql_replication_slot: { decode: { name: 'decode', database: 'erp', plugin: 'pgoutput' } } } },
  { id: 'template-clone-prod', klass: 2, rule: 'TK037', env: 'erp/sandbox', pointer: '/resource/postgresql_database/database/template',
    edit: { key: 'database', address: 'postgresql_database.database', attrs: { template: 'erp' } } },
  { id: 'prod-is-template', klass: 2, rule: 'TK037', env: 'erp/prod', pointer: '/resource/postgresql_database/database/is_template',
    edit: { key: 'database', address: 'postgresql_database.database', attrs: { is_template: true } } },
  { id: 'alter-object-ownership', klass: 2, rule: 'TK037', env: 'erp/sandbox', pointer: '/resource/postgresql_database/database/alter_object_ownership',
    edit: { key: 'database', address: 'postgresql_database.database', attrs: { alter_object_ownership: true } } },
  { id: 'unknown-type-on-prod-server', klass: 2, rule: 'TK030', env: 'erp/sandbox', pointer: '/resource/postgresql_event_trigger/t',
    resources: { postgresql_event_trigger: { t: { name: 't', database: SANDBOX_DB } } } },
  { id: 'unknown-data-source', klass: 2, rule: 'TK030', env: 'erp/sandbox', pointer: '/data/postgresql_roles/all',
    data: { postgresql_roles: { all: { database: SANDBOX_DB } } } },
  { id: 'module-inherits-provider', klass: 2, rule: 'TK030', env: 'erp/sandbox', pointer: '/module/helper',
    modules: { helper: { source: 'git::https://example.com/pg-helpers.git?ref=v1' } } },
  { id: 'unknown-type-own-server', klass: 2, rule: 'TK031', env: 'shop/demo', pointer: '/resource/postgresql_event_trigger/t',
    resources: { postgresql_event_trigger: { t: { name: 't', database: 'shop-demo' } } } },
  // Class 3: values the provider pastes into SQL (or its URL) unquoted.
  { id: 'grant-objects-injection', klass: 3, rule: 'TK038', env: 'erp/sandbox', pointer: '/resource/postgresql_grant/exec/objects/0',
    resources: { postgresql_grant: { exec: { database: SANDBOX_DB, schema: 'public', object_type: 'function', objects: [`f() FROM "public"${INJECT}`], privileges: ['EXECUTE'], role: 'erp_sandbox_role' } } } },
  { id: 'function-returns-injection', klass: 3, rule: 'TK038', env: 'erp/sandbox', pointer: '/resource/postgresql_function/ret/returns',
    resources: { postgresql_function: { ret: { name: 'ret', database: SANDBOX_DB, language: 'sql', body: 'select 1', returns: `int LANGUAGE sql AS 'select 1'${INJECT}` } } } },
  { id: 'function-body-breakout', klass: 3, rule: 'TK038', env: 'erp/sandbox', pointer: '/resource/postgresql_function/breakout/body',
    resources: { postgresql_function: { breakout: { name: 'breakout', database: SANDBOX_DB, language: 'sql', returns: 'int',
      body: `select 1$function$; GRANT "erp_role" TO "erp_sandbox_role"; CREATE FUNCTION x() RETURNS int LANGUAGE sql AS $function$select 1` } } } },
  { id: 'publication-name-injection', klass: 3, rule: 'TK038', env: 'erp/sandbox', pointer: '/resource/postgresql_publication/pubinj/name',
    resources: { postgresql_publication: { pubinj: { name: `p FOR ALL TABLES${INJECT}`, database: SANDBOX_DB } } } },
  { id: 'data-source-pattern-injection', klass: 3, rule: 'TK038', env: 'erp/sandbox', pointer: '/data/postgresql_schemas/s/like_any_patterns/0',
    data: { postgresql_schemas: { s: { database: SANDBOX_DB, like_any_patterns: [`x']${INJECT}`] } } } },
  { id: 'database-url-injection', klass: 3, rule: 'TK038', env: 'erp/sandbox', pointer: '/resource/postgresql_extension/viaurl/database',
    resources: { postgresql_extension: { viaurl: { name: 'pg_trgm', database: 'erp-sandbox?dbname=erp&x=' } } } },
  { id: 'database-name-destroy-injection', klass: 3, rule: 'TK038', env: 'erp/sandbox', pointer: '/resource/postgresql_database/database/name',
    edit: { key: 'database', address: 'postgresql_database.database', attrs: { name: `erp-sandbox'${INJECT}` } } },
  { id: 'unresolved-objects', klass: 3, rule: 'TK038', env: 'erp/sandbox', pointer: '/resource/postgresql_grant/viaexpr/objects/0',
    resources: { postgresql_grant: { viaexpr: { database: SANDBOX_DB, schema: 'public', object_type: 'function', objects: ['${local.objects}'], privileges: ['EXECUTE'], role: 'erp_sandbox_role' } } } },
  { id: 'dynamic-function-args', klass: 3, rule: 'TK038', env: 'erp/sandbox', pointer: '/resource/postgresql_function/dyn/dynamic',
    resources: { postgresql_function: { dyn: { name: 'dyn', database: SANDBOX_DB, language: 'sql', returns: 'int', body: 'select 1',
      dynamic: { arg: { for_each: '${local.args}', content: { name: '${arg.value.name}', type: '${arg.value.type}' } } } } } } },
  // Class 4: roles the estate does not declare.
  { id: 'declare-postgres-then-join-it', klass: 4, rule: 'TK039', env: 'erp/sandbox', pointer: '/resource/postgresql_grant_role/su/grant_role',
    resources: { postgresql_role: { su: { name: 'postgres', login: true } }, postgresql_grant_role: { su: { role: 'erp_sandbox_role', grant_role: 'postgres' } } } },
  { id: 'member-of-postgres', klass: 4, rule: 'TK039', env: 'erp/sandbox', pointer: '/resource/postgresql_role/group_role/roles/0',
    edit: { key: 'groupRole', address: 'postgresql_role.group_role', attrs: { roles: ['postgres'] } } },
  { id: 'unresolved-role-name', klass: 4, rule: 'TK021', env: 'erp/sandbox', pointer: '/resource/postgresql_role/ghost/name',
    resources: { postgresql_role: { ghost: { name: '${var.ghost_name}', login: true, roles: ['erp_sandbox_role'] } } } },
  // The evaluator computes this name: prod's group, declared by the sandbox's stack (TK001, not an unknown).
  { id: 'computed-role-name', klass: 4, rule: 'TK001', env: 'erp/sandbox', pointer: '/resource/postgresql_role/computed',
    resources: { postgresql_role: { computed: { name: '${replace("erp-role", "-", "_")}', login: true, roles: ['erp_sandbox_role'] } } } },
  { id: 'member-of-pg-write-all-data', klass: 4, rule: 'TK039', env: 'shop/dev', pointer: '/resource/postgresql_grant_role/writer/grant_role',
    resources: { postgresql_grant_role: { writer: { role: 'shop_dev_role', grant_role: 'pg_write_all_data' } } } },
  { id: 'member-of-pg-execute-server-program', klass: 4, rule: 'TK039', env: 'erp/sandbox', pointer: '/resource/postgresql_grant_role/program/grant_role',
    resources: { postgresql_grant_role: { program: { role: 'erp_sandbox_role', grant_role: 'pg_execute_server_program' } } } },
  // On erp (prod): erp-sandbox's connection role already joins the server's temp_file_limit role (TK043), so an override appends there.
  { id: 'member-of-pg-signal-backend', klass: 4, rule: 'TK039', env: 'erp/prod', pointer: '/resource/postgresql_role/vault_connection_role/roles/0',
    edit: { key: 'vaultConnectionRole', address: 'postgresql_role.vault_connection_role', attrs: { roles: ['pg_signal_backend'] } } },
  { id: 'pg-read-all-data-not-golden', klass: 4, rule: 'TK039', env: 'erp/sandbox', pointer: '/resource/postgresql_role/group_role/roles/0',
    edit: { key: 'groupRole', address: 'postgresql_role.group_role', attrs: { roles: ['pg_read_all_data'] } } },
  { id: 'other-servers-admin', klass: 4, rule: 'TK039', env: 'erp/sandbox', pointer: '/resource/postgresql_grant_role/admin/grant_role',
    resources: { postgresql_grant_role: { admin: { role: 'erp_sandbox_role', grant_role: 'tierkit_admin' } } } },
  { id: 'cloud-admin', klass: 4, rule: 'TK039', env: 'shop/dev', pointer: '/resource/postgresql_grant_role/rds/grant_role',
    resources: { postgresql_grant_role: { rds: { role: 'shop_dev_role', grant_role: 'rds_superuser' } } } },
  { id: 'unresolved-role', klass: 4, rule: 'TK039', env: 'erp/sandbox', pointer: '/resource/postgresql_grant_role/viaexpr/grant_role',
    resources: { postgresql_grant_role: { viaexpr: { role: 'erp_sandbox_role', grant_role: '${lower(local.target)}' } } } },
  // Class 5: the admin credential outside the provider block.
  { id: 'admin-password-in-kv', klass: 5, rule: 'TK040', env: 'erp/sandbox', pointer: '/resource/vault_kv_secret_v2/kv_config/data_json_wo',
    edit: { key: 'kvConfig', address: 'vault_kv_secret_v2.kv_config', attrs: { data_json_wo: '${jsonencode({p = var.pg_admin_password})}', data_json_wo_version: 1 } } },
  { id: 'admin-password-in-user-mapping', klass: 5, rule: 'TK040', env: 'erp/sandbox', pointer: '/resource/postgresql_user_mapping/borrow/options/password',
    resources: { postgresql_user_mapping: { borrow: { server_name: 'loop', user_name: 'erp_sandbox_role', options: { user: '${var.pg_admin_username}', password: '${var.pg_admin_password}' } } } } },
  { id: 'admin-password-in-connection-url', klass: 5, rule: 'TK040', env: 'erp/sandbox', pointer: '/resource/vault_database_secret_backend_connection/vault_connection/postgresql/connection_url',
    edit: { key: 'vaultConnection', address: 'vault_database_secret_backend_connection.vault_connection',
      attrs: { 'postgresql.connection_url': 'postgresql://${var.pg_admin_username}:${var.pg_admin_password}@pg-prod.arcodange.lab:5432/erp' } } },
  { id: 'admin-password-in-output', klass: 5, rule: 'TK040', env: 'shop/dev', pointer: '/output/leak/value',
    outputs: { leak: { value: '${var["pg_admin_password"]}', sensitive: false } } },
];

/**
 * Legitimate neighbours of the attacks: the same resource types used inside the env's own
 * database, for its own roles, with plain values. None may be a finding.
 */
export const NEIGHBOURS: Pick<Case, 'env' | 'resources' | 'data'>[] = [
  { env: 'shop/dev', resources: {
    postgresql_function: { invoker: { name: 'total', database: 'shop-dev', schema: 'public', returns: 'numeric(10,2)', language: 'plpgsql',
      arg: [{ name: 'order_id', type: 'bigint' }, { name: 'tags', type: 'text[]', mode: 'IN', default: "'none'" }], body: 'BEGIN RETURN 0; END;' } },
    postgresql_extension: { trgm: { name: 'pg_trgm', database: 'shop-dev' } },
    postgresql_schema: { app: { name: 'app', database: 'shop-dev', owner: 'shop_dev_role', policy: [{ role: 'shop_dev_role', usage: true }] } },
    postgresql_grant: {
      tables: { database: 'shop-dev', schema: 'app', object_type: 'table', objects: ['orders', 'customers'], privileges: ['SELECT'], role: 'shop_dev_role' },
      fn: { database: 'shop-dev', schema: 'public', object_type: 'function', objects: ['total(bigint, text[])'], privileges: ['EXECUTE'], role: 'shop_dev_role' },
    },
    postgresql_default_privileges: { future: { database: 'shop-dev', schema: 'app', owner: 'shop_dev_role', role: 'shop_dev_vault', object_type: 'table', privileges: ['SELECT'] } },
    postgresql_publication: { own: { name: 'own_changes', database: 'shop-dev', owner: 'shop_dev_role', all_tables: true } },
    postgresql_replication_slot: { own: { name: 'own_slot', database: 'shop-dev', plugin: 'pgoutput' } },
    postgresql_server: { self: { server_name: 'self', fdw_name: 'postgres_fdw', options: { host: 'pg-nonprod.arcodange.lab', port: '5432', dbname: 'shop-dev' } } },
    postgresql_user_mapping: { self: { server_name: 'self', user_name: 'shop_dev_role', options: { user: 'shop_dev_role' } } },
    postgresql_subscription: { self: { name: 'self_sub', database: 'shop-dev', publications: ['own_changes'], conninfo: 'host=pg-nonprod.arcodange.lab dbname=shop-dev user=shop_dev_vault' } },
  }, data: { postgresql_tables: { mine: { database: 'shop-dev', schemas: ['app'], like_any_patterns: ['order%'], table_types: ['BASE TABLE'] } } } },
];

export function envOf(estate: Estate, slug: string) {
  const [app, name] = slug.split('/');
  return env(estate, app, name);
}

export function stackOf(slug: string): string {
  const [app, name] = slug.split('/');
  return name === 'prod' ? app : `${app}-${name}`;
}

/** Set `a.b.c` (cdktf override syntax) on a JSON object. */
function setPath(target: Block, path: string, value: unknown): void {
  const keys = path.split('.');
  let at: any = target;
  for (const k of keys.slice(0, -1)) at = at[k] ??= {};
  at[keys[keys.length - 1]] = value;
}

export function hatch(estate: Estate, c: Pick<Case, 'env' | 'resources' | 'data' | 'outputs' | 'modules' | 'edit'>): void {
  envOf(estate, c.env).addEscapeHatch((r) => {
    for (const [type, byName] of Object.entries(c.resources ?? {})) {
      for (const [name, body] of Object.entries(byName)) r.stack.addOverride(`resource.${type}.${name}`, body);
    }
    for (const [type, byName] of Object.entries(c.data ?? {})) {
      for (const [name, body] of Object.entries(byName)) r.stack.addOverride(`data.${type}.${name}`, body);
    }
    for (const [name, body] of Object.entries(c.outputs ?? {})) r.stack.addOverride(`output.${name}`, body);
    for (const [name, body] of Object.entries(c.modules ?? {})) r.stack.addOverride(`module.${name}`, body);
    if (c.edit) {
      const target = r[c.edit.key] as unknown as { addOverride(p: string, v: unknown): void };
      for (const [k, v] of Object.entries(c.edit.attrs)) target.addOverride(k, v);
    }
  });
}

export function edit(json: any, c: Pick<Case, 'resources' | 'data' | 'outputs' | 'modules' | 'edit'>): void {
  for (const [type, byName] of Object.entries(c.resources ?? {})) Object.assign((json.resource[type] ??= {}), byName);
  for (const [type, byName] of Object.entries(c.data ?? {})) Object.assign(((json.data ??= {})[type] ??= {}), byName);
  for (const [name, body] of Object.entries(c.outputs ?? {})) (json.output ??= {})[name] = body;
  for (const [name, body] of Object.entries(c.modules ?? {})) (json.module ??= {})[name] = body;
  if (c.edit) {
    const [type, name] = c.edit.address.split('.');
    for (const [k, v] of Object.entries(c.edit.attrs)) setPath(json.resource[type][name], k, v);
  }
}

