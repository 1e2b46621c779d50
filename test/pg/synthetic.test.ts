// Issue 22: deterministic synthetic seeds. A generator spec on a schema whose table and column names
// come from a seed (nothing tuned to the example apps) is written to SQL by tierkit, loaded, checked
// and dumped by the very script `tierkit seed generate --dump` runs (a throwaway PostgreSQL 15),
// twice; the dump restores into the real test server, every foreign key holds, and the restored
// content hash (what the reset verifies) is the one both runs published.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTENT_HASH_SCRIPT, SYNTHETIC_SEED_SCRIPT } from '../../constructs/lifecycle';
import { FakeKind, SyntheticColumn, SyntheticSeedSpec, syntheticIssues, syntheticSql } from '../../constructs/synthetic';
import { testTmp } from '../setup/tmpdir';
import { createNamespace, ident, pgServer, type Namespace } from './support/db';
import { findPgTools, runTool, type ToolResult } from './support/pgtools';

/** Names from a small seeded generator (mulberry32). */
function names(seed: number) {
  let a = seed >>> 0;
  const r = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const w = (n: number) => Array.from({ length: n }, () => 'abcdefghijklmnopqrstuvwxyz'[Math.floor(r() * 26)]).join('');
  const prefix = `${w(3)}_`;
  return { prefix, parent: `${prefix}${w(6)}`, child: `${prefix}${w(7)}`, grand: `${prefix}${w(5)}`, code: `c_${w(4)}`, who: `p_${w(5)}`, mail: `m_${w(4)}`, status: `s_${w(4)}`, qty: `q_${w(3)}` };
}

function specFor(seed: number, reversed = false): { spec: SyntheticSeedSpec; n: ReturnType<typeof names> } {
  const n = names(seed);
  const q = ident;
  const cols = <T extends Record<string, SyntheticColumn>>(c: T): T => (reversed ? Object.fromEntries(Object.entries(c).reverse()) as T : c);
  return {
    n,
    spec: {
      version: 'v1', seed,
      schema: `CREATE TABLE ${q(n.parent)} (id int PRIMARY KEY, ${q(n.code)} text UNIQUE NOT NULL, ${q(n.who)} text NOT NULL, ${q(n.mail)} text UNIQUE);
CREATE TABLE ${q(n.child)} (id int PRIMARY KEY, parent_id int NOT NULL REFERENCES ${q(n.parent)} (id), ${q(n.status)} text, ${q(n.qty)} int CHECK (${q(n.qty)} BETWEEN 1 AND 9));
CREATE TABLE ${q(n.grand)} (id int PRIMARY KEY, child_id int REFERENCES ${q(n.child)} (id), parent_code text REFERENCES ${q(n.parent)} (${q(n.code)}));`,
      tables: [
        { table: n.parent, rows: 60, columns: cols({ id: SyntheticColumn.sequence(), [n.code]: SyntheticColumn.sequence(1000), [n.who]: SyntheticColumn.fake(FakeKind.FULL_NAME), [n.mail]: SyntheticColumn.fake(FakeKind.EMAIL) }) },
        { table: n.child, rows: 700, columns: cols({ id: SyntheticColumn.sequence(), parent_id: SyntheticColumn.reference(n.parent, 'id'), [n.status]: SyntheticColumn.pick(['open', "it's paid", 'void']), [n.qty]: SyntheticColumn.integer(1, 9) }) },
        { table: n.grand, rows: 1200, columns: cols({ id: SyntheticColumn.sequence(), child_id: SyntheticColumn.reference(n.child, 'id'), parent_code: SyntheticColumn.reference(n.parent, n.code) }) },
      ],
    },
  };
}

