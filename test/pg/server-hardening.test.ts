// The server's own databases (`postgres`, `template1`) on prod's server, on PostgreSQL 15 and 18,
// applied by the translator exactly as the artifacts declare (TK041): initdb leaves CONNECT and
// TEMPORARY to PUBLIC there, so any login — a sandbox's dynamic credential included — connects;
// the env stacks' revoke closes them. The estate's maintenance databases are per-namespace
// stand-ins (support/estate.ts: maintenanceDatabase) so the shared test server's own stay as they are.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthToDist } from '../support/synth';
import { createNamespace, expectSqlState, ident, literal, pgServer, tryConnect, type Namespace, type PgMajor } from './support/db';
import { applyEstate, maintenanceDatabase, MAINTENANCE_DATABASES, testPassword, type AppliedEnv, type AppliedEstate } from './support/estate';
import { currentVault, issueCredential } from './support/vault';

const dist = synthToDist(undefined, 'pg-server-hardening');
const MAJORS: PgMajor[] = [15, 18];

describe.each(MAJORS)('the maintenance databases of prod\'s server, PostgreSQL %i', (major) => {
  let ns: Namespace;
  let applied: AppliedEstate;
  let sandbox: AppliedEnv;

  beforeAll(async () => {
    ns = await createNamespace(pgServer(major), `srv${major}`);
    applied = await applyEstate(ns, dist, { kind: 'declared', only: (e) => e.slug === 'erp' || e.slug === 'erp-sandbox' });
    sandbox = applied.envs.find((e) => e.env.slug === 'erp-sandbox')!;
  });
  afterAll(async () => ns?.cleanup());

  it('the artifacts revoke PUBLIC on postgres and template1 in the sandbox\'s stack, as its server\'s provider', () => {
    const revokes = sandbox.stack.resources.filter((r) => r.type === 'postgresql_grant' && MAINTENANCE_DATABASES.includes(r.attributes.database as never));
    expect(revokes.map((r) => [r.attributes.database, r.attributes.role, r.attributes.privileges]).sort()).toEqual([
      ['postgres', 'public', []], ['template1', 'public', []],
    ]);
    expect(sandbox.env.server).toBe('prod-pg');
  });

  it('a sandbox credential cannot connect to postgres or template1 on prod\'s server; its own database still admits it', async () => {
    const issued = await issueCredential(ns.server, currentVault(sandbox), applied.names, sandbox.connectionPassword);
    if (!issued.ok) throw new Error(`${issued.code} ${issued.message}`);
    const { username, password } = issued.credential;
    for (const db of MAINTENANCE_DATABASES) {
      const out = await tryConnect(ns.server, { user: username, password, database: maintenanceDatabase(applied.names, 'prod-pg', sandbox.adminKind, db) });
      if (out.ok) await out.session.end();
      expect(out.ok ? 'connected' : out.code, `sandbox credential on ${db}`).toBe('42501');
      expect(out.ok ? '' : out.message).toMatch(/permission denied for database/);
    }
    const own = await tryConnect(ns.server, { user: username, password, database: sandbox.vault.database });
    expect(own.ok ? 'connected' : `${own.code} ${own.message}`).toBe('connected');
    if (own.ok) await own.session.end();
  });

  it('without the revoke a plain login connects: the server\'s own postgres database, as initdb left it, admits it', async () => {
    const user = ns.name('plain_login');
    const password = testPassword();
    await (await ns.admin()).exec(`CREATE ROLE ${ident(user)} LOGIN PASSWORD ${literal(password)}`);
    const real = await tryConnect(ns.server, { user, password, database: 'postgres' });
    expect(real.ok ? 'connected' : `${real.code} ${real.message}`).toBe('connected');
    if (real.ok) {
      // TEMPORARY too: any login can fill the server's temp space from there.
      expect((await real.session.run('CREATE TEMP TABLE t AS SELECT 1 AS x')).ok).toBe(true);
      await real.session.end();
    }
    // The same login on the stand-in the stacks revoked: refused.
    const revoked = await tryConnect(ns.server, { user, password, database: maintenanceDatabase(applied.names, 'prod-pg', sandbox.adminKind, 'postgres') });
    if (revoked.ok) await revoked.session.end();
    expect(revoked.ok ? 'connected' : revoked.code).toBe('42501');
  });
});

describe.each(MAJORS)('temp_file_limit of a sandbox credential on prod\'s server, PostgreSQL %i', (major) => {
  let ns: Namespace;
  let applied: AppliedEstate;
  let sandbox: AppliedEnv;

  beforeAll(async () => {
    ns = await createNamespace(pgServer(major), `tfl${major}`);
    applied = await applyEstate(ns, dist, { kind: 'declared', only: (e) => e.slug === 'erp-sandbox' });
    sandbox = applied.envs[0];
  });
  afterAll(async () => ns?.cleanup());

  const DECLARED = /SET temp_file_limit = '(\d+)kB'/;
  const login = async (creation: readonly string[]) => {
    const issued = await issueCredential(ns.server, currentVault({ env: sandbox.env, vault: { ...sandbox.vault, creation: [...creation] } }), applied.names, sandbox.connectionPassword);
    if (!issued.ok) throw new Error(`${issued.code} ${issued.message}`);
    const out = await tryConnect(ns.server, { user: issued.credential.username, password: issued.credential.password, database: sandbox.vault.database });
    if (!out.ok) throw new Error(`${out.code} ${out.message}`);
    return out.session;
  };

  it('the credential carries the declared limit, and can neither SET, RESET nor ALTER ROLE it away (42501)', async () => {
    const declared = sandbox.vault.creation.map((x) => DECLARED.exec(x)?.[1]).find(Boolean);
    expect(Number(declared)).toBe(1048576);
    const s = await login(sandbox.vault.creation);
    try {
      expect((await s.query<{ temp_file_limit: string }>('SHOW temp_file_limit'))[0].temp_file_limit).toBe('1GB');
      await expectSqlState(s.run('SET temp_file_limit = -1'), '42501', 'SET by the credential');
      await expectSqlState(s.run('RESET temp_file_limit'), '42501', 'RESET by the credential');
      await expectSqlState(s.run('ALTER ROLE CURRENT_USER SET temp_file_limit = -1'), '42501', 'ALTER ROLE by the credential');
      // Acting as its group (SET ROLE, the way it creates objects) changes nothing.
      await expectSqlState(s.run('RESET ROLE; SET temp_file_limit = -1'), '42501', 'SET after RESET ROLE');
    } finally {
      await s.end();
    }
  });

  it('a query spilling more than the limit to temporary files fails (53400) — shown with the artifact\'s statement at 1 MB, not 1 GiB', async () => {
    // The artifact's own statements, with only the number lowered so the test need not write a GiB.
    const creation = sandbox.vault.creation.map((x) => x.replace(DECLARED, "SET temp_file_limit = '1024kB'"));
    expect(creation.filter((x) => x.includes("'1024kB'"))).toHaveLength(1);
    const s = await login(creation);
    try {
      await s.query("SET work_mem = '64kB'");
      const spill = 'SELECT count(*) FROM (SELECT g FROM generate_series(1, 300000) g ORDER BY g DESC) s';
      const message = await expectSqlState(s.run(spill), '53400', 'sort spilling past temp_file_limit');
      expect(message).toMatch(/temporary file size exceeds "?temp_file_limit"? \(1024kB\)/);
      // The same session under the limit still works: a cap, not a ban.
      expect((await s.run('SELECT count(*) FROM generate_series(1, 1000)')).ok).toBe(true);
    } finally {
      await s.end();
    }
  });
});
