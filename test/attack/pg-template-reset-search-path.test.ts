// attack11: the template reset's first sessions run in the SANDBOX database ($home), which the app's
// own credential owns (via the group). It may `ALTER DATABASE <db> SET search_path = public, pg_catalog`
// (the group owns the database) and create `public.pg_database`, a view calling its function: the
// reset's `SELECT … FROM pg_database …` (after `SET ROLE <env>_template`) runs that function AS THE
// TEMPLATE ROLE — the golden's owner, CREATEDB. Here it grants the group CONNECT on the golden and
// opens it (the reset then refuses: "shared"), the app rewrites the golden's rows, the function is
// swapped for one that revokes that CONNECT, and the next reset passes every check (ACL owner-only,
// marker = the seed's hash, unchanged) and clones the app's content: "verified when the golden was loaded".
import { describe, expect, it } from 'vitest';
import { GOLDEN_TEMPLATE_LOAD_SCRIPT, TEMPLATE_RESET_SCRIPT } from '../../constructs/lifecycle/template-reset';
import { ident, literal, tryConnect } from '../pg/support/db';
import { templateResetFixture } from '../pg/support/template-reset';

for (const major of [15, 18] as const) {
  describe(`attack11: template reset search_path hijack on PostgreSQL ${major}`, () => {
    const f = templateResetFixture(major, 'atk11reset');
    const { run, catalog, appUser, db, golden, group } = f;

    it('the app\'s credential cannot run SQL as the template role nor get its own rows cloned as the verified seed', async () => {
      const load = await run(GOLDEN_TEMPLATE_LOAD_SCRIPT);
      expect(load.code, load.stderr).toBe(0);
      const first = await run(TEMPLATE_RESET_SCRIPT);
      expect(first.code, first.stderr).toBe(0);
      // The app, in its own sandbox database: a per-database search_path and a shadowing view.
      const app = await appUser();
      const s = await f.ns.connect({ user: app.user, password: app.password, database: db() });
      const fn = (body: string) => `CREATE OR REPLACE FUNCTION public.tk_side() RETURNS boolean LANGUAGE plpgsql AS $f$ BEGIN ${body} RETURN true; END $f$`;
      await s.exec(`ALTER DATABASE ${ident(db())} SET search_path = public, pg_catalog`);
      await s.exec(fn(`EXECUTE pg_catalog.format('GRANT CONNECT ON DATABASE %I TO %I', ${literal(golden())}, ${literal(group())});
        EXECUTE pg_catalog.format('ALTER DATABASE %I WITH ALLOW_CONNECTIONS true', ${literal(golden())});`));
      await s.exec(`CREATE VIEW public.pg_database AS SELECT d.* FROM pg_catalog.pg_database d WHERE public.tk_side()`);
      await s.exec(`GRANT SELECT ON public.pg_database TO PUBLIC`);
      await s.end();
      const hijacked = await run(TEMPLATE_RESET_SCRIPT);
      // The reset refuses ("shared") — but the function ran as the template role: the golden is open to the group.
      const who = await catalog(golden());
      // The app writes the golden.
      // (fix10: once the hijack fails the golden is closed to the app, so this connection may be refused.)
      const reach = await tryConnect(f.ns.server, { user: app.user, password: app.password, database: golden() });
      if (reach.ok) {
        await reach.session.exec(`UPDATE llx_societe SET nom = 'planted by the app'`);
        await reach.session.end();
      }
      // ... and puts the golden's ACL back through the same function, for the next reset.
      const s2 = await f.ns.connect({ user: app.user, password: app.password, database: db() });
      await s2.exec(fn(`EXECUTE pg_catalog.format('REVOKE ALL ON DATABASE %I FROM %I', ${literal(golden())}, ${literal(group())});`));
      await s2.end();
      const reset = await run(TEMPLATE_RESET_SCRIPT);
      const inClone = await f.ns.connect({ user: f.ns.server.user, password: f.ns.server.password, database: db() });
      const planted = (await inClone.query(`SELECT count(*)::int AS n FROM llx_societe WHERE nom = 'planted by the app'`))[0].n;
      await inClone.end();
      const seen = { hijackedExit: hijacked.code, hijackedStderr: hijacked.stderr.trim(), goldenAfterHijack: { datallowconn: who.datallowconn, acl: who.acl }, resetExit: reset.code, resetSays: reset.stdout.trim(), plantedRowsInClone: planted };
      // Secure: the app's objects never run as the template role, so the golden stays closed and owner-only,
      // and a reset that exits 0 gives back the seed's rows.
      expect(seen.goldenAfterHijack.datallowconn, JSON.stringify(seen)).toBe(false);
      expect(reset.code === 0 ? planted : 0, JSON.stringify(seen)).toBe(0);
    }, 180_000);
  });
}
