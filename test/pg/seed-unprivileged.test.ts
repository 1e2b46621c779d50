// Issue 22: the golden's scrub and a sanitized profile run as a role without superuser on their
// throwaway server. The superuser only starts the server and creates that role and its database;
// the restore, every scrub or masking call, the verification and the dump run as the role that
// owns the restored objects. What the restored data (written by prod's app) or a hand-edited call
// list tries — read a server file, run a program, copy from a file, take SUPERUSER — is refused,
// and nothing is published. The very scripts the Jobs run, on a real PostgreSQL 15.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GOLDEN_DUMP_SCRIPT, SANITIZE_SCRIPT } from '../../constructs/lifecycle';
import { ScrubAction, scrubSql } from '../../constructs/scrub';
import { sanitizeSql } from '../../constructs/sanitize';
import { testTmp } from '../setup/tmpdir';
import { createNamespace, ident, literal, pgServer, type Namespace } from './support/db';
import { findPgTools, runTool, type ToolResult } from './support/pgtools';

const PREFIX = 'qzv_';
const PARENT = `${PREFIX}account`;
const LEAK = `${PREFIX}journal`;

/** Fails the call list unless it runs as a role without superuser that owns every restored table. */
const AS_OWNER_NOT_SUPERUSER = `DO $$ BEGIN
  IF (SELECT rolsuper OR rolcreaterole OR rolcreatedb FROM pg_roles WHERE rolname = current_user) THEN RAISE EXCEPTION 'privileged session'; END IF;
  IF EXISTS (SELECT FROM pg_class c WHERE c.relkind = 'r' AND starts_with(c.relname, '${PREFIX}') AND c.relowner <> (SELECT oid FROM pg_roles WHERE rolname = current_user))
    THEN RAISE EXCEPTION 'a restored table is not owned by the session'; END IF;
  IF current_setting('session_replication_role') <> 'replica' THEN RAISE EXCEPTION 'foreign key triggers are on'; END IF;
END $$;`;

