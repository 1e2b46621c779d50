// Per-PR previews on a real PostgreSQL 18 (docs/previews.md): the synthesized preview admin
// (LOGIN CREATEDB CREATEROLE, applied by the translator exactly as the dev stack declares it)
// runs the PreSync and PostDelete scripts, and is then used as a hostile preview's author would:
// it must not drop, connect to, clone, alter or grant anything of prod or of any declared env.
// A preview credential (the preview connection's creation statements, run as the admin like
// Vault does) reaches its own PR's database only.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { App, FakeKind, SyntheticColumn, Tier } from '../../constructs';
import {
  previewCreateScript, previewDrainScript, previewDropScript, previewSeedScript, previewVaultCreateScript, previewVaultDropScript, type PreviewVaultRole,
} from '../../constructs/lifecycle/preview-scripts';
import { parseVaultPolicy } from '../../contract/vault-policy';
import { matches } from '../../policies/graph/vault-paths';
import * as naming from '../../constructs/naming';
import { creationStatements } from '../../constructs/statements';
import { smallEstate } from '../support/estates';
import { synthToDist } from '../support/synth';
import { createNamespace, expectSqlState, ident, pgServer, tryConnect, type Namespace, type Session } from './support/db';
import { applyEstate, type AppliedEnv, type AppliedEstate } from './support/estate';
import { runTool, type ToolResult } from './support/pgtools';
import { makePreviewSeed } from './support/preview-seed';
import { issueCredential, revokeCredential, type DynamicCredential, type VaultPieces } from './support/vault';

const MAX_OPEN = 2;

function previewEstate(seeded = false) {
  const e = smallEstate();
  new App(e, 'erp', {
    tiers: [Tier.DEV, Tier.PROD], objectPrefix: 'llx_', image: 'example/erp:1.0.0@sha256:' + 'e'.repeat(64), previews: { tier: Tier.DEV, maxOpen: MAX_OPEN },
    // With a synthetic seed, the PreSync Job gains its restore-seed step (the rendered-Jobs case runs it).
    ...(seeded ? {
      synthetic: {
        version: 'v1', seed: 1, schema: 'CREATE TABLE llx_societe (rowid int PRIMARY KEY, nom text NOT NULL);',
        tables: [{ table: 'llx_societe', rows: 50, columns: { rowid: SyntheticColumn.sequence(), nom: SyntheticColumn.fake(FakeKind.COMPANY) } }],
      },
    } : {}),
  });
  return e;
}
const dist = synthToDist(previewEstate(), 'pg-previews');
const seededDist = synthToDist(previewEstate(true), 'pg-previews-seeded');

/** Vault's StrListContainsGlob (hashicorp/vault builtin/logical/database/path_creds_create.go): `*` at either end. */
function vaultAllows(allowed: readonly string[], role: string): boolean {
  return allowed.some((p) => p === '*' || p === role
    || (p.endsWith('*') && !p.startsWith('*') && role.startsWith(p.slice(0, -1)))
    || (p.startsWith('*') && !p.endsWith('*') && role.endsWith(p.slice(1))));
}

