// What `sslmode=verify-full` with a declared CA buys over `require`, proven on real PostgreSQL with
// libpq's own client (psql): the server gets a certificate signed by a CA generated here (openssl),
// for one DNS name. verify-full with that CA connects over TLS; another CA, or another name for the
// same server, is refused before any password is sent; `require` without a CA connects to anyone.
// The shared test servers get ssl=on by ALTER SYSTEM + reload (ssl is reloadable since PostgreSQL
// 10) and are put back afterwards; their other clients, which do not ask for TLS, are unaffected.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, literal, pgServer, superLogin, type PgMajor, type PgServerInfo } from './support/db';
import { testTmp } from '../setup/tmpdir';
import { LIFECYCLE_SHELL_FUNCTIONS } from '../../constructs/lifecycle/scripts';
import { previewCreateScript, previewDrainScript, previewDropScript } from '../../constructs/lifecycle/preview-scripts';

const MAJORS: PgMajor[] = [15, 18];
/** libpq's client of the major-15 client tools (.ci/run installs them), else the one on PATH. */
const PG15_PSQL = join(process.env.TIERKIT_PG15_BIN ?? '/usr/lib/postgresql/15/bin', 'psql');
const PSQL = existsSync(PG15_PSQL) ? PG15_PSQL : 'psql';

/** A CA, and a server certificate it signs for `dns` only (subjectAltName: libpq checks it, not the CN). */
function certificates(dir: string, dns: string): { ca: string; otherCa: string; cert: string; key: string } {
  mkdirSync(dir, { recursive: true });
  const f = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  for (const ca of ['ca', 'other-ca']) {
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f(`${ca}.key`), '-out', f(`${ca}.pem`), '-days', '2', '-subj', `/CN=tierkit test ${ca}`);
  }
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', `/CN=${dns}`);
  writeFileSync(f('san.ext'), `subjectAltName=DNS:${dns}\n`);
  openssl('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('server.crt'), '-days', '2', '-extfile', f('san.ext'));
  chmodSync(f('server.key'), 0o600); // PostgreSQL refuses a key others can read
  // As root, the servers run as the OS user `postgres` (test/pg/setup/servers.ts): it must own its key.
  if (process.getuid?.() === 0) {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
    for (const file of ['server.key', 'server.crt']) chownSync(f(file), id('-u'), id('-g'));
  }
  return { ca: f('ca.pem'), otherCa: f('other-ca.pem'), cert: f('server.crt'), key: f('server.key') };
}

/** psql (libpq) with a conninfo string: its exit code, what it printed, and why it failed. */
function psql(server: PgServerInfo, conninfo: string): { code: number; out: string; err: string } {
  const r = spawnSync(PSQL, [`${conninfo} port=${server.port} user=${server.user} dbname=postgres connect_timeout=10`, '-XAtc',
    'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()'], { env: { ...process.env, PGPASSWORD: server.password, PGSSLROOTCERT: '' }, encoding: 'utf8' });
  return { code: r.status ?? -1, out: r.stdout.trim(), err: r.stderr };
}

async function setSsl(server: PgServerInfo, files?: { cert: string; key: string }): Promise<void> {
  const s = await connect(server, superLogin(server));
  try {
    if (files) {
      await s.client.query(`ALTER SYSTEM SET ssl_cert_file = ${literal(files.cert)}`);
      await s.client.query(`ALTER SYSTEM SET ssl_key_file = ${literal(files.key)}`);
      await s.client.query('ALTER SYSTEM SET ssl = on');
    } else {
      for (const p of ['ssl', 'ssl_cert_file', 'ssl_key_file']) await s.client.query(`ALTER SYSTEM RESET ${p}`);
    }
    await s.client.query('SELECT pg_reload_conf()');
    // The postmaster applies the reload asynchronously: wait until new sessions see it.
    for (let i = 0; i < 50; i++) {
      const probe = await connect(server, superLogin(server));
      const on = (await probe.client.query('SHOW ssl')).rows[0].ssl;
      await probe.client.end();
      if (on === (files ? 'on' : 'off')) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`ssl did not become ${files ? 'on' : 'off'} after reload`);
  } finally {
    await s.client.end();
  }
}