describe('synthetic seeds: deterministic generator, real PostgreSQL 15', () => {
  const dir = testTmp('pg-synthetic');
  let ns: Namespace;
  let binDir: string;

  beforeAll(async () => {
    binDir = (await findPgTools(15)).binDir;
    ns = await createNamespace(pgServer(15), 'synth');
    mkdirSync(dir, { recursive: true });
  });
  afterAll(async () => {
    await ns?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  async function script(text: string, env: NodeJS.ProcessEnv): Promise<ToolResult> {
    const all = { PATH: `${binDir}:${process.env.PATH}`, HOME: dir, ...env };
    // initdb refuses root: run as `postgres`, as the Job's image does.
    if (process.getuid?.() === 0) {
      execFileSync('chown', ['-R', 'postgres:postgres', dir]);
      return runTool('/usr/bin/setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', '/bin/bash', '-c', text], all);
    }
    return runTool('/bin/bash', ['-c', text], all);
  }

  async function produce(label: string, sql: string, prefix: string): Promise<{ r: ToolResult; dump: string; hashes: Record<string, string> }> {
    const sqlFile = join(dir, `${label}.sql`);
    writeFileSync(sqlFile, sql);
    const scratch = join(dir, `scratch-${label}`);
    mkdirSync(scratch, { recursive: true });
    const dump = join(dir, `${label}.dump`);
    const hashesFile = join(dir, `${label}.hashes`);
    const r = await script(SYNTHETIC_SEED_SCRIPT, {
      TIERKIT_SEED_SQL_FILE: sqlFile, TIERKIT_SCRATCH_DIR: scratch, TIERKIT_DUMP_FILE: dump, TIERKIT_HASHES_FILE: hashesFile, TIERKIT_OBJECT_PREFIX: prefix,
    });
    const hashes = existsSync(hashesFile)
      ? Object.fromEntries(readFileSync(hashesFile, 'utf8').trim().split('\n').map((l) => l.split('=') as [string, string])) : {};
    return { r, dump, hashes };
  }

  it('the same spec gives byte-identical SQL, whatever the column order; another seed gives other rows', () => {
    const a = syntheticSql('x', specFor(20261126).spec);
    expect(syntheticSql('x', specFor(20261126).spec)).toBe(a);
    expect(syntheticSql('x', specFor(20261126, true).spec)).toBe(a);
    const { spec } = specFor(20261126);
    expect(syntheticSql('x', { ...spec, seed: 1 })).not.toBe(a);
    expect(syntheticIssues('E/x', specFor(20261126).n.prefix, spec)).toEqual([]);
  });

  for (const seed of [20261126, 7]) {
    it(`seed ${seed}: two runs publish the same content hash; the dump restores with every foreign key holding and that content hash`, async () => {
      const { spec, n } = specFor(seed);
      const sql = syntheticSql('x', spec);
      const one = await produce(`one-${seed}`, sql, n.prefix);
      expect(one.r.stderr).toBe('');
      expect(one.r.code).toBe(0);
      const two = await produce(`two-${seed}`, syntheticSql('x', specFor(seed, true).spec), n.prefix);
      expect(two.r.code).toBe(0);
      expect(one.hashes.content_sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(two.hashes.content_sha256).toBe(one.hashes.content_sha256);

      const db = ns.name(`restored${seed}`);
      await (await ns.admin()).exec(`CREATE DATABASE ${ident(db)}`);
      const login = { PGHOST: ns.server.host, PGPORT: String(ns.server.port), PGUSER: ns.server.user, PGPASSWORD: ns.server.password };
      const restored = await runTool(join(binDir, 'pg_restore'), ['--no-owner', '--exit-on-error', `--dbname=${db}`, one.dump], { PATH: process.env.PATH, ...login });
      expect(restored.stderr).toBe('');
      const c = await ns.admin(db);
      const q = ident;
      expect(await c.query(`SELECT (SELECT count(*)::int FROM ${q(n.parent)}) AS p, (SELECT count(*)::int FROM ${q(n.child)}) AS c, (SELECT count(*)::int FROM ${q(n.grand)}) AS g`))
        .toEqual([{ p: 60, c: 700, g: 1200 }]);
      // The foreign keys came with the dump, are validated, and every row joins.
      expect(await c.query(`SELECT count(*)::int AS n, bool_and(convalidated) AS valid FROM pg_constraint WHERE contype = 'f'`)).toEqual([{ n: 3, valid: true }]);
      expect(await c.query(`SELECT count(*)::int AS n FROM ${q(n.grand)} g JOIN ${q(n.child)} c ON c.id = g.child_id JOIN ${q(n.parent)} p ON p.${q(n.code)} = g.parent_code`)).toEqual([{ n: 1200 }]);
      // Values are what the generators say: emails unique and in the reserved domain, picks from the list.
      const [v] = await c.query(`SELECT count(DISTINCT ${q(n.mail)})::int AS mails, bool_and(${q(n.mail)} LIKE '%@example.test') AS reserved,
        (SELECT array_agg(DISTINCT ${q(n.status)} ORDER BY ${q(n.status)}) FROM ${q(n.child)}) AS statuses FROM ${q(n.parent)}`);
      expect(v).toEqual({ mails: 60, reserved: true, statuses: ["it's paid", 'open', 'void'] });
      await c.end();
      // What the reset computes after restoring is what the producer published.
      const creds = join(dir, `creds-${seed}`);
      writeFileSync(creds, `export PGUSER='${ns.server.user}'\nexport PGPASSWORD='${ns.server.password}'\n`, { mode: 0o600 });
      const h = await script(CONTENT_HASH_SCRIPT, { PGHOST: ns.server.host, PGPORT: String(ns.server.port), PGSSLMODE: 'disable', PGDATABASE: db, TIERKIT_CREDENTIALS_FILE: creds, TIERKIT_OBJECT_PREFIX: n.prefix });
      expect(h.stderr).toBe('');
      expect(h.stdout.trim()).toBe(one.hashes.content_sha256);
    });
  }

  it('refuses a schema that switches its foreign keys off, and writes nothing', async () => {
    const { spec, n } = specFor(99);
    const broken: SyntheticSeedSpec = {
      ...spec,
      schema: `${spec.schema}\nALTER TABLE ${ident(n.child)} DISABLE TRIGGER ALL;`,
      tables: [spec.tables[0], { ...spec.tables[1], columns: { ...spec.tables[1].columns, parent_id: SyntheticColumn.integer(1, 500) } }],
    };
    const out = await produce('broken', syntheticSql('x', broken), n.prefix);
    // The loader is no superuser, so it cannot switch the key's triggers off; were it one, the
    // verification after loading refuses the orphans (exit 7). Either way nothing is written.
    expect(out.r.code).not.toBe(0);
    expect(out.r.stderr).toMatch(new RegExp(`permission denied: "RI_ConstraintTrigger_[a-z0-9_]+" is a system trigger|synthetic seed refused: \\d+ row\\(s\\) of ${n.child} break foreign key`));
    expect(existsSync(out.dump)).toBe(false);
    expect(out.hashes).toEqual({});
  });
  it('runs the declared schema as a role without superuser: a schema that reaches for the OS (COPY TO PROGRAM, server files) is refused', async () => {
    const { spec, n } = specFor(5);
    const marker = join(dir, 'pwned');
    for (const [label, evil] of [
      ['program', `COPY (SELECT 1) TO PROGRAM 'touch ${marker}';`],
      ['file', `CREATE TABLE ${ident(n.prefix + 'loot')} AS SELECT pg_read_file('/etc/hostname') AS v;`],
      // A cast the table's owner may declare on its own row type: whoever later casts a row to text runs it.
      ['cast', `CREATE FUNCTION ${ident(n.prefix + 'evil')}(r ${ident(n.parent)}) RETURNS text LANGUAGE plpgsql AS $f$
BEGIN COPY (SELECT 1) TO PROGRAM 'touch ${marker}'; RETURN 'x'; END $f$;
CREATE CAST (${ident(n.parent)} AS text) WITH FUNCTION ${ident(n.prefix + 'evil')}(${ident(n.parent)});`],
    ] as const) {
      const out = await produce(`evil-${label}`, syntheticSql('x', { ...spec, schema: `${spec.schema}\n${evil}` }), n.prefix);
      expect(out.r.code).not.toBe(0);
      expect(out.r.stderr).toMatch(/permission denied|must be superuser|pg_execute_server_program|pg_read_server_files/);
      expect(existsSync(marker)).toBe(false);
      expect(existsSync(out.dump)).toBe(false);
    }
    expect(existsSync(marker)).toBe(false);
  });
});
