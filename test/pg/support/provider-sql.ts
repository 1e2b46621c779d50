// The SQL cyrilgdn/postgresql v1.26.0 issues for the resource types the estate translator
// (translator.ts) does not apply — used by the fail-closed proofs to apply an attack exactly as the
// provider would. Sources: ../shared/notes/provider-resources.md §1.3 (createFunction,
// resourcePostgreSQLServerCreate, resourcePostgreSQLUserMappingCreate, resourcePostgreSQLExtensionCreate,
// resourcePostgreSQLDefaultPrivilegesCreate, createRevokeQuery/createGrantQuery with quoteIdentifyIdent,
// resourcePostgreSQLGrantRoleCreate, resourcePostgreSQLPublicationCreate, the subscription's and the
// replication slots' create SQL), and its live test A (§4) for the injected grant.
import type { Manifest } from '../../../constructs/synth/manifest';
import type { TerraformResource } from '../../../policies/dist/read';
import { ident, literal, type PgServerInfo } from './db';
import type { NameMap } from './names';

export interface ProviderSqlContext {
  readonly names: NameMap;
  readonly manifest: Manifest;
  readonly server: PgServerInfo;
  /** Values of `${var.x}` in attributes. */
  readonly variables: Readonly<Record<string, string>>;
}

export interface ProviderStatement {
  readonly address: string;
  /** Database the statement runs in (undefined: the provider's database, postgres). */
  readonly database?: string;
  /** One Exec call each (lib/pq simple query: a string may hold several statements). */
  readonly sql: readonly string[];
  /** The provider wraps them in BEGIN … COMMIT (grant, default privileges). */
  readonly transaction: boolean;
}

/** Role and database names the estate declares (they get the test's namespace prefix). */
function estateNames(manifest: Manifest): Set<string> {
  const out = new Set<string>();
  for (const e of manifest.appEnvironments) {
    for (const n of [e.names.groupRole, e.names.vaultConnectionRole, e.names.goldenDumpRole, e.names.database]) out.add(n);
  }
  return out;
}

/** Map the estate's `"name"`s inside raw SQL text (a function body, an injected value) to the test's names. */
export function mapRaw(text: string, ctx: ProviderSqlContext): string {
  const known = estateNames(ctx.manifest);
  return text.replace(/"((?:[^"]|"")+)"/g, (whole, inner: string) => (known.has(inner) ? ident(ctx.names.map(inner)) : whole));
}

function vars(v: unknown, ctx: ProviderSqlContext): string {
  return String(v).replace(/\$\{var\.([a-z0-9_]+)\}/g, (m, name: string) => ctx.variables[name] ?? m);
}

/** A manifest server's host:port stands for the test server (one physical server per major). */
function remoteOption(key: string, value: string, ctx: ProviderSqlContext): string {
  const servers = ctx.manifest.servers ?? [];
  if (key === 'host' && servers.some((s) => s.host === value)) return ctx.server.host;
  if (key === 'port') return String(ctx.server.port);
  if (key === 'dbname') return ctx.names.map(value);
  return value;
}

/**
 * A subscription's libpq conninfo with the manifest's server standing for the test server (as
 * `remoteOption`), and `${var.x}` filled in: what the subscription really connects with.
 */
function remoteConninfo(text: string, ctx: ProviderSqlContext): string {
  return vars(text, ctx).replace(/([a-z_]+)=(\S+)/g, (_m, k: string, v: string) => `${k}=${remoteOption(k, v, ctx)}`);
}

