// Helpers for tests against the real servers of test/pg/setup/servers.ts: sessions that keep
// NOTICE/WARNING messages with their SQLSTATE, statements that return rows or a SQLSTATE,
// and a per-file namespace of databases/roles so test files can run in parallel.
import { randomBytes } from 'node:crypto';
import { Client, type QueryResultRow } from 'pg';
import { expect, inject } from 'vitest';
import type { PgMajor, PgServerInfo } from './context';

export type { PgMajor, PgServerInfo } from './context';

export interface Login {
  user: string;
  password: string;
  database: string;
}

export interface Notice {
  /** NOTICE, WARNING, … */
  severity: string;
  /** SQLSTATE, e.g. 01007 "privilege not granted". */
  code: string;
  message: string;
}

export type Outcome<R = QueryResultRow> =
  | { ok: true; rows: R[]; notices: Notice[] }
  | { ok: false; code: string; message: string; notices: Notice[] };

/** GRANT/REVOKE that lacked authority only warn: 01007 privilege not granted, 01006 not revoked. */
export const PRIVILEGE_WARNINGS: readonly string[] = ['01006', '01007'];

/** Connection info of the server of that major, provided by the globalSetup. */
export function pgServer(major: PgMajor): PgServerInfo {
  const servers = inject('pgServers');
  if (!servers) throw new Error('pgServers not provided: run this file in the vitest `pg` project');
  return major === 15 ? servers.pg15 : servers.pg18;
}

/** The bootstrap superuser on `database`. */
export function superLogin(server: PgServerInfo, database = 'postgres'): Login {
  return { user: server.user, password: server.password, database };
}

/** "name" with embedded quotes doubled (how the provider quotes identifiers). */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** 'text' with ' and \ doubled (how the provider quotes literals). */
export function literal(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  // Node errors carry codes too (ECONNREFUSED…); a SQLSTATE is 5 alphanumerics.
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

export class Session {
  /** Every NOTICE/WARNING this session received, in order. */
  readonly notices: Notice[] = [];

  constructor(readonly client: Client, readonly login: Login) {
    client.on('notice', (msg) => {
      this.notices.push({ severity: msg.severity ?? '', code: msg.code ?? '', message: msg.message ?? '' });
    });
    // A backend terminated under us (cleanup, FATAL) is reported here; without a listener
    // it would be an uncaught 'error' event and kill the worker.
    client.on('error', () => undefined);
  }

  /** Rows of a statement; throws the pg error (with .code = SQLSTATE) on failure. */
  async query<R extends QueryResultRow = QueryResultRow>(sql: string, params?: unknown[]): Promise<R[]> {
    return (await this.client.query<R>(sql, params)).rows;
  }

  /** Never throws on a SQL error: rows, or the SQLSTATE; plus the notices this statement raised. */
  async run<R extends QueryResultRow = QueryResultRow>(sql: string, params?: unknown[]): Promise<Outcome<R>> {
    const from = this.notices.length;
    try {
      const rows = await this.query<R>(sql, params);
      return { ok: true, rows, notices: this.notices.slice(from) };
    } catch (err) {
      const code = sqlState(err);
      if (!code) throw err;
      return { ok: false, code, message: (err as Error).message, notices: this.notices.slice(from) };
    }
  }

  /**
   * Like query(), but a statement that raised one of `failOn` (default: 01006/01007) throws:
   * such a GRANT/REVOKE "succeeded" without doing what it says.
   */
  async exec<R extends QueryResultRow = QueryResultRow>(
    sql: string,
    params?: unknown[],
    failOn: readonly string[] = PRIVILEGE_WARNINGS,
  ): Promise<R[]> {
    const from = this.notices.length;
    const rows = await this.query<R>(sql, params);
    const bad = this.notices.slice(from).filter((n) => failOn.includes(n.code));
    if (bad.length > 0) {
      const list = bad.map((n) => `${n.severity} ${n.code}: ${n.message}`).join('; ');
      throw new Error(`${sql}\n  raised ${list}`);
    }
    return rows;
  }

  async end(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }
}

/** Open a session; rejects with the pg error (FATAL 42501, 28P01, 3D000, …) on failure. */
export async function connect(server: PgServerInfo, login: Login): Promise<Session> {
  const client = new Client({
    host: server.host,
    port: server.port,
    user: login.user,
    password: login.password,
    database: login.database,
    connectionTimeoutMillis: 10_000,
  });
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw err;
  }
  return new Session(client, login);
}

