// Issue 22: the seed producers as rendered in dist/, run end to end on real PostgreSQL 15. The
// example estate (with a sanitized profile on erp) is synthesized; each producer's CronJob is read
// back from dist/ and its produce step run exactly as rendered — its command and every env var, the
// pod's mount paths mapped under a scratch root — with what the pod would mount: the golden and its
// published hashes (as the Vault agent renders them) for the sanitized producer, the SQL ConfigMap
// for the synthetic one. The seeds are restored into the real server and queried.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadAll } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Estate, Generalize, ScrubAction } from '../../constructs';
import { synthesize } from '../../constructs/synth/synthesize';
import exampleEstate from '../../environments';
import { testTmp } from '../setup/tmpdir';
import { createNamespace, ident, pgServer, type Namespace } from './support/db';
import { findPgTools, runTool, type ToolResult } from './support/pgtools';

function withProfile(estate: Estate): Estate {
  (estate.node.tryFindChild('erp') as any).sanitized = [{
    name: 'accounts',
    tables: [
      { table: 'llx_societe', columns: { nom: ScrubAction.KEYED_HASH, email: ScrubAction.NULL, zip: Generalize.prefix(2) }, deleteWhere: "status = 'closed'" },
      { table: 'llx_facture', sampleShare: 0.5, columns: { fk_soc: ScrubAction.KEYED_HASH } },
    ],
    kAnonymity: [{ table: 'llx_societe', quasiIdentifiers: ['zip'], k: 2 }],
  }];
  return estate;
}

const files = synthesize(withProfile(exampleEstate())).files;
const docs = (rel: string) => (loadAll(String(files.get(rel))) as any[]).filter((d) => d !== null);
const cronJob = (rel: string, name: string) => docs(rel).find((d) => d.kind === 'CronJob' && d.metadata.name === name);
const pod = (o: any) => o.spec.jobTemplate.spec.template.spec;

