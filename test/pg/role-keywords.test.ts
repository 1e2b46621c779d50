// Why TK002/TK041/TK170 take exactly `public` for PUBLIC and TK039 refuses every case of the keyword
// role names (policies/rules/support/pg-role-names.ts), against a real server. The provider quotes
// every role it writes (pq.QuoteIdentifier), so this file quotes them too (`ident`). Every role
// outside the namespace prefix ("PUBLIC", "Current_User", …) is made inside a transaction that is
// rolled back: nothing is left on the shared server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYWORD_ROLE } from '../../policies/rules/support/pg-role-names';
import { RESERVED_ROLE } from '../../policies/graph/postgres';
import { createNamespace, ident, pgServer, type Namespace, type PgMajor, type Session } from './support/db';

const MAJORS: PgMajor[] = [15, 18];

describe.each(MAJORS)('PostgreSQL %i: role names that read as keywords', (major) => {
  let ns: Namespace;
  let s: Session;
  let db: string;
  let login: string;

  beforeAll(async () => {
    ns = await createNamespace(pgServer(major), `kw${major}`);
    s = await ns.admin();
    db = ns.name('db');
    login = ns.name('login');
    await s.query(`CREATE DATABASE ${ident(db)}`);
    await s.query(`CREATE ROLE ${ident(login)} LOGIN`);
  });
  afterAll(async () => ns?.cleanup());

  /** Runs `sql` in a transaction that is always rolled back; returns what `probe` read inside it. */
  async function inRollback<T>(sql: string[], probe: () => Promise<T>): Promise<T> {
    await s.query('BEGIN');
    try {
      for (const q of sql) await s.query(q);
      return await probe();
    } finally {
      await s.query('ROLLBACK');
    }
  }
  const canConnect = async () => (await s.query<{ ok: boolean }>('SELECT has_database_privilege($1, $2, \'CONNECT\') AS ok', [login, db]))[0].ok;

  it('REVOKE … FROM "public" takes CONNECT from every login; FROM "PUBLIC" (a role of that name) leaves it', async () => {
    expect(await canConnect()).toBe(true); // PUBLIC's default
    expect(await inRollback([`REVOKE ALL PRIVILEGES ON DATABASE ${ident(db)} FROM ${ident('public')}`], canConnect)).toBe(false);
    for (const shadow of ['PUBLIC', 'Public']) {
      expect(await inRollback([`CREATE ROLE ${ident(shadow)}`, `REVOKE ALL PRIVILEGES ON DATABASE ${ident(db)} FROM ${ident(shadow)}`], canConnect), shadow).toBe(true);
    }
  });

  it('PostgreSQL refuses only the exact `public`, `none` and `pg_*`: every other case is an ordinary role (so tierkit refuses them)', async () => {
    const outcome = async (name: string) => {
      await s.query('BEGIN');
      try {
        const r = await s.run(`CREATE ROLE ${ident(name)}`);
        return r.ok ? 'created' : r.code;
      } finally {
        await s.query('ROLLBACK');
      }
    };
    // 42939 reserved_name: gram.y RoleSpec (public, none), CreateRole's IsReservedName (pg_).
    for (const name of ['public', 'none', 'pg_tierkit']) expect(await outcome(name), name).toBe('42939');
    for (const name of ['PUBLIC', 'Public', 'NONE', 'current_user', 'Current_User', 'SESSION_USER', 'current_role', 'PG_tierkit']) {
      expect(await outcome(name), name).toBe('created');
      // … and tierkit declares none of them (TK039 then refuses the role and every grant naming it).
      expect(RESERVED_ROLE.test(name), name).toBe(true);
    }
    expect(KEYWORD_ROLE.test('Current_User') && KEYWORD_ROLE.test('PUBLIC') && !KEYWORD_ROLE.test('public_reader')).toBe(true);
  });
});