/** Connect, or get the SQLSTATE the server refused the login with. */
export async function tryConnect(
  server: PgServerInfo,
  login: Login,
): Promise<{ ok: true; session: Session } | { ok: false; code: string; message: string }> {
  try {
    return { ok: true, session: await connect(server, login) };
  } catch (err) {
    const code = sqlState(err);
    if (!code) throw err;
    return { ok: false, code, message: (err as Error).message };
  }
}

/**
 * Assert that `op` fails with SQLSTATE `code`. `op` may reject with a pg error or resolve
 * with a failed Outcome (from run()); a success fails the test with `message`.
 * Returns the error message so callers can check its text too.
 */
export async function expectSqlState(op: Promise<unknown>, code: string, message?: string): Promise<string> {
  let got: { code?: string; message: string };
  try {
    const value = await op;
    const outcome = value as Partial<Outcome> | undefined;
    if (outcome && outcome.ok === false) {
      got = { code: outcome.code, message: outcome.message ?? '' };
    } else {
      got = { code: undefined, message: 'succeeded' };
    }
  } catch (err) {
    got = { code: sqlState(err), message: err instanceof Error ? err.message : String(err) };
  }
  const what = message ? `${message} — ` : '';
  expect(got.code, `${what}expected SQLSTATE ${code}, got ${got.code ?? 'no SQLSTATE'} (${got.message})`).toBe(code);
  return got.message;
}

/** Notices among `notices` whose SQLSTATE is in `codes` (default 01006/01007). */
export function privilegeWarnings(notices: readonly Notice[], codes = PRIVILEGE_WARNINGS): Notice[] {
  return notices.filter((n) => codes.includes(n.code));
}

/**
 * Databases and roles whose names all start with one unique prefix, so test files running in
 * parallel on the same server never collide; cleanup() drops everything with the prefix.
 */
export interface Namespace {
  readonly server: PgServerInfo;
  readonly prefix: string;
  /** `<prefix><local>`, e.g. name('erp_role'). Use for every database and role a test creates. */
  name(local: string): string;
  /** Session tracked by the namespace (closed by cleanup). */
  connect(login: Login): Promise<Session>;
  /** Superuser session on `database` (default postgres), tracked. */
  admin(database?: string): Promise<Session>;
  /** Close tracked sessions, drop the namespace's databases and roles. Idempotent. */
  cleanup(): Promise<void>;
}

export async function createNamespace(server: PgServerInfo, label = 't'): Promise<Namespace> {
  // Short, lowercase, unquoted-safe; leaves room under the 63-byte identifier limit.
  const clean = label.toLowerCase().replace(/[^a-z0-9]+/g, '').slice(0, 12) || 't';
  const prefix = `tk_${clean}_${randomBytes(3).toString('hex')}_`;
  const sessions = new Set<Session>();
  const track = (s: Session): Session => {
    sessions.add(s);
    return s;
  };
  const ns: Namespace = {
    server,
    prefix,
    name: (local) => `${prefix}${local}`,
    connect: async (login) => track(await connect(server, login)),
    admin: (database = 'postgres') => ns.connect(superLogin(server, database)),
    cleanup: async () => {
      await Promise.all([...sessions].map((s) => s.end()));
      sessions.clear();
      await dropPrefixed(server, prefix);
    },
  };
  return ns;
}

async function dropPrefixed(server: PgServerInfo, prefix: string): Promise<void> {
  const admin = await connect(server, superLogin(server));
  try {
    // Sessions left open by the test (as a namespace role or in a namespace database).
    await admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE pid <> pg_backend_pid() AND (starts_with(usename, $1) OR starts_with(datname, $1))`,
      [prefix],
    );
    const dbs = await admin.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE starts_with(datname, $1)', [prefix]);
    for (const { datname } of dbs) {
      await admin.query(`DROP DATABASE IF EXISTS ${ident(datname)} WITH (FORCE)`);
    }
    const roles = (await admin.query<{ rolname: string }>(
      'SELECT rolname FROM pg_roles WHERE starts_with(rolname, $1)', [prefix])).map((r) => ident(r.rolname));
    if (roles.length > 0) {
      // Privileges on shared objects / objects in `postgres` would block DROP ROLE. All roles
      // go in one statement so grants among them (PG16+ grantor dependencies) do not block.
      await admin.query(`DROP OWNED BY ${roles.join(', ')} CASCADE`);
      await admin.query(`DROP ROLE ${roles.join(', ')}`);
    }
  } finally {
    await admin.end();
  }
}
