// Issue 22: the golden dump's scrub on a schema that is not Dolibarr's, with table and column names
// generated from a seed (nothing here is tuned to the example app). The very script the Job runs
// dumps a real PostgreSQL 15 database, scrubs a restore of it in a throwaway server, verifies, and
// dumps the scrubbed copy; the copy is restored and queried for every original value.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GOLDEN_DUMP_SCRIPT } from '../../constructs/lifecycle';
import { ScrubAction, TableScrub, scrubSql } from '../../constructs/scrub';
import { testTmp } from '../setup/tmpdir';
import { createNamespace, ident, pgServer, type Namespace } from './support/db';
import { findPgTools, runTool, type ToolResult } from './support/pgtools';

/** mulberry32: a small seeded generator, so a failing case names its seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const word = (r: () => number, n: number) => Array.from({ length: n }, () => 'abcdefghijklmnopqrstuvwxyz'[Math.floor(r() * 26)]).join('');

interface Schema {
  prefix: string;
  parent: string; child: string; other: string; settings: string;
  code: string; secret: string; note: string; ref: string; token: string; name: string;
}

function schemaFor(seed: number): Schema {
  const r = rng(seed);
  const prefix = `${word(r, 3)}_`;
  return {
    prefix, parent: `${prefix}${word(r, 6)}`, child: `${prefix}${word(r, 7)}`, other: `${prefix}${word(r, 5)}`, settings: `${prefix}${word(r, 8)}`,
    code: `c_${word(r, 4)}`, secret: `s_${word(r, 5)}`, note: `n_${word(r, 4)}`, ref: `r_${word(r, 4)}`, token: `t_${word(r, 6)}`, name: `k_${word(r, 4)}`,
  };
}

function rulesFor(s: Schema): TableScrub[] {
  return [
    { table: s.parent, columns: { [s.code]: ScrubAction.KEYED_HASH, [s.secret]: ScrubAction.NULL, [s.note]: ScrubAction.constant('redacted') } },
    { table: s.child, columns: { [s.ref]: ScrubAction.KEYED_HASH, [s.token]: ScrubAction.NULL } },
    { table: s.settings, deleteWhere: `${ident(s.name)} LIKE 'secret%'` },
  ];
}

describe('golden scrub on generated, non-Dolibarr schemas (PostgreSQL 15)', () => {
  const dir = testTmp('pg-scrub');
  let ns: Namespace;
  let binDir: string;

  beforeAll(async () => {
    binDir = (await findPgTools(15)).binDir;
    ns = await createNamespace(pgServer(15), 'scrub');
  });
  afterAll(async () => {
    await ns?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  async function prodDatabase(s: Schema, label: string): Promise<string> {
    const db = ns.name(label);
    const admin = await ns.admin();
    await admin.exec(`CREATE DATABASE ${ident(db)}`);
    const p = await ns.admin(db);
    const q = ident;
    await p.exec(`
      CREATE TABLE ${q(s.parent)} (id serial PRIMARY KEY, ${q(s.code)} text UNIQUE NOT NULL, ${q(s.secret)} text, ${q(s.note)} text);
      INSERT INTO ${q(s.parent)} (${q(s.code)}, ${q(s.secret)}, ${q(s.note)})
        SELECT 'ORIG-code-' || g, 'ORIG-secret-' || g, CASE WHEN g % 3 = 0 THEN NULL ELSE 'ORIG-note-' || g END FROM generate_series(1, 40) g;
      CREATE TABLE ${q(s.child)} (id serial PRIMARY KEY, ${q(s.ref)} text REFERENCES ${q(s.parent)} (${q(s.code)}), ${q(s.token)} text, amount int);
      INSERT INTO ${q(s.child)} (${q(s.ref)}, ${q(s.token)}, amount) SELECT 'ORIG-code-' || (1 + g % 40), 'ORIG-token-' || g, g FROM generate_series(1, 120) g;
      CREATE TABLE ${q(s.other)} (id int PRIMARY KEY, label text);
      INSERT INTO ${q(s.other)} SELECT g, 'kept-' || g FROM generate_series(1, 10) g;
      CREATE TABLE ${q(s.settings)} (${q(s.name)} text PRIMARY KEY, value text NOT NULL);
      INSERT INTO ${q(s.settings)} VALUES ('secret_api', 'ORIG-api'), ('secret_smtp', 'ORIG-smtp'), ('theme', 'dark');`);
    await p.end();
    return db;
  }

  async function goldenDump(s: Schema, db: string, sql: string, out: string): Promise<ToolResult> {
    const scratch = join(dir, `scratch-${db}`);
    mkdirSync(scratch, { recursive: true });
    const creds = join(dir, `creds-${db}`);
    writeFileSync(creds, `export PGUSER='${ns.server.user}'\nexport PGPASSWORD='${ns.server.password}'\n`, { mode: 0o600 });
    const env: NodeJS.ProcessEnv = {
      PATH: `${binDir}:${process.env.PATH}`, HOME: dir, PGHOST: ns.server.host, PGPORT: String(ns.server.port), PGSSLMODE: 'disable',
      PGDATABASE: db, TIERKIT_CREDENTIALS_FILE: creds, TIERKIT_OBJECT_PREFIX: s.prefix, TIERKIT_DUMP_FILE: out,
      TIERKIT_HASHES_FILE: join(dir, `hashes-${db}`), TIERKIT_SCRATCH_DIR: scratch, TIERKIT_SCRUB_SQL: sql,
    };
    // initdb refuses root: run as `postgres`, as the Job's image does.
    if (process.getuid?.() === 0) {
      execFileSync('chown', ['-R', 'postgres:postgres', dir]);
      return runTool('/usr/bin/setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', '/bin/bash', '-c', GOLDEN_DUMP_SCRIPT], env);
    }
    return runTool('/bin/bash', ['-c', GOLDEN_DUMP_SCRIPT], env);
  }

  async function restored(out: string, label: string) {
    const db = ns.name(label);
    await (await ns.admin()).exec(`CREATE DATABASE ${ident(db)}`);
    const r = await runTool(join(binDir, 'pg_restore'), ['--no-owner', '--exit-on-error', `--dbname=${db}`, out],
      { PATH: process.env.PATH, PGHOST: ns.server.host, PGPORT: String(ns.server.port), PGUSER: ns.server.user, PGPASSWORD: ns.server.password });
    expect(r.stderr).toBe('');
    return ns.admin(db);
  }

  for (const seed of [20261126, 7]) {
    it(`seed ${seed}: no original value of a scrubbed column survives, keyed hashes keep every join and foreign key, the rest is untouched`, async () => {
      const s = schemaFor(seed);
      const db = await prodDatabase(s, `prod${seed}`);
      const out = join(dir, `golden-${seed}.dump`);
      const r = await goldenDump(s, db, scrubSql(rulesFor(s)), out);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const c = await restored(out, `copy${seed}`);
      const q = ident;
      const all = await c.query<{ t: string }>(`SELECT string_agg(t, E'\\n') AS t FROM (
        SELECT x::text AS t FROM ${q(s.parent)} x UNION ALL SELECT x::text FROM ${q(s.child)} x UNION ALL SELECT x::text FROM ${q(s.settings)} x) u`);
      expect(all[0].t).not.toMatch(/ORIG-/);
      const [parent] = await c.query(`SELECT count(*)::int AS n, count(${q(s.secret)})::int AS secrets,
        count(DISTINCT ${q(s.code)})::int AS codes, bool_and(${q(s.code)} ~ '^[0-9a-f]{64}$') AS hashed,
        count(*) FILTER (WHERE ${q(s.note)} = 'redacted')::int AS redacted, count(*) FILTER (WHERE ${q(s.note)} IS NULL)::int AS nulls FROM ${q(s.parent)}`);
      expect(parent).toEqual({ n: 40, secrets: 0, codes: 40, hashed: true, redacted: 27, nulls: 13 });
      // Every child still joins its parent through the hashed key (120 rows, 3 per parent).
      const [joined] = await c.query(`SELECT count(*)::int AS n FROM ${q(s.child)} x JOIN ${q(s.parent)} p ON p.${q(s.code)} = x.${q(s.ref)}`);
      expect(joined).toEqual({ n: 120 });
      expect(await c.query(`SELECT count(${q(s.token)})::int AS n, sum(amount)::int AS total FROM ${q(s.child)}`)).toEqual([{ n: 0, total: 7260 }]);
      expect(await c.query(`SELECT ${q(s.name)} AS k, value FROM ${q(s.settings)}`)).toEqual([{ k: 'theme', value: 'dark' }]);
      expect(await c.query(`SELECT count(*)::int AS n, min(label) AS first FROM ${q(s.other)}`)).toEqual([{ n: 10, first: 'kept-1' }]);
    });
  }

  it('refuses to publish a golden whose scrub rules no longer match the schema, or whose delete orphans rows', async () => {
    const s = schemaFor(99);
    const db = await prodDatabase(s, 'prod99');
    const out = join(dir, 'golden-99.dump');
    const renamed = scrubSql([{ table: s.parent, columns: { [`${s.secret}_old`]: ScrubAction.NULL } }]);
    let r = await goldenDump(s, db, renamed, out);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(new RegExp(`scrub: table .*${s.parent}.* has no column ${s.secret}_old: the scrub rules no longer match the schema`));
    expect(existsSync(out)).toBe(false);
    r = await goldenDump(s, db, scrubSql([{ table: `${s.prefix}missing`, columns: { x: ScrubAction.NULL } }]), out);
    expect(r.stderr).toMatch(/the dump holds no table .*missing/);
    expect(existsSync(out)).toBe(false);
    // Deleting referenced parents leaves children pointing nowhere: the validation refuses the seed.
    r = await goldenDump(s, db, scrubSql([{ table: s.parent, deleteWhere: 'id <= 5' }]), out);
    expect(r.stderr).toMatch(/scrub verification failed: 15 row\(s\) of .* break foreign key/);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a rule that fires during the scrub (ALWAYS, REPLICA); an ordinary rule stays inert and is kept (attack6a H2)', async () => {
    // Rules, not triggers: pg_dump --table dumps no function, so a table trigger's function never
    // reaches the throwaway server (its restore fails); a rule is plain SQL and is restored.
    const s = schemaFor(98);
    const q = ident;
    const sql = scrubSql([{ table: s.parent, columns: { [s.secret]: ScrubAction.NULL } }, { table: s.child, deleteWhere: 'amount > 100' }]);
    const out = join(dir, 'golden-98.dump');
    const rules = (enable: string) => `CREATE TABLE ${q(s.other + '_log')} (v text);
      CREATE RULE keep AS ON UPDATE TO ${q(s.parent)} DO ALSO INSERT INTO ${q(s.other + '_log')} VALUES (OLD.${q(s.secret)});
      CREATE RULE copy AS ON DELETE TO ${q(s.child)} DO ALSO INSERT INTO ${q(s.other + '_log')} VALUES (OLD.${q(s.token)});
      ${enable}`;
    // Ordinary rules (ENABLE ORIGIN) do not fire under session_replication_role = replica.
    let db = await prodDatabase(s, 'prod98a');
    let p = await ns.admin(db);
    await p.exec(rules(''));
    await p.end();
    let r = await goldenDump(s, db, sql, out);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const c = await restored(out, 'restored98a');
    expect(await c.query(`SELECT count(*)::int AS n FROM ${q(s.other + '_log')}`)).toEqual([{ n: 0 }]);
    expect(await c.query(`SELECT count(*)::int AS n FROM pg_rewrite WHERE rulename IN ('keep', 'copy')`)).toEqual([{ n: 2 }]);
    await c.end();
    rmSync(out, { force: true });
    // ENABLE ALWAYS on one, ENABLE REPLICA on the other: both named, nothing written.
    db = await prodDatabase(s, 'prod98b');
    p = await ns.admin(db);
    await p.exec(rules(`ALTER TABLE ${q(s.parent)} ENABLE ALWAYS RULE keep; ALTER TABLE ${q(s.child)} ENABLE REPLICA RULE copy;`));
    await p.end();
    r = await goldenDump(s, db, sql, out);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/scrub refused: rule copy on .*, rule keep on .* fire\(s\) during the masking/);
    expect(existsSync(out)).toBe(false);
  });
});
