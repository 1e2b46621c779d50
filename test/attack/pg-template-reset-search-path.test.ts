// attack11: the template reset's first sessions run in the SANDBOX database ($home), which the app's
// own credential owns (via the group). It may `ALTER DATABASE <db> SET search_path = public, pg_catalog`
// (the group owns the database) and create `public.pg_database`, a view calling its function: the
// reset's `SELECT … FROM pg_database …` (after `SET ROLE <env>_template`) runs that function AS THE
// TEMPLATE ROLE — the golden's owner, CREATEDB. Here it grants the group CONNECT on the golden and
// opens it (the reset then refuses: "shared"), the app rewrites the golden's rows, the function is
// swapped for one that revokes that CONNECT, and the next reset passes every check (ACL owner-only,
// marker = the seed's hash, unchanged) and clones the app's content: "verified when the golden was loaded".
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTENT_HASH_SCRIPT } from '../../constructs/lifecycle';
import { GOLDEN_TEMPLATE_LOAD_SCRIPT, TEMPLATE_RESET_SCRIPT } from '../../constructs/lifecycle/template-reset';
import { Sandbox, SandboxKind, SandboxReset, Tier } from '../../constructs';
import * as naming from '../../constructs/naming';
import exampleEstate from '../../environments';
import { synthToDist } from '../support/synth';
import { createNamespace, ident, literal, pgServer, tryConnect, type Namespace, type Session } from '../pg/support/db';
import { applyEstate, plannerGroup, testPassword, type AppliedEnv, type AppliedEstate } from '../pg/support/estate';
import { findPgTools, runTool, type ToolResult } from '../pg/support/pgtools';
import { currentVault, issueCredential, templateResetLoginPieces } from '../pg/support/vault';

function estate() {
  const e = exampleEstate();
  const erp = e.node.tryFindChild('erp') as ConstructorParameters<typeof Sandbox>[0];
  new Sandbox(erp, 'fast', { tier: Tier.DEV, kind: SandboxKind.ENGINEER, owner: 'arcodange', createdAt: '2026-11-21', ttlHours: 72, reset: SandboxReset.TEMPLATE });
  return e;
}
const dist = synthToDist(estate(), 'pg-attack11-template-reset');
const SANDBOX = { app: 'erp', env: 'fast' };

for (const major of [15, 18] as const) {
  describe(`attack11: template reset search_path hijack on PostgreSQL ${major}`, () => {
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

    beforeAll(async () => {
      binDir = (await findPgTools(15)).binDir;
      dir = mkdtempSync(join(tmpdir(), 'tierkit-template-reset-'));
      ns = await createNamespace(pgServer(major), `atk11reset${major}`);
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
      srcNs = await createNamespace(pgServer(15), `atk11src${major}`);
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

    it('the app\'s credential cannot run SQL as the template role nor get its own rows cloned as the verified seed', async () => {
      const load = await run(GOLDEN_TEMPLATE_LOAD_SCRIPT);
      expect(load.code, load.stderr).toBe(0);
      const first = await run(TEMPLATE_RESET_SCRIPT);
      expect(first.code, first.stderr).toBe(0);
      // The app, in its own sandbox database: a per-database search_path and a shadowing view.
      const app = await appUser();
      const s = await ns.connect({ user: app.user, password: app.password, database: db() });
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
      const reach = await tryConnect(ns.server, { user: app.user, password: app.password, database: golden() });
      if (reach.ok) {
        await reach.session.exec(`UPDATE llx_societe SET nom = 'planted by the app'`);
        await reach.session.end();
      }
      // ... and puts the golden's ACL back through the same function, for the next reset.
      const s2 = await ns.connect({ user: app.user, password: app.password, database: db() });
      await s2.exec(fn(`EXECUTE pg_catalog.format('REVOKE ALL ON DATABASE %I FROM %I', ${literal(golden())}, ${literal(group())});`));
      await s2.end();
      const reset = await run(TEMPLATE_RESET_SCRIPT);
      const inClone = await ns.connect({ user: ns.server.user, password: ns.server.password, database: db() });
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
