// The server's own databases (`postgres`, `template1`) on prod's server, on PostgreSQL 15 and 18,
// applied by the translator exactly as the artifacts declare (TK041): initdb leaves CONNECT and
// TEMPORARY to PUBLIC there, so any login — a sandbox's dynamic credential included — connects;
// the env stacks' revoke closes them. The estate's maintenance databases are per-namespace
// stand-ins (support/estate.ts: maintenanceDatabase) so the shared test server's own stay as they are.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthToDist } from '../support/synth';
import { createNamespace, ident, literal, pgServer, tryConnect, type Namespace, type PgMajor } from './support/db';
import { applyEstate, maintenanceDatabase, MAINTENANCE_DATABASES, testPassword, type AppliedEnv, type AppliedEstate } from './support/estate';
import { issueCredential } from './support/vault';

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
    const issued = await issueCredential(ns.server, sandbox.vault, applied.names, sandbox.connectionPassword);
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
