// The CI planners' read-only PostgreSQL login (contract/planner.ts), on PostgreSQL 15 and 18: made
// by the documented bootstrap, granted CONNECT by the env stacks as the translator applies them.
// It must run what the cyrilgdn/postgresql provider's Read functions run to refresh state — the SQL
// below is copied from its source at ff936b9548c1076f498523a2bd116915ff977142 (postgresql/
// resource_postgresql_role.go resourcePostgreSQLRoleReadImpl, resource_postgresql_database.go
// resourcePostgreSQLDatabaseReadImpl, resource_postgresql_grant.go readDatabaseRolePrivileges /
// readSchemaRolePrivileges / readRolePrivileges (tables), checkRoleDBSchemaExists, helpers.go dbExists /
// roleExists / getRoleOID / startTransaction, resource_postgresql_grant_role.go getGrantRoleQuery,
// resource_postgresql_schema.go resourcePostgreSQLSchemaReadImpl, resource_postgresql_default_privileges.go
// readRoleDefaultPrivileges, config.go isSuperuser / VERSION()) — each in the database the provider opens
// its transaction in, and get the true answers; and change nothing, read no table data (42501).
import { spawnSync } from 'node:child_process';
import { plannerMembersPreflight } from '../../ci/planner-preflight';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthToDist } from '../support/synth';
import { connect, createNamespace, expectSqlState, ident, pgServer, type Namespace, type PgMajor, type Session } from './support/db';
import { applyEstate, maintenanceDatabase, MAINTENANCE_DATABASES, plannerGroup, testPassword, type AppliedEnv, type AppliedEstate } from './support/estate';
import { issueCredential, revokeCredential, connectAsConnectionUser, type VaultPieces } from './support/vault';
import { plannerIssuerBootstrapStatements, PLANNER_CREDENTIAL_TTL, PLANNER_ISSUER_ROLE, PLANNER_LOGIN_ROLE, UNEXPECTED_PLANNER_MEMBERS_SQL, ISSUED_LOGIN_PREFIX } from '../../contract/planner';

const dist = synthToDist(undefined, 'pg-planner');
const MAJORS: PgMajor[] = [15, 18];

const ROLE_READ = `SELECT ARRAY(
			SELECT pg_get_userbyid(roleid) FROM pg_catalog.pg_auth_members members WHERE member = pg_roles.oid
		), rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolconnlimit, COALESCE(rolvaliduntil::TEXT, 'infinity'), rolconfig, rolreplication, rolbypassrls
		FROM pg_catalog.pg_roles WHERE rolname=$1`;
const DB_OWNER = 'SELECT d.datname, pg_catalog.pg_get_userbyid(d.datdba) from pg_database d WHERE datname=$1';
const DB_ATTRS = `SELECT pg_catalog.pg_encoding_to_char(d.encoding), d.datcollate, d.datctype, ts.spcname, d.datconnlimit, d.datallowconn FROM pg_catalog.pg_database AS d, pg_catalog.pg_tablespace AS ts WHERE d.datname = $1 AND d.dattablespace = ts.oid`;
const DB_EXISTS = 'SELECT datname FROM pg_database WHERE datname=$1';
const ROLE_EXISTS = 'SELECT 1 FROM pg_roles WHERE rolname=$1';
const ROLE_OID = 'SELECT oid FROM pg_roles WHERE rolname = $1';
const DB_PRIVILEGES = `
SELECT array_agg(privilege_type)
FROM (
	SELECT (aclexplode(datacl)).* FROM pg_database WHERE datname=$1
) as privileges
WHERE grantee = $2
`;
const SCHEMA_PRIVILEGES = 'SELECT array_agg(privilege_type) FROM (SELECT (aclexplode(nspacl)).* FROM pg_namespace WHERE nspname=$1) as privileges WHERE grantee = $2';
const TABLE_PRIVILEGES = `SELECT pg_class.relname, array_remove(array_agg(privilege_type), NULL)
FROM pg_class
JOIN pg_namespace ON pg_namespace.oid = pg_class.relnamespace
LEFT JOIN (
    SELECT acls.*
    FROM (
        SELECT relname, relnamespace, relkind, (aclexplode(relacl)).* FROM pg_class c
    ) as acls
    WHERE grantee=$2
) privs
USING (relname, relnamespace, relkind)
WHERE nspname = $1 AND relkind = ANY($3)
GROUP BY pg_class.relname`;
const GRANT_ROLE = `
SELECT
  pg_get_userbyid(member) as role,
  pg_get_userbyid(roleid) as grant_role,
  admin_option
FROM
  pg_auth_members
WHERE
  pg_get_userbyid(member) = $1 AND
  pg_get_userbyid(roleid) = $2;
`;
const SCHEMA_READ = "SELECT pg_catalog.pg_get_userbyid(n.nspowner), COALESCE(n.nspacl, '{}'::aclitem[])::TEXT[] FROM pg_catalog.pg_namespace n WHERE n.nspname=$1";
const DEFAULT_PRIVILEGES = `SELECT array_agg(prtype) FROM (
		SELECT defaclnamespace, (aclexplode(defaclacl)).* FROM pg_default_acl
		WHERE defaclobjtype = $3
	) AS t (namespace, grantor_oid, grantee_oid, prtype, grantable)
	JOIN pg_namespace ON pg_namespace.oid = namespace
	WHERE grantee_oid = $1 AND nspname = $2 AND pg_get_userbyid(grantor_oid) = $4;
`;

