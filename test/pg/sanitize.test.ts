// Issue 22: sanitized profiles on a schema whose names come from a seed (nothing tuned to the
// example apps). A golden is dumped from a real PostgreSQL 15 database and its hash published; the
// very script a producer runs restores it into a throwaway server, samples (following foreign
// keys), masks and generalizes, checks k-anonymity, verifies and dumps. The seed is restored and
// queried for every original value; a seed that misses its k, a golden whose hash is not the
// published one, and a profile that no longer matches the schema are refused, and nothing is written.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANITIZE_SCRIPT } from '../../constructs/lifecycle';
import { Generalize, SanitizedProfileSpec, sanitizeSql } from '../../constructs/sanitize';
import { ScrubAction } from '../../constructs/scrub';
import { testTmp } from '../setup/tmpdir';
import { createNamespace, ident, pgServer, type Namespace } from './support/db';
import { findPgTools, runTool, type ToolResult } from './support/pgtools';

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
  return { prefix, person: `${prefix}${w(6)}`, order: `${prefix}${w(7)}`, note: `${prefix}${w(5)}`, code: `c_${w(4)}`, who: `n_${w(4)}`, mail: `m_${w(4)}`, zip: `z_${w(3)}`, born: `b_${w(3)}`, sex: `g_${w(3)}`, ref: `r_${w(4)}` };
}
type Names = ReturnType<typeof names>;

function profile(n: Names, k: number): SanitizedProfileSpec {
  return {
    name: 'people-2026q3',
    tables: [
      { table: n.person, sampleShare: 0.5, columns: { [n.code]: ScrubAction.KEYED_HASH, [n.who]: ScrubAction.constant('redacted'), [n.mail]: ScrubAction.NULL, [n.zip]: Generalize.prefix(2), [n.born]: Generalize.YEAR } },
      { table: n.order, columns: { [n.ref]: ScrubAction.KEYED_HASH } },
    ],
    kAnonymity: [{ table: n.person, quasiIdentifiers: [n.zip, n.born, n.sex], k }],
  };
}