/** pq.QuoteIdentifier on the text before the first "(", the rest (up to a second "(") appended raw. */
function quoteIdentifyIdent(obj: string): string {
  const parts = obj.split('(');
  return `${ident(parts[0])}${parts.length > 1 ? `(${parts[1]}` : ''}`;
}

function options(o: unknown, map: (k: string, v: string) => string): string {
  const entries = Object.entries((o ?? {}) as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
  return entries.length === 0 ? '' : ` OPTIONS (${entries.map(([k, v]) => `${ident(k)} ${literal(map(k, String(v)))}`).join(', ')})`;
}

export function providerStatements(r: TerraformResource, ctx: ProviderSqlContext): ProviderStatement[] {
  const a = r.attributes as Record<string, any>;
  const role = (x: unknown) => ident(ctx.names.map(vars(x, ctx)));
  const db = a.database === undefined ? undefined : ctx.names.map(String(a.database));
  switch (r.type) {
    case 'postgresql_function': {
      const args = ([] as Record<string, string>[]).concat(a.arg ?? []).map((x) => [x.mode, x.name, x.type].filter(Boolean).join(' ')).join(', ');
      return [{ address: r.address, database: db, transaction: false, sql: [
        `CREATE OR REPLACE FUNCTION ${ident(a.schema ?? 'public')}.${ident(a.name)} (${args}) RETURNS ${mapRaw(a.returns ?? 'void', ctx)} LANGUAGE ${a.language ?? 'plpgsql'}${a.security_definer ? ' SECURITY DEFINER' : ''} AS $function$${mapRaw(a.body, ctx)}$function$;`,
      ] }];
    }
    case 'postgresql_extension':
      return [{ address: r.address, database: db, transaction: false, sql: [`CREATE EXTENSION IF NOT EXISTS ${ident(a.name)}${a.schema ? ` SCHEMA ${ident(a.schema)}` : ''}`] }];
    case 'postgresql_server':
      return [{ address: r.address, transaction: false, sql: [
        `CREATE SERVER ${ident(a.server_name)} FOREIGN DATA WRAPPER ${ident(a.fdw_name)}${options(a.options, (k, v) => remoteOption(k, v, ctx))}`,
        ...(a.server_owner ? [`ALTER SERVER ${ident(a.server_name)} OWNER TO ${role(a.server_owner)}`] : []),
      ] }];
    case 'postgresql_user_mapping':
      return [{ address: r.address, transaction: false, sql: [
        `CREATE USER MAPPING FOR ${role(a.user_name)} SERVER ${ident(a.server_name)}${options(a.options, (_k, v) => vars(v, ctx))}`,
      ] }];
    case 'postgresql_default_privileges': {
      const head = `ALTER DEFAULT PRIVILEGES FOR ROLE ${role(a.owner)}${a.schema ? ` IN SCHEMA ${ident(a.schema)}` : ''}`;
      const type = `${String(a.object_type).toUpperCase()}S`;
      return [{ address: r.address, database: db, transaction: true, sql: [
        `${head} REVOKE ALL ON ${type} FROM ${role(a.role)}`,
        `${head} GRANT ${(a.privileges as string[]).join(',')} ON ${type} TO ${role(a.role)}`,
      ] }];
    }
    case 'postgresql_grant': {
      const type = String(a.object_type).toUpperCase();
      const objects = (a.objects as string[]).map((o) => `${ident(a.schema)}.${mapRaw(quoteIdentifyIdent(o), ctx)}`).join(',');
      return [{ address: r.address, database: db, transaction: true, sql: [
        `REVOKE ALL PRIVILEGES ON ${type} ${objects} FROM ${role(a.role)}`,
        `GRANT ${(a.privileges as string[]).join(',')} ON ${type} ${objects} TO ${role(a.role)}`,
      ] }];
    }
    case 'postgresql_grant_role':
      return [{ address: r.address, transaction: false, sql: [
        `REVOKE ${role(a.grant_role)} FROM ${role(a.role)}`,
        `GRANT ${role(a.grant_role)} TO ${role(a.role)}${a.with_admin_option ? ' WITH ADMIN OPTION' : ''}`,
      ] }];
    case 'postgresql_publication':
      // The name and owner go in raw (TK038); `FOR ALL TABLES`, or `FOR TABLE "<s>"."<t>",…`.
      return [{ address: r.address, database: db, transaction: true, sql: [
        `CREATE PUBLICATION ${mapRaw(String(a.name), ctx)}${a.all_tables ? ' FOR ALL TABLES' : ''}${a.tables ? ` FOR TABLE ${(a.tables as string[]).map((t) => t.split('.').map(ident).join('.')).join(', ')}` : ''}`,
      ] }];
    case 'postgresql_replication_slot':
      // Slot names are cluster-wide: the test's namespace maps them like roles.
      return [{ address: r.address, database: db, transaction: false, sql: [
        `SELECT FROM pg_create_logical_replication_slot(${literal(ctx.names.map(String(a.name)))}, ${literal(String(a.plugin))})`,
      ] }];
    case 'postgresql_physical_replication_slot':
      return [{ address: r.address, transaction: false, sql: [`SELECT FROM pg_create_physical_replication_slot(${literal(ctx.names.map(String(a.name)))})`] }];
    case 'postgresql_subscription': {
      const withs = [
        ...(a.create_slot !== undefined ? [`create_slot = ${a.create_slot ? 'true' : 'false'}`] : []),
        ...(a.slot_name !== undefined ? [`slot_name = ${literal(ctx.names.map(String(a.slot_name)))}`] : []),
      ];
      return [{ address: r.address, database: db, transaction: false, sql: [
        `CREATE SUBSCRIPTION ${ident(a.name)} CONNECTION ${literal(remoteConninfo(String(a.conninfo), ctx))} PUBLICATION ${(a.publications as string[]).map(ident).join(', ')}${withs.length ? ` WITH (${withs.join(', ')})` : ''}`,
      ] }];
    }
    default:
      throw new Error(`${r.address}: no provider SQL for ${r.type} here`);
  }
}
