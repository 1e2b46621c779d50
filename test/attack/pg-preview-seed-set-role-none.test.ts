// attack15: the preview seed step's "planted code never runs as the admin" rests on PGOPTIONS
// `-c role=<group>`. That only sets the session's *initial* role: code running as the group may
// `SET ROLE NONE` (set_config('role','none',false)), which returns to the session user — the preview
// admin (LOGIN CREATEDB CREATEROLE, ADMIN OPTION on every PR's group and login). The PR's own code
// (a member of the group owning its database) clears the seed marker (COMMENT ON DATABASE … IS NULL),
// drops the seeded table and plants a prefixed table with FORCE ROW LEVEL SECURITY whose policy calls
// its function. On the next sync the seed step re-runs; tk_content_hash reads that table (as the
// group), the policy runs, the function switches to the admin. Today only tk_content_hash's
// READ ONLY transaction stops the admin's DDL (GRANT <another PR's group> TO <own login>…);
// any read-write statement after planted code in that session turns it into full preview-admin control.
// fix15: the step now restores and hashes as a throwaway login (a member of the PR's group alone) with
// row_security=off, into a database drained and created empty first; the admin opens no session in it.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { App, FakeKind, SyntheticColumn, Tier } from '../../constructs';
import { previewCreateScript, previewSeedScript } from '../../constructs/lifecycle/preview-scripts';
import * as naming from '../../constructs/naming';
import { creationStatements } from '../../constructs/statements';
import { smallEstate } from '../support/estates';
import { synthToDist } from '../support/synth';
import { createNamespace, ident, pgServer, tryConnect, type Namespace } from '../pg/support/db';
import { applyEstate, type AppliedEnv, type AppliedEstate } from '../pg/support/estate';
import { runTool, type ToolResult } from '../pg/support/pgtools';
import { makePreviewSeed, type PreviewSeed } from '../pg/support/preview-seed';
import { issueCredential, type VaultPieces } from '../pg/support/vault';

function previewEstate() {
  const e = smallEstate();
  new App(e, 'erp', {
    tiers: [Tier.DEV, Tier.PROD], objectPrefix: 'llx_', image: 'example/erp:1.0.0@sha256:' + 'e'.repeat(64), previews: { tier: Tier.DEV, maxOpen: 5 },
    synthetic: {
      version: 'v1', seed: 1, schema: 'CREATE TABLE llx_societe (rowid int PRIMARY KEY, nom text NOT NULL);',
      tables: [{ table: 'llx_societe', rows: 50, columns: { rowid: SyntheticColumn.sequence(), nom: SyntheticColumn.fake(FakeKind.COMPANY) } }],
    },
  });
  return e;
}
const dist = synthToDist(previewEstate(), 'pg-attack15-seed-role-none');

