// The fast template reset (issue 19) on real PostgreSQL 15 and 18: the exact script text of
// constructs/lifecycle/template-reset.ts, run as a plain login of the sandbox's template role
// (NOLOGIN CREATEDB, member of the sandbox's group, owner of its golden) over the example estate's
// erp prod and shop-alice and a template-reset sandbox erp-fast, all applied by the translator from
// the synthesized stacks (the template role, its membership and the golden included). After a reset the
// database's catalog rows (owner, ACL, connection limit, settings) equal the apply's, and the
// content hash equals the seed's; the role cannot drop, connect to, clone, alter or grant anything
// of prod or another env (42501). The Job's login is issued as Vault issues it, from the stack's
// template_reset_vault_role statements run by the env's connection user (support/vault.ts).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTENT_HASH_SCRIPT, RESET_SCRIPT } from '../../constructs/lifecycle';
import { GOLDEN_TEMPLATE_LOAD_SCRIPT, TEMPLATE_RESET_SCRIPT } from '../../constructs/lifecycle/template-reset';
import { Sandbox, SandboxKind, SandboxReset, Tier } from '../../constructs';
import * as naming from '../../constructs/naming';
import exampleEstate from '../../environments';
import { synthToDist } from '../support/synth';
import { createNamespace, expectSqlState, ident, literal, pgServer, tryConnect, type Namespace, type Session } from './support/db';
import { applyEstate, plannerGroup, testPassword, type AppliedEnv, type AppliedEstate } from './support/estate';
import { findPgTools, runTool, type ToolResult } from './support/pgtools';
import { connectAsConnectionUser, currentVault, issueCredential, revokeCredential, templateResetLoginPieces } from './support/vault';

function estate() {
  const e = exampleEstate();
  const erp = e.node.tryFindChild('erp') as ConstructorParameters<typeof Sandbox>[0];
  new Sandbox(erp, 'fast', { tier: Tier.DEV, kind: SandboxKind.ENGINEER, owner: 'arcodange', createdAt: '2026-11-21', ttlHours: 72, reset: SandboxReset.TEMPLATE });
  return e;
}
const dist = synthToDist(estate(), 'pg-template-reset');
const SANDBOX = { app: 'erp', env: 'fast' };

