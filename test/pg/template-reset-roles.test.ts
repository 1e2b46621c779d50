// The template reset's roles (issue 19) on real PostgreSQL 15 and 18, over the same applied estate
// as template-reset.test.ts (support/template-reset.ts): the template role, the Job's Vault-issued
// login and Vault's connection user cannot drop, connect to, clone, alter or grant anything of prod
// or another env (42501); what each can do within the sandbox is measured, not assumed.
import { describe, expect, it } from 'vitest';
import { GOLDEN_TEMPLATE_LOAD_SCRIPT, TEMPLATE_RESET_SCRIPT } from '../../constructs/lifecycle/template-reset';
import * as naming from '../../constructs/naming';
import { templateResetConnectionGrant } from '../../contract/template-reset-login';
import { expectSqlState, ident, literal, tryConnect } from './support/db';
import { testPassword } from './support/estate';
import { templateResetFixture } from './support/template-reset';
import { connectAsConnectionUser, revokeCredential } from './support/vault';

for (const major of [15, 18] as const) {
  describe(`template reset roles on PostgreSQL ${major}`, () => {
    const f = templateResetFixture(major, 'tmplroles');
    const { run, catalog, appUser, db, golden, template, group, m, issueLogin, loginVault, asTemplate } = f;

    it('the template role cannot drop, connect to, clone, alter or grant anything of prod or another env (42501)', async () => {
      const prodDb = m('erp');
      const other = m('shop-alice');
      const t = await asTemplate();
      for (const target of [prodDb, other, m('postgres')]) {
        await expectSqlState(t.run(`DROP DATABASE ${ident(target)}`), '42501', `drop ${target}`);
        await expectSqlState(t.run(`ALTER DATABASE ${ident(target)} CONNECTION LIMIT 1`), '42501', `alter ${target}`);
        await expectSqlState(t.run(`ALTER DATABASE ${ident(target)} SET work_mem = '1GB'`), '42501', `settings of ${target}`);
        await expectSqlState(t.run(`GRANT CONNECT ON DATABASE ${ident(target)} TO ${ident(template())}`), '42501', `grant on ${target}`);
        await expectSqlState(t.run(`CREATE DATABASE ${ident(f.ns.name('steal'))} TEMPLATE ${ident(target)}`), '42501', `clone ${target}`);
        const conn = await tryConnect(f.ns.server, { user: f.login.user, password: f.login.password, database: target });
        expect(conn.ok ? 'connected' : conn.code, `connect to ${target}`).toBe('42501');
      }
      for (const g of [m(naming.groupRoleName({ app: 'erp', env: 'prod' })), m(naming.groupRoleName({ app: 'shop', env: 'alice' }))]) {
        await expectSqlState(t.run(`CREATE DATABASE ${ident(f.ns.name('owned'))} OWNER ${ident(g)}`), '42501', `create owned by ${g}`);
        await expectSqlState(t.run(`GRANT ${ident(g)} TO ${ident(template())}`), '42501', `join ${g}`);
        await expectSqlState(t.run(`SET ROLE ${ident(g)}`), '42501', `set role ${g}`);
      }
      await expectSqlState(t.run(`CREATE ROLE ${ident(f.ns.name('minted'))}`), '42501', 'create role');
      await expectSqlState(t.run(`ALTER ROLE ${ident(template())} CREATEROLE`), '42501', 'widen itself');
      await expectSqlState(t.run(`ALTER ROLE ${ident(m(naming.groupRoleName({ app: 'erp', env: 'prod' })))} PASSWORD 'x'`), '42501', 'prod group password');
      // Its own database: ownership is not reach beyond it. CREATEDB itself cannot be scoped by name:
      // a new, empty database owned by the role or the sandbox's group is what it can make (the login is the reset Job's only).
      const junk = f.ns.name('junk');
      await t.exec(`CREATE DATABASE ${ident(junk)} TEMPLATE template0`);
      expect((await catalog(junk)).owner).toBe(template());
      await t.exec(`DROP DATABASE ${ident(junk)}`);
      await t.end();
    });

    it('the Job\'s login cannot hand its membership (and so the template role) to an app user or the group: 42501', async () => {
      // A session user once held ADMIN OPTION on itself (is_admin_of_role); these servers refuse it.
      const app = await appUser();
      const s = await f.ns.connect({ user: f.login.user, password: f.login.password, database: db() });
      await expectSqlState(s.run(`GRANT ${ident(f.login.user)} TO ${ident(app.user)}`), '42501', 'login to app user');
      await expectSqlState(s.run(`GRANT ${ident(template())} TO ${ident(app.user)}`), '42501', 'template to app user');
      await s.end();
    });

    it('no one else reaches the golden: the app\'s users cannot connect or clone it, another CREATEDB role cannot clone it', async () => {
      const app = await appUser();
      const conn = await tryConnect(f.ns.server, { user: app.user, password: app.password, database: golden() });
      expect(conn.ok ? 'connected' : conn.code).not.toBe('connected');
      const s = await f.ns.connect({ user: app.user, password: app.password, database: db() });
      await expectSqlState(s.run(`SET ROLE ${ident(template())}`), '42501', 'app joins template');
      await expectSqlState(s.run(`CREATE DATABASE ${ident(f.ns.name('x'))} TEMPLATE ${ident(golden())}`), '42501', 'app clones golden');
      await s.end();
      // A preview admin (or any CREATEDB role of the server) would clone a golden marked as template.
      const other = { user: f.ns.name('other_createdb'), password: testPassword() };
      await f.admin.exec(`CREATE ROLE ${ident(other.user)} LOGIN CREATEDB PASSWORD ${literal(other.password)}`);
      await f.admin.exec(`GRANT CONNECT ON DATABASE ${ident(db())} TO ${ident(other.user)}`);
      const o = await f.ns.connect({ ...other, database: db() });
      await expectSqlState(o.run(`CREATE DATABASE ${ident(f.ns.name('y'))} TEMPLATE ${ident(golden())}`), '42501', 'other CREATEDB clones golden');
      await expectSqlState(o.run(`DROP DATABASE ${ident(golden())}`), '42501', 'other drops golden');
      await o.end();
      await f.admin.exec(`REVOKE CONNECT ON DATABASE ${ident(db())} FROM ${ident(other.user)}`);
    });

    it('the Vault-issued login is a plain login, member of the template role alone (INHERIT, SET); on 16+ only the connection user\'s ADMIN OPTION lets Vault issue it', async () => {
      const [attrs] = await f.admin.query(`SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls, rolcanlogin, rolconnlimit FROM pg_roles WHERE rolname = $1`, [f.login.user]);
      expect(attrs).toEqual({ rolsuper: false, rolcreatedb: false, rolcreaterole: false, rolreplication: false, rolbypassrls: false, rolcanlogin: true, rolconnlimit: 2 });
      const memberOf = await f.admin.query(`SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid WHERE m.member = (SELECT oid FROM pg_roles WHERE rolname = $1)`, [f.login.user]);
      expect(memberOf.map((x: any) => x.rolname)).toEqual([template()]);
      if (major >= 16) {
        const [opts] = await f.admin.query(`SELECT inherit_option, set_option, admin_option FROM pg_auth_members WHERE member = (SELECT oid FROM pg_roles WHERE rolname = $1)`, [f.login.user]);
        expect(opts).toEqual({ inherit_option: true, set_option: true, admin_option: false });
      }
      // Without the stack's template_reset_vault_admin: 16+ refuses to issue (42501), 15's CREATEROLE grants any non-superuser role.
      const conn = f.sandbox.vault.connectionUser;
      const edge = `SELECT pg_get_userbyid(grantor) AS grantor FROM pg_auth_members WHERE roleid = (SELECT oid FROM pg_roles WHERE rolname = $1) AND member = (SELECT oid FROM pg_roles WHERE rolname = $2)`;
      const [{ grantor }] = await f.admin.query(edge, [template(), conn]);
      // 16+ keeps one row per grantor: revoke the provider's own grant, by name; CASCADE takes the
      // logins the connection user granted with it (this test issues the Job's login again after).
      const by = major >= 16 ? ` GRANTED BY ${ident(grantor)}` : '';
      await f.admin.exec(`REVOKE ${ident(template())} FROM ${ident(conn)}${by} CASCADE`);
      try {
        expect(await f.admin.query(edge, [template(), conn])).toEqual([]);
        const without = await issueLogin();
        expect(without.ok ? 'issued' : without.code).toBe(major >= 16 ? '42501' : 'issued');
      } finally {
        await f.admin.exec(`GRANT ${ident(template())} TO ${ident(conn)} WITH ADMIN OPTION${by}`);
        // As the apply leaves it; then the operator's narrowing (support/template-reset.ts).
        if (major >= 16) await f.narrowConnectionGrant();
      }
      const again = await issueLogin();
      if (!again.ok) throw new Error(again.message);
      Object.assign(f.login, again.login);
      const load = await run(GOLDEN_TEMPLATE_LOAD_SCRIPT);
      expect(load.code, load.stderr).toBe(0);
      expect((await run(TEMPLATE_RESET_SCRIPT)).code).toBe(0);
    });

    it('the login cannot grant itself or anyone anything, nor widen itself (42501), and its lease revokes cleanly', async () => {
      const other = await issueLogin();
      if (!other.ok) throw new Error(other.message);
      const s = await f.ns.connect({ ...other.login, database: db() });
      const app = await appUser();
      for (const asTemplateRole of [false, true]) {
        if (asTemplateRole) await s.exec(`SET ROLE ${ident(template())}`); else await s.exec('RESET ROLE');
        const how = asTemplateRole ? 'as the template role' : 'as itself';
        await expectSqlState(s.run(`GRANT ${ident(template())} TO ${ident(app.user)}`), '42501', `template to the app's user ${how}`);
        await expectSqlState(s.run(`GRANT ${ident(group())} TO ${ident(other.login.user)}`), '42501', `group to itself ${how}`);
        await expectSqlState(s.run(`GRANT ${ident(m(naming.groupRoleName({ app: 'erp', env: 'prod' })))} TO ${ident(other.login.user)}`), '42501', `prod's group ${how}`);
        await expectSqlState(s.run(`ALTER ROLE ${ident(other.login.user)} CREATEDB`), '42501', `CREATEDB on itself ${how}`);
        await expectSqlState(s.run(`ALTER ROLE ${ident(other.login.user)} CONNECTION LIMIT -1`), '42501', `its own limit ${how}`);
        await expectSqlState(s.run(`CREATE ROLE ${ident(f.ns.name('minted2'))}`), '42501', `create role ${how}`);
      }
      // What it made as itself goes to the group when Vault revokes it.
      await s.exec(`RESET ROLE; CREATE TABLE tk_login_made (x int)`);
      await s.end();
      const revoked = await revokeCredential(f.ns.server, loginVault(), f.sandbox.connectionPassword, other.login.user);
      expect(revoked).toEqual({ ok: true });
      expect(await f.admin.query(`SELECT 1 FROM pg_roles WHERE rolname = $1`, [other.login.user])).toEqual([]);
    });

    /** What Vault's connection user can do with the template role and its golden, as itself and after SET ROLE. */
    async function connectionUserReach(): Promise<Record<string, string>> {
      const v = loginVault();
      const c = await connectAsConnectionUser(f.ns.server, v, f.sandbox.connectionPassword);
      const out: Record<string, string> = {};
      const attempt = async (what: string, sql: string, undo?: string) => {
        const r = await c.run(sql);
        out[what] = r.ok ? 'ok' : r.code;
        if (r.ok && undo) await c.exec(undo);
      };
      try {
        const marker = (await f.admin.query(`SELECT coalesce(shobj_description(oid, 'pg_database'), '') AS c FROM pg_database WHERE datname = $1`, [golden()]))[0].c;
        await attempt('open the golden', `ALTER DATABASE ${ident(golden())} WITH ALLOW_CONNECTIONS true`, `ALTER DATABASE ${ident(golden())} WITH ALLOW_CONNECTIONS false`);
        await attempt('forge the marker', `COMMENT ON DATABASE ${ident(golden())} IS 'tierkit golden content_sha256=${'f'.repeat(64)}'`, `COMMENT ON DATABASE ${ident(golden())} IS ${literal(marker)}`);
        await attempt('set role', `SET ROLE ${ident(template())}`);
        if (out['set role'] === 'ok') {
          const junk = f.ns.name('conn_junk');
          await attempt('create database', `CREATE DATABASE ${ident(junk)} TEMPLATE template0`, `DROP DATABASE ${ident(junk)}`);
          for (const target of [m('erp'), m('shop-alice')]) {
            await expectSqlState(c.run(`DROP DATABASE ${ident(target)}`), '42501', `drop ${target}`);
            await expectSqlState(c.run(`CREATE DATABASE ${ident(f.ns.name('steal2'))} TEMPLATE ${ident(target)}`), '42501', `clone ${target}`);
          }
          await expectSqlState(c.run(`GRANT ${ident(m(naming.groupRoleName({ app: 'erp', env: 'prod' })))} TO ${ident(v.connectionUser)}`), '42501', 'join prod');
          await c.exec('RESET ROLE');
        }
        // With ADMIN OPTION it can hand the template role on, as it can its group (docs/sandboxes.md §9).
        const app = await appUser();
        await attempt('grant the template role', `GRANT ${ident(template())} TO ${ident(app.user)}`, `REVOKE ${ident(template())} FROM ${ident(app.user)}`);
      } finally {
        await c.end();
      }
      return out;
    }
    const wide = { 'open the golden': 'ok', 'forge the marker': 'ok', 'set role': 'ok', 'create database': 'ok', 'grant the template role': 'ok' };

    it('the provider\'s grant (as the apply leaves it): Vault\'s connection user may open the golden, forge its marker, SET ROLE to the CREATEDB role; nothing of prod or another env (42501)', async () => {
      if (major >= 16) await f.narrowConnectionGrant('ADMIN OPTION, INHERIT TRUE, SET TRUE');
      try {
        expect(await connectionUserReach()).toEqual(wide);
        if (major >= 16) {
          // The Job refuses to run while the user is wide: a forgotten or undone narrowing stops the reset.
          for (const script of [TEMPLATE_RESET_SCRIPT, GOLDEN_TEMPLATE_LOAD_SCRIPT]) {
            const refused = await run(script);
            expect(refused.code, refused.stderr).toBe(8);
            expect(refused.stderr).toContain('WITH ADMIN OPTION, INHERIT FALSE, SET FALSE');
          }
        }
      } finally {
        if (major >= 16) await f.narrowConnectionGrant();
      }
    });

    it('narrowed on 16+ (WITH ADMIN OPTION, INHERIT FALSE, SET FALSE): the user issues and revokes the login and holds nothing more of the template role (one self-grant away); on 15 the residual is CREATEROLE\'s', async () => {
      const conn = f.sandbox.vault.connectionUser;
      if (major >= 16) {
        expect(await connectionUserReach()).toEqual({ 'open the golden': '42501', 'forge the marker': '42501', 'set role': '42501', 'grant the template role': 'ok' });
        const [opts] = await f.admin.query(`SELECT bool_or(inherit_option) AS inherit, bool_or(set_option) AS set, bool_or(admin_option) AS admin FROM pg_auth_members
          WHERE roleid = (SELECT oid FROM pg_roles WHERE rolname = $1) AND member = (SELECT oid FROM pg_roles WHERE rolname = $2)`, [template(), conn]);
        expect(opts).toEqual({ inherit: false, set: false, admin: true });
        const issued = await issueLogin();
        if (!issued.ok) throw new Error(issued.message);
        expect(await revokeCredential(f.ns.server, loginVault(), f.sandbox.connectionPassword, issued.login.user)).toEqual({ ok: true });
        expect(await f.admin.query(`SELECT 1 FROM pg_roles WHERE rolname = $1`, [issued.login.user])).toEqual([]);
        const load = await run(GOLDEN_TEMPLATE_LOAD_SCRIPT);
        expect(load.code, load.stderr).toBe(0);
        const reset = await run(TEMPLATE_RESET_SCRIPT);
        expect(reset.code, reset.stderr).toBe(0);
        // What ADMIN OPTION still allows, measured: the user may grant the role to itself, INHERIT and SET
        // included (its own row). The narrowing removes the standing privilege, not that statement: the
        // reset refuses while such a row remains.
        const c = await connectAsConnectionUser(f.ns.server, loginVault(), f.sandbox.connectionPassword);
        try {
          await c.exec(`GRANT ${ident(template())} TO ${ident(conn)} WITH INHERIT TRUE, SET TRUE`);
          await c.exec(`SET ROLE ${ident(template())}`);
          await c.exec('RESET ROLE');
          const widened = await run(TEMPLATE_RESET_SCRIPT);
          expect(widened.code, widened.stderr).toBe(8);
          await c.exec(`REVOKE ${ident(template())} FROM ${ident(conn)} GRANTED BY ${ident(conn)}`);
        } finally {
          await c.end();
        }
        expect((await run(TEMPLATE_RESET_SCRIPT)).code).toBe(0);
      } else {
        expect(await connectionUserReach()).toEqual(wide);
        await expectSqlState(f.admin.run(templateResetConnectionGrant(template(), conn)), '42601', 'no INHERIT/SET options on 15');
        // Without its membership, CREATEROLE on 15 grants it back to itself: the residual is the attribute's.
        await f.admin.exec(`REVOKE ${ident(template())} FROM ${ident(conn)} CASCADE`);
        const c = await connectAsConnectionUser(f.ns.server, loginVault(), f.sandbox.connectionPassword);
        try {
          await expectSqlState(c.run(`SET ROLE ${ident(template())}`), '42501', 'no membership');
          await c.exec(`GRANT ${ident(template())} TO ${ident(conn)}`);
          await c.exec(`SET ROLE ${ident(template())}`);
        } finally {
          await c.end();
          await f.admin.exec(`GRANT ${ident(template())} TO ${ident(conn)} WITH ADMIN OPTION`);
        }
      }
    });
  });
}