describe('per-PR previews on PostgreSQL 18', () => {
  let ns: Namespace;
  let applied: AppliedEstate;
  let dev: AppliedEnv;
  let prod: AppliedEnv;
  let dir: string;
  let m: (name: string) => string;
  let admin: Session;
  const open: Session[] = [];

  beforeAll(async () => {
    ns = await createNamespace(pgServer(18), 'previews');
    applied = await applyEstate(ns, dist, { kind: 'declared' });
    dev = applied.envs.find((e) => e.env.slug === 'erp-dev')!;
    prod = applied.envs.find((e) => e.env.slug === 'erp')!;
    m = (name) => applied.names.map(name);
    dir = mkdtempSync(join(tmpdir(), 'tierkit-previews-'));
    admin = await ns.connect({ user: m('erp_preview_admin'), password: dev.variables.preview_admin_password, database: m('erp-previews') });
  });
  afterAll(async () => {
    await Promise.all(open.splice(0).map((s) => s.end()));
    await ns?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  // The test server holds every test file's objects under a prefix: the scripts are generated
  // for the prefixed app name, whose every derived name is the prefixed name of the artifact's.
  const app = () => m('erp');
  const run = (script: string, pr: string, extra: Record<string, string> = {}): Promise<ToolResult> => {
    const creds = join(dir, 'admin-creds');
    writeFileSync(creds, `export PGUSER='${m('erp_preview_admin')}'\nexport PGPASSWORD='${dev.variables.preview_admin_password}'\n`, { mode: 0o600 });
    return runTool('/bin/bash', ['-c', script], {
      PATH: process.env.PATH, HOME: dir, PGHOST: ns.server.host, PGPORT: String(ns.server.port), PGSSLMODE: 'disable',
      PGDATABASE: m('erp-previews'), TIERKIT_CREDENTIALS_FILE: creds, TIERKIT_PR_NUMBER: pr, TIERKIT_MAX_OPEN: String(MAX_OPEN), ...extra,
    });
  };
  const create = (pr: string) => run(previewCreateScript(app()), pr);
  const drop = (pr: string) => run(previewDropScript(app()), pr);

  /** The preview connection as Vault runs it: allowed_roles globbed, creation statements as the connection user (the admin). */
  async function previewCredential(pr: string): Promise<DynamicCredential> {
    const conn = dev.stack.resources.find((r) => r.name === 'preview_connection')!.attributes as Record<string, any>;
    const role = naming.previewSlug('erp', pr);
    expect(vaultAllows(conn.allowed_roles, role)).toBe(true);
    const pieces: VaultPieces = {
      stack: dev.stack.name, connectionName: String(conn.name), connectionUser: m(String(conn.postgresql.username)),
      database: m('erp-previews'), allowedRoles: [role], roleName: role,
      creation: creationStatements(naming.previewCoordinate('erp', pr)).map((s) => applied.names.mapQuotedIdentifiers(s)), revocation: [],
    };
    const issued = await issueCredential(ns.server, pieces, applied.names, dev.variables.preview_admin_password);
    if (!issued.ok) throw new Error(`${issued.code} ${issued.message}`);
    return issued.credential;
  }

  it('derives, for the prefixed app, exactly the prefixed names of the artifacts', () => {
    expect(naming.previewSlug(app(), '7')).toBe(m(naming.previewSlug('erp', '7')));
    expect(naming.previewGroupRoleName(app(), '7')).toBe(m(naming.previewGroupRoleName('erp', '7')));
    expect(naming.previewAdminRoleName(app())).toBe(m(naming.previewAdminRoleName('erp')));
    // The only difference between the Job's script and the one run here is the prefix.
    expect(previewCreateScript(app()).replaceAll(applied.names.prefix, '')).toBe(previewCreateScript('erp'));
  });

  it('applies the preview admin as LOGIN CREATEDB CREATEROLE with no membership and nothing else', async () => {
    const [r] = await admin.query<Record<string, boolean>>(
      `SELECT rolsuper, rolcreatedb, rolcreaterole, rolcanlogin, rolreplication, rolbypassrls, rolinherit
         FROM pg_roles WHERE rolname = $1`, [m('erp_preview_admin')]);
    expect(r).toEqual({ rolsuper: false, rolcreatedb: true, rolcreaterole: true, rolcanlogin: true, rolreplication: false, rolbypassrls: false, rolinherit: true });
    const member = await admin.query('SELECT roleid::regrole::text AS role FROM pg_auth_members WHERE member = $1::regrole', [m('erp_preview_admin')]);
    expect(member).toEqual([]);
  });

  it('PreSync creates the PR\'s database, owned by its own group, PUBLIC revoked; a second run changes nothing', async () => {
    for (let i = 0; i < 2; i++) {
      const r = await create('7');
      expect(r.code, r.stderr).toBe(0);
    }
    const [db] = await admin.query<{ owner: string; acl: string }>(
      'SELECT datdba::regrole::text AS owner, datacl::text AS acl FROM pg_database WHERE datname = $1', [m('erp-pr-7')]);
    expect(db.owner).toBe(m('erp_pr_7_role'));
    expect(db.acl).not.toMatch(/(^|[{,])=/); // no PUBLIC entry
    expect(db.acl).toContain(`${m('erp_pr_7_role')}=`);
  });

  it('a preview credential connects to its own PR\'s database and to no other, prod\'s and the declared envs\' included', async () => {
    expect((await create('8')).code).toBe(0);
    const c = await previewCredential('7');
    const login = (database: string) => tryConnect(ns.server, { user: c.username, password: c.password, database });
    const own = await login(m('erp-pr-7'));
    expect(own.ok).toBe(true);
    if (own.ok) {
      open.push(own.session);
      // Objects it creates belong to the PR's group (SET ROLE), as for an env's credential.
      await own.session.exec('CREATE TABLE llx_t (id int)');
      const [t] = await own.session.query<{ owner: string }>("SELECT tableowner AS owner FROM pg_tables WHERE tablename = 'llx_t'");
      expect(t.owner).toBe(m('erp_pr_7_role'));
    }
    for (const other of ['erp', 'erp-dev', 'erp-pr-8', 'erp-previews']) {
      const out = await login(m(other));
      expect(out.ok, other).toBe(false);
      if (!out.ok) expect(out.code, other).toBe('42501');
    }
  });

  /** A synthetic seed as its producer leaves it: a v15 `pg_dump -Fc` of a 15 server (pg_dump 15 refuses newer ones), and its published hashes. */
  const makeSeed = () => makePreviewSeed(dir, 'previewseed');

  // The PreSync seed step (previewSeedScript): the synthetic seed, dumped by pg_dump 15 as the producer does,
  // restored into PR 17's database as its group, verified, marked; PR 8's and the declared envs' untouched.
  it('PreSync\'s seed step restores the verified synthetic seed into the PR\'s database only, owned by its group, once; a tampered dump or hash restores nothing', async () => {
    const made = await makeSeed();
    const { binDir, file, hashes, fileSha, publish } = made;
    const content = { stdout: made.content };
    try {
      const seedEnv = { PATH: `${binDir}:${process.env.PATH}`, TIERKIT_DUMP_FILE: file, TIERKIT_SEED_HASH_FILE: hashes, TIERKIT_OBJECT_PREFIX: 'llx_' };
      const seed = (pr: string) => run(previewSeedScript(app()), pr, seedEnv);
      // PRs 17 and 18, under a cap of 5 here: PRs 7 and 8 stay as the other cases leave them.
      const createPr = (pr: string) => run(previewCreateScript(app()), pr, { TIERKIT_MAX_OPEN: '5' });
      const marker = async (pr: string) => (await admin.query<{ c: string | null }>("SELECT shobj_description(oid, 'pg_database') AS c FROM pg_database WHERE datname = $1", [m(naming.previewSlug('erp', pr))]))[0]?.c;

      // A dump that is not the published one, or no hashes: refused before anything runs.
      expect((await createPr('17')).code).toBe(0);
      publish('0'.repeat(64), content.stdout.trim());
      const forged = await seed('17');
      expect(forged.code, forged.stderr).toBe(6);
      expect(forged.stderr).toMatch(/nothing was restored/);
      writeFileSync(hashes, 'file_sha256=nothex\n');
      expect((await seed('17')).code).toBe(6);
      expect(await marker('17')).toBeNull();

      publish(fileSha, content.stdout.trim());
      const ok = await seed('17');
      expect(ok.code, ok.stderr).toBe(0);
      expect(await marker('17')).toBe(`tierkit-seed content_sha256=${content.stdout.trim()}`);
      const c = await previewCredential('17');
      const own = await tryConnect(ns.server, { user: c.username, password: c.password, database: m('erp-pr-17') });
      expect(own.ok).toBe(true);
      if (!own.ok) return;
      const [t] = await own.session.query<{ owner: string; n: string }>("SELECT tableowner AS owner, (SELECT count(*) FROM llx_societe)::text AS n FROM pg_tables WHERE tablename = 'llx_societe'");
      expect(t).toEqual({ owner: m('erp_pr_17_role'), n: '50' });
      // A second sync leaves the seeded database alone (its rows are the PR's own now).
      const again = await seed('17');
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toMatch(/already seeded/);

      // Hostile PR code (a member of its group, which owns the database): it clears the marker, shadows a
      // pg_catalog function in public, and puts public first in the database's search_path. The next sync's
      // session there must not run its code as the preview admin (CREATEDB CREATEROLE): PGOPTIONS pins the
      // role and search_path. Without them this fails: the planted function ran as the admin.
      await own.session.exec(`DROP TABLE llx_societe;
          CREATE FUNCTION public.starts_with(name, text) RETURNS boolean LANGUAGE plpgsql
            AS $$ BEGIN RAISE WARNING 'planted code ran as %', current_user; RETURN pg_catalog.starts_with($1::text, $2); END $$;
          ALTER DATABASE ${ident(m('erp-pr-17'))} SET search_path = public, pg_catalog;
          COMMENT ON DATABASE ${ident(m('erp-pr-17'))} IS NULL`);
      const rerun = await seed('17');
      expect(rerun.code, rerun.stderr).toBe(0);
      expect(rerun.stderr).not.toMatch(new RegExp(`planted code ran as ${m('erp_preview_admin')}`));
      await own.session.end();

      // Confined: PR 8's database (another group) gets nothing from PR 17's seed, and a restore there as PR 17's group is refused.
      expect((await createPr('8')).code).toBe(0);
      const restore = await runTool(join(binDir, 'pg_restore'), [
        '--no-owner', '--no-acl', `--role=${m('erp_pr_17_role')}`, '--exit-on-error', '--single-transaction', `--dbname=${m('erp-pr-8')}`, file,
      ], { PATH: process.env.PATH, HOME: dir, PGHOST: ns.server.host, PGPORT: String(ns.server.port), PGUSER: m('erp_preview_admin'), PGPASSWORD: dev.variables.preview_admin_password, PGSSLMODE: 'disable' });
      expect(restore.code).not.toBe(0);
      expect(restore.stderr).toMatch(/permission denied/);
      expect(await marker('8')).toBeNull();

      // A dump whose content is not the published content: restored, found different, and the database
      // dropped whole, its credential's open session ended first (as PostDelete's drain does).
      publish(fileSha, 'f'.repeat(64));
      expect((await createPr('18')).code).toBe(0);
      const c18 = await previewCredential('18');
      const s18 = await tryConnect(ns.server, { user: c18.username, password: c18.password, database: m('erp-pr-18') });
      expect(s18.ok).toBe(true);
      const wrong = await seed('18');
      expect(wrong.code, wrong.stderr).toBe(5);
      expect(await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [m('erp-pr-18')])).toEqual([]);
      for (const pr of ['17', '18']) expect((await drop(pr)).code).toBe(0);
    } finally {
      await made.cleanup();
    }
  }, 180_000);

  it('refuses a preview beyond the cap, and a PR number that is no number', async () => {
    const full = await create('9');
    expect(full.code).not.toBe(0);
    expect(full.stderr).toMatch(/maximum of open previews/);
    expect(await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [m('erp-pr-9')])).toEqual([]);
    const bad = await run(previewCreateScript(app()), '7; DROP DATABASE x');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/not a pull request number/);
  });

  it('the preview admin cannot drop, connect to, clone, alter or grant anything of prod or of a declared env', async () => {
    const attacks: [string, string][] = [
      [`DROP DATABASE ${ident(m('erp'))}`, '42501'],
      [`DROP DATABASE ${ident(m('erp-dev'))}`, '42501'],
      [`CREATE DATABASE ${ident(m('stolen'))} TEMPLATE ${ident(m('erp'))}`, '42501'],
      [`ALTER DATABASE ${ident(m('erp'))} OWNER TO ${ident(m('erp_pr_7_role'))}`, '42501'],
      [`ALTER DATABASE ${ident(m('erp'))} CONNECTION LIMIT 0`, '42501'],
      [`GRANT CONNECT ON DATABASE ${ident(m('erp'))} TO ${ident(m('erp_preview_admin'))}`, '42501'],
      [`GRANT ${ident(m('erp_role'))} TO ${ident(m('erp_preview_admin'))}`, '42501'],
      [`GRANT ${ident(m('erp_dev_role'))} TO ${ident(m('erp_pr_7_role'))}`, '42501'],
      [`CREATE ROLE ${ident(m('mole'))} IN ROLE ${ident(m('erp_role'))}`, '42501'],
      [`ALTER ROLE ${ident(m('erp_role'))} LOGIN`, '42501'],
      [`ALTER ROLE ${ident(m('erp_vault'))} PASSWORD 'x'`, '42501'],
      [`ALTER ROLE ${ident(m('erp_dev_vault'))} PASSWORD 'x'`, '42501'],
      [`DROP ROLE ${ident(m('erp_dev_role'))}`, '42501'],
      [`REASSIGN OWNED BY ${ident(m('erp_role'))} TO ${ident(m('erp_preview_admin'))}`, '42501'],
      [`GRANT pg_signal_backend TO ${ident(m('erp_preview_admin'))}`, '42501'],
      [`GRANT pg_read_all_data TO ${ident(m('erp_preview_admin'))}`, '42501'],
      [`CREATE ROLE ${ident(m('root2'))} SUPERUSER`, '42501'],
      [`ALTER ROLE ${ident(m('erp_preview_admin'))} REPLICATION`, '42501'],
      [`ALTER ROLE ${ident(m('erp_preview_admin'))} BYPASSRLS`, '42501'],
    ];
    for (const [sql, code] of attacks) await expectSqlState(admin.query(sql), code, sql);
    const direct = await tryConnect(ns.server, { user: m('erp_preview_admin'), password: dev.variables.preview_admin_password, database: m('erp') });
    expect(direct.ok).toBe(false);
    // A prod session cannot be ended by it either (no pg_signal_backend, no membership in prod's roles).
    const prodCred = await issueCredential(ns.server, prod.vault, applied.names, prod.connectionPassword);
    if (!prodCred.ok) throw new Error(prodCred.message);
    const p = await tryConnect(ns.server, { user: prodCred.credential.username, password: prodCred.credential.password, database: m('erp') });
    expect(p.ok).toBe(true);
    if (p.ok) {
      open.push(p.session);
      const [{ pid }] = await p.session.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      await expectSqlState(admin.query('SELECT pg_terminate_backend($1)', [pid]), '42501');
    }
    // Prod is as the apply left it.
    const [db] = await admin.query<{ owner: string }>('SELECT datdba::regrole::text AS owner FROM pg_database WHERE datname = $1', [m('erp')]);
    expect(db.owner).toBe(m('erp_role'));
  });

  // The marker the orphan collector (the CronJob erp-previews-collect, docs/previews.md "Orphaned preview databases") trusts.
  it('design check for the orphan collector: only the preview admin can stamp a PR\'s group (COMMENT ON ROLE); the PR\'s own code can rewrite its database\'s comment but not that; the admin stamps and drops nothing of a declared env even under a mimicked stamp', async () => {
    const stamp = `'tierkit-preview synced=2026-01-01T00:00:00Z'`;
    await admin.exec(`COMMENT ON ROLE ${ident(m('erp_pr_7_role'))} IS ${stamp}`);
    const c = await previewCredential('7');
    const pr = await tryConnect(ns.server, { user: c.username, password: c.password, database: m('erp-pr-7') });
    expect(pr.ok).toBe(true);
    if (pr.ok) {
      open.push(pr.session);
      // A member of the owning group rewrites the database's comment (so a database marker is the PR's to forge) ...
      await pr.session.exec(`COMMENT ON DATABASE ${ident(m('erp-pr-7'))} IS 'tierkit-preview synced=2999-01-01T00:00:00Z'`);
      // ... but not its group's: that takes CREATEROLE and ADMIN OPTION on the role, which only its creator holds.
      await expectSqlState(pr.session.query(`COMMENT ON ROLE ${ident(m('erp_pr_7_role'))} IS 'tierkit-preview synced=2999-01-01T00:00:00Z'`), '42501');
      await pr.session.exec(`COMMENT ON DATABASE ${ident(m('erp-pr-7'))} IS NULL`);
    }
    // The admin can stamp no declared env's role or database.
    for (const sql of [`COMMENT ON ROLE ${ident(m('erp_role'))} IS ${stamp}`, `COMMENT ON ROLE ${ident(m('erp_dev_role'))} IS ${stamp}`,
      `COMMENT ON DATABASE ${ident(m('erp'))} IS ${stamp}`]) await expectSqlState(admin.query(sql), '42501', sql);
    // A declared env whose comments mimic the stamp (set by the server's superuser here): the admin holds no ADMIN OPTION
    // on its role, so a collector selecting on that finds only the PR's group, and dropping prod's database is refused anyway.
    const su = await ns.admin();
    await su.exec(`COMMENT ON ROLE ${ident(m('erp_role'))} IS ${stamp}; COMMENT ON DATABASE ${ident(m('erp'))} IS ${stamp}`);
    const picked = await admin.query<{ role: string }>(`SELECT g.rolname AS role FROM pg_roles g JOIN pg_auth_members a ON a.roleid = g.oid
       WHERE a.member = (SELECT oid FROM pg_roles WHERE rolname = current_user) AND a.admin_option
         AND pg_catalog.shobj_description(g.oid, 'pg_authid') LIKE 'tierkit-preview synced=%' ORDER BY 1`);
    expect(picked.map((r) => r.role)).toEqual([m('erp_pr_7_role')]);
    await expectSqlState(admin.query(`DROP DATABASE ${ident(m('erp'))}`), '42501');
    await su.exec(`COMMENT ON ROLE ${ident(m('erp_role'))} IS NULL; COMMENT ON DATABASE ${ident(m('erp'))} IS NULL`);
    await admin.exec(`COMMENT ON ROLE ${ident(m('erp_pr_7_role'))} IS NULL`);
  });

  it('residual (docs/previews.md): ADMIN OPTION on a role it created lets it add that role to any role, a declared one too — pushing only what it owns', async () => {
    // PostgreSQL lets a role's admin grant it to anyone; this gives prod's group a preview's
    // database (synthetic data), never the reverse: prod's group gains, the admin reaches nothing new.
    await admin.exec(`GRANT ${ident(m('erp_pr_8_role'))} TO ${ident(m('erp_role'))}`);
    const reach = await admin.query<{ can: boolean }>('SELECT pg_has_role($1, $2, \'MEMBER\') AS can', [m('erp_preview_admin'), m('erp_role')]);
    expect(reach[0].can).toBe(false);
    await expectSqlState(admin.query(`DROP DATABASE ${ident(m('erp'))}`), '42501');
    await admin.exec(`REVOKE ${ident(m('erp_pr_8_role'))} FROM ${ident(m('erp_role'))}`);
  });

  it('PostDelete ends the preview\'s sessions and drops its database, credentials and group, touching nothing else; a second run finds nothing', async () => {
    const c = await previewCredential('7');
    const s = await tryConnect(ns.server, { user: c.username, password: c.password, database: m('erp-pr-7') });
    expect(s.ok).toBe(true);
    if (s.ok) open.push(s.session);
    for (let i = 0; i < 2; i++) {
      const r = await drop('7');
      expect(r.code, r.stderr).toBe(0);
    }
    expect(await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [m('erp-pr-7')])).toEqual([]);
    const left = await admin.query<{ rolname: string }>("SELECT rolname FROM pg_roles WHERE rolname = ANY($1)", [[m('erp_pr_7_role'), c.username]]);
    expect(left).toEqual([]);
    const kept = await admin.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname = ANY($1) ORDER BY datname',
      [[m('erp'), m('erp-dev'), m('erp-pr-8'), m('erp-previews')]]);
    expect(kept.map((k) => k.datname)).toEqual([m('erp'), m('erp-dev'), m('erp-pr-8'), m('erp-previews')].sort());
    // With one preview closed, the next fits under the cap.
    expect((await create('9')).code).toBe(0);
  });

  describe('the Vault steps, against a Vault stand-in holding the Jobs\' policy as synthesized', () => {
    const TOKEN = 'hvs.preview-jobs-token';
    let vault: Server;
    let addr: string;
    const roles = new Map<string, PreviewVaultRole>();
    const leases = new Map<string, { role: string; username: string }>();
    const requests: string[] = [];

    /** Vault's capability for a request: POST/PUT write (create or update), DELETE delete; revoke-prefix is root-protected (sudo). */
    function allowed(method: string, path: string): boolean {
      const policy = parseVaultPolicy((dev.stack.resources.find((r) => r.name === 'preview_jobs_policy')!.attributes as any).policy);
      const need = method === 'DELETE' ? ['delete'] : ['update', ...(path.startsWith('sys/') ? ['sudo'] : [])];
      return policy.rules.some((r) => matches(r.path, path) && need.every((c) => r.capabilities.includes(c) || (c === 'update' && r.capabilities.includes('create'))));
    }

    beforeAll(async () => {
      vault = createServer((req, res) => {
        let body = '';
        req.on('data', (d) => { body += d; });
        req.on('end', async () => {
          // Paths carry the test namespace's prefix (the script is generated for the prefixed app); the policy is the artifact's.
          const path = decodeURIComponent(req.url!.replace(/^\/v1\//, '')).replaceAll(applied.names.prefix, '');
          requests.push(`${req.method} ${path}`);
          if (req.headers['x-vault-token'] !== TOKEN || !allowed(req.method!, path)) {
            res.writeHead(403); res.end('{"errors":["permission denied"]}'); return;
          }
          const role = /^postgres\/roles\/(.+)$/.exec(path)?.[1];
          if (role && req.method === 'POST') roles.set(role, JSON.parse(body));
          else if (role && req.method === 'DELETE') roles.delete(role);
          else if (path.startsWith('sys/leases/revoke-prefix/postgres/creds/') && path.endsWith('/')) {
            const prefix = path.slice('sys/leases/revoke-prefix/postgres/creds/'.length);
            for (const [id, lease] of [...leases]) {
              if (!`${lease.role}/`.startsWith(prefix)) continue;
              const out = await revokeCredential(ns.server, pieces(lease.role), dev.variables.preview_admin_password, lease.username);
              if (!out.ok) { res.writeHead(500); res.end(JSON.stringify({ errors: [out.message] })); return; }
              leases.delete(id);
            }
          } else { res.writeHead(400); res.end('{"errors":["not modelled"]}'); return; }
          res.writeHead(204); res.end();
        });
      });
      await new Promise<void>((r) => vault.listen(0, '127.0.0.1', () => r()));
      addr = `http://127.0.0.1:${(vault.address() as AddressInfo).port}`;
      writeFileSync(join(dir, 'vault-token'), TOKEN);
    });
    afterAll(() => new Promise<void>((r) => (vault ? vault.close(() => r()) : r())));

    /** The stored role as Vault's plugin would run it, on the preview connection (allowed_roles globbed). */
    function pieces(role: string): VaultPieces {
      const body = roles.get(role)!;
      const conn = dev.stack.resources.find((r) => r.name === 'preview_connection')!.attributes as Record<string, any>;
      expect(body.db_name).toBe(m(String(conn.name)));
      expect(vaultAllows(conn.allowed_roles, role)).toBe(true);
      return {
        stack: dev.stack.name, connectionName: String(conn.name), connectionUser: m(String(conn.postgresql.username)), database: m('erp-previews'),
        allowedRoles: [role], roleName: role, creation: [...body.creation_statements], revocation: [...body.revocation_statements],
      };
    }
    const vaultRun = (script: string, pr: string) => runTool('/bin/sh', ['-c', script], {
      PATH: process.env.PATH, HOME: dir, TMPDIR: dir, VAULT_ADDR: addr, TIERKIT_VAULT_TOKEN_FILE: join(dir, 'vault-token'), TIERKIT_PR_NUMBER: pr,
    });
    const ttl = { defaultSeconds: 1800, maxSeconds: 14400 };

    it('PreSync writes the PR\'s role within the policy; its credential reaches that PR\'s database only; PostDelete revokes it and the drop leaves nothing', async () => {
      // The earlier tests left PRs 8 and 9 open, the cap: close them first.
      for (const pr of ['8', '9']) expect((await drop(pr)).code).toBe(0);
      expect((await create('11')).code).toBe(0);
      const w = await vaultRun(previewVaultCreateScript(app(), 'postgres', ttl), '11');
      expect(w.code, w.stderr).toBe(0);
      expect(requests).toContain('POST postgres/roles/erp-pr-11');
      const role = `${app()}-pr-11`.replaceAll(applied.names.prefix, '');
      const issued = await issueCredential(ns.server, pieces(role), applied.names, dev.variables.preview_admin_password);
      if (!issued.ok) throw new Error(issued.message);
      leases.set('l1', { role, username: issued.credential.username });
      const own = await tryConnect(ns.server, { user: issued.credential.username, password: issued.credential.password, database: m('erp-pr-11') });
      expect(own.ok).toBe(true);
      if (own.ok) open.push(own.session);
      for (const other of ['erp', 'erp-dev', 'erp-previews']) {
        expect((await tryConnect(ns.server, { user: issued.credential.username, password: issued.credential.password, database: m(other) })).ok, other).toBe(false);
      }
      // PostDelete: drain (while the credential still exists, its session can be ended), Vault, drop.
      expect((await run(previewDrainScript(app()), '11')).code).toBe(0);
      expect(await admin.query('SELECT 1 FROM pg_stat_activity WHERE datname = $1', [m('erp-pr-11')])).toEqual([]);
      const d = await vaultRun(previewVaultDropScript(app(), 'postgres'), '11');
      expect(d.code, d.stderr).toBe(0);
      expect(requests.slice(-2)).toEqual(['PUT sys/leases/revoke-prefix/postgres/creds/erp-pr-11/', 'DELETE postgres/roles/erp-pr-11']);
      expect(leases.size).toBe(0);
      expect(roles.has(role)).toBe(false);
      expect((await drop('11')).code).toBe(0);
      expect(await admin.query('SELECT 1 FROM pg_roles WHERE rolname = ANY($1)', [[issued.credential.username, m('erp_pr_11_role')]])).toEqual([]);
    });

    it('the stand-in refuses what the synthesized policy does not grant (another env\'s role, a declared env\'s leases), and the scripts refuse a bad number', async () => {
      expect(allowed('POST', 'postgres/roles/erp-dev')).toBe(false);
      expect(allowed('POST', 'postgres/roles/erp')).toBe(false);
      expect(allowed('PUT', 'sys/leases/revoke-prefix/postgres/creds/erp/')).toBe(false);
      expect(allowed('POST', 'postgres/config/erp-previews')).toBe(false);
      expect(allowed('POST', 'postgres/roles/erp-pr-12')).toBe(true);
      for (const bad of ['', '0', '07', '12a', '1/../../erp', '12345678901']) {
        const r = await vaultRun(previewVaultCreateScript(app(), 'postgres', ttl), bad);
        expect(r.code, bad).toBe(2);
      }
    });
  });

  it('the rendered PreSync (with its restore-seed step) and PostDelete Jobs\' database steps, run in order with the env each container carries, create and seed PR 21 and drop it', async () => {
    // The seeded estate's PreSync Job: create-database, restore-seed, write-vault-role (the dist's database artifacts are the same).
    const job = (name: string) => seededDist.kubernetes.find((k) => k.object.kind === 'Job' && k.object.metadata?.name === name)!.object;
    const scripts: Record<string, (a: string) => string> = {
      'create-database': previewCreateScript, 'restore-seed': previewSeedScript, 'drain-database': previewDrainScript, 'drop-database': previewDropScript,
    };
    const creds = join(dir, 'job-creds');
    writeFileSync(creds, `export PGUSER='${m('erp_preview_admin')}'\nexport PGPASSWORD='${dev.variables.preview_admin_password}'\n`, { mode: 0o600 });
    const seed = await makeSeed();
    try {
      const runJob = async (name: string): Promise<string[]> => {
        const spec = job(name).spec.template.spec;
        const ran: string[] = [];
        for (const c of [...(spec.initContainers ?? []), ...spec.containers].filter((x: any) => x.command[0] === 'bash')) {
          // The container runs tierkit's script for erp; the test server prefixes every name, so the prefixed app's script runs (same text, unprefixed).
          expect(c.command[2]).toBe(scripts[c.name](app()).replaceAll(applied.names.prefix, ''));
          const env: Record<string, string> = Object.fromEntries(c.env.filter((e: any) => e.value !== undefined).map((e: any) => [e.name, e.value]));
          expect(c.env.find((e: any) => e.name === 'TIERKIT_PR_NUMBER').valueFrom.fieldRef.fieldPath).toBe("metadata.annotations['tierkit.io/pr']");
          // What the cluster supplies: the server's address here, the agent's files, the seed volume's dump, the annotation kustomize stamps.
          const cluster = c.name === 'restore-seed'
            ? { TIERKIT_DUMP_FILE: seed.file, TIERKIT_SEED_HASH_FILE: seed.hashes, PATH: `${seed.binDir}:${process.env.PATH}` } : { PATH: process.env.PATH };
          if (c.name === 'restore-seed') expect([env.TIERKIT_DUMP_FILE, env.TIERKIT_SEED_HASH_FILE, env.TIERKIT_OBJECT_PREFIX]).toEqual(['/seeds/seed.dump', '/vault/secrets/seed', 'llx_']);
          const r = await runTool('/bin/bash', ['-c', scripts[c.name](app())], {
            ...env, HOME: dir, PGHOST: ns.server.host, PGPORT: String(ns.server.port), PGSSLMODE: 'disable',
            PGDATABASE: m(env.PGDATABASE), TIERKIT_CREDENTIALS_FILE: creds, TIERKIT_PR_NUMBER: '21', ...cluster,
          });
          expect(r.code, `${name}/${c.name}: ${r.stderr}`).toBe(0);
          ran.push(c.name);
        }
        return ran;
      };
      expect(job('erp-previews-create').spec.template.spec.initContainers[0].env).toContainEqual({ name: 'TIERKIT_MAX_OPEN', value: String(MAX_OPEN) });
      expect(await runJob('erp-previews-create')).toEqual(['create-database', 'restore-seed']);
      expect(await admin.query('SELECT pg_get_userbyid(datdba) AS owner, shobj_description(oid, \'pg_database\') AS marker FROM pg_database WHERE datname = $1', [m('erp-pr-21')]))
        .toEqual([{ owner: m('erp_pr_21_role'), marker: `tierkit-seed content_sha256=${seed.content}` }]);
      const c = await previewCredential('21');
      const s21 = await tryConnect(ns.server, { user: c.username, password: c.password, database: m('erp-pr-21') });
      expect(s21.ok).toBe(true);
      if (s21.ok) {
        expect(await s21.session.query("SELECT tableowner AS owner, (SELECT count(*) FROM llx_societe)::int AS n FROM pg_tables WHERE tablename = 'llx_societe'"))
          .toEqual([{ owner: m('erp_pr_21_role'), n: 50 }]);
        await s21.session.end();
      }
      expect(await runJob('erp-previews-drop')).toEqual(['drain-database', 'drop-database']);
      expect(await admin.query('SELECT 1 FROM pg_database WHERE datname = $1 UNION ALL SELECT 1 FROM pg_roles WHERE rolname = $2', [m('erp-pr-21'), m('erp_pr_21_role')])).toEqual([]);
    } finally {
      await seed.cleanup();
    }
  }, 180_000);
});

// Why validation refuses a server before 16 for previews (and TK170 a dist saying so): on
// PostgreSQL 15 the same role, applied from the same artifacts, grants itself prod's group.
describe('the same preview admin on PostgreSQL 15', () => {
  let ns: Namespace;
  afterAll(async () => ns?.cleanup());

  it('grants itself prod\'s group and drops prod\'s database: the reason previews need 16+', async () => {
    ns = await createNamespace(pgServer(15), 'previews15');
    const applied = await applyEstate(ns, dist, { kind: 'declared' });
    const m = (name: string) => applied.names.map(name);
    const dev = applied.envs.find((e) => e.env.slug === 'erp-dev')!;
    const admin = await ns.connect({ user: m('erp_preview_admin'), password: dev.variables.preview_admin_password, database: m('erp-previews') });
    await admin.exec(`GRANT ${ident(m('erp_role'))} TO ${ident(m('erp_preview_admin'))}`);
    await admin.exec(`DROP DATABASE ${ident(m('erp'))}`);
    const left = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [m('erp')]);
    expect(left).toEqual([]);
  });
});

