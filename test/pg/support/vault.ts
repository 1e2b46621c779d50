// Vault's database secrets engine (PostgreSQL plugin), rendered the way Vault renders it:
// plain text substitution of {{name}}/{{username}}/{{password}}/{{expiration}} with no
// escaping, statements split on `;` (unless END appears outside quotes), all creation
// statements in one transaction, run as the env's connection user on its connection's database.
import { randomBytes } from 'node:crypto';
import type { TerraformStackJson } from '../../../policies/dist/read';
import { connect, type PgServerInfo, type Session } from './db';
import type { NameMap } from './names';
import { sandboxExpiryGuard } from '../../../contract/vault-statements';

/** What one app-environment stack tells Vault (server-side names already mapped). */
export interface VaultPieces {
  readonly stack: string;
  readonly connectionName: string;
  /** The connection user (`erp_sandbox_vault`, mapped). */
  readonly connectionUser: string;
  /** The database of the connection URL (mapped). */
  readonly database: string;
  readonly allowedRoles: readonly string[];
  readonly roleName: string;
  readonly creation: readonly string[];
  readonly revocation: readonly string[];
}

export interface DynamicCredential {
  readonly username: string;
  readonly password: string;
  readonly expiration: string;
}

/** Resources of the app's previews (synth/terraform-previews.ts): another connection, judged on its own. */
const PREVIEW_RESOURCES = new Set(['preview_connection']);

function one(stack: TerraformStackJson, type: string) {
  const found = stack.resources.filter((r) => r.type === type && !PREVIEW_RESOURCES.has(r.name));
  if (found.length !== 1) throw new Error(`${stack.name}: expected one ${type}, found ${found.length}`);
  return found[0].attributes as Record<string, any>;
}

function byName(stack: TerraformStackJson, type: string, name: string) {
  const found = stack.resources.filter((r) => r.type === type && r.name === name);
  if (found.length !== 1) throw new Error(`${stack.name}: expected one ${type}.${name}, found ${found.length}`);
  return found[0].attributes as Record<string, any>;
}

/** The promote credential's Vault role of a prod stack (issue 17), with the same mapping as vaultPieces. */
export function promoteRolePieces(stack: TerraformStackJson, names: NameMap): VaultPieces {
  const base = vaultPieces(stack, names);
  const role = byName(stack, 'vault_database_secret_backend_role', 'promote_role');
  const mapSql = (xs: unknown) => ((xs as string[] | undefined) ?? []).map((x) => names.mapQuotedIdentifiers(x));
  return { ...base, roleName: String(role.name), creation: mapSql(role.creation_statements), revocation: mapSql(role.revocation_statements) };
}

/** A template-reset sandbox's reset login role (terraform-template-reset.ts), on the env's own connection, mapped as vaultPieces. */
export function templateResetLoginPieces(stack: TerraformStackJson, names: NameMap): VaultPieces {
  const base = vaultPieces(stack, names);
  const role = byName(stack, 'vault_database_secret_backend_role', 'template_reset_vault_role');
  const mapSql = (xs: unknown) => ((xs as string[] | undefined) ?? []).map((x) => names.mapQuotedIdentifiers(x));
  return { ...base, roleName: String(role.name), creation: mapSql(role.creation_statements), revocation: mapSql(role.revocation_statements) };
}

export function vaultPieces(stack: TerraformStackJson, names: NameMap): VaultPieces {
  const conn = one(stack, 'vault_database_secret_backend_connection');
  // The env's own dynamic role (`vault_role`); prod may also hold its app's promote role (promoteRolePieces).
  const role = byName(stack, 'vault_database_secret_backend_role', 'vault_role');
  const url = String(conn.postgresql?.connection_url ?? '');
  const db = /^postgres(?:ql)?:\/\/[^@]*@[^/]+\/([^?]+)/.exec(url);
  if (!db) throw new Error(`${stack.name}: cannot read the database from connection_url ${url}`);
  if (role.db_name !== conn.name) throw new Error(`${stack.name}: the Vault role uses connection ${role.db_name}, not ${conn.name}`);
  const mapSql = (xs: unknown) => ((xs as string[] | undefined) ?? []).map((x) => names.mapQuotedIdentifiers(x));
  return {
    stack: stack.name,
    connectionName: String(conn.name),
    connectionUser: names.map(String(conn.postgresql.username)),
    database: names.map(decodeURIComponent(db[1])),
    allowedRoles: (conn.allowed_roles as string[] | undefined) ?? [],
    roleName: String(role.name),
    creation: mapSql(role.creation_statements),
    revocation: mapSql(role.revocation_statements),
  };
}

