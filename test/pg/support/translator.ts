// Applies the Postgres part of synthesized stacks to a real server with exactly the SQL the
// cyrilgdn/postgresql provider (v1.26) issues — see docs/provider-sql.md — in
// Terraform's dependency order. Input is what policies/dist/read.ts reads from dist/, never
// the constructs, so an escape-hatch override is applied like anything tierkit wrote.
import type { TerraformResource, TerraformStackJson } from '../../../policies/dist/read';
import { ident, literal, PRIVILEGE_WARNINGS, type Notice, type Session } from './db';
import type { NameMap } from './names';

/** How the provider's own user looks: a superuser, or an RDS-like LOGIN CREATEDB CREATEROLE. */
export type AdminKind = 'superuser' | 'rds';

export interface Statement {
  /** Address of the resource the statement belongs to (`postgresql_grant.database_connect`). */
  readonly address: string;
  /** Database the statement runs in (undefined: the admin's maintenance database). */
  readonly database?: string;
  readonly sql: readonly string[];
  /** The provider runs these statements in one transaction. */
  readonly transaction: boolean;
}

export interface AppliedWarning extends Notice {
  readonly address: string;
  readonly sql: string;
}

export class ApplyError extends Error {
  constructor(readonly stack: string, readonly address: string, readonly sql: string, readonly code: string | undefined, message: string) {
    super(`${stack}: ${address}: ${sql}\n  failed: ${code ?? ''} ${message}`);
    this.name = 'ApplyError';
  }
}

export interface ApplyContext {
  readonly names: NameMap;
  /** Server-side name of the provider's user. */
  readonly adminUser: string;
  readonly adminKind: AdminKind;
  /** Values of Terraform variables (`vault_connection_password`, …). */
  readonly variables: Readonly<Record<string, string>>;
  /** Opens a session as the provider's user on a database (cached by the caller or not). */
  readonly session: (database?: string) => Promise<Session>;
  /**
   * 'fail' (default): a 01006/01007 warning fails the apply, as the proofs require.
   * 'record': carry on like the real provider (it ignores warnings) and report them.
   */
  readonly onWarning?: 'fail' | 'record';
}

const POSTGRES_TYPES = ['postgresql_role', 'postgresql_database', 'postgresql_grant', 'postgresql_grant_role', 'postgresql_schema'];
const REF = /\$\{([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.[a-z0-9_]+\}/g;

/** The Postgres resources of a stack that Terraform would create (count = 0 means none). */
export function postgresResources(stack: TerraformStackJson): TerraformResource[] {
  const unknown = stack.resources.filter((r) => r.type.startsWith('postgresql_') && !POSTGRES_TYPES.includes(r.type));
  if (unknown.length > 0) throw new Error(`${stack.name}: the translator does not know ${unknown.map((r) => r.address).join(', ')}`);
  return stack.resources.filter((r) => {
    if (!POSTGRES_TYPES.includes(r.type)) return false;
    const count = r.attributes.count;
    if (count === undefined) return true;
    if (count === 0 || count === 1) return count === 1;
    throw new Error(`${r.address}: count ${JSON.stringify(count)} is not supported by the translator`);
  });
}

/** Addresses `r` depends on: `${…}` references anywhere in it, plus depends_on. */
function dependencies(r: TerraformResource): Set<string> {
  const deps = new Set<string>();
  const text = JSON.stringify(r.raw);
  for (const m of text.matchAll(REF)) deps.add(`${m[1]}.${m[2]}`);
  for (const d of (r.raw.depends_on as string[] | undefined) ?? []) deps.add(d);
  deps.delete(r.address);
  return deps;
}

/** Terraform's graph order (a topological sort; ties by address so runs are reproducible). */
export function applyOrder(resources: readonly TerraformResource[]): TerraformResource[] {
  const byAddress = new Map(resources.map((r) => [r.address, r]));
  const done = new Set<string>();
  const out: TerraformResource[] = [];
  const visiting = new Set<string>();
  const visit = (r: TerraformResource): void => {
    if (done.has(r.address)) return;
    if (visiting.has(r.address)) throw new Error(`dependency cycle through ${r.address}`);
    visiting.add(r.address);
    for (const d of [...dependencies(r)].sort()) {
      const dep = byAddress.get(d);
      if (dep) visit(dep);
    }
    visiting.delete(r.address);
    done.add(r.address);
    out.push(r);
  };
  for (const r of [...resources].sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0))) visit(r);
  return out;
}