describe('sanitized profiles on generated schemas (PostgreSQL 15)', () => {
  const dir = testTmp('pg-sanitize');
  let ns: Namespace;
  let binDir: string;

  beforeAll(async () => {
    binDir = (await findPgTools(15)).binDir;
    ns = await createNamespace(pgServer(15), 'sanit');
    mkdirSync(dir, { recursive: true });
  });
  afterAll(async () => {
    await ns?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  const login = () => ({ PGHOST: ns.server.host, PGPORT: String(ns.server.port), PGUSER: ns.server.user, PGPASSWORD: ns.server.password });

  /** A golden of 200 people (two postal areas, two birth years, two genders), 600 orders, 900 notes; its hashes published. */
  async function golden(n: Names, label: string): Promise<{ dump: string; hashes: string }> {
    const db = ns.name(label);
    await (await ns.admin()).exec(`CREATE DATABASE ${ident(db)}`);
    const p = await ns.admin(db);
    const q = ident;
    await p.exec(`
      CREATE TABLE ${q(n.person)} (id int PRIMARY KEY, ${q(n.code)} text UNIQUE NOT NULL, ${q(n.who)} text, ${q(n.mail)} text, ${q(n.zip)} text, ${q(n.born)} date, ${q(n.sex)} text);
      INSERT INTO ${q(n.person)} SELECT g, 'ORIG-code-' || g, 'ORIG-name-' || g, 'ORIG-mail-' || g || '@corp.example',
        (CASE WHEN g % 2 = 0 THEN '75' ELSE '69' END) || lpad((g * 7 % 1000)::text, 3, '0'),
        make_date(CASE WHEN g % 4 < 2 THEN 1980 ELSE 1991 END, 1 + g % 12, 1 + g % 28), CASE WHEN g % 8 < 4 THEN 'f' ELSE 'm' END
      FROM generate_series(1, 200) g;
      CREATE TABLE ${q(n.order)} (id int PRIMARY KEY, ${q(n.ref)} text NOT NULL REFERENCES ${q(n.person)} (${q(n.code)}), amount int);
      INSERT INTO ${q(n.order)} SELECT g, 'ORIG-code-' || (1 + g % 200), g FROM generate_series(1, 600) g;
      CREATE TABLE ${q(n.note)} (id int PRIMARY KEY, order_id int REFERENCES ${q(n.order)} (id), body text);
      INSERT INTO ${q(n.note)} SELECT g, 1 + g % 600, 'kept' FROM generate_series(1, 900) g;`);
    await p.end();
    const dump = join(dir, `${label}.golden.dump`);
    const r = await runTool(join(binDir, 'pg_dump'), ['--format=custom', '--no-owner', '--no-acl', `--table=${n.prefix}*`, `--file=${dump}`, db], { PATH: process.env.PATH, ...login() });
    expect(r.stderr).toBe('');
    const hashes = join(dir, `${label}.golden.hashes`);
    writeFileSync(hashes, `file_sha256=${createHash('sha256').update(readFileSync(dump)).digest('hex')}\ncontent_sha256=${'0'.repeat(64)}\n`);
    return { dump, hashes };
  }

  async function sanitize(n: Names, label: string, g: { dump: string; hashes: string }, sql: string): Promise<{ r: ToolResult; dump: string; hashesFile: string }> {
    const scratch = join(dir, `scratch-${label}`);
    mkdirSync(scratch, { recursive: true });
    const dump = join(dir, `${label}.dump`);
    const hashesFile = join(dir, `${label}.hashes`);
    const env = {
      PATH: `${binDir}:${process.env.PATH}`, HOME: dir, TIERKIT_GOLDEN_DUMP_FILE: g.dump, TIERKIT_GOLDEN_HASH_FILE: g.hashes, TIERKIT_SANITIZE_SQL: sql,
      TIERKIT_SCRATCH_DIR: scratch, TIERKIT_DUMP_FILE: dump, TIERKIT_HASHES_FILE: hashesFile, TIERKIT_OBJECT_PREFIX: n.prefix,
    };
    // initdb refuses root: run as `postgres`, as a producer's image does.
    if (process.getuid?.() === 0) {
      execFileSync('chown', ['-R', 'postgres:postgres', dir]);
      return { r: await runTool('/usr/bin/setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', '/bin/bash', '-c', SANITIZE_SCRIPT], env), dump, hashesFile };
    }
    return { r: await runTool('/bin/bash', ['-c', SANITIZE_SCRIPT], env), dump, hashesFile };
  }

  async function restored(dump: string, label: string) {
    const db = ns.name(label);
    await (await ns.admin()).exec(`CREATE DATABASE ${ident(db)}`);
    const r = await runTool(join(binDir, 'pg_restore'), ['--no-owner', '--exit-on-error', `--dbname=${db}`, dump], { PATH: process.env.PATH, ...login() });
    expect(r.stderr).toBe('');
    return ns.admin(db);
  }

  it('masks every original, generalizes to the declared k, samples the same rows on every run, and keeps every foreign key', async () => {
    const n = names(20261126);
    const g = await golden(n, 'gold1');
    const sql = sanitizeSql(profile(n, 3));
    const one = await sanitize(n, 'one', g, sql);
    expect(one.r.stderr).toBe('');
    expect(one.r.code).toBe(0);
    expect(readFileSync(one.hashesFile, 'utf8')).toMatch(/^file_sha256=[0-9a-f]{64}\ncontent_sha256=[0-9a-f]{64}\n$/);
    const c = await restored(one.dump, 'seed1');
    const q = ident;
    const [all] = await c.query<{ t: string }>(`SELECT string_agg(t, E'\\n') AS t FROM (SELECT x::text AS t FROM ${q(n.person)} x UNION ALL SELECT x::text FROM ${q(n.order)} x) u`);
    expect(all.t).not.toMatch(/ORIG-/);
    const [p] = await c.query(`SELECT count(*)::int AS n, count(${q(n.mail)})::int AS mails, bool_and(${q(n.who)} = 'redacted') AS redacted,
      bool_and(${q(n.code)} ~ '^[0-9a-f]{64}$') AS hashed, bool_and(length(${q(n.zip)}) = 2) AS zips,
      bool_and(extract(doy FROM ${q(n.born)}) = 1) AS years FROM ${q(n.person)}`);
    expect(p).toMatchObject({ mails: 0, redacted: true, hashed: true, zips: true, years: true });
    expect(p.n).toBeGreaterThan(60);
    expect(p.n).toBeLessThan(140);
    // The smallest group over the quasi-identifiers is at least k.
    const [k] = await c.query(`SELECT min(n)::int AS smallest FROM (SELECT count(*) AS n FROM ${q(n.person)} GROUP BY ${q(n.zip)}, ${q(n.born)}, ${q(n.sex)}) g`);
    expect(k.smallest).toBeGreaterThanOrEqual(3);
    // Sampling followed the keys: every order joins a kept person through the hashed code; every note its order.
    const [j] = await c.query(`SELECT (SELECT count(*)::int FROM ${q(n.order)}) AS orders,
      (SELECT count(*)::int FROM ${q(n.order)} o JOIN ${q(n.person)} x ON x.${q(n.code)} = o.${q(n.ref)}) AS joined,
      (SELECT count(*)::int FROM ${q(n.note)}) AS notes, (SELECT count(*)::int FROM ${q(n.note)} t JOIN ${q(n.order)} o ON o.id = t.order_id) AS notes_joined`);
    expect(j.joined).toBe(j.orders);
    expect(j.notes_joined).toBe(j.notes);
    expect(j.orders).toBeGreaterThan(0);
    expect(j.orders).toBeLessThan(600);
    expect(await c.query(`SELECT count(*)::int AS n, bool_and(convalidated) AS valid FROM pg_constraint WHERE contype = 'f'`)).toEqual([{ n: 2, valid: true }]);
    const ids = await c.query(`SELECT string_agg(id::text, ',' ORDER BY id) AS ids FROM ${q(n.person)}`);
    await c.end();
    // The same golden, the same sample (the keyed hashes differ: their key is drawn per run and never stored).
    const two = await sanitize(n, 'two', g, sql);
    expect(two.r.code).toBe(0);
    const c2 = await restored(two.dump, 'seed2');
    expect(await c2.query(`SELECT string_agg(id::text, ',' ORDER BY id) AS ids FROM ${q(n.person)}`)).toEqual(ids);
    await c2.end();
  });

  it('refuses to publish when the declared k is not met, and writes nothing', async () => {
    const n = names(7);
    const g = await golden(n, 'gold2');
    const out = await sanitize(n, 'k', g, sanitizeSql(profile(n, 40)));
    expect(out.r.code).not.toBe(0);
    expect(out.r.stderr).toMatch(new RegExp(`sanitized seed refused: k-anonymity not met on .*${n.person}.* over \\(${n.zip}, ${n.born}, ${n.sex}\\): \\d+ group\\(s\\) of fewer than 40 rows`));
    expect(existsSync(out.dump)).toBe(false);
    expect(existsSync(out.hashesFile)).toBe(false);
    // Without the generalization the groups are single rows: k = 2 fails too.
    const raw = profile(n, 2);
    const ungeneralized: SanitizedProfileSpec = { ...raw, tables: [{ ...raw.tables[0], columns: { [n.code]: ScrubAction.KEYED_HASH } }, raw.tables[1]] };
    const out2 = await sanitize(n, 'k2', g, sanitizeSql(ungeneralized));
    expect(out2.r.stderr).toMatch(/k-anonymity not met/);
    expect(existsSync(out2.dump)).toBe(false);
  });

  it('refuses a golden whose sha256 is not the published one, and a profile that no longer matches the schema', async () => {
    const n = names(99);
    const g = await golden(n, 'gold3');
    writeFileSync(g.hashes, `file_sha256=${'a'.repeat(64)}\ncontent_sha256=${'0'.repeat(64)}\n`);
    const swapped = await sanitize(n, 'swap', g, sanitizeSql(profile(n, 3)));
    expect(swapped.r.code).toBe(6);
    expect(swapped.r.stderr).toMatch(/sanitized seed refused: the golden .* has sha256 [0-9a-f]{64}, its producer published a{64}/);
    expect(existsSync(swapped.dump)).toBe(false);
    writeFileSync(g.hashes, `file_sha256=${createHash('sha256').update(readFileSync(g.dump)).digest('hex')}\n`);
    const renamed = await sanitize(n, 'renamed', g, sanitizeSql({ name: 'x', tables: [{ table: n.person, columns: { [`${n.mail}_old`]: ScrubAction.NULL } }] }));
    expect(renamed.r.stderr).toMatch(new RegExp(`sanitize: table .*${n.person}.* has no column ${n.mail}_old: the profile no longer matches the schema`));
    expect(existsSync(renamed.dump)).toBe(false);
  });
});