describe('attack15: preview seed step, planted code and SET ROLE NONE (PostgreSQL 18)', () => {
  let ns: Namespace;
  let src: PreviewSeed | undefined;
  let applied: AppliedEstate;
  let dev: AppliedEnv;
  let dir: string;
  const m = (name: string) => applied.names.map(name);

  beforeAll(async () => {
    ns = await createNamespace(pgServer(18), 'a15seed');
    applied = await applyEstate(ns, dist, { kind: 'declared' });
    dev = applied.envs.find((e) => e.env.slug === 'erp-dev')!;
    dir = mkdtempSync(join(tmpdir(), 'tierkit-a15-'));
  });
  afterAll(async () => {
    await ns?.cleanup();
    await src?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const run = (script: string, pr: string, extra: Record<string, string> = {}): Promise<ToolResult> => {
    const creds = join(dir, 'admin-creds');
    writeFileSync(creds, `export PGUSER='${m('erp_preview_admin')}'\nexport PGPASSWORD='${dev.variables.preview_admin_password}'\n`, { mode: 0o600 });
    return runTool('/bin/bash', ['-c', script], {
      PATH: process.env.PATH, HOME: dir, PGHOST: ns.server.host, PGPORT: String(ns.server.port), PGSSLMODE: 'disable',
      PGDATABASE: m('erp-previews'), TIERKIT_CREDENTIALS_FILE: creds, TIERKIT_PR_NUMBER: pr, TIERKIT_MAX_OPEN: '5', ...extra,
    });
  };

  it('code the PR planted in its own database never runs as the preview admin when the seed step re-runs', async () => {
    // The synthetic seed, dumped by pg_dump 15 as the producer does (as test/pg/previews.test.ts).
    const seedMade = await makePreviewSeed(dir, 'a15seedsrc');
    src = seedMade;
    const { binDir, file, hashes } = seedMade;
    const seed = () => run(previewSeedScript(m('erp')), '31', { PATH: `${binDir}:${process.env.PATH}`, TIERKIT_DUMP_FILE: file, TIERKIT_SEED_HASH_FILE: hashes, TIERKIT_OBJECT_PREFIX: 'llx_' });

    // First sync: created and seeded as designed.
    const created = await run(previewCreateScript(m('erp')), '31');
    expect(created.code, created.stderr).toBe(0);
    const first = await seed();
    expect(first.code, first.stderr).toBe(0);

    // The PR's credential, as Vault mints it.
    const role = naming.previewSlug('erp', '31');
    const conn = dev.stack.resources.find((r) => r.name === 'preview_connection')!.attributes as Record<string, any>;
    const pieces: VaultPieces = {
      stack: dev.stack.name, connectionName: String(conn.name), connectionUser: m(String(conn.postgresql.username)),
      database: m('erp-previews'), allowedRoles: [role], roleName: role,
      creation: creationStatements(naming.previewCoordinate('erp', '31')).map((x) => applied.names.mapQuotedIdentifiers(x)), revocation: [],
    };
    const issued = await issueCredential(ns.server, pieces, applied.names, dev.variables.preview_admin_password);
    if (!issued.ok) throw new Error(`${issued.code} ${issued.message}`);
    const own = await tryConnect(ns.server, { user: issued.credential.username, password: issued.credential.password, database: m('erp-pr-31') });
    expect(own.ok).toBe(true);
    if (!own.ok) return;

    // Hostile PR code: no shadowing of pg_catalog needed, only a prefixed table the hash reads, under a forced policy.
    await own.session.exec(`DROP TABLE llx_societe;
      CREATE FUNCTION public.tk_a15() RETURNS boolean LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_catalog.set_config('role', 'none', false);
        RAISE WARNING 'planted code ran as % (createrole %)', current_user, (SELECT rolcreaterole FROM pg_catalog.pg_roles WHERE rolname = current_user);
        -- As the admin it sees (query text: Vault's CREATE ROLE … PASSWORD of other PRs) and ends the admin's other sessions.
        RAISE WARNING 'planted code ended % admin sessions', (SELECT count(pg_catalog.pg_terminate_backend(a.pid)) FROM pg_catalog.pg_stat_activity a
          WHERE a.usename = current_user AND a.pid <> pg_catalog.pg_backend_pid() AND a.datname <> pg_catalog.current_database());
        BEGIN EXECUTE pg_catalog.format('CREATE ROLE %I', 'a15_made_by_admin'); RAISE WARNING 'planted code created a role';
        EXCEPTION WHEN others THEN RAISE WARNING 'planted DDL refused: %', SQLERRM; END;
        RETURN true;
      END $$;
      CREATE TABLE llx_zz (x int); INSERT INTO llx_zz VALUES (1);
      ALTER TABLE llx_zz ENABLE ROW LEVEL SECURITY; ALTER TABLE llx_zz FORCE ROW LEVEL SECURITY;
      CREATE POLICY p ON llx_zz USING (public.tk_a15());
      COMMENT ON DATABASE ${ident(m('erp-pr-31'))} IS NULL`);
    await own.session.end();

    // The preview admin's other session (Vault's pooled connection to the home database, another PR's Job).
    const vaultLike = await ns.connect({ user: m('erp_preview_admin'), password: dev.variables.preview_admin_password, database: m('erp-previews') });
    await vaultLike.query('SELECT 1');
    const rerun = await seed();
    // Before the fix the step printed "WARNING:  planted code ran as <prefix>erp_preview_admin (createrole t)"
    // then "planted DDL refused: cannot execute CREATE ROLE in a read-only transaction". Now the unseeded
    // database is drained, dropped and created empty before the restore: nothing planted is left to run.
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stderr).not.toMatch(/planted/);
    const admin = await ns.admin();
    expect(await admin.query('SELECT 1 FROM pg_roles WHERE rolname IN ($1, $2)', ['a15_made_by_admin', m('erp_pr_31_seed')])).toEqual([]);
    const again = await tryConnect(ns.server, { user: issued.credential.username, password: issued.credential.password, database: m('erp-pr-31') });
    expect(again.ok).toBe(true);
    if (!again.ok) return;
    expect(await again.session.query("SELECT c.relname AS t, pg_get_userbyid(c.relowner) AS owner FROM pg_class c WHERE c.relname LIKE 'llx%' AND c.relkind = 'r' ORDER BY 1"))
      .toEqual([{ t: 'llx_societe', owner: m('erp_pr_31_role') }]);
    expect(await again.session.query("SELECT count(*)::int AS n, (SELECT count(*)::int FROM pg_proc WHERE proname = 'tk_a15') AS planted FROM llx_societe")).toEqual([{ n: 50, planted: 0 }]);
    // The admin's unrelated session survives the PR's code.
    expect(await vaultLike.query('SELECT 1 AS ok').then(() => 'alive', (e) => String(e))).toBe('alive');

    // The PR's code wins the race instead: it plants the forced policy after the recreate, between the restore and
    // the hash (here: a pg_restore wrapper that plants as the PR's credential once the real one is done). psql and
    // pg_restore are wrapped to log every session's user and database.
    await again.session.exec(`COMMENT ON DATABASE ${ident(m('erp-pr-31'))} IS NULL`);
    await again.session.end();
    const wrap = join(dir, 'wrap');
    const log = join(dir, 'sessions.log');
    mkdirSync(wrap, { recursive: true });
    const plant = `CREATE FUNCTION public.tk_a15() RETURNS boolean LANGUAGE plpgsql AS $$ BEGIN
        PERFORM pg_catalog.set_config('role', 'none', false); RAISE WARNING 'planted code ran as %', current_user; RETURN true; END $$;
      CREATE TABLE llx_zz (x int); INSERT INTO llx_zz VALUES (1);
      ALTER TABLE llx_zz ENABLE ROW LEVEL SECURITY; ALTER TABLE llx_zz FORCE ROW LEVEL SECURITY;
      CREATE POLICY p ON llx_zz USING (public.tk_a15());`;
    writeFileSync(join(dir, 'plant.sql'), plant);
    const logLine = `printf '%s %s %s\\n' "$(basename "$0")" "\${PGUSER:-}" "\${PGDATABASE:-}" >> ${JSON.stringify(log)}`;
    writeFileSync(join(wrap, 'psql'), `#!/bin/bash\n${logLine}\nexec ${JSON.stringify(join(binDir, 'psql'))} "$@"\n`, { mode: 0o755 });
    const whoami = join(dir, 'login.txt');
    const describe = `SELECT session_user || ' ' || r.rolsuper || r.rolcreatedb || r.rolcreaterole || r.rolbypassrls || r.rolreplication || ' ' || r.rolconnlimit
      || ' ' || (SELECT string_agg(g.rolname, ',') FROM pg_auth_members a JOIN pg_roles g ON g.oid = a.roleid WHERE a.member = r.oid)
      || ' ' || (r.rolvaliduntil < now() + interval '11 minutes') FROM pg_roles r WHERE r.rolname = session_user`;
    writeFileSync(join(dir, 'describe.sql'), describe);
    writeFileSync(join(wrap, 'pg_restore'), `#!/bin/bash\n${logLine}\n${JSON.stringify(join(binDir, 'pg_restore'))} "$@" || exit $?
PGOPTIONS= ${JSON.stringify(join(binDir, 'psql'))} -X -A -t -f ${JSON.stringify(join(dir, 'describe.sql'))} > ${JSON.stringify(whoami)} || exit 9
PGUSER=${JSON.stringify(issued.credential.username)} PGPASSWORD=${JSON.stringify(issued.credential.password)} PGOPTIONS= ${JSON.stringify(join(binDir, 'psql'))} -X -q -v ON_ERROR_STOP=1 -d ${JSON.stringify(m('erp-pr-31'))} -f ${JSON.stringify(join(dir, 'plant.sql'))} >&2 || exit 9\n`, { mode: 0o755 });
    writeFileSync(log, '');
    const raced = await run(previewSeedScript(m('erp')), '31', { PATH: `${wrap}:${binDir}:${process.env.PATH}`, TIERKIT_DUMP_FILE: file, TIERKIT_SEED_HASH_FILE: hashes, TIERKIT_OBJECT_PREFIX: 'llx_' });
    // row_security=off: the forced policy makes the hash fail instead of run; the database is dropped, unverified.
    expect(raced.code, raced.stderr).toBe(5);
    expect(raced.stderr).toMatch(/row-level security/);
    expect(raced.stderr).not.toMatch(/planted code ran/);
    expect(await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [m('erp-pr-31')])).toEqual([]);
    // Every session in the PR's database was the throwaway login's (the restore's and the hash's); the admin's
    // sessions were all in the home database; and the login did not survive the failure.
    const sessions = readFileSync(log, 'utf8').trim().split('\n').map((l) => l.split(' '));
    expect(sessions.filter(([, , d]) => d === m('erp-pr-31')).map(([tool, u]) => `${tool} ${u}`)).toEqual([`pg_restore ${m('erp_pr_31_seed')}`, `psql ${m('erp_pr_31_seed')}`]);
    expect(sessions.filter(([, u]) => u === m('erp_preview_admin')).every(([, , d]) => d === m('erp-previews'))).toBe(true);
    expect(sessions.filter(([, u]) => u === m('erp_preview_admin')).length).toBeGreaterThan(2);
    expect(await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [m('erp_pr_31_seed')])).toEqual([]);
    // The login the restore ran as: no attribute, two connections, a member of PR 31's group alone, valid for minutes.
    expect(readFileSync(whoami, 'utf8').trim()).toBe(`${m('erp_pr_31_seed')} falsefalsefalsefalsefalse 2 ${m('erp_pr_31_role')} true`);

    // Were code ever to run as the throwaway login and make it own something (so DROP ROLE fails), the database
    // goes with it and the step fails: here the wrapper itself, as the login, leaves a table it owns.
    expect((await run(previewCreateScript(m('erp')), '31')).code).toBe(0);
    writeFileSync(join(wrap, 'pg_restore'), `#!/bin/bash\n${JSON.stringify(join(binDir, 'pg_restore'))} "$@" || exit $?
${JSON.stringify(join(binDir, 'psql'))} -X -q -v ON_ERROR_STOP=1 -c 'SET ROLE NONE' -c 'CREATE TABLE public.owned_by_login ()' >&2 || exit 9\n`, { mode: 0o755 });
    const owning = await run(previewSeedScript(m('erp')), '31', { PATH: `${wrap}:${binDir}:${process.env.PATH}`, TIERKIT_DUMP_FILE: file, TIERKIT_SEED_HASH_FILE: hashes, TIERKIT_OBJECT_PREFIX: 'llx_' });
    expect(owning.code, owning.stderr).toBe(5);
    expect(owning.stderr).toMatch(/could not be dropped alone/);
    expect(await admin.query('SELECT 1 FROM pg_database WHERE datname = $1 UNION ALL SELECT 1 FROM pg_roles WHERE rolname = $2', [m('erp-pr-31'), m('erp_pr_31_seed')])).toEqual([]);
    await vaultLike.end().catch(() => undefined);
  }, 180_000);
});