function str(r: TerraformResource, key: string, fallback?: string): string {
  const v = r.attributes[key];
  if (v === undefined || v === null) {
    if (fallback !== undefined) return fallback;
    throw new Error(`${r.address}: attribute ${key} is missing`);
  }
  if (typeof v !== 'string' && typeof v !== 'number') throw new Error(`${r.address}: attribute ${key} is not a string`);
  const s = String(v);
  if (/\$\{/.test(s)) throw new Error(`${r.address}: ${key} = ${s} is an unresolved reference`);
  return s;
}

function bool(r: TerraformResource, key: string, fallback: boolean): boolean {
  const v = r.attributes[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'false') return v === 'true';
  throw new Error(`${r.address}: attribute ${key} = ${JSON.stringify(v)} is not a boolean`);
}

/** `${var.x}` → the test's value for variable x; a literal stays a literal. */
function secret(r: TerraformResource, key: string, ctx: ApplyContext): string | undefined {
  const v = r.attributes[key];
  if (v === undefined || v === null) return undefined;
  const m = /^\$\{var\.([A-Za-z0-9_-]+)\}$/.exec(String(v));
  if (!m) return String(v);
  const value = ctx.variables[m[1]];
  if (value === undefined) throw new Error(`${r.address}: ${key} needs variable ${m[1]}, which the test did not set`);
  return value;
}

/** postgresql_role: CREATE ROLE with every default spelled out, the `roles` grants, search_path. */
function roleStatements(r: TerraformResource, ctx: ApplyContext): Statement[] {
  const name = ident(ctx.names.map(str(r, 'name')));
  const password = secret(r, 'password_wo', ctx) ?? secret(r, 'password', ctx);
  const flag = (key: string, yes: string, no: string, def: boolean) => (bool(r, key, def) ? yes : no);
  const create = [
    `CREATE ROLE ${name} WITH`,
    ...(password !== undefined ? [`ENCRYPTED PASSWORD ${literal(password)}`] : []),
    `VALID UNTIL ${literal(str(r, 'valid_until', 'infinity'))}`,
    `CONNECTION LIMIT ${str(r, 'connection_limit', '-1')}`,
    flag('superuser', 'SUPERUSER', 'NOSUPERUSER', false),
    flag('create_database', 'CREATEDB', 'NOCREATEDB', false),
    flag('create_role', 'CREATEROLE', 'NOCREATEROLE', false),
    flag('inherit', 'INHERIT', 'NOINHERIT', true),
    flag('login', 'LOGIN', 'NOLOGIN', false),
    flag('bypass_row_level_security', 'BYPASSRLS', 'NOBYPASSRLS', false),
    flag('replication', 'REPLICATION', 'NOREPLICATION', false),
  ].join(' ');
  const roles = ((r.attributes.roles as string[] | undefined) ?? []).map((g) => `GRANT ${ident(ctx.names.map(g))} TO ${name}`);
  const assume = r.attributes.assume_role ? [`ALTER ROLE ${name} SET ROLE TO ${ident(ctx.names.map(str(r, 'assume_role')))}`] : [];
  return [{
    address: r.address, transaction: true,
    sql: [create, ...roles, `ALTER ROLE ${name} SET search_path TO DEFAULT`, ...assume],
  }];
}

/** The `owner` attribute's server-side name; none set: the provider's login (already a server-side name, never mapped again). */
function ownerOf(r: TerraformResource, ctx: ApplyContext): string {
  return r.attributes.owner === undefined || r.attributes.owner === null ? ctx.adminUser : ctx.names.map(str(r, 'owner'));
}

/**
 * postgresql_database: a non-superuser provider must be able to act as the owner to create the
 * database for it, so it grants itself the owner for the duration (skipped when it already is a
 * member with SET — the provider's isMemberOfRole — or is the owner) and revokes it after.
 */
async function databaseStatements(r: TerraformResource, ctx: ApplyContext): Promise<Statement[]> {
  const db = ctx.names.map(str(r, 'name'));
  const owner = ownerOf(r, ctx);
  const create = `CREATE DATABASE ${ident(db)} OWNER ${ident(owner)} TEMPLATE ${ident(str(r, 'template', 'template0'))}` +
    ` ENCODING ${literal(str(r, 'encoding', 'UTF8'))} ALLOW_CONNECTIONS ${bool(r, 'allow_connections', true)}` +
    ` CONNECTION LIMIT ${str(r, 'connection_limit', '-1')} IS_TEMPLATE ${bool(r, 'is_template', false)}`;
  let needsGrant = false;
  if (ctx.adminKind !== 'superuser' && owner !== ctx.adminUser) {
    const s = await ctx.session();
    const hasSetColumn = (await s.query(
      `SELECT 1 FROM information_schema.columns WHERE table_name = 'pg_auth_members' AND column_name = 'set_option'`)).length > 0;
    const member = await s.query(
      `SELECT 1 FROM pg_auth_members WHERE pg_get_userbyid(roleid) = $1 AND pg_get_userbyid(member) = $2${hasSetColumn ? ' AND set_option' : ''}`,
      [owner, ctx.adminUser]);
    needsGrant = member.length === 0;
  }
  const sql = needsGrant
    ? [`GRANT ${ident(owner)} TO ${ident(ctx.adminUser)}`, create, `REVOKE ${ident(owner)} FROM ${ident(ctx.adminUser)}`]
    : [create];
  // CREATE DATABASE cannot run inside a transaction block.
  return [{ address: r.address, transaction: false, sql }];
}

/** postgresql_grant (database): REVOKE ALL then GRANT, one transaction in that database. */
function grantStatements(r: TerraformResource, ctx: ApplyContext): Statement[] {
  const objectType = str(r, 'object_type');
  if (objectType !== 'database') throw new Error(`${r.address}: object_type ${objectType} is not supported by the translator`);
  const db = ctx.names.map(str(r, 'database'));
  const role = str(r, 'role');
  const grantee = role.toLowerCase() === 'public' ? 'PUBLIC' : ident(ctx.names.map(role));
  const privileges = (r.attributes.privileges as string[] | undefined) ?? [];
  const sql = [`REVOKE ALL PRIVILEGES ON DATABASE ${ident(db)} FROM ${grantee}`];
  if (privileges.length > 0) {
    sql.push(`GRANT ${privileges.join(',')} ON DATABASE ${ident(db)} TO ${grantee}${bool(r, 'with_grant_option', false) ? ' WITH GRANT OPTION' : ''}`);
  }
  return [{ address: r.address, database: db, transaction: true, sql }];
}

/** postgresql_grant_role: REVOKE then GRANT [WITH ADMIN OPTION]. */
function grantRoleStatements(r: TerraformResource, ctx: ApplyContext): Statement[] {
  const role = ident(ctx.names.map(str(r, 'role')));
  const group = ident(ctx.names.map(str(r, 'grant_role')));
  return [{
    address: r.address, transaction: true,
    sql: [`REVOKE ${group} FROM ${role}`, `GRANT ${group} TO ${role}${bool(r, 'with_admin_option', false) ? ' WITH ADMIN OPTION' : ''}`],
  }];
}

function schemaStatements(r: TerraformResource, ctx: ApplyContext): Statement[] {
  const db = ctx.names.map(str(r, 'database'));
  const owner = ownerOf(r, ctx);
  return [{
    address: r.address, database: db, transaction: true,
    sql: [`CREATE SCHEMA IF NOT EXISTS ${ident(str(r, 'name'))} AUTHORIZATION ${ident(owner)}`],
  }];
}

export async function statementsFor(r: TerraformResource, ctx: ApplyContext): Promise<Statement[]> {
  switch (r.type) {
    case 'postgresql_role': return roleStatements(r, ctx);
    case 'postgresql_database': return databaseStatements(r, ctx);
    case 'postgresql_grant': return grantStatements(r, ctx);
    case 'postgresql_grant_role': return grantRoleStatements(r, ctx);
    case 'postgresql_schema': return schemaStatements(r, ctx);
    default: throw new Error(`${r.address}: not a Postgres resource`);
  }
}

export interface ApplyReport {
  readonly stack: string;
  readonly executed: readonly Statement[];
  /** 01006/01007 warnings (only with onWarning 'record'; 'fail' throws on the first). */
  readonly warnings: readonly AppliedWarning[];
}

async function runStatement(stmt: Statement, stackName: string, ctx: ApplyContext, warnings: AppliedWarning[]): Promise<void> {
  const s = await ctx.session(stmt.database);
  if (stmt.transaction) await s.query('BEGIN');
  for (const sql of stmt.sql) {
    const from = s.notices.length;
    const out = await s.run(sql);
    if (!out.ok) {
      if (stmt.transaction) await s.query('ROLLBACK');
      throw new ApplyError(stackName, stmt.address, sql, out.code, out.message);
    }
    for (const n of s.notices.slice(from).filter((x) => PRIVILEGE_WARNINGS.includes(x.code))) {
      if (ctx.onWarning !== 'record') {
        if (stmt.transaction) await s.query('ROLLBACK');
        throw new ApplyError(stackName, stmt.address, sql, n.code, `${n.severity}: ${n.message} (privilege warnings fail the apply)`);
      }
      warnings.push({ ...n, address: stmt.address, sql });
    }
  }
  if (stmt.transaction) await s.query('COMMIT');
}

/** Apply one stack's Postgres resources; throws ApplyError at the first failing statement. */
export async function applyStack(stack: TerraformStackJson, ctx: ApplyContext): Promise<ApplyReport> {
  const executed: Statement[] = [];
  const warnings: AppliedWarning[] = [];
  for (const r of applyOrder(postgresResources(stack))) {
    for (const stmt of await statementsFor(r, ctx)) {
      await runStatement(stmt, stack.name, ctx, warnings);
      executed.push(stmt);
    }
  }
  return { stack: stack.name, executed, warnings };
}
