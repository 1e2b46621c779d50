// Reset time, pg_restore vs template clone (issue 19), on a real PostgreSQL 15 (Debian's
// /usr/lib/postgresql/15/bin): the exact script texts of RESET_SCRIPT and TEMPLATE_RESET_SCRIPT,
// each as a plain login of its role. The pg_restore reset hashes what it restored; the template
// reset compares the golden's marker (hashed once, by the golden load) with the seed's hash.
//   npx tsx bench/template-reset.ts [sizeMiB…]     (default: 10 100)
// Prints one Markdown row per size: golden size on disk, dump size, median of 3 runs each, ratio.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONTENT_HASH_SCRIPT, RESET_SCRIPT } from '../constructs/lifecycle/scripts';
import { GOLDEN_TEMPLATE_LOAD_SCRIPT, TEMPLATE_RESET_SCRIPT } from '../constructs/lifecycle/template-reset';

const BIN = process.env.TIERKIT_PG15_BIN || '/usr/lib/postgresql/15/bin';
const RUNS = 3;
const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => ok(p)); });
  });
}

const asPostgres = (args: string[]) => (process.getuid?.() === 0 ? ['/usr/bin/setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', ...args]] : [args[0], args.slice(1)]) as [string, string[]];

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tierkit-bench-reset-'));
  chmodSync(dir, 0o755);
  const data = join(dir, 'data');
  const port = await freePort();
  if (process.getuid?.() === 0) execFileSync('chown', ['postgres:postgres', dir]);
  const [cmd, args] = asPostgres([join(BIN, 'initdb'), `--pgdata=${data}`, '--username=postgres', '--auth=trust', '--encoding=UTF8', '--locale=C']);
  execFileSync(cmd, args, { stdio: 'ignore' });
  const [scmd, sargs] = asPostgres([join(BIN, 'pg_ctl'), `--pgdata=${data}`, `--log=${join(data, 'log')}`, '--wait', '--silent',
    `--options=-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=`, 'start']);
  execFileSync(scmd, sargs);
  const base = { PATH: `${BIN}:${process.env.PATH}`, PGHOST: '127.0.0.1', PGPORT: String(port), PGSSLMODE: 'disable', HOME: dir };
  const psql = (sql: string, db = 'postgres') => execFileSync(join(BIN, 'psql'), ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-U', 'postgres', '-d', db, '-c', sql], { env: base, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  const creds = (user: string) => { const f = join(dir, `creds-${user}`); writeFileSync(f, `export PGUSER=${user}\nexport PGPASSWORD=trust-ignores-it\n`); return f; };
  const env = {
    ...base, TIERKIT_OBJECT_PREFIX: 'llx_', TIERKIT_SEED_HASH_FILE: join(dir, 'seed-hash'), TIERKIT_DUMP_FILE: join(dir, 'seed.dump'),
    TIERKIT_GROUP_ROLE: 'sb_role', TIERKIT_VAULT_CONNECTION_ROLE: 'sb_vault', TIERKIT_TEMPLATE_ROLE: 'sb_template', TIERKIT_DATABASE: 'sb',
    TIERKIT_GOLDEN_DATABASE: 'sb_golden', TIERKIT_CONNECT_ROLES: 'sb_role', TIERKIT_CONNECTION_LIMIT: '20', PGDATABASE: 'sb',
  };
  const script = (text: string, user: string, extra: Record<string, string> = {}) => {
    const t0 = process.hrtime.bigint();
    const r = spawnSync('/bin/bash', ['-c', text], { env: { ...env, TIERKIT_CREDENTIALS_FILE: creds(user), ...extra }, encoding: 'utf8' });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) throw new Error(`${user}: exit ${r.status}: ${r.stderr}`);
    return { ms, out: r.stdout.trim() };
  };
  try {
    for (const sql of [
      'CREATE ROLE sb_role NOLOGIN', 'CREATE ROLE sb_vault NOLOGIN', 'CREATE ROLE sb_template NOLOGIN CREATEDB', 'GRANT sb_role TO sb_template',
      'CREATE ROLE sb_app LOGIN IN ROLE sb_role', 'ALTER ROLE sb_app SET ROLE sb_role', 'CREATE ROLE sb_reset LOGIN IN ROLE sb_template',
      'CREATE DATABASE sb OWNER sb_role CONNECTION LIMIT 20', 'REVOKE ALL ON DATABASE sb FROM PUBLIC', 'REVOKE ALL ON DATABASE sb FROM sb_role',
      'GRANT CONNECT ON DATABASE sb TO sb_role', 'CREATE DATABASE sb_golden OWNER sb_template ALLOW_CONNECTIONS false TEMPLATE template0',
      'REVOKE ALL ON DATABASE sb_golden FROM PUBLIC',
    ]) psql(sql);
    const rows: string[] = [];
    for (const mib of sizes.length ? sizes : [10, 100]) {
      psql('DROP DATABASE IF EXISTS src');
      psql('CREATE DATABASE src');
      // ~170 bytes a row on disk with its index: rows for the requested size.
      const n = Math.round((mib * 1024 * 1024) / 170);
      psql(`CREATE TABLE llx_facture (rowid bigserial PRIMARY KEY, fk_soc int NOT NULL, total numeric(12,2), ref text, note text);
        INSERT INTO llx_facture (fk_soc, total, ref, note) SELECT g % 5000, g * 1.25, 'FA' || lpad(g::text, 10, '0'), md5(g::text) || md5((g * 7)::text) FROM generate_series(1, ${n}) g;
        CREATE INDEX ON llx_facture (fk_soc)`, 'src');
      psql('VACUUM ANALYZE llx_facture', 'src');
      execFileSync(join(BIN, 'pg_dump'), ['-U', 'postgres', '--format=custom', '--no-owner', '--no-acl', '--table=llx_*', `--file=${env.TIERKIT_DUMP_FILE}`, 'src'], { env: base });
      const content = script(CONTENT_HASH_SCRIPT, 'postgres', { PGDATABASE: 'src' }).out;
      const file = execFileSync('sha256sum', [env.TIERKIT_DUMP_FILE], { encoding: 'utf8' }).split(' ')[0];
      writeFileSync(env.TIERKIT_SEED_HASH_FILE, `file_sha256=${file}\ncontent_sha256=${content}\n`);
      const load = script(GOLDEN_TEMPLATE_LOAD_SCRIPT, 'sb_reset');
      const restore: number[] = [];
      const clone: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        restore.push(script(RESET_SCRIPT, 'sb_app').ms);
        clone.push(script(TEMPLATE_RESET_SCRIPT, 'sb_reset').ms);
      }
      // Where the time goes: the content hash both resets end with, and the clone statement alone.
      const hash = script(CONTENT_HASH_SCRIPT, 'postgres').ms;
      const t0 = process.hrtime.bigint();
      psql('CREATE DATABASE bench_clone TEMPLATE sb_golden');
      const cloneOnly = Number(process.hrtime.bigint() - t0) / 1e6;
      psql('DROP DATABASE bench_clone');
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
      const size = psql("SELECT pg_size_pretty(pg_database_size('sb'))");
      const dump = execFileSync('du', ['-h', env.TIERKIT_DUMP_FILE], { encoding: 'utf8' }).split('\t')[0];
      const r = median(restore) / 1000;
      const c = median(clone) / 1000;
      rows.push(`| ~${mib} MiB (${n.toLocaleString('en-US')} rows) | ${size} | ${dump} | ${(load.ms / 1000).toFixed(1)} s | ${r.toFixed(1)} s (${restore.map((x) => (x / 1000).toFixed(1)).join(', ')}) | ${c.toFixed(1)} s (${clone.map((x) => (x / 1000).toFixed(1)).join(', ')}) | ${(r / c).toFixed(1)}× | ${(hash / 1000).toFixed(1)} s | ${(cloneOnly / 1000).toFixed(1)} s |`);
      console.log(rows[rows.length - 1]);
    }
    console.log('\n| golden | database on disk | dump (-Fc) | golden load | pg_restore reset, median (runs) | template reset, median (runs) | ratio | content hash alone | CREATE DATABASE … TEMPLATE alone |\n|---|---|---|---|---|---|---|---|---|');
    for (const r of rows) console.log(r);
  } finally {
    const [tcmd, targs] = asPostgres([join(BIN, 'pg_ctl'), `--pgdata=${data}`, '--mode=fast', '--silent', 'stop']);
    spawnSync(tcmd, targs);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => { console.error(err instanceof Error ? err.message : err); process.exit(1); });