describe.each(MAJORS)('the CI planners\' read-only login, PostgreSQL %i', (major) => {
  let ns: Namespace;
  let applied: AppliedEstate;
  let erp: AppliedEnv;
  const sessions: Session[] = [];
  const as = async (database: string): Promise<Session> => {
    const s = await connect(ns.server, { user: applied.planner.user, password: applied.planner.password, database });
    sessions.push(s);
    return s;
  };
  const group = (e: AppliedEnv) => applied.names.map(e.env.names.groupRole);

  beforeAll(async () => {
    ns = await createNamespace(pgServer(major), `plan${major}`);
    applied = await applyEstate(ns, dist, { kind: 'declared', only: (e) => e.slug === 'erp' || e.slug === 'erp-sandbox' });
    erp = applied.envs.find((e) => e.env.slug === 'erp')!;
    // The app's data, as its credentials would write it: a table owned by the env's group, with a
    // default privilege the provider would read back, in a schema of its own.
    const su = await connect(ns.server, { user: ns.server.user, password: ns.server.password, database: erp.vault.database });
    try {
      await su.exec(`CREATE SCHEMA app AUTHORIZATION ${ident(group(erp))}`);
      await su.exec(`CREATE TABLE app.customers (id int, email text)`);
      await su.exec(`ALTER TABLE app.customers OWNER TO ${ident(group(erp))}`);
      await su.exec(`INSERT INTO app.customers VALUES (1, 'a@example.com')`);
      await su.exec(`CREATE TABLE public.orders (id int)`);
      await su.exec(`ALTER TABLE public.orders OWNER TO ${ident(group(erp))}`);
      await su.exec(`ALTER DEFAULT PRIVILEGES FOR ROLE ${ident(group(erp))} IN SCHEMA app GRANT SELECT ON TABLES TO ${ident(erp.vault.connectionUser)}`);
    } finally {
      await su.end();
    }
  });
  afterAll(async () => {
    await Promise.all(sessions.map((s) => s.end()));
    await ns?.cleanup();
  });

  it('the artifacts grant the planner group CONNECT on each env database, and nothing else', () => {
    for (const e of applied.envs) {
      const grants = e.stack.resources.filter((r) => r.type === 'postgresql_grant' && r.attributes.role === 'tierkit_planner');
      expect(grants.map((r) => [r.name, r.attributes.database, r.attributes.object_type, r.attributes.privileges])).toEqual([
        ['planner_connect', e.env.names.database, 'database', ['CONNECT']],
      ]);
    }
  });

  it('is a login with no attribute beyond LOGIN, a member of the planner group only, member of no app role', async () => {
    const s = await as(maintenanceDatabase(applied.names, 'prod-pg', erp.adminKind, 'postgres'));
    const [me] = await s.query('SELECT current_user AS u, rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname = current_user');
    expect(me).toEqual({ u: applied.planner.user, rolsuper: false, rolcreaterole: false, rolcreatedb: false, rolreplication: false, rolbypassrls: false, rolcanlogin: true });
    const member = await s.query<{ r: string }>("SELECT r.rolname AS r FROM pg_roles r WHERE r.rolname <> current_user AND pg_has_role(current_user, r.oid, 'MEMBER') ORDER BY 1");
    expect(member.map((x) => x.r)).toEqual([plannerGroup(applied.names)]);
    for (const e of applied.envs) {
      const [row] = await s.query<{ m: boolean; u: boolean }>("SELECT pg_has_role(current_user, $1, 'MEMBER') AS m, pg_has_role(current_user, $1, 'USAGE') AS u", [group(e)]);
      expect(row, e.env.slug).toEqual({ m: false, u: false });
    }
  });

  it('runs the provider\'s role, database, grant_role and database-grant reads in postgres and gets the true answers', async () => {
    const s = await as(maintenanceDatabase(applied.names, 'prod-pg', erp.adminKind, 'postgres'));
    expect((await s.query('SELECT VERSION()')).length).toBe(1);
    expect((await s.query('SELECT rolsuper FROM pg_roles WHERE rolname = CURRENT_USER'))[0]).toEqual({ rolsuper: false });
    const conn = erp.vault.connectionUser;
    const [role] = await s.query(ROLE_READ, [conn]);
    expect(role.rolcanlogin).toBe(true);
    expect(role.rolcreaterole).toBe(true);
    expect(role.array).toContain(group(erp));
    const [owner] = await s.query(DB_OWNER, [erp.vault.database]);
    expect(owner.pg_get_userbyid).toBe(group(erp));
    const [attrs] = await s.query(DB_ATTRS, [erp.vault.database]);
    expect(attrs.datallowconn).toBe(true);
    expect(await s.query(DB_EXISTS, [erp.vault.database])).toHaveLength(1);
    expect(await s.query(GRANT_ROLE, [conn, group(erp)])).toEqual([{ role: conn, grant_role: group(erp), admin_option: true }]);
    const [{ oid }] = await s.query(ROLE_OID, [group(erp)]);
    expect((await s.query(DB_PRIVILEGES, [erp.vault.database, oid]))[0].array_agg).toEqual(['CONNECT']);
    const [{ oid: plannerOid }] = await s.query(ROLE_OID, [plannerGroup(applied.names)]);
    expect((await s.query(DB_PRIVILEGES, [erp.vault.database, plannerOid]))[0].array_agg).toEqual(['CONNECT']);
    // PUBLIC (grantee 0) holds nothing on the env database: the stack revoked it.
    expect((await s.query(DB_PRIVILEGES, [erp.vault.database, 0]))[0].array_agg).toBeNull();
  });

  it('opens the provider\'s grant transactions in every database the stacks name (each maintenance database, each env database) and reads schema, table and default-privilege state there', async () => {
    for (const e of applied.envs) {
      for (const db of [...MAINTENANCE_DATABASES.map((d) => maintenanceDatabase(applied.names, e.env.server, e.adminKind, d)), e.vault.database]) {
        const s = await as(db);
        expect(await s.query(ROLE_EXISTS, [group(e)]), `${e.env.slug} ${db}`).toHaveLength(1);
        await s.end();
      }
    }
    const s = await as(erp.vault.database);
    const [{ oid }] = await s.query(ROLE_OID, [group(erp)]);
    expect(await s.query('SELECT 1 FROM pg_namespace WHERE nspname=$1', ['app'])).toHaveLength(1);
    const [schema] = await s.query(SCHEMA_READ, ['app']);
    expect(schema.pg_get_userbyid).toBe(group(erp));
    // The owner's privileges are implicit (no ACL yet): the provider reads them as none granted.
    expect((await s.query(SCHEMA_PRIVILEGES, ['app', oid]))[0].array_agg).toBeNull();
    expect(await s.query(TABLE_PRIVILEGES, ['app', oid, ['r']])).toEqual([{ relname: 'customers', array_remove: [] }]);
    const [{ oid: connOid }] = await s.query(ROLE_OID, [erp.vault.connectionUser]);
    expect((await s.query(DEFAULT_PRIVILEGES, [connOid, 'app', 'r', group(erp)]))[0].array_agg).toEqual(['SELECT']);
  });

  it('reads no table data, even with default_transaction_read_only switched off (42501)', async () => {
    const s = await as(erp.vault.database);
    await s.query('SET default_transaction_read_only = off');
    await expectSqlState(s.run('SELECT * FROM app.customers'), '42501', 'SELECT app.customers');
    await expectSqlState(s.run('SELECT * FROM public.orders'), '42501', 'SELECT public.orders');
    await expectSqlState(s.run('COPY app.customers TO STDOUT'), '42501', 'COPY app.customers');
    await expectSqlState(s.run(`SET ROLE ${ident(group(erp))}`), '42501', 'SET ROLE to the env group');
  });

  it('creates, alters, drops and grants nothing (42501), even with default_transaction_read_only switched off', async () => {
    const s = await as(erp.vault.database);
    await s.query('SET default_transaction_read_only = off');
    const conn = erp.vault.connectionUser;
    const attempts: [string, string][] = [
      ['CREATE ROLE planner_made NOLOGIN', '42501'],
      ['CREATE DATABASE planner_made', '42501'],
      ['CREATE SCHEMA planner_made', '42501'],
      ['CREATE TABLE public.planner_made (id int)', '42501'],
      ['CREATE TEMP TABLE planner_made (id int)', '42501'],
      ['INSERT INTO app.customers VALUES (2, \'x\')', '42501'],
      ['UPDATE public.orders SET id = 2', '42501'],
      ['DELETE FROM app.customers', '42501'],
      ['TRUNCATE public.orders', '42501'],
      ['DROP TABLE public.orders', '42501'],
      ['DROP SCHEMA app CASCADE', '42501'],
      [`ALTER TABLE public.orders OWNER TO ${ident(applied.planner.user)}`, '42501'],
      [`ALTER ROLE ${ident(conn)} PASSWORD 'x'`, '42501'],
      [`ALTER ROLE ${ident(group(erp))} LOGIN`, '42501'],
      [`DROP ROLE ${ident(conn)}`, '42501'],
      [`GRANT ${ident(group(erp))} TO ${ident(applied.planner.user)}`, '42501'],
      [`ALTER DATABASE ${ident(erp.vault.database)} CONNECTION LIMIT 1`, '42501'],
      [`DROP DATABASE ${ident(erp.vault.database)}`, '42501'],
      // (A role may ALTER its own password and user-settable settings: that reaches only itself —
      // docs/pr-flow.md names it as the declared login's one weakness, a denial of planning.)
    ];
    for (const [sql, code] of attempts) await expectSqlState(s.run(sql), code, sql);
    await expectSqlState(s.run(`GRANT SELECT ON app.customers TO ${ident(applied.planner.user)}`), '42501', 'GRANT on a table');
    // A database GRANT/REVOKE by a non-owner only warns (01007/01006) and changes nothing: the ACL is read back.
    for (const sql of [`GRANT CONNECT, TEMPORARY ON DATABASE ${ident(erp.vault.database)} TO PUBLIC`, `REVOKE CONNECT ON DATABASE ${ident(erp.vault.database)} FROM ${ident(group(erp))}`]) {
      const out = await s.run(sql);
      expect(out.ok ? out.notices.map((n) => n.code) : [out.code], sql).toEqual([expect.stringMatching(/^(01006|01007|42501)$/)]);
    }
    const [{ oid: groupOid }] = await s.query(ROLE_OID, [group(erp)]);
    expect((await s.query(DB_PRIVILEGES, [erp.vault.database, 0]))[0].array_agg).toBeNull();
    expect((await s.query(DB_PRIVILEGES, [erp.vault.database, groupOid]))[0].array_agg).toEqual(['CONNECT']);
  });

  // Issue 12's remaining weakness, measured: what a plan running as the declared login can change
  // about the login itself. PostgreSQL lets any role set its own password and its own session
  // defaults (ALTER ROLE docs: "ordinary roles can only change their own password"), nothing else.
  // A short-lived login (VALID UNTIL, as a Vault dynamic role would create it IN ROLE the group)
  // bounds that to the login's own life: it cannot extend its validity, and is refused after it.
  it('can change its own password and session defaults, and nothing else of itself; a short-lived member cannot outlive its VALID UNTIL', async () => {
    const own = ident(applied.planner.user);
    const s = await as(erp.vault.database);
    await s.query('SET default_transaction_read_only = off');
    await expectSqlState(s.run(`ALTER ROLE ${own} VALID UNTIL 'infinity'`), '42501', 'extend its own validity');
    await expectSqlState(s.run(`ALTER ROLE ${own} CONNECTION LIMIT -1`), '42501', 'lift its own connection limit');
    await expectSqlState(s.run(`ALTER ROLE ${own} CREATEDB`), '42501', 'give itself CREATEDB');
    await expectSqlState(s.run(`ALTER ROLE ${own} RENAME TO ${ident(ns.name('renamed'))}`), '0A000', 'rename itself (the session user cannot be renamed)');
    // The documented weakness: both succeed, and reach nothing but this login (a denial of planning).
    const su = await ns.admin();
    const [before] = await su.query<{ p: string }>('SELECT rolpassword AS p FROM pg_authid WHERE rolname = $1', [applied.planner.user]);
    expect((await s.run(`ALTER ROLE ${own} SET default_transaction_read_only = off`)).ok).toBe(true);
    expect((await s.run(`ALTER ROLE ${own} PASSWORD 'taken-by-a-pr'`)).ok).toBe(true);
    const [after] = await su.query<{ p: string }>('SELECT rolpassword AS p FROM pg_authid WHERE rolname = $1', [applied.planner.user]);
    expect(after.p).not.toBe(before.p);
    // Restore the bootstrap's password and defaults for the other tests (the operator's rotation).
    await su.exec(`ALTER ROLE ${own} PASSWORD '${applied.planner.password.replace(/'/g, "''")}'`);
    await su.exec(`ALTER ROLE ${own} SET default_transaction_read_only = on`);

    // A short-lived member of the group, made as a Vault creation statement would make it.
    const brief = ns.name('planner_brief');
    const until = new Date(Date.now() + 3_000).toISOString();
    await su.exec(`CREATE ROLE ${ident(brief)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD 'brief-pw' VALID UNTIL '${until}' IN ROLE ${ident(plannerGroup(applied.names))}`);
    const b = await connect(ns.server, { user: brief, password: 'brief-pw', database: erp.vault.database });
    sessions.push(b);
    expect(await b.query(ROLE_EXISTS, [group(erp)])).toHaveLength(1);
    await expectSqlState(b.run(`ALTER ROLE ${ident(brief)} VALID UNTIL 'infinity'`), '42501', 'extend its own validity');
    await new Promise((r) => setTimeout(r, 3_500));
    await expectSqlState(connect(ns.server, { user: brief, password: 'brief-pw', database: erp.vault.database }), '28P01', 'log in after VALID UNTIL');
  });
  // Issue 12: the short-lived planner login (contract/planner.ts), as dist declares it in platform-prod
  // (prod-pg is PostgreSQL 16+ in the example estate) and as Vault would run it (support/vault.ts).
  describe('the short-lived planner login', () => {
    const issuerPassword = testPassword();
    const attrs = (type: string, name: string) => {
      const stack = dist.stacks.find((x) => x.name === 'platform-prod')!;
      return stack.resources.find((r) => r.type === type && r.name === name)!.attributes as Record<string, any>;
    };
    const pieces = (): VaultPieces => {
      const conn = attrs('vault_database_secret_backend_connection', 'planner_login_connection_prod_pg');
      const role = attrs('vault_database_secret_backend_role', 'planner_login_role_prod_pg');
      const map = (xs: string[]) => xs.map((x) => applied.names.mapQuotedIdentifiers(x));
      return {
        stack: 'platform-prod', connectionName: conn.name, connectionUser: applied.names.map(conn.postgresql.username),
        database: applied.names.map(/\/([^/?]+)\?/.exec(conn.postgresql.connection_url)![1]),
        allowedRoles: conn.allowed_roles, roleName: role.name, creation: map(role.creation_statements), revocation: map(role.revocation_statements),
      };
    };
    const issuer = () => applied.names.map(PLANNER_ISSUER_ROLE);
    const bootstrap = async () => {
      const su = await ns.admin();
      for (const stmt of plannerIssuerBootstrapStatements(issuerPassword)) await su.exec(applied.names.mapQuotedIdentifiers(stmt));
    };

    if (major < 16) {
      it('is not made on PostgreSQL 15: the bootstrap\'s grant options do not parse, and CREATEROLE there grants any role (prod\'s group too)', async () => {
        const su = await ns.admin();
        const [create, grant] = plannerIssuerBootstrapStatements(issuerPassword).map((x) => applied.names.mapQuotedIdentifiers(x));
        await su.exec(create);
        await expectSqlState(su.run(grant), '42601', 'GRANT … WITH ADMIN OPTION, INHERIT FALSE, SET FALSE on 15');
        const s = await connect(ns.server, { user: issuer(), password: issuerPassword, database: 'postgres' });
        sessions.push(s);
        // Why the static login stays on 15: an issuer could join the env's group itself.
        expect((await s.run(`GRANT ${ident(group(erp))} TO ${ident(issuer())}`)).ok).toBe(true);
        await su.exec(`DROP ROLE ${ident(issuer())}`);
      });
      return;
    }

    it('issues a login that is a member of the planner group only, with no attribute, VALID UNTIL its lease\'s end, and reads what the planner reads', async () => {
      await bootstrap();
      const v = pieces();
      expect(v.allowedRoles).toEqual([v.roleName]);
      const got = await issueCredential(ns.server, v, applied.names, issuerPassword, 900);
      if (!got.ok) throw new Error(`${got.code} ${got.message} ${got.sql}`);
      const { username, password, expiration } = got.credential;
      const s = await connect(ns.server, { user: username, password, database: erp.vault.database });
      sessions.push(s);
      const [me] = await s.query('SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls, rolcanlogin, rolvaliduntil FROM pg_roles WHERE rolname = current_user');
      expect({ ...me, rolvaliduntil: undefined }).toEqual({ rolsuper: false, rolcreaterole: false, rolcreatedb: false, rolreplication: false, rolbypassrls: false, rolcanlogin: true, rolvaliduntil: undefined });
      expect(new Date(me.rolvaliduntil).getTime()).toBe(new Date(expiration.replace(' ', 'T').replace('+0000', 'Z')).getTime());
      const member = await s.query<{ r: string }>("SELECT r.rolname AS r FROM pg_roles r WHERE r.rolname <> current_user AND pg_has_role(current_user, r.oid, 'MEMBER') ORDER BY 1");
      expect(member.map((x) => x.r)).toEqual([plannerGroup(applied.names)]);
      // The provider's reads, with true answers; no table data; nothing changed of itself but what any role may.
      expect(await s.query(ROLE_EXISTS, [group(erp)])).toHaveLength(1);
      const [{ oid }] = await s.query(ROLE_OID, [group(erp)]);
      expect((await s.query(DB_PRIVILEGES, [erp.vault.database, oid]))[0].array_agg).toEqual(['CONNECT']);
      await s.query('SET default_transaction_read_only = off');
      await expectSqlState(s.run('SELECT * FROM app.customers'), '42501', 'SELECT app.customers');
      for (const sql of [`ALTER ROLE ${ident(username)} VALID UNTIL 'infinity'`, `ALTER ROLE ${ident(username)} CREATEDB`, `ALTER ROLE ${ident(username)} CONNECTION LIMIT -1`,
        `GRANT ${ident(plannerGroup(applied.names))} TO ${ident(erp.vault.connectionUser)}`, 'CREATE ROLE planner_made NOLOGIN', `SET ROLE ${ident(group(erp))}`]) {
        await expectSqlState(s.run(sql), '42501', sql);
      }
      // Revocation (the lease's end) drops it: the issuer made it, so holds ADMIN on it.
      await s.end();
      expect(await revokeCredential(ns.server, v, issuerPassword, username)).toEqual({ ok: true });
      const su = await ns.admin();
      expect(await su.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [username])).toHaveLength(0);
    });

    it('expires: a login is refused after its VALID UNTIL, whatever Vault does (28P01)', async () => {
      const got = await issueCredential(ns.server, pieces(), applied.names, issuerPassword, 2);
      if (!got.ok) throw new Error(`${got.code} ${got.message}`);
      const login = { user: got.credential.username, password: got.credential.password, database: erp.vault.database };
      const s = await connect(ns.server, login);
      await s.end();
      await new Promise((r) => setTimeout(r, 2_500));
      await expectSqlState(connect(ns.server, login), '28P01', 'log in after VALID UNTIL');
    });

    it('the issuer holds none of the planner group\'s privileges and can make nothing but plain logins and planner members', async () => {
      const s = await connectAsConnectionUser(ns.server, pieces(), issuerPassword);
      sessions.push(s);
      const [me] = await s.query<{ c: boolean; sup: boolean }>('SELECT rolcreaterole AS c, rolsuper AS sup FROM pg_roles WHERE rolname = current_user');
      expect(me).toEqual({ c: true, sup: false });
      // INHERIT FALSE, SET FALSE: the group's CONNECT is not the issuer's, nor can it become the group.
      await expectSqlState(connect(ns.server, { user: issuer(), password: issuerPassword, database: erp.vault.database }), '42501', 'connect to the env database');
      const attempts = [
        `SET ROLE ${ident(plannerGroup(applied.names))}`,
        `CREATE ROLE ${ident(ns.name('su'))} SUPERUSER`,
        `CREATE ROLE ${ident(ns.name('db'))} CREATEDB`,
        `CREATE ROLE ${ident(ns.name('repl'))} REPLICATION`,
        `CREATE ROLE ${ident(ns.name('rls'))} BYPASSRLS`,
        `CREATE ROLE ${ident(ns.name('in_group'))} IN ROLE ${ident(group(erp))}`,
        `GRANT ${ident(group(erp))} TO ${ident(issuer())}`,
        `ALTER ROLE ${ident(issuer())} CREATEDB`,
        `ALTER ROLE ${ident(issuer())} BYPASSRLS`,
        `ALTER ROLE ${ident(erp.vault.connectionUser)} PASSWORD 'taken'`,
        `ALTER ROLE ${ident(applied.planner.user)} PASSWORD 'taken'`,
        `DROP ROLE ${ident(group(erp))}`,
        `CREATE DATABASE ${ident(ns.name('issuer_db'))}`,
      ];
      for (const sql of attempts) await expectSqlState(s.run(sql), '42501', sql);
      // The group itself: CONNECT grants depend on it, so it cannot be dropped (2BP01).
      await expectSqlState(s.run(`DROP ROLE ${ident(plannerGroup(applied.names))}`), '2BP01', 'drop the planner group');
      // What ADMIN OPTION does allow, measured: the issuer may add any role to the group — CONNECT and
      // catalog reads, never data (the issuer is Vault's alone, and TK145 holds what Vault runs to exactly one statement).
      const su = await ns.admin();
      const [{ n }] = await su.query<{ n: string }>('SELECT count(*)::text AS n FROM pg_roles WHERE rolname = $1', [plannerGroup(applied.names)]);
      expect(n).toBe('1');
    });

    it('ADMIN OPTION lets the issuer plant ANY role in the group: the member inherits CONNECT on the env databases; the pre-flight, run as an issued login, names exactly it', async () => {
      const v = pieces();
      const got = await issueCredential(ns.server, v, applied.names, issuerPassword, 900);
      if (!got.ok) throw new Error(`${got.code} ${got.message} ${got.sql}`);
      const login = await connect(ns.server, { user: got.credential.username, password: got.credential.password, database: 'postgres' });
      sessions.push(login);
      const params = [plannerGroup(applied.names), issuer(), applied.names.map(PLANNER_LOGIN_ROLE), PLANNER_CREDENTIAL_TTL.maxSeconds, applied.names.map(ISSUED_LOGIN_PREFIX)];
      // The issued logins (Vault's, created by the issuer) pass; the admin-made member an earlier test left is listed.
      const su = await ns.admin();
      const brief = ns.name('planner_brief');
      expect(await login.query(UNEXPECTED_PLANNER_MEMBERS_SQL, params)).toEqual([{ member: brief, grantor: (await su.query<{ u: string }>('SELECT current_user AS u'))[0].u }]);
      await su.exec(`DROP ROLE ${ident(brief)}`);
      expect(await login.query(UNEXPECTED_PLANNER_MEMBERS_SQL, params)).toEqual([]);
      // A role the issuer did not create, e.g. another env's login on this server (default INHERIT, SET).
      const victim = ns.name('victim');
      const victimPassword = testPassword();
      await su.exec(`CREATE ROLE ${ident(victim)} LOGIN PASSWORD '${victimPassword}'`);
      await expectSqlState(connect(ns.server, { user: victim, password: victimPassword, database: erp.vault.database }), '42501', 'connect before the grant');
      const s = await connectAsConnectionUser(ns.server, v, issuerPassword);
      sessions.push(s);
      expect((await s.run(`GRANT ${ident(plannerGroup(applied.names))} TO ${ident(victim)}`)).ok).toBe(true);
      // Measured: the member now connects to the prod env database and may SET ROLE to the group.
      const planted = await connect(ns.server, { user: victim, password: victimPassword, database: erp.vault.database });
      sessions.push(planted);
      expect((await planted.run(`SET ROLE ${ident(plannerGroup(applied.names))}`)).ok).toBe(true);
      const rows = await login.query(UNEXPECTED_PLANNER_MEMBERS_SQL, params);
      expect(rows).toEqual([{ member: victim, grantor: issuer() }]);
      // The plan job's generated pre-flight step (bash + psql, as the issued login) refuses to plan.
      const preflight = () => {
        const server = dist.manifest.servers.find((x) => x.id === 'prod-pg')!;
        const step = plannerMembersPreflight(server, 'postgres', undefined, {
          group: plannerGroup(applied.names), issuer: issuer(), login: applied.names.map(PLANNER_LOGIN_ROLE), issuedPrefix: applied.names.map(ISSUED_LOGIN_PREFIX),
        });
        const env = { ...process.env, ...(step.env as Record<string, string>), PGHOST: ns.server.host, PGPORT: String(ns.server.port), PGSSLMODE: 'disable',
          TF_VAR_pg_admin_username: got.credential.username, TF_VAR_pg_admin_password: got.credential.password };
        return spawnSync('bash', ['-e', '-c', step.run as string], { env, encoding: 'utf8' });
      };
      const refused = preflight();
      expect(refused.status).toBe(1);
      expect(refused.stdout).toContain(`has members that are no login its issuer made: ${victim} granted by ${issuer()}.`);
      // Measured: the admin's plain REVOKE removes only its own grants (16+: grants are per grantor), so the planted one stays.
      await su.run(`REVOKE ${ident(plannerGroup(applied.names))} FROM ${ident(victim)}`);
      expect(await login.query(UNEXPECTED_PLANNER_MEMBERS_SQL, params)).toEqual([{ member: victim, grantor: issuer() }]);
      // Revoked GRANTED BY the issuer, the list is clean again: the check reads the live membership, not a snapshot.
      await su.exec(`REVOKE ${ident(plannerGroup(applied.names))} FROM ${ident(victim)} GRANTED BY ${ident(issuer())}`);
      expect(await login.query(UNEXPECTED_PLANNER_MEMBERS_SQL, params)).toEqual([]);
      const passed = preflight();
      expect(passed.status, passed.stdout + passed.stderr).toBe(0);
      // One step removed: the issuer holds ADMIN on every login it made, so it can make the victim a
      // member of an issued login, which is a member of the group. Measured: the victim connects again.
      expect((await s.run(`GRANT ${ident(got.credential.username)} TO ${ident(victim)}`)).ok).toBe(true);
      const through = await connect(ns.server, { user: victim, password: victimPassword, database: erp.vault.database });
      sessions.push(through);
      expect(await login.query(UNEXPECTED_PLANNER_MEMBERS_SQL, params)).toEqual([{ member: got.credential.username, grantor: issuer() }]);
      expect(preflight().status).toBe(1);
      await su.exec(`REVOKE ${ident(got.credential.username)} FROM ${ident(victim)} GRANTED BY ${ident(issuer())}`);
      expect(await login.query(UNEXPECTED_PLANNER_MEMBERS_SQL, params)).toEqual([]);
    });

    // attack14 minor: an issued login holding the group WITH ADMIN OPTION could itself plant any role
    // in the group (and hand the ADMIN on); the pre-flight must list it although the issuer made it.
    it('an issued login holding the planner group WITH ADMIN OPTION is listed by the pre-flight, and can plant members until revoked', async () => {
      const v = pieces();
      const got = await issueCredential(ns.server, v, applied.names, issuerPassword, 900);
      if (!got.ok) throw new Error(`${got.code} ${got.message} ${got.sql}`);
      const other = await issueCredential(ns.server, v, applied.names, issuerPassword, 900);
      if (!other.ok) throw new Error(`${other.code} ${other.message} ${other.sql}`);
      const login = await connect(ns.server, { user: other.credential.username, password: other.credential.password, database: 'postgres' });
      sessions.push(login);
      const params = [plannerGroup(applied.names), issuer(), applied.names.map(PLANNER_LOGIN_ROLE), PLANNER_CREDENTIAL_TTL.maxSeconds, applied.names.map(ISSUED_LOGIN_PREFIX)];
      expect(await login.query(UNEXPECTED_PLANNER_MEMBERS_SQL, params)).toEqual([]);
      const s = await connectAsConnectionUser(ns.server, v, issuerPassword);
      sessions.push(s);
      expect((await s.run(`GRANT ${ident(plannerGroup(applied.names))} TO ${ident(got.credential.username)} WITH ADMIN OPTION`)).ok).toBe(true);
      // Measured: with ADMIN the issued login grants the group to a role the issuer never made.
      const su = await ns.admin();
      const victim = ns.name('admin_victim');
      await su.exec(`CREATE ROLE ${ident(victim)} NOLOGIN`);
      const holder = await connect(ns.server, { user: got.credential.username, password: got.credential.password, database: 'postgres' });
      sessions.push(holder);
      expect((await holder.run(`GRANT ${ident(plannerGroup(applied.names))} TO ${ident(victim)}`)).ok).toBe(true);
      const rows = await login.query<{ member: string; grantor: string }>(UNEXPECTED_PLANNER_MEMBERS_SQL, params);
      expect(rows.map((r) => r.member).sort()).toEqual([got.credential.username, victim].sort());
      await su.exec(`REVOKE ${ident(plannerGroup(applied.names))} FROM ${ident(victim)} GRANTED BY ${ident(got.credential.username)}`);
      await su.exec(`DROP ROLE ${ident(victim)}`);
      // The ADMIN grant replaced by a plain one (16+: one grant per grantor): the login passes again.
      expect((await s.run(`REVOKE ADMIN OPTION FOR ${ident(plannerGroup(applied.names))} FROM ${ident(got.credential.username)}`)).ok).toBe(true);
      expect(await login.query(UNEXPECTED_PLANNER_MEMBERS_SQL, params)).toEqual([]);
    });
  });
});
