// Server-side caps of a lower tier's env on a shared server (erp-sandbox, tier dev, on prod's
// server), on PostgreSQL 15 and 18, applied by the translator exactly as the artifacts declare:
// the database's connection_limit and each credential's CONNECTION LIMIT are walls the server
// enforces; statement_timeout / idle_in_transaction_session_timeout are per-credential defaults
// that a session can override — shown here so nobody mistakes them for a wall.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthToDist } from '../support/synth';
import { createNamespace, expectSqlState, pgServer, tryConnect, type Namespace, type PgMajor, type Session } from './support/db';
import { applyEstate, type AppliedEnv, type AppliedEstate } from './support/estate';
import { currentVault, issueCredential, type DynamicCredential } from './support/vault';

const dist = synthToDist(undefined, 'pg-caps');
const MAJORS: PgMajor[] = [15, 18];

/** The caps as the artifacts declare them (not as the test assumes). */
function declaredCaps(env: AppliedEnv): { database: number; user: number } {
  const db = env.stack.resources.find((r) => r.type === 'postgresql_database')!;
  const create = env.vault.creation.find((s) => s.startsWith('CREATE ROLE'))!;
  return { database: Number(db.attributes.connection_limit), user: Number(/CONNECTION LIMIT (\d+)/.exec(create)![1]) };
}

describe.each(MAJORS)('caps of a sandbox on prod\'s server, PostgreSQL %i', (major) => {
  let ns: Namespace;
  let applied: AppliedEstate;
  let sandbox: AppliedEnv;
  let prod: AppliedEnv;
  const open: Session[] = [];

  beforeAll(async () => {
    ns = await createNamespace(pgServer(major), `caps${major}`);
    applied = await applyEstate(ns, dist, { kind: 'declared', only: (e) => e.slug === 'erp' || e.slug === 'erp-sandbox' });
    sandbox = applied.envs.find((e) => e.env.slug === 'erp-sandbox')!;
    prod = applied.envs.find((e) => e.env.slug === 'erp')!;
  });
  afterAll(async () => {
    await Promise.all(open.splice(0).map((s) => s.end()));
    await ns?.cleanup();
  });

  const credential = async (env: AppliedEnv): Promise<DynamicCredential> => {
    const issued = await issueCredential(ns.server, currentVault(env), applied.names, env.connectionPassword);
    if (!issued.ok) throw new Error(`${issued.code} ${issued.message}`);
    return issued.credential;
  };
  const login = (env: AppliedEnv, c: DynamicCredential) => tryConnect(ns.server, { user: c.username, password: c.password, database: env.vault.database });
  const fill = async (env: AppliedEnv, c: DynamicCredential, n: number) => {
    for (let i = 0; i < n; i++) {
      const out = await login(env, c);
      if (!out.ok) throw new Error(`connection ${i + 1} of ${n} refused: ${out.code} ${out.message}`);
      open.push(out.session);
    }
  };

  it('the artifacts declare caps on the sandbox and none on prod', () => {
    const caps = declaredCaps(sandbox);
    expect(caps.database).toBeGreaterThan(caps.user);
    expect(caps.user).toBeGreaterThan(0);
    expect(prod.stack.resources.find((r) => r.type === 'postgresql_database')!.attributes.connection_limit).toBeUndefined();
  });

  it('one credential cannot exceed its CONNECTION LIMIT; the sandbox database cannot exceed its connection_limit; prod still connects', async () => {
    const caps = declaredCaps(sandbox);
    // Issued before the database fills up: Vault's own connection user counts against the
    // database's limit too (a real Vault keeps its pool open, so it keeps its slots).
    const creds = [];
    for (let i = 0; i <= Math.ceil(caps.database / caps.user); i++) creds.push(await credential(sandbox));
    const prodCredential = await credential(prod);
    const a = creds.shift()!;
    await fill(sandbox, a, caps.user);
    const overUser = await login(sandbox, a);
    expect(overUser.ok ? 'connected' : overUser.code).toBe('53300');
    expect(overUser.ok ? '' : overUser.message).toMatch(/too many connections for role/);

    // More credentials (Vault issues as many as asked): together they still stop at the database's limit.
    let left = caps.database - caps.user;
    while (left > 0) {
      const more = creds.shift()!;
      const n = Math.min(left, caps.user);
      await fill(sandbox, more, n);
      left -= n;
    }
    const fresh = creds.shift()!;
    const overDatabase = await login(sandbox, fresh);
    expect(overDatabase.ok ? 'connected' : overDatabase.code).toBe('53300');
    expect(overDatabase.ok ? '' : overDatabase.message).toMatch(/too many connections for database/);

    // Prod's database, on the same server, is not capped by the sandbox's use.
    const p = await login(prod, prodCredential);
    expect(p.ok ? 'connected' : `${p.code} ${p.message}`).toBe('connected');
    if (p.ok) open.push(p.session);
    await Promise.all(open.splice(0).map((s) => s.end()));
  });

  it('the timeouts are defaults of the credential, and a session CAN override them (not a wall)', async () => {
    const c = await credential(sandbox);
    const out = await login(sandbox, c);
    if (!out.ok) throw new Error(`${out.code} ${out.message}`);
    const s = out.session;
    open.push(s);
    const show = async (name: string) => (await s.query<Record<string, string>>(`SHOW ${name}`))[0][name];
    const declared = (name: string) => /= '(\d+)s'/.exec(sandbox.vault.creation.find((x) => x.includes(`SET ${name} =`))!)![1];
    expect(Number(declared('statement_timeout'))).toBeGreaterThan(0);
    expect(await show('statement_timeout')).toBe(`${Number(declared('statement_timeout')) / 60}min`);
    expect(await show('idle_in_transaction_session_timeout')).toBe(`${Number(declared('idle_in_transaction_session_timeout')) / 60}min`);
    // The default bites: a statement over a (short, session-set) timeout is cancelled …
    await s.query("SET statement_timeout = '200ms'");
    await expectSqlState(s.run('SELECT pg_sleep(1)'), '57014', 'statement over the timeout');
    // … and the session lifts it at will: a cap a sandbox can SET away is not a cap.
    await s.query('SET statement_timeout = 0');
    await s.query('SET idle_in_transaction_session_timeout = 0');
    expect(await show('statement_timeout')).toBe('0');
    expect((await s.run('SELECT pg_sleep(1.2)')).ok).toBe(true);
    await Promise.all(open.splice(0).map((x) => x.end()));
  });
});