describe('scrub and sanitize as a non-superuser on the throwaway server (PostgreSQL 15)', () => {
  const dir = testTmp('pg-seed-unprivileged');
  let ns: Namespace;
  let binDir: string;
  let prod: string;
  let prodRule: string;
  let creds: string;

  beforeAll(async () => {
    binDir = (await findPgTools(15)).binDir;
    ns = await createNamespace(pgServer(15), 'unpriv');
    mkdirSync(dir, { recursive: true });
    creds = join(dir, 'creds');
    writeFileSync(creds, `export PGUSER='${ns.server.user}'\nexport PGPASSWORD='${ns.server.password}'\n`, { mode: 0o600 });
    prod = ns.name('prod');
    prodRule = ns.name('prodrule');
    for (const [db, rule] of [[prod, false], [prodRule, true]] as const) {
      await (await ns.admin()).exec(`CREATE DATABASE ${ident(db)}`);
      const p = await ns.admin(db);
      // prod's app owns its tables, so it can attach a rule to one: ENABLE ALWAYS fires it even with
      // session_replication_role = replica, when the scrub UPDATEs the table on the throwaway copy.
      // Run as a superuser, it would copy the Job's prod credential (a server-readable file) into
      // the golden that sandboxes restore. (Its own database: the scrub now refuses any such rule.)
      await p.exec(`
        CREATE TABLE ${PARENT} (id int PRIMARY KEY, secret text);
        INSERT INTO ${PARENT} SELECT g, 'ORIG-secret-' || g FROM generate_series(1, 5) g;
        CREATE TABLE ${LEAK} (v text);
        CREATE TABLE ${PREFIX}plain (id int PRIMARY KEY, secret text);
        INSERT INTO ${PREFIX}plain SELECT g, 'ORIG-plain-' || g FROM generate_series(1, 5) g;
        ${rule ? `CREATE RULE steal AS ON UPDATE TO ${PARENT} DO ALSO INSERT INTO ${LEAK} VALUES (pg_read_file(${literal(creds)}));
        ALTER TABLE ${PARENT} ENABLE ALWAYS RULE steal;` : ''}`);
      await p.end();
    }
  });
  afterAll(async () => {
    await ns?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs `script` as `postgres` (initdb refuses root), as the Jobs' image does. */
  function run(script: string, env: NodeJS.ProcessEnv): Promise<ToolResult> {
    const full = { PATH: `${binDir}:${process.env.PATH}`, HOME: dir, ...env };
    if (process.getuid?.() === 0) {
      execFileSync('chown', ['-R', 'postgres:postgres', dir]);
      return runTool('/usr/bin/setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', '/bin/bash', '-c', script], full);
    }
    return runTool('/bin/bash', ['-c', script], full);
  }

  let n = 0;
  function goldenDump(sql: string, db = prod): Promise<ToolResult & { out: string }> {
    const label = `g${n++}`;
    const scratch = join(dir, `scratch-${label}`);
    mkdirSync(scratch, { recursive: true });
    const out = join(dir, `${label}.dump`);
    return run(GOLDEN_DUMP_SCRIPT, {
      PGHOST: ns.server.host, PGPORT: String(ns.server.port), PGSSLMODE: 'disable', PGDATABASE: db,
      TIERKIT_CREDENTIALS_FILE: creds, TIERKIT_OBJECT_PREFIX: PREFIX, TIERKIT_DUMP_FILE: out,
      TIERKIT_HASHES_FILE: join(dir, `${label}.hashes`), TIERKIT_SCRATCH_DIR: scratch, TIERKIT_SCRUB_SQL: sql,
    }).then((r) => ({ ...r, out }));
  }

  const plainScrub = scrubSql([{ table: `${PREFIX}plain`, columns: { secret: ScrubAction.NULL } }]);

  it('the golden scrub restores, scrubs, verifies and dumps as a role that owns the copy and holds no superuser', async () => {
    const r = await goldenDump(`${AS_OWNER_NOT_SUPERUSER}\n${plainScrub}`);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(existsSync(r.out)).toBe(true);
  });

  it('a rule planted in prod that reads a server file when the scrub updates its table fails the golden; nothing is written', async () => {
    // Refused by name before any scrub call runs (attack6a H2); were it to fire, the role without
    // superuser would still be denied the file (the hostile call lists below prove that).
    const r = await goldenDump(scrubSql([{ table: PARENT, columns: { secret: ScrubAction.NULL } }]), prodRule);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/scrub refused: rule steal on qzv_account fire\(s\) during the masking/);
    expect(existsSync(r.out)).toBe(false);
  });

  it('row-level security forced on a prod table cannot hide originals from the scrub as its owner: the dump refuses', async () => {
    // As the table's owner, FORCE makes the scrub subject to the policy: its UPDATE and the
    // verification see no row, so both "pass"; pg_dump (row_security off) refuses such a table.
    const db = ns.name('prodrls');
    await (await ns.admin()).exec(`CREATE DATABASE ${ident(db)}`);
    const p = await ns.admin(db);
    await p.exec(`
      CREATE TABLE ${PREFIX}hidden (id int PRIMARY KEY, secret text);
      INSERT INTO ${PREFIX}hidden SELECT g, 'ORIG-hidden-' || g FROM generate_series(1, 5) g;
      ALTER TABLE ${PREFIX}hidden ENABLE ROW LEVEL SECURITY;
      ALTER TABLE ${PREFIX}hidden FORCE ROW LEVEL SECURITY;
      CREATE POLICY nothing ON ${PREFIX}hidden USING (false);`);
    await p.end();
    const r = await goldenDump(scrubSql([{ table: `${PREFIX}hidden`, columns: { secret: ScrubAction.NULL } }]), db);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/pg_dump: .*query would be affected by row-level security policy for table "qzv_hidden"/);
    expect(existsSync(r.out)).toBe(false);
  });

  const marker = () => join(dir, 'program-ran');
  const hostile: Array<[string, () => string, RegExp]> = [
    ['runs a program', () => `COPY (SELECT 1) TO PROGRAM ${literal(`touch ${marker()}`)};`, /permission denied to COPY to or from an external program|must be superuser or have privileges of the pg_execute_server_program role/],
    ['reads a server file', () => `SELECT pg_read_file('postgresql.conf');`, /permission denied for function pg_read_file/],
    ['copies from a server file', () => `COPY ${LEAK} FROM ${literal(creds)};`, /permission denied to COPY from a file|must be superuser or have privileges of the pg_read_server_files role/],
    ['takes SUPERUSER', () => 'ALTER ROLE CURRENT_USER SUPERUSER;', /permission denied|must be superuser to alter superuser roles or change superuser attribute/],
    // dblink would log in to the throwaway server as its superuser over the trusted local socket.
    ['creates an untrusted extension (dblink)', () => 'CREATE EXTENSION dblink;', /permission denied to create extension "dblink"/],
  ];
  for (const [what, sql, refused] of hostile) {
    it(`a scrub call list that ${what} is refused and publishes nothing`, async () => {
      const r = await goldenDump(`${sql()}\n${plainScrub}`);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(refused);
      expect(existsSync(r.out)).toBe(false);
      expect(existsSync(marker())).toBe(false);
    });
  }

  it('the sanitize runs as the owning non-superuser too: its checks pass, and a program it tries to run is refused', async () => {
    // A golden without the planted rule, its hash published.
    const golden = join(dir, 'golden.dump');
    const d = await runTool(join(binDir, 'pg_dump'), ['--format=custom', '--no-owner', '--no-acl', `--table=${PREFIX}plain`, `--file=${golden}`, prod],
      { PATH: process.env.PATH, PGHOST: ns.server.host, PGPORT: String(ns.server.port), PGUSER: ns.server.user, PGPASSWORD: ns.server.password });
    expect(d.stderr).toBe('');
    const hashes = join(dir, 'golden.hashes');
    writeFileSync(hashes, `file_sha256=${createHash('sha256').update(readFileSync(golden)).digest('hex')}\n`);
    const sanitize = (sql: string) => {
      const label = `s${n++}`;
      const scratch = join(dir, `scratch-${label}`);
      mkdirSync(scratch, { recursive: true });
      const out = join(dir, `${label}.dump`);
      return run(SANITIZE_SCRIPT, {
        TIERKIT_GOLDEN_DUMP_FILE: golden, TIERKIT_GOLDEN_HASH_FILE: hashes, TIERKIT_SANITIZE_SQL: sql, TIERKIT_SCRATCH_DIR: scratch,
        TIERKIT_DUMP_FILE: out, TIERKIT_HASHES_FILE: join(dir, `${label}.hashes`), TIERKIT_OBJECT_PREFIX: PREFIX,
      }).then((r) => ({ ...r, out }));
    };
    const calls = sanitizeSql({ name: 'plain', tables: [{ table: `${PREFIX}plain`, columns: { secret: ScrubAction.KEYED_HASH } }] });
    const ok = await sanitize(`${AS_OWNER_NOT_SUPERUSER}\n${calls}`);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(existsSync(ok.out)).toBe(true);
    const bad = await sanitize(`COPY (SELECT 1) TO PROGRAM ${literal(`touch ${marker()}`)};\n${calls}`);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/permission denied to COPY to or from an external program|must be superuser or have privileges of the pg_execute_server_program role/);
    expect(existsSync(bad.out)).toBe(false);
    expect(existsSync(marker())).toBe(false);
    // A golden carrying an ALWAYS rule on a masked table (attack6a H2): refused by name, nothing written.
    const ruled = await runTool(join(binDir, 'pg_dump'), ['--format=custom', '--no-owner', '--no-acl', `--table=${PREFIX}*`, `--file=${golden}`, prodRule],
      { PATH: process.env.PATH, PGHOST: ns.server.host, PGPORT: String(ns.server.port), PGUSER: ns.server.user, PGPASSWORD: ns.server.password });
    expect(ruled.stderr).toBe('');
    writeFileSync(hashes, `file_sha256=${createHash('sha256').update(readFileSync(golden)).digest('hex')}\n`);
    const masked = await sanitize(sanitizeSql({ name: 'plain', tables: [{ table: PARENT, columns: { secret: ScrubAction.KEYED_HASH } }] }));
    expect(masked.code).not.toBe(0);
    expect(masked.stderr).toMatch(/sanitized seed refused: rule steal on qzv_account fire\(s\) during the masking/);
    expect(existsSync(masked.out)).toBe(false);
  });
});
