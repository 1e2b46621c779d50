// Proves the harness itself: the two servers really are PostgreSQL 18 and 15, the major-15
// dump tools work against the 15 server, and the servers differ where the isolation model
// depends on it (PG16+ CREATEROLE needs ADMIN OPTION to grant a role).
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testTmp } from '../setup/tmpdir';
import {
  connect, createNamespace, expectSqlState, ident, literal, pgServer, superLogin,
  type Namespace, type PgMajor,
} from './support/db';
import { findPgTools, pgDump, pgRestore, toolMajor } from './support/pgtools';

const MAJORS: PgMajor[] = [18, 15];
const namespaces: Namespace[] = [];

async function namespace(major: PgMajor): Promise<Namespace> {
  const ns = await createNamespace(pgServer(major), `servers${major}`);
  namespaces.push(ns);
  return ns;
}

afterAll(async () => {
  await Promise.all(namespaces.map((ns) => ns.cleanup()));
});

describe.each(MAJORS)('PostgreSQL %i server', (major) => {
  it('reports the expected major version', async () => {
    const ns = await namespace(major);
    const admin = await ns.admin();
    const [{ server_version_num }] = await admin.query<{ server_version_num: string }>('SHOW server_version_num');
    expect(Math.floor(Number(server_version_num) / 10000)).toBe(major);
    const [{ version }] = await admin.query<{ version: string }>('SELECT version()');
    expect(version).toMatch(new RegExp(`^PostgreSQL ${major}\\.`));
    expect(pgServer(major).version.startsWith(`${major}.`)).toBe(true);
  });

  it('refuses a wrong password with 28P01 (scram auth is really on)', async () => {
    const ns = await namespace(major);
    await expectSqlState(ns.connect({ ...superLogin(ns.server), password: 'wrong' }), '28P01');
  });
});

describe('pg_dump / pg_restore of major 15', () => {
  const dir = testTmp('pg-servers-dump');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exist and report major 15', async () => {
    const tools = await findPgTools(15);
    expect(await toolMajor(tools.pgDump)).toBe(15);
    expect(await toolMajor(tools.pgRestore)).toBe(15);
  });

  it('round-trip a table through pg_dump -Fc and pg_restore on the 15 server', async () => {
    const tools = await findPgTools(15);
    const ns = await namespace(15);
    const [src, dst] = [ns.name('src'), ns.name('dst')];
    const admin = await ns.admin();
    await admin.exec(`CREATE DATABASE ${ident(src)}`);
    await admin.exec(`CREATE DATABASE ${ident(dst)}`);
    const s = await ns.admin(src);
    await s.exec('CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL)');
    await s.exec("INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 50) g");

    const file = join(dir, 'src.dump');
    const dump = await pgDump(tools, ns.server, superLogin(ns.server, src), ['-Fc', '-f', file]);
    expect(dump.stderr).toBe('');
    expect(dump.code).toBe(0);
    const restore = await pgRestore(tools, ns.server, superLogin(ns.server, dst), ['--no-owner', '--exit-on-error', file]);
    expect(restore.stderr).toBe('');
    expect(restore.code).toBe(0);

    const d = await ns.admin(dst);
    const hash = `SELECT count(*)::int AS n, md5(string_agg(id || ':' || label, ',' ORDER BY id)) AS h FROM items`;
    const [before] = await s.query(hash);
    const [after] = await d.query(hash);
    expect(after).toEqual(before);
    expect(after.n).toBe(50);
  });
});

describe.each(MAJORS)('CREATEROLE granting a role on PostgreSQL %i', (major) => {
  let ns: Namespace;
  beforeAll(async () => {
    ns = await namespace(major);
  });

  it(major >= 16 ? 'needs ADMIN OPTION on the granted role (42501 without)' : 'may grant any non-superuser role', async () => {
    const [g, conn, newRole] = [ns.name('g'), ns.name('conn'), ns.name('new')];
    const password = 'conn-pass';
    const admin = await ns.admin();
    await admin.exec(`CREATE ROLE ${ident(g)} NOLOGIN`);
    await admin.exec(`CREATE ROLE ${ident(conn)} LOGIN CREATEROLE NOSUPERUSER NOCREATEDB PASSWORD ${literal(password)}`);

    const c = await ns.connect({ user: conn, password, database: 'postgres' });
    await c.exec(`CREATE ROLE ${ident(newRole)} LOGIN`);
    const isMember = async (): Promise<boolean> =>
      (await admin.query<{ m: boolean }>("SELECT pg_has_role($1, $2, 'MEMBER') AS m", [newRole, g]))[0].m;

    const grant = `GRANT ${ident(g)} TO ${ident(newRole)}`;
    if (major >= 16) {
      const msg = await expectSqlState(c.run(grant), '42501', `PG${major}: CREATEROLE without ADMIN OPTION`);
      expect(msg).toMatch(/permission denied to grant role/);
      expect(await isMember()).toBe(false);
      await admin.exec(`GRANT ${ident(g)} TO ${ident(conn)} WITH ADMIN OPTION`);
    }
    await c.exec(grant);
    expect(await isMember()).toBe(true);
  });
});

describe.each(MAJORS)('namespace cleanup on PostgreSQL %i', (major) => {
  it('drops its databases and roles, even with grants among them and open sessions', async () => {
    const ns = await createNamespace(pgServer(major), 'cleanup');
    const [db, owner, conn, user] = [ns.name('db'), ns.name('owner'), ns.name('conn'), ns.name('user')];
    const admin = await ns.admin();
    await admin.exec(`CREATE ROLE ${ident(owner)} NOLOGIN`);
    await admin.exec(`CREATE ROLE ${ident(conn)} LOGIN CREATEROLE PASSWORD 'p'`);
    await admin.exec(`GRANT ${ident(owner)} TO ${ident(conn)} WITH ADMIN OPTION`);
    await admin.exec(`CREATE DATABASE ${ident(db)} OWNER ${ident(owner)}`);
    await admin.exec(`GRANT CONNECT ON DATABASE ${ident(db)} TO ${ident(conn)}`);
    // conn is the grantor of user's membership (a PG16+ dependency) and stays connected
    // (untracked session: cleanup has to terminate it itself).
    const c = await connect(ns.server, { user: conn, password: 'p', database: db });
    await c.exec(`CREATE ROLE ${ident(user)} LOGIN IN ROLE ${ident(owner)}`);
    await c.exec(`SET ROLE ${ident(owner)}; CREATE TABLE t (id int)`);

    await ns.cleanup();
    const check = await createNamespace(pgServer(major), 'check');
    namespaces.push(check);
    const s = await check.admin();
    const left = await s.query(
      `SELECT datname AS name FROM pg_database WHERE starts_with(datname, $1)
       UNION ALL SELECT rolname FROM pg_roles WHERE starts_with(rolname, $1)`,
      [ns.prefix],
    );
    expect(left).toEqual([]);
    await c.end();
  });
});