for (const major of [15, 18] as const) {
  describe(`template reset on PostgreSQL ${major}`, () => {
    let ns: Namespace;
    let srcNs: Namespace;
    let applied: AppliedEstate;
    let sandbox: AppliedEnv;
    let dir: string;
    let binDir: string;
    let admin: Session;
    const m = (n: string) => applied.names.map(n);
    const db = () => m(naming.databaseName(SANDBOX));
    const golden = () => m(naming.goldenTemplateDatabaseName(SANDBOX));
    const template = () => m(naming.templateResetRoleName(SANDBOX));
    const group = () => m(naming.groupRoleName(SANDBOX));
    const login = { user: '', password: testPassword() };
    let seedContent = '';

    function run(script: string, extra: Record<string, string> = {}, who = login): Promise<ToolResult> {
      const creds = join(dir, `creds-${who.user}`);
      writeFileSync(creds, `export PGUSER='${who.user}'\nexport PGPASSWORD='${who.password}'\n`, { mode: 0o600 });
      return runTool('/bin/bash', ['-c', script], {
        PATH: `${binDir}:${process.env.PATH}`, HOME: dir, PGHOST: ns.server.host, PGPORT: String(ns.server.port), PGSSLMODE: 'disable',
        PGDATABASE: db(), TIERKIT_CREDENTIALS_FILE: creds, TIERKIT_OBJECT_PREFIX: 'llx_', TIERKIT_SEED_HASH_FILE: join(dir, 'seed-hash'),
        TIERKIT_DUMP_FILE: join(dir, 'seed.dump'), TIERKIT_TEMPLATE_ROLE: template(), TIERKIT_GROUP_ROLE: group(), TIERKIT_DATABASE: db(),
        TIERKIT_GOLDEN_DATABASE: golden(), TIERKIT_CONNECT_ROLES: `${group()} ${plannerGroup(applied.names)}`,
        TIERKIT_CONNECTION_LIMIT: String(sandboxLimit), TIERKIT_DRAIN_TIMEOUT_SECONDS: '4', ...extra,
      });
    }
    let sandboxLimit = -1;

    /** What a reset must give back: the database's catalog rows, read by the superuser. */
    async function catalog(name: string) {
      const [row] = await admin.query(`SELECT r.rolname AS owner, d.datconnlimit, d.datallowconn, d.datistemplate,
          (SELECT coalesce(json_agg(json_build_array(g.rolname, x.privilege_type, x.is_grantable, o.rolname) ORDER BY g.rolname, x.privilege_type), '[]')
             FROM aclexplode(d.datacl) x LEFT JOIN pg_roles g ON g.oid = x.grantee LEFT JOIN pg_roles o ON o.oid = x.grantor) AS acl,
          (SELECT coalesce(json_agg(json_build_array(s.setrole, s.setconfig) ORDER BY s.setrole), '[]') FROM pg_db_role_setting s WHERE s.setdatabase = d.oid) AS settings
        FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba WHERE d.datname = $1`, [name]);
      return row;
    }

    async function appUser(): Promise<{ user: string; password: string }> {
      const issued = await issueCredential(ns.server, currentVault(sandbox), applied.names, sandbox.connectionPassword);
      if (!issued.ok) throw new Error(`${issued.code} ${issued.message}`);
      return { user: issued.credential.username, password: issued.credential.password };
    }

    /** The reset login's Vault role of the synthesized stack (expiry guard retimed if the fixed date has passed). */
    const loginVault = () => currentVault({ env: sandbox.env, vault: templateResetLoginPieces(sandbox.stack, applied.names) });
    async function issueLogin(): Promise<{ ok: true; login: { user: string; password: string } } | { ok: false; code: string; message: string }> {
      const r = await issueCredential(ns.server, loginVault(), applied.names, sandbox.connectionPassword);
      return r.ok ? { ok: true, login: { user: r.credential.username, password: r.credential.password } } : { ok: false, code: r.code, message: r.message };
    }

    async function asTemplate(database = db()): Promise<Session> {
      const s = await ns.connect({ user: login.user, password: login.password, database });
      await s.query(`SET ROLE ${ident(template())}`);
      return s;
    }

    beforeAll(async () => {
      binDir = (await findPgTools(15)).binDir;
      dir = mkdtempSync(join(tmpdir(), 'tierkit-template-reset-'));
      ns = await createNamespace(pgServer(major), `tmplreset${major}`);
      applied = await applyEstate(ns, dist, {
        kind: 'declared', only: (e) => e.slug === 'erp' || e.slug === 'erp-fast' || e.slug === 'shop-alice',
      });
      sandbox = applied.envs.find((e) => e.env.slug === 'erp-fast')!;
      admin = await ns.admin();
      sandboxLimit = (await admin.query(`SELECT datconnlimit FROM pg_database WHERE datname = $1`, [db()]))[0].datconnlimit;
      // The apply made the role and its golden (the stack's template_reset_role, template_reset_membership,
      // golden_database, golden_public_revoke); the Job's login is made as Vault would issue it.
      expect(await catalog(golden())).toMatchObject({ owner: template(), datallowconn: false, datistemplate: false });
      // The Job's login, as Vault issues it: the stack's template_reset_vault_role statements, run by the
      // connection user on its connection's database (its ADMIN OPTION on the template role applied above).
      const issued = await issueLogin();
      if (!issued.ok) throw new Error(`the reset login was not issued: ${issued.code} ${issued.message}`);
      Object.assign(login, issued.login);
      // The seed: a pg_dump -Fc of llx_* (superuser), its hashes as the producer would publish them. The
      // client tools are 15 (pg_dump refuses a newer server), so the seed is always dumped from the 15 server.
      srcNs = await createNamespace(pgServer(15), `tmplsrc${major}`);
      const src = srcNs.name('seed_src');
      await (await srcNs.admin()).exec(`CREATE DATABASE ${ident(src)}`);
      const s = await srcNs.connect({ user: srcNs.server.user, password: srcNs.server.password, database: src });
      await s.exec(`CREATE TABLE llx_societe (rowid serial PRIMARY KEY, nom text NOT NULL, note numeric(10,2));
        INSERT INTO llx_societe (nom, note) SELECT 'client ' || g, g * 1.5 FROM generate_series(1, 300) g;
        CREATE TABLE llx_facture (rowid serial PRIMARY KEY, fk_soc int REFERENCES llx_societe, total numeric(12,2));
        INSERT INTO llx_facture (fk_soc, total) SELECT 1 + g % 300, g * 10 FROM generate_series(1, 900) g`);
      await s.end();
      const superCreds = { user: srcNs.server.user, password: srcNs.server.password };
      const srcEnv = { PGHOST: srcNs.server.host, PGPORT: String(srcNs.server.port) };
      const dump = await runTool(join(binDir, 'pg_dump'), ['--format=custom', '--no-owner', '--no-acl', '--table=llx_*', `--file=${join(dir, 'seed.dump')}`, src], {
        PATH: process.env.PATH, ...srcEnv, PGUSER: superCreds.user, PGPASSWORD: superCreds.password, PGSSLMODE: 'disable',
      });
      if (dump.code !== 0) throw new Error(`pg_dump: ${dump.stderr}`);
      const hash = await run(CONTENT_HASH_SCRIPT, { PGDATABASE: src, ...srcEnv }, superCreds);
      expect(hash.code, hash.stderr).toBe(0);
      seedContent = hash.stdout.trim();
      const file = (await runTool('/usr/bin/sha256sum', [join(dir, 'seed.dump')])).stdout.split(' ')[0];
      writeFileSync(join(dir, 'seed-hash'), `file_sha256=${file}\ncontent_sha256=${seedContent}\n`);
    }, 120_000);
    afterAll(async () => {
      await ns?.cleanup();
      await srcNs?.cleanup();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('loads the golden as the group and closes it; resets from it and gives back the apply\'s catalog rows', async () => {
      const applyRows = await catalog(db());
      expect(applyRows.owner).toBe(group());
      const load = await run(GOLDEN_TEMPLATE_LOAD_SCRIPT);
      expect(load.stderr).toBe('');
      expect(load.code).toBe(0);
      expect(await catalog(golden())).toMatchObject({ owner: template(), datallowconn: false, datistemplate: false, acl: [[template(), 'CONNECT', false, template()], [template(), 'CREATE', false, template()], [template(), 'TEMPORARY', false, template()]] });

      const first = await run(TEMPLATE_RESET_SCRIPT);
      expect(first.stderr).toBe('');
      expect(first.code).toBe(0);
      expect(await catalog(db())).toEqual(applyRows);
      // The first reset brings the seed in; then the hour's drift: rows, a table, a database setting, PUBLIC's CONNECT, a higher limit (the group's members own the database).
      const app = await appUser();
      const s = await ns.connect({ user: app.user, password: app.password, database: db() });
      try {
        for (const sql of [
          'CREATE TABLE llx_drift (x int)', 'DELETE FROM llx_facture WHERE rowid < 100', `ALTER DATABASE ${ident(db())} SET work_mem = '64MB'`,
          `GRANT CONNECT ON DATABASE ${ident(db())} TO PUBLIC`, `ALTER DATABASE ${ident(db())} CONNECTION LIMIT 500`,
        ]) await s.exec(sql);
      } finally {
        await s.end();
      }
      expect(await catalog(db())).not.toEqual(applyRows);

      const reset = await run(TEMPLATE_RESET_SCRIPT);
      expect(reset.stderr).toBe('');
      expect(reset.code).toBe(0);
      expect(reset.stdout).toContain(seedContent);
      expect(await catalog(db())).toEqual(applyRows);
      expect((await catalog(golden())).datallowconn).toBe(false);
      // The clone's objects are the group's, as after a pg_restore reset, and its content is the seed's.
      const inClone = await ns.connect({ user: ns.server.user, password: ns.server.password, database: db() });
      expect(await inClone.query(`SELECT DISTINCT pg_get_userbyid(relowner) AS owner FROM pg_class WHERE relname LIKE 'llx_%'`)).toEqual([{ owner: group() }]);
      await inClone.end();
      // The pg_restore reset of the same database, as the sandbox's own credential, leaves the same catalog rows.
      const restorer = await appUser();
      const restored = await run(RESET_SCRIPT, { TIERKIT_VAULT_CONNECTION_ROLE: m(naming.vaultConnectionRoleName(SANDBOX)) }, restorer);
      expect(restored.stderr).toBe('');
      expect(restored.code).toBe(0);
      expect(await catalog(db())).toEqual(applyRows);
      expect(await run(TEMPLATE_RESET_SCRIPT).then((r) => r.code)).toBe(0);
      // The app's credentials work again.
      const again = await appUser();
      const s2 = await ns.connect({ user: again.user, password: again.password, database: db() });
      expect((await s2.query(`SELECT count(*)::int AS n FROM llx_facture`))[0].n).toBe(900);
      await s2.end();
    });

    it('the app\'s own database settings and objects never run in a reset session (fix10: search_path, shadowing functions, read-only default)', async () => {
      const app = await appUser();
      const s = await ns.connect({ user: app.user, password: app.password, database: db() });
      // A function that would hand the group the golden if any reset session ever called it, reachable
      // by every name the old script used unqualified, and a per-database default that blocks DDL.
      await s.exec(`CREATE FUNCTION public.tk_side() RETURNS boolean LANGUAGE plpgsql AS $f$ BEGIN
          EXECUTE pg_catalog.format('GRANT CONNECT ON DATABASE %I TO %I', ${literal(golden())}, ${literal(group())}); RETURN true; END $f$;
        CREATE VIEW public.pg_database AS SELECT d.* FROM pg_catalog.pg_database d WHERE public.tk_side();
        CREATE VIEW public.pg_roles AS SELECT r.* FROM pg_catalog.pg_roles r WHERE public.tk_side();
        CREATE FUNCTION public.format(text, text) RETURNS text LANGUAGE sql AS $f$ SELECT CASE WHEN public.tk_side() THEN pg_catalog.format($1, $2) END $f$;
        CREATE FUNCTION public.format(text, text, text) RETURNS text LANGUAGE sql AS $f$ SELECT CASE WHEN public.tk_side() THEN pg_catalog.format($1, $2, $3) END $f$;
        GRANT SELECT ON public.pg_database, public.pg_roles TO PUBLIC;
        ALTER DATABASE ${ident(db())} SET search_path = public, pg_catalog;
        ALTER DATABASE ${ident(db())} SET default_transaction_read_only = on`).finally(() => s.end());
      const reset = await run(TEMPLATE_RESET_SCRIPT);
      expect(reset.code, reset.stderr).toBe(0);
      // The golden is closed again and its owner's alone; the clone lost the app's settings and objects.
      expect(await catalog(golden())).toMatchObject({ owner: template(), datallowconn: false, acl: [[template(), 'CONNECT', false, template()], [template(), 'CREATE', false, template()], [template(), 'TEMPORARY', false, template()]] });
      expect((await catalog(db())).settings).toEqual([]);
      expect((await run(TEMPLATE_RESET_SCRIPT)).code).toBe(0);
    });

    it('waits for every session to end and drops nothing while one remains (no pg_signal_backend, no FORCE)', async () => {
      const app = await appUser();
      const s = await ns.connect({ user: app.user, password: app.password, database: db() });
      try {
        await s.exec(`INSERT INTO llx_societe (nom) VALUES ('kept while connected')`);
        const reset = await run(TEMPLATE_RESET_SCRIPT);
        expect(reset.code).toBe(4);
        expect(reset.stderr).toContain(app.user);
        expect((await s.query(`SELECT count(*)::int AS n FROM llx_societe WHERE nom = 'kept while connected'`))[0].n).toBe(1);
      } finally {
        await s.end();
      }
      expect((await catalog(db())).datallowconn).toBe(true);
    });

    it('refuses a golden its owner made a template (cloneable by any CREATEDB role) or shared', async () => {
      const t = await asTemplate();
      await t.exec(`ALTER DATABASE ${ident(golden())} IS_TEMPLATE true`);
      const refused = await run(TEMPLATE_RESET_SCRIPT);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain('template reset refused: the golden');
      await t.exec(`ALTER DATABASE ${ident(golden())} IS_TEMPLATE false`);
      await t.exec(`GRANT CONNECT ON DATABASE ${ident(golden())} TO ${ident(group())}`);
      expect((await run(TEMPLATE_RESET_SCRIPT)).code).not.toBe(0);
      await t.exec(`REVOKE CONNECT ON DATABASE ${ident(golden())} FROM ${ident(group())}`);
      await t.end();
      // fix10: a refused golden loses its marker (whoever it was shared with may have written it while
      // it was open): the reset refuses until a load re-verifies it.
      const unverified = await run(TEMPLATE_RESET_SCRIPT);
      expect(unverified.code, unverified.stderr).toBe(5);
      const reload = await run(GOLDEN_TEMPLATE_LOAD_SCRIPT);
      expect(reload.code, reload.stderr).toBe(0);
      expect((await run(TEMPLATE_RESET_SCRIPT)).code).toBe(0);
    });

    it('refuses a login that carries CREATEDB itself', async () => {
      const wide = { user: ns.name('tmpl_wide'), password: testPassword() };
      await admin.exec(`CREATE ROLE ${ident(wide.user)} LOGIN CREATEDB PASSWORD ${literal(wide.password)} IN ROLE ${ident(template())}`);
      const r = await run(TEMPLATE_RESET_SCRIPT, {}, wide);
      expect(r.code).toBe(3);
    });

    it('the template role cannot drop, connect to, clone, alter or grant anything of prod or another env (42501)', async () => {
      const prodDb = m('erp');
      const other = m('shop-alice');
      const t = await asTemplate();
      for (const target of [prodDb, other, m('postgres')]) {
        await expectSqlState(t.run(`DROP DATABASE ${ident(target)}`), '42501', `drop ${target}`);
        await expectSqlState(t.run(`ALTER DATABASE ${ident(target)} CONNECTION LIMIT 1`), '42501', `alter ${target}`);
        await expectSqlState(t.run(`ALTER DATABASE ${ident(target)} SET work_mem = '1GB'`), '42501', `settings of ${target}`);
        await expectSqlState(t.run(`GRANT CONNECT ON DATABASE ${ident(target)} TO ${ident(template())}`), '42501', `grant on ${target}`);
        await expectSqlState(t.run(`CREATE DATABASE ${ident(ns.name('steal'))} TEMPLATE ${ident(target)}`), '42501', `clone ${target}`);
        const conn = await tryConnect(ns.server, { user: login.user, password: login.password, database: target });
        expect(conn.ok ? 'connected' : conn.code, `connect to ${target}`).toBe('42501');
      }
      for (const g of [m(naming.groupRoleName({ app: 'erp', env: 'prod' })), m(naming.groupRoleName({ app: 'shop', env: 'alice' }))]) {
        await expectSqlState(t.run(`CREATE DATABASE ${ident(ns.name('owned'))} OWNER ${ident(g)}`), '42501', `create owned by ${g}`);
        await expectSqlState(t.run(`GRANT ${ident(g)} TO ${ident(template())}`), '42501', `join ${g}`);
        await expectSqlState(t.run(`SET ROLE ${ident(g)}`), '42501', `set role ${g}`);
      }
      await expectSqlState(t.run(`CREATE ROLE ${ident(ns.name('minted'))}`), '42501', 'create role');
      await expectSqlState(t.run(`ALTER ROLE ${ident(template())} CREATEROLE`), '42501', 'widen itself');
      await expectSqlState(t.run(`ALTER ROLE ${ident(m(naming.groupRoleName({ app: 'erp', env: 'prod' })))} PASSWORD 'x'`), '42501', 'prod group password');
      // Its own database: ownership is not reach beyond it. CREATEDB itself cannot be scoped by name:
      // a new, empty database owned by the role or the sandbox's group is what it can make (the login is the reset Job's only).
      const junk = ns.name('junk');
      await t.exec(`CREATE DATABASE ${ident(junk)} TEMPLATE template0`);
      expect((await catalog(junk)).owner).toBe(template());
      await t.exec(`DROP DATABASE ${ident(junk)}`);
      await t.end();
    });

    it('the Job\'s login cannot hand its membership (and so the template role) to an app user or the group: 42501', async () => {
      // A session user once held ADMIN OPTION on itself (is_admin_of_role); these servers refuse it.
      const app = await appUser();
      const s = await ns.connect({ user: login.user, password: login.password, database: db() });
      await expectSqlState(s.run(`GRANT ${ident(login.user)} TO ${ident(app.user)}`), '42501', 'login to app user');
      await expectSqlState(s.run(`GRANT ${ident(template())} TO ${ident(app.user)}`), '42501', 'template to app user');
      await s.end();
    });

    it('no one else reaches the golden: the app\'s users cannot connect or clone it, another CREATEDB role cannot clone it', async () => {
      const app = await appUser();
      const conn = await tryConnect(ns.server, { user: app.user, password: app.password, database: golden() });
      expect(conn.ok ? 'connected' : conn.code).not.toBe('connected');
      const s = await ns.connect({ user: app.user, password: app.password, database: db() });
      await expectSqlState(s.run(`SET ROLE ${ident(template())}`), '42501', 'app joins template');
      await expectSqlState(s.run(`CREATE DATABASE ${ident(ns.name('x'))} TEMPLATE ${ident(golden())}`), '42501', 'app clones golden');
      await s.end();
      // A preview admin (or any CREATEDB role of the server) would clone a golden marked as template.
      const other = { user: ns.name('other_createdb'), password: testPassword() };
      await admin.exec(`CREATE ROLE ${ident(other.user)} LOGIN CREATEDB PASSWORD ${literal(other.password)}`);
      await admin.exec(`GRANT CONNECT ON DATABASE ${ident(db())} TO ${ident(other.user)}`);
      const o = await ns.connect({ ...other, database: db() });
      await expectSqlState(o.run(`CREATE DATABASE ${ident(ns.name('y'))} TEMPLATE ${ident(golden())}`), '42501', 'other CREATEDB clones golden');
      await expectSqlState(o.run(`DROP DATABASE ${ident(golden())}`), '42501', 'other drops golden');
      await o.end();
      await admin.exec(`REVOKE CONNECT ON DATABASE ${ident(db())} FROM ${ident(other.user)}`);
    });

    it('the Vault-issued login is a plain login, member of the template role alone (INHERIT, SET); on 16+ only the connection user\'s ADMIN OPTION lets Vault issue it', async () => {
      const [attrs] = await admin.query(`SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls, rolcanlogin, rolconnlimit FROM pg_roles WHERE rolname = $1`, [login.user]);
      expect(attrs).toEqual({ rolsuper: false, rolcreatedb: false, rolcreaterole: false, rolreplication: false, rolbypassrls: false, rolcanlogin: true, rolconnlimit: 2 });
      const memberOf = await admin.query(`SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid WHERE m.member = (SELECT oid FROM pg_roles WHERE rolname = $1)`, [login.user]);
      expect(memberOf.map((x: any) => x.rolname)).toEqual([template()]);
      if (major >= 16) {
        const [opts] = await admin.query(`SELECT inherit_option, set_option, admin_option FROM pg_auth_members WHERE member = (SELECT oid FROM pg_roles WHERE rolname = $1)`, [login.user]);
        expect(opts).toEqual({ inherit_option: true, set_option: true, admin_option: false });
      }
      // Without the stack's template_reset_vault_admin: 16+ refuses to issue (42501), 15's CREATEROLE grants any non-superuser role.
      const conn = sandbox.vault.connectionUser;
      const edge = `SELECT pg_get_userbyid(grantor) AS grantor FROM pg_auth_members WHERE roleid = (SELECT oid FROM pg_roles WHERE rolname = $1) AND member = (SELECT oid FROM pg_roles WHERE rolname = $2)`;
      const [{ grantor }] = await admin.query(edge, [template(), conn]);
      // 16+ keeps one row per grantor: revoke the provider's own grant, by name; CASCADE takes the
      // logins the connection user granted with it (this test issues the Job's login again after).
      const by = major >= 16 ? ` GRANTED BY ${ident(grantor)}` : '';
      await admin.exec(`REVOKE ${ident(template())} FROM ${ident(conn)}${by} CASCADE`);
      try {
        expect(await admin.query(edge, [template(), conn])).toEqual([]);
        const without = await issueLogin();
        expect(without.ok ? 'issued' : without.code).toBe(major >= 16 ? '42501' : 'issued');
      } finally {
        await admin.exec(`GRANT ${ident(template())} TO ${ident(conn)} WITH ADMIN OPTION${by}`);
      }
      const again = await issueLogin();
      if (!again.ok) throw new Error(again.message);
      Object.assign(login, again.login);
      expect((await run(TEMPLATE_RESET_SCRIPT)).code).toBe(0);
    });

    it('the login cannot grant itself or anyone anything, nor widen itself (42501), and its lease revokes cleanly', async () => {
      const other = await issueLogin();
      if (!other.ok) throw new Error(other.message);
      const s = await ns.connect({ ...other.login, database: db() });
      const app = await appUser();
      for (const asTemplateRole of [false, true]) {
        if (asTemplateRole) await s.exec(`SET ROLE ${ident(template())}`); else await s.exec('RESET ROLE');
        const how = asTemplateRole ? 'as the template role' : 'as itself';
        await expectSqlState(s.run(`GRANT ${ident(template())} TO ${ident(app.user)}`), '42501', `template to the app's user ${how}`);
        await expectSqlState(s.run(`GRANT ${ident(group())} TO ${ident(other.login.user)}`), '42501', `group to itself ${how}`);
        await expectSqlState(s.run(`GRANT ${ident(m(naming.groupRoleName({ app: 'erp', env: 'prod' })))} TO ${ident(other.login.user)}`), '42501', `prod's group ${how}`);
        await expectSqlState(s.run(`ALTER ROLE ${ident(other.login.user)} CREATEDB`), '42501', `CREATEDB on itself ${how}`);
        await expectSqlState(s.run(`ALTER ROLE ${ident(other.login.user)} CONNECTION LIMIT -1`), '42501', `its own limit ${how}`);
        await expectSqlState(s.run(`CREATE ROLE ${ident(ns.name('minted2'))}`), '42501', `create role ${how}`);
      }
      // What it made as itself goes to the group when Vault revokes it.
      await s.exec(`RESET ROLE; CREATE TABLE tk_login_made (x int)`);
      await s.end();
      const revoked = await revokeCredential(ns.server, loginVault(), sandbox.connectionPassword, other.login.user);
      expect(revoked).toEqual({ ok: true });
      expect(await admin.query(`SELECT 1 FROM pg_roles WHERE rolname = $1`, [other.login.user])).toEqual([]);
    });

    it('Vault\'s pooled session in the connection\'s database blocks the drop; closed to new sessions, the pool cannot reopen one, and once it ends the reset completes', async () => {
      // Which database Vault's pool sits in: the connection_url's, the sandbox's own.
      const v = loginVault();
      expect(v.database).toBe(db());
      const conn = (sandbox.stack.json.resource as any).vault_database_secret_backend_connection.vault_connection;
      const lifetime = conn.postgresql.max_connection_lifetime;
      expect(lifetime).toBeGreaterThan(0);
      expect(2 * lifetime).toBeLessThan(120);
      // An idle session as the connection user (what the pool keeps after issuing the login): nothing is dropped.
      const pooled = await connectAsConnectionUser(ns.server, v, sandbox.connectionPassword);
      try {
        const held = await run(TEMPLATE_RESET_SCRIPT);
        expect(held.code).toBe(4);
        expect(held.stderr).toContain(v.connectionUser);
      } finally {
        await pooled.end();
      }
      expect((await catalog(db())).datallowconn).toBe(true);
      // Held again; the pool's lifetime ends it while the reset drains. Meanwhile the database refuses new sessions (55000).
      const again = await connectAsConnectionUser(ns.server, v, sandbox.connectionPassword);
      const reset = run(TEMPLATE_RESET_SCRIPT, { TIERKIT_DRAIN_TIMEOUT_SECONDS: '30' });
      let reopened: { ok: boolean; code?: string } = { ok: false, code: 'unset' };
      for (let i = 0; i < 50; i += 1) {
        if ((await catalog(db())).datallowconn === false) {
          const r = await tryConnect(ns.server, { user: v.connectionUser, password: sandbox.connectionPassword, database: db() });
          reopened = r.ok ? { ok: true } : { ok: false, code: r.code };
          if (r.ok) await r.session.end();
          break;
        }
        await new Promise((res) => setTimeout(res, 100));
      }
      await again.end();
      const done = await reset;
      expect(reopened).toEqual({ ok: false, code: '55000' });
      expect(done.stderr).toBe('');
      expect(done.code).toBe(0);
    });

    it('hashes once, at load: the reset refuses a golden whose marker is not the seed\'s hash, and a load clears it before changing anything', async () => {
      const markerOf = async () => (await admin.query(`SELECT shobj_description(oid, 'pg_database') AS c FROM pg_database WHERE datname = $1`, [golden()]))[0].c;
      expect(await markerOf()).toBe(`tierkit golden content_sha256=${seedContent}`);
      // Another seed's hashes (as when the producer published a new seed and the golden was not reloaded): nothing is dropped.
      const other = join(dir, 'seed-hash-other');
      writeFileSync(other, `file_sha256=${'a'.repeat(64)}\ncontent_sha256=${'b'.repeat(64)}\n`);
      const stale = await run(TEMPLATE_RESET_SCRIPT, { TIERKIT_SEED_HASH_FILE: other });
      expect(stale.code).toBe(5);
      expect(stale.stderr).toContain('was not loaded from the seed');
      expect(await catalog(golden())).toMatchObject({ datallowconn: false });
      expect((await catalog(db())).datallowconn).toBe(true);
      // A load whose dump does not verify leaves no marker; the reset then refuses until a good load.
      const wrong = join(dir, 'seed-hash-wrong-content');
      const file = (await runTool('/usr/bin/sha256sum', [join(dir, 'seed.dump')])).stdout.split(' ')[0];
      writeFileSync(wrong, `file_sha256=${file}\ncontent_sha256=${'c'.repeat(64)}\n`);
      const failed = await run(GOLDEN_TEMPLATE_LOAD_SCRIPT, { TIERKIT_SEED_HASH_FILE: wrong });
      expect(failed.code).toBe(5);
      expect(await markerOf()).toBeNull();
      expect(await catalog(golden())).toMatchObject({ datallowconn: false });
      expect((await run(TEMPLATE_RESET_SCRIPT)).code).toBe(5);
      const good = await run(GOLDEN_TEMPLATE_LOAD_SCRIPT);
      expect(good.code, good.stderr).toBe(0);
      expect(await markerOf()).toBe(`tierkit golden content_sha256=${seedContent}`);
      const reset = await run(TEMPLATE_RESET_SCRIPT);
      expect(reset.code, reset.stderr).toBe(0);
      // The clone's content is the seed's, though the reset no longer hashes it.
      const hash = await run(CONTENT_HASH_SCRIPT, { PGDATABASE: db() }, { user: ns.server.user, password: ns.server.password });
      expect(hash.stdout.trim()).toBe(seedContent);
    });

    it('what the grant costs: Vault\'s connection user may act as the template role (and grant it), yet reaches nothing of prod or another env (42501)', async () => {
      const v = loginVault();
      const c = await connectAsConnectionUser(ns.server, v, sandbox.connectionPassword);
      try {
        await c.exec(`SET ROLE ${ident(template())}`);
        for (const target of [m('erp'), m('shop-alice')]) {
          await expectSqlState(c.run(`DROP DATABASE ${ident(target)}`), '42501', `drop ${target}`);
          await expectSqlState(c.run(`CREATE DATABASE ${ident(ns.name('steal2'))} TEMPLATE ${ident(target)}`), '42501', `clone ${target}`);
        }
        await expectSqlState(c.run(`GRANT ${ident(m(naming.groupRoleName({ app: 'erp', env: 'prod' })))} TO ${ident(v.connectionUser)}`), '42501', 'join prod');
        await c.exec('RESET ROLE');
        // The residual (docs/sandboxes.md §9): with ADMIN OPTION it can hand the template role on, as it can its group.
        const app = await appUser();
        await c.exec(`GRANT ${ident(template())} TO ${ident(app.user)}`);
        await c.exec(`REVOKE ${ident(template())} FROM ${ident(app.user)}`);
      } finally {
        await c.end();
      }
    });
  });
}
