// The fast template reset (issue 19) on real PostgreSQL 15 and 18: the exact script text of
// constructs/lifecycle/template-reset.ts, run as a plain login of the sandbox's template role
// (NOLOGIN CREATEDB, member of the sandbox's group, owner of its golden) over the example estate's
// erp prod and shop-alice and a template-reset sandbox erp-fast, all applied by the translator from
// the synthesized stacks (support/template-reset.ts). After a reset the database's catalog rows
// (owner, ACL, connection limit, settings) equal the apply's, and the content hash equals the seed's.
// What the roles can and cannot reach: template-reset-roles.test.ts.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONTENT_HASH_SCRIPT, RESET_SCRIPT } from '../../constructs/lifecycle';
import { GOLDEN_TEMPLATE_LOAD_SCRIPT, TEMPLATE_RESET_SCRIPT } from '../../constructs/lifecycle/template-reset';
import * as naming from '../../constructs/naming';
import { ident, literal, tryConnect } from './support/db';
import { testPassword } from './support/estate';
import { runTool } from './support/pgtools';
import { SANDBOX, templateResetFixture } from './support/template-reset';
import { connectAsConnectionUser } from './support/vault';

for (const major of [15, 18] as const) {
  describe(`template reset on PostgreSQL ${major}`, () => {
    const f = templateResetFixture(major, 'tmplreset');
    const { run, catalog, appUser, db, golden, template, group, m, loginVault, asTemplate } = f;

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
      const s = await f.ns.connect({ user: app.user, password: app.password, database: db() });
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
      expect(reset.stdout).toContain(f.seedContent);
      expect(await catalog(db())).toEqual(applyRows);
      expect((await catalog(golden())).datallowconn).toBe(false);
      // The clone's objects are the group's, as after a pg_restore reset, and its content is the seed's.
      const inClone = await f.ns.connect({ user: f.ns.server.user, password: f.ns.server.password, database: db() });
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
      const s2 = await f.ns.connect({ user: again.user, password: again.password, database: db() });
      expect((await s2.query(`SELECT count(*)::int AS n FROM llx_facture`))[0].n).toBe(900);
      await s2.end();
    });

    it('the app\'s own database settings and objects never run in a reset session (fix10: search_path, shadowing functions, read-only default)', async () => {
      const app = await appUser();
      const s = await f.ns.connect({ user: app.user, password: app.password, database: db() });
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
      const s = await f.ns.connect({ user: app.user, password: app.password, database: db() });
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
      // The next reset loads it again from the seed (verified) before it drops anything.
      const unverified = await run(TEMPLATE_RESET_SCRIPT);
      expect(unverified.code, unverified.stderr).toBe(0);
      expect(unverified.stdout).toContain('loading it first');
      expect((await run(TEMPLATE_RESET_SCRIPT)).stdout).not.toContain('loading');
    });

    it('refuses a login that carries CREATEDB itself', async () => {
      const wide = { user: f.ns.name('tmpl_wide'), password: testPassword() };
      await f.admin.exec(`CREATE ROLE ${ident(wide.user)} LOGIN CREATEDB PASSWORD ${literal(wide.password)} IN ROLE ${ident(template())}`);
      const r = await run(TEMPLATE_RESET_SCRIPT, {}, wide);
      expect(r.code).toBe(3);
    });

    it('Vault\'s pooled session in the connection\'s database blocks the drop; closed to new sessions, the pool cannot reopen one, and once it ends the reset completes', async () => {
      // Which database Vault's pool sits in: the connection_url's, the sandbox's own.
      const v = loginVault();
      expect(v.database).toBe(db());
      const conn = (f.sandbox.stack.json.resource as any).vault_database_secret_backend_connection.vault_connection;
      const lifetime = conn.postgresql.max_connection_lifetime;
      expect(lifetime).toBeGreaterThan(0);
      expect(2 * lifetime).toBeLessThan(120);
      // An idle session as the connection user (what the pool keeps after issuing the login): nothing is dropped.
      const pooled = await connectAsConnectionUser(f.ns.server, v, f.sandbox.connectionPassword);
      try {
        const held = await run(TEMPLATE_RESET_SCRIPT);
        expect(held.code).toBe(4);
        expect(held.stderr).toContain(v.connectionUser);
      } finally {
        await pooled.end();
      }
      expect((await catalog(db())).datallowconn).toBe(true);
      // Held again; the pool's lifetime ends it while the reset drains. Meanwhile the database refuses new sessions (55000).
      const again = await connectAsConnectionUser(f.ns.server, v, f.sandbox.connectionPassword);
      const reset = run(TEMPLATE_RESET_SCRIPT, { TIERKIT_DRAIN_TIMEOUT_SECONDS: '30' });
      let reopened: { ok: boolean; code?: string } = { ok: false, code: 'unset' };
      for (let i = 0; i < 50; i += 1) {
        if ((await catalog(db())).datallowconn === false) {
          const r = await tryConnect(f.ns.server, { user: v.connectionUser, password: f.sandbox.connectionPassword, database: db() });
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
      const markerOf = async () => (await f.admin.query(`SELECT shobj_description(oid, 'pg_database') AS c FROM pg_database WHERE datname = $1`, [golden()]))[0].c;
      expect(await markerOf()).toBe(`tierkit golden content_sha256=${f.seedContent}`);
      // Another seed's hashes (as when the producer published a new seed and the golden was not reloaded): nothing is dropped.
      const other = join(f.dir, 'seed-hash-other');
      writeFileSync(other, `file_sha256=${'a'.repeat(64)}\ncontent_sha256=${'b'.repeat(64)}\n`);
      // The reset loads it first, and the dump is not that seed's: refused before anything changed.
      const stale = await run(TEMPLATE_RESET_SCRIPT, { TIERKIT_SEED_HASH_FILE: other });
      expect(stale.code).toBe(6);
      expect(stale.stderr).toContain('golden load refused');
      expect(await markerOf()).toBe(`tierkit golden content_sha256=${f.seedContent}`);
      expect(await catalog(golden())).toMatchObject({ datallowconn: false });
      expect((await catalog(db())).datallowconn).toBe(true);
      // A load whose dump does not verify leaves no marker; the reset then refuses until a good load.
      const wrong = join(f.dir, 'seed-hash-wrong-content');
      const file = (await runTool('/usr/bin/sha256sum', [join(f.dir, 'seed.dump')])).stdout.split(' ')[0];
      writeFileSync(wrong, `file_sha256=${file}\ncontent_sha256=${'c'.repeat(64)}\n`);
      const failed = await run(GOLDEN_TEMPLATE_LOAD_SCRIPT, { TIERKIT_SEED_HASH_FILE: wrong });
      expect(failed.code).toBe(5);
      expect(await markerOf()).toBeNull();
      expect(await catalog(golden())).toMatchObject({ datallowconn: false });
      // A reset with that wrong content hash loads, fails the same way, and drops nothing.
      const unverified = await run(TEMPLATE_RESET_SCRIPT, { TIERKIT_SEED_HASH_FILE: wrong });
      expect(unverified.code).toBe(5);
      expect((await catalog(db())).datallowconn).toBe(true);
      const good = await run(GOLDEN_TEMPLATE_LOAD_SCRIPT);
      expect(good.code, good.stderr).toBe(0);
      expect(await markerOf()).toBe(`tierkit golden content_sha256=${f.seedContent}`);
      const reset = await run(TEMPLATE_RESET_SCRIPT);
      expect(reset.code, reset.stderr).toBe(0);
      // The clone's content is the seed's, though the reset no longer hashes it.
      const hash = await run(CONTENT_HASH_SCRIPT, { PGDATABASE: db() }, { user: f.ns.server.user, password: f.ns.server.password });
      expect(hash.stdout.trim()).toBe(f.seedContent);
    });

    it('the seed\'s hash triggers the load: an unchanged seed loads nothing, a new one is loaded once, by the next reset, before the drop', async () => {
      // CREATE DATABASE … TEMPLATE copies the golden's catalog: the clone's table OID is the golden's.
      const cloneOf = async () => {
        const s = await f.ns.connect({ user: f.ns.server.user, password: f.ns.server.password, database: db() });
        const [row] = await s.query(`SELECT 'llx_societe'::regclass::oid::text AS oid, (SELECT count(*)::int FROM llx_societe) AS n`);
        await s.end();
        return row as { oid: string; n: number };
      };
      const first = await run(TEMPLATE_RESET_SCRIPT);
      expect(first.code, first.stderr).toBe(0);
      const before = await cloneOf();
      const unchanged = await run(TEMPLATE_RESET_SCRIPT);
      expect(unchanged.code, unchanged.stderr).toBe(0);
      expect(unchanged.stdout).not.toContain('loading');
      expect(await cloneOf()).toEqual(before);
      // The producer publishes a new seed (its dump on the claim, its hashes in Vault).
      const next = await f.makeSeed('seed_next', 400);
      const withNext = { TIERKIT_SEED_HASH_FILE: next.hashFile, TIERKIT_DUMP_FILE: next.dumpFile };
      const changed = await run(TEMPLATE_RESET_SCRIPT, withNext);
      expect(changed.code, changed.stderr).toBe(0);
      expect(changed.stdout).toContain('loading it first');
      expect(changed.stdout).toContain(`golden load done: ${golden()} holds the seed (content sha256 ${next.content})`);
      const after = await cloneOf();
      expect(after.n).toBe(400);
      expect(after.oid).not.toBe(before.oid);
      const again = await run(TEMPLATE_RESET_SCRIPT, withNext);
      expect(again.stdout).not.toContain('loading');
      expect(await cloneOf()).toEqual(after);
      const hash = await run(CONTENT_HASH_SCRIPT, { PGDATABASE: db() }, { user: f.ns.server.user, password: f.ns.server.password });
      expect(hash.stdout.trim()).toBe(next.content);
      // Back to the first seed for the other tests: loaded again by the reset.
      expect((await run(TEMPLATE_RESET_SCRIPT)).stdout).toContain('loading it first');
    });
  });
}