describe.each(MAJORS)('sslmode=verify-full with the declared CA, PostgreSQL %i', (major) => {
  let server: PgServerInfo;
  let certs: ReturnType<typeof certificates>;

  beforeAll(async () => {
    server = pgServer(major);
    certs = certificates(join(testTmp('pg-verify-full'), `pg${major}-${process.pid}`), 'localhost');
    await setSsl(server, certs);
  });
  afterAll(async () => { if (server) await setSsl(server); });

  it('connects over TLS with the server\'s CA and its certificate\'s name', () => {
    const r = psql(server, `host=localhost sslmode=verify-full sslrootcert=${certs.ca}`);
    expect(r.err).toBe('');
    expect([r.code, r.out]).toEqual([0, 't']);
  });

  it('refuses a server whose certificate another CA signed (an impostor), which sslmode=require accepts', () => {
    const r = psql(server, `host=localhost sslmode=verify-full sslrootcert=${certs.otherCa}`);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/certificate verify failed/);
    // require without a CA (what a connection string without sslrootcert gets) encrypts but does not
    // authenticate the server: an impostor's certificate is accepted. (libpq verifies with
    // sslrootcert even under require — it is the CA, not the mode name, that authenticates.)
    expect(psql(server, 'host=localhost sslmode=require')).toMatchObject({ code: 0, out: 't' });
    expect(psql(server, `host=localhost sslmode=require sslrootcert=${certs.otherCa}`).err).toMatch(/certificate verify failed/);
  });

  // The lifecycle pods' shell functions write the CA their env carries where PGSSLROOTCERT points:
  // without it libpq reads ~/.postgresql/root.crt, whatever the image or a mounted home put there.
  it('the lifecycle scripts trust the CA their env carries (TIERKIT_PG_CA_BASE64), not ~/.postgresql/root.crt', () => {
    const home = join(testTmp('pg-verify-full'), `home-${major}-${process.pid}`);
    mkdirSync(join(home, '.postgresql'), { recursive: true });
    writeFileSync(join(home, '.postgresql', 'root.crt'), readFileSync(certs.otherCa)); // what a home may hold
    const run = (extra: Record<string, string>) => spawnSync('bash', ['-c', `${LIFECYCLE_SHELL_FUNCTIONS}\n${PSQL} -XAtc 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()'`], {
      env: { PATH: process.env.PATH ?? '', HOME: home, PGHOST: 'localhost', PGPORT: String(server.port), PGUSER: server.user, PGPASSWORD: server.password, PGDATABASE: 'postgres', PGSSLMODE: 'verify-full', PGCONNECT_TIMEOUT: '10', ...extra },
      encoding: 'utf8',
    });
    const b64 = (f: string) => readFileSync(f).toString('base64');
    const file = join(home, 'pod-ca.pem');
    const ok = run({ TIERKIT_PG_CA_BASE64: b64(certs.ca), PGSSLROOTCERT: file });
    expect(ok.stderr).toBe('');
    expect([ok.status, ok.stdout.trim()]).toEqual([0, 't']);
    expect(readFileSync(file, 'utf8')).toBe(readFileSync(certs.ca, 'utf8'));
    // Before: no CA in the env, libpq falls back to the home's root.crt (here another CA's).
    expect(run({}).stderr).toMatch(/certificate verify failed/);
    expect(run({ TIERKIT_PG_CA_BASE64: b64(certs.otherCa), PGSSLROOTCERT: file }).stderr).toMatch(/certificate verify failed/);
    // A CA without a place to write it is refused before any connection.
    expect(run({ TIERKIT_PG_CA_BASE64: b64(certs.ca) }).stderr).toMatch(/TIERKIT_PG_CA_BASE64 is set but PGSSLROOTCERT is not/);
  });

  // The preview Jobs' database steps (PostgreSQL 16+) carry the same env: before, only the seed step wrote
  // the CA, so create, drain and drop failed on a verify-full server (no file where PGSSLROOTCERT points).
  if (major === 18) {
    it('the preview create, drain and drop scripts write the CA their env carries and connect verify-full', () => {
      const home = join(testTmp('pg-verify-full'), `preview-home-${process.pid}`);
      mkdirSync(join(home, '.postgresql'), { recursive: true });
      writeFileSync(join(home, '.postgresql', 'root.crt'), readFileSync(certs.otherCa));
      const credentials = join(home, 'credentials');
      writeFileSync(credentials, `export PGUSER='${server.user}'\nexport PGPASSWORD='${server.password}'\n`);
      const file = join(home, 'pod-ca.pem');
      const run = (script: string, extra: Record<string, string>) => spawnSync('bash', ['-c', script], {
        env: {
          PATH: `${join(PSQL, '..')}:${process.env.PATH ?? ''}`, HOME: home, PGHOST: 'localhost', PGPORT: String(server.port), PGDATABASE: 'postgres', PGSSLMODE: 'verify-full',
          PGCONNECT_TIMEOUT: '10', TIERKIT_CREDENTIALS_FILE: credentials, TIERKIT_PR_NUMBER: '987654', TIERKIT_MAX_OPEN: '999', ...extra,
        },
        encoding: 'utf8',
      });
      const ca = { TIERKIT_PG_CA_BASE64: readFileSync(certs.ca).toString('base64'), PGSSLROOTCERT: file };
      for (const script of [previewCreateScript, previewDrainScript, previewDropScript]) {
        rmSync(file, { force: true });
        const r = run(script('tkcafix'), ca);
        expect(r.stderr).toBe('');
        expect(r.status).toBe(0);
        expect(readFileSync(file, 'utf8')).toBe(readFileSync(certs.ca, 'utf8'));
      }
      expect(run(previewCreateScript('tkcafix'), {}).stderr).toMatch(/certificate verify failed/);
      expect(run(previewDropScript('tkcafix'), { ...ca, TIERKIT_PG_CA_BASE64: readFileSync(certs.otherCa).toString('base64') }).stderr).toMatch(/certificate verify failed/);
    });
  }

  it('refuses the right CA\'s certificate presented for another name (the same server reached as 127.0.0.1)', () => {
    const r = psql(server, `host=127.0.0.1 sslmode=verify-full sslrootcert=${certs.ca}`);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/server certificate for "localhost"( \(and \d+ other names?\))? does not match host name "127\.0\.0\.1"/);
  });
});