describe('seed producers as rendered, run on PostgreSQL 15', () => {
  const dir = testTmp('pg-seed-producers');
  let ns: Namespace;
  let binDir: string;

  beforeAll(async () => {
    binDir = (await findPgTools(15)).binDir;
    ns = await createNamespace(pgServer(15), 'prod');
    mkdirSync(dir, { recursive: true });
  });
  afterAll(async () => {
    await ns?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });
  const login = () => ({ PGHOST: ns.server.host, PGPORT: String(ns.server.port), PGUSER: ns.server.user, PGPASSWORD: ns.server.password });

  /** A path of the pod, under this run's root (the mounts: /seeds, /golden, /scratch, /tmp, /vault/secrets, /seed-sql). */
  const at = (root: string, p: string) => join(root, p);

  /** Run the CronJob's produce step as rendered: its command, its env (paths under `root`), nothing else from the host. */
  async function produce(o: any, step: string, root: string): Promise<{ r: ToolResult; env: Record<string, string> }> {
    const c = pod(o).initContainers.find((x: any) => x.name === step);
    const env: Record<string, string> = {};
    for (const v of c.env) env[v.name] = typeof v.value === 'string' && v.value.startsWith('/') ? at(root, v.value) : v.value;
    for (const m of c.volumeMounts) mkdirSync(at(root, m.mountPath), { recursive: true });
    const run = { ...env, PATH: `${binDir}:${process.env.PATH}`, HOME: root };
    // initdb refuses root: run as `postgres`, as the pinned image's user 999 does.
    if (process.getuid?.() === 0) {
      execFileSync('chown', ['-R', 'postgres:postgres', root]);
      return { r: await runTool('/usr/bin/setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', ...c.command], run), env };
    }
    return { r: await runTool(c.command[0], c.command.slice(1), run), env };
  }

  async function restored(dump: string, label: string) {
    const db = ns.name(label);
    await (await ns.admin()).exec(`CREATE DATABASE ${ident(db)}`);
    const r = await runTool(join(binDir, 'pg_restore'), ['--no-owner', '--exit-on-error', `--dbname=${db}`, dump], { PATH: process.env.PATH, ...login() });
    expect(r.stderr).toBe('');
    return ns.admin(db);
  }

  it('the sanitized producer makes its seed from the golden: masked, sampled along its keys, verified, hashed', async () => {
    // A golden as the golden dump publishes it: prod-shaped rows (credentials already scrubbed), dumped by pg_dump 15.
    const db = ns.name('golden');
    await (await ns.admin()).exec(`CREATE DATABASE ${ident(db)}`);
    const p = await ns.admin(db);
    await p.exec(`
      CREATE TABLE llx_societe (rowid int PRIMARY KEY, nom text UNIQUE NOT NULL, email text, zip text, status text);
      INSERT INTO llx_societe SELECT g, 'LIVE-name-' || g, 'LIVE-mail-' || g || '@customer.example', (CASE WHEN g % 2 = 0 THEN '75' ELSE '69' END) || lpad(g::text, 3, '0'),
        CASE WHEN g % 10 = 0 THEN 'closed' ELSE 'open' END FROM generate_series(1, 120) g;
      CREATE TABLE llx_facture (rowid int PRIMARY KEY, fk_soc text NOT NULL REFERENCES llx_societe (nom), total int);
      INSERT INTO llx_facture SELECT g, 'LIVE-name-' || (1 + g % 120), g FROM generate_series(1, 400) g WHERE (1 + g % 120) % 10 <> 0;`);
    await p.end();
    const o = cronJob('k8s/prod/erp.k8s.yaml', 'erp-seed-sanitized-accounts');
    const root = join(dir, 'sanitized');
    const golden = at(root, '/golden/seed.dump');
    mkdirSync(dirname(golden), { recursive: true });
    const dumped = await runTool(join(binDir, 'pg_dump'), ['--format=custom', '--no-owner', '--no-acl', '--table=llx_*', `--file=${golden}`, db], { PATH: process.env.PATH, ...login() });
    expect(dumped.stderr).toBe('');
    // What the Vault agent renders from the golden's published hashes (the pod's only Vault secret).
    const hashes = at(root, '/vault/secrets/seed');
    mkdirSync(dirname(hashes), { recursive: true });
    writeFileSync(hashes, `file_sha256=${createHash('sha256').update(readFileSync(golden)).digest('hex')}\ncontent_sha256=${'0'.repeat(64)}\n`);

    const { r, env } = await produce(o, 'sanitize', root);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(env.PGHOST).toBeUndefined(); // it never connects to a live server
    const published = readFileSync(env.TIERKIT_HASHES_FILE, 'utf8');
    const file = createHash('sha256').update(readFileSync(env.TIERKIT_DUMP_FILE)).digest('hex');
    expect(published).toMatch(new RegExp(`^file_sha256=${file}\ncontent_sha256=[0-9a-f]{64}\n$`));

    const c = await restored(env.TIERKIT_DUMP_FILE, 'sanitized');
    const [all] = await c.query<{ t: string }>("SELECT string_agg(t, E'\\n') AS t FROM (SELECT x::text AS t FROM llx_societe x UNION ALL SELECT x::text FROM llx_facture x) u");
    expect(all.t).not.toMatch(/LIVE-/);
    const [s] = await c.query(`SELECT count(*)::int AS n, count(email)::int AS mails, bool_and(nom ~ '^[0-9a-f]{64}$') AS hashed,
      bool_and(length(zip) = 2) AS zips, count(*) FILTER (WHERE status = 'closed')::int AS closed FROM llx_societe`);
    expect(s).toMatchObject({ n: 108, mails: 0, hashed: true, zips: true, closed: 0 });
    const [f] = await c.query(`SELECT count(*)::int AS n, (SELECT count(*)::int FROM llx_facture x JOIN llx_societe s ON s.nom = x.fk_soc) AS joined FROM llx_facture`);
    expect(f.joined).toBe(f.n);
    expect(f.n).toBeGreaterThan(50);
    expect(f.n).toBeLessThan(360);
    expect(await c.query("SELECT count(*)::int AS n, bool_and(convalidated) AS valid FROM pg_constraint WHERE contype = 'f'")).toEqual([{ n: 1, valid: true }]);
    await c.end();
  });

  it('the sanitized producer refuses a golden whose hash is not the published one, and writes nothing', async () => {
    const o = cronJob('k8s/prod/erp.k8s.yaml', 'erp-seed-sanitized-accounts');
    const root = join(dir, 'sanitized-swapped');
    mkdirSync(at(root, '/golden'), { recursive: true });
    mkdirSync(at(root, '/vault/secrets'), { recursive: true });
    writeFileSync(at(root, '/golden/seed.dump'), 'PGDMP attacker');
    writeFileSync(at(root, '/vault/secrets/seed'), `file_sha256=${'a'.repeat(64)}\ncontent_sha256=${'0'.repeat(64)}\n`);
    const { r, env } = await produce(o, 'sanitize', root);
    expect(r.code).toBe(6);
    expect(() => readFileSync(env.TIERKIT_DUMP_FILE)).toThrow();
    expect(() => readFileSync(env.TIERKIT_HASHES_FILE)).toThrow();
  });

  it('the synthetic producer makes its seed from the generator\'s SQL only: no live row, every key valid, the same content hash on every run', async () => {
    const o = cronJob('k8s/ci/crm-ci.k8s.yaml', 'crm-ci-seed-synthetic-v1');
    const sql = docs('k8s/ci/crm-ci.k8s.yaml').find((d) => d.kind === 'ConfigMap' && d.metadata.name === 'crm-ci-seed-synthetic-v1-sql').data['seed.sql'];
    const hashes: string[] = [];
    for (const run of ['one', 'two']) {
      const root = join(dir, `synthetic-${run}`);
      mkdirSync(at(root, '/seed-sql'), { recursive: true });
      writeFileSync(at(root, '/seed-sql/seed.sql'), sql);
      const { r, env } = await produce(o, 'synthetic-seed', root);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(Object.keys(env).filter((k) => k.startsWith('PG'))).toEqual([]);
      hashes.push(readFileSync(env.TIERKIT_HASHES_FILE, 'utf8').split('\n')[1]);
      if (run === 'two') continue;
      const c = await restored(env.TIERKIT_DUMP_FILE, 'synthetic');
      // Exactly the generator's rows: its counts, its reserved e-mail domain, nothing else.
      expect(await c.query(`SELECT (SELECT count(*)::int FROM crm_account) AS accounts, (SELECT count(*)::int FROM crm_contact) AS contacts,
        (SELECT count(*)::int FROM crm_deal) AS deals, (SELECT bool_and(email LIKE '%@example.test') FROM crm_contact) AS reserved`))
        .toEqual([{ accounts: 50, contacts: 200, deals: 300, reserved: true }]);
      expect(await c.query("SELECT count(*)::int AS n, bool_and(convalidated) AS valid FROM pg_constraint WHERE contype = 'f'")).toEqual([{ n: 3, valid: true }]);
      await c.end();
    }
    expect(hashes[0]).toMatch(/^content_sha256=[0-9a-f]{64}$/);
    expect(hashes[1]).toBe(hashes[0]);
  });
});