/** Go's `2006-01-02 15:04:05-0700`, in UTC. */
export function vaultExpiration(at: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${at.getUTCFullYear()}-${p(at.getUTCMonth() + 1)}-${p(at.getUTCDate())} ${p(at.getUTCHours())}:${p(at.getUTCMinutes())}:${p(at.getUTCSeconds())}+0000`;
}

/** True when `END` occurs outside single/double quotes (Vault then keeps the statement whole). */
function hasEndOutsideQuotes(sql: string): boolean {
  const unquoted = sql.replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"/g, ' ');
  return /\bEND\b/i.test(unquoted);
}

/** Split as Vault does, then substitute each query's placeholders. */
export function renderStatements(statements: readonly string[], values: Record<'name' | 'password' | 'expiration', string>): string[] {
  const queries = statements.flatMap((s) => (hasEndOutsideQuotes(s) ? [s] : s.split(';')))
    .map((q) => q.trim()).filter((q) => q.length > 0);
  return queries.map((q) => q
    .replaceAll('{{name}}', values.name).replaceAll('{{username}}', values.name)
    .replaceAll('{{password}}', values.password).replaceAll('{{expiration}}', values.expiration));
}

/** A Vault-style username in the test's namespace (Vault: v-<display>-<role>-<random>-<time>). */
export function dynamicUsername(names: NameMap, roleName: string): string {
  const random = randomBytes(8).toString('hex');
  return names.map(`v-${roleName.slice(0, 8)}-${random}`).slice(0, 63);
}

export type Outcome = { ok: true } | { ok: false; code: string; message: string; sql: string };

async function runInTransaction(s: Session, queries: string[]): Promise<Outcome> {
  await s.query('BEGIN');
  for (const sql of queries) {
    const r = await s.run(sql);
    if (!r.ok) {
      await s.query('ROLLBACK');
      return { ok: false, code: r.code, message: r.message, sql };
    }
  }
  await s.query('COMMIT');
  return { ok: true };
}

/** The connection user's session on its connection's database. */
export function connectAsConnectionUser(server: PgServerInfo, v: VaultPieces, password: string): Promise<Session> {
  return connect(server, { user: v.connectionUser, password, database: v.database });
}

/**
 * `vault read <mount>/creds/<role>`: check allowed_roles, render, run in one transaction.
 * Returns the credential or the SQLSTATE the creation failed with.
 */
export async function issueCredential(
  server: PgServerInfo, v: VaultPieces, names: NameMap, connectionPassword: string, ttlSeconds = 3600,
): Promise<{ ok: true; credential: DynamicCredential } | (Outcome & { ok: false })> {
  if (!v.allowedRoles.includes(v.roleName) && !v.allowedRoles.includes('*')) {
    return { ok: false, code: 'VAULT', message: `role ${v.roleName} is not in allowed_roles of ${v.connectionName}`, sql: '' };
  }
  const credential: DynamicCredential = {
    username: dynamicUsername(names, v.roleName),
    password: `A1a-${randomBytes(15).toString('base64url')}`,
    expiration: vaultExpiration(new Date(Date.now() + ttlSeconds * 1000)),
  };
  const s = await connectAsConnectionUser(server, v, connectionPassword);
  try {
    const out = await runInTransaction(s, renderStatements(v.creation, { name: credential.username, password: credential.password, expiration: credential.expiration }));
    // Failure messages quote the statement: never the password in it.
    return out.ok ? { ok: true, credential } : { ...out, sql: out.sql.replaceAll(credential.password, '<password>') };
  } finally {
    await s.end();
  }
}

/** Lease revocation: the revocation statements, one transaction, as the connection user. */
export async function revokeCredential(server: PgServerInfo, v: VaultPieces, connectionPassword: string, username: string): Promise<Outcome> {
  const s = await connectAsConnectionUser(server, v, connectionPassword);
  try {
    return await runInTransaction(s, renderStatements(v.revocation, { name: username, password: '', expiration: '' }));
  } finally {
    await s.end();
  }
}

/**
 * The artifact's statements with its sandbox expiry guard (contract/vault-statements.ts) moved to
 * another expiry — exactly that statement, nothing else. The example estate's sandboxes carry fixed
 * dates: tests that need a credential of an already-expired sandbox (the matrix), or an expiry a
 * few seconds away (the guard's own proof), retime the guard rather than drop it.
 */
export function retimeExpiryGuard(v: VaultPieces, slug: string, expiresAt: string, at: string): VaultPieces {
  const guard = sandboxExpiryGuard(slug, expiresAt);
  if (!v.creation.includes(guard)) throw new Error(`${v.stack}: no expiry guard for ${expiresAt} in its creation statements`);
  return { ...v, creation: v.creation.map((s) => (s === guard ? sandboxExpiryGuard(slug, at) : s)) };
}

/**
 * An env's pieces for a test that needs a credential now: the example estate's sandboxes carry
 * fixed dates, so once the real clock passes one's expiry its guard refuses every creation (as it
 * must: test/pg/expiry-guard.test.ts and the matrix prove that). Tests about something else use
 * the guard retimed an hour ahead; a live sandbox's statements are returned unchanged.
 */
export function currentVault(e: { readonly env: { readonly slug: string; readonly sandbox?: { readonly expiresAt: string } }; readonly vault: VaultPieces }): VaultPieces {
  const sb = e.env.sandbox;
  if (!sb || Date.parse(sb.expiresAt) > Date.now() + 600_000) return e.vault;
  return retimeExpiryGuard(e.vault, e.env.slug, sb.expiresAt, new Date(Date.now() + 3600_000).toISOString());
}

/**
 * Lease renewal (`changeUserExpiration`): Vault splits every renew statement on `;` — no multi-line
 * case, unlike creation — substitutes {{name}} and {{expiration}}, runs them in one transaction.
 */
export async function renewCredential(server: PgServerInfo, v: VaultPieces, renew: readonly string[], connectionPassword: string, username: string, expiration: string): Promise<Outcome> {
  const queries = renew.flatMap((s) => s.split(';')).map((q) => q.trim()).filter((q) => q.length > 0)
    .map((q) => q.replaceAll('{{name}}', username).replaceAll('{{username}}', username).replaceAll('{{expiration}}', expiration));
  const s = await connectAsConnectionUser(server, v, connectionPassword);
  try {
    return await runInTransaction(s, queries);
  } finally {
    await s.end();
  }
}
