// Issue 18: the scale-up window. Between two hourly TTL sweeps, whoever scales an expired sandbox
// back up would get a fresh credential from Vault. The sandbox's creation statements end with an
// expiry guard (contract/vault-statements.ts): proven here on real PostgreSQL 15 and 18 with the
// artifact's own statements (erp-sandbox, applied by the translator as declared), run the way
// Vault runs them (support/vault.ts: one transaction, a statement holding END kept whole).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxExpiryGuard, sandboxRenewStatements } from '../../contract/vault-statements';
import { synthToDist } from '../support/synth';
import { createNamespace, pgServer, tryConnect, type Namespace, type PgMajor } from './support/db';
import { applyEstate, type AppliedEnv, type AppliedEstate } from './support/estate';
import { issueCredential, renewCredential, retimeExpiryGuard, vaultExpiration, type VaultPieces } from './support/vault';

const dist = synthToDist(undefined, 'pg-expiry-guard');
const MAJORS: PgMajor[] = [15, 18];
const iso = (ms: number) => new Date(ms).toISOString();

describe.each(MAJORS)('a sandbox credential and its expiry, PostgreSQL %i', (major) => {
  let ns: Namespace;
  let applied: AppliedEstate;
  let sandbox: AppliedEnv;
  let expiresAt: string;

  beforeAll(async () => {
    ns = await createNamespace(pgServer(major), `guard${major}`);
    applied = await applyEstate(ns, dist, { kind: 'declared', only: (e) => e.slug === 'erp-sandbox' });
    sandbox = applied.envs[0];
    expiresAt = sandbox.env.sandbox!.expiresAt;
  });
  afterAll(async () => ns?.cleanup());

  const at = (when: string): VaultPieces => retimeExpiryGuard(sandbox.vault, sandbox.env.slug, expiresAt, when);
  const issue = (v: VaultPieces, ttlSeconds = 3600) => issueCredential(ns.server, v, applied.names, sandbox.connectionPassword, ttlSeconds);
  const validUntil = async (user: string): Promise<Date | null> => {
    const admin = await ns.admin();
    return (await admin.query<{ v: Date | null }>('SELECT rolvaliduntil AS v FROM pg_roles WHERE rolname = $1', [user]))[0]?.v ?? null;
  };
  const loginOutcome = async (user: string, password: string): Promise<string> => {
    const out = await tryConnect(ns.server, { user, password, database: sandbox.vault.database });
    if (out.ok) { await out.session.end(); return 'ok'; }
    return out.code;
  };

  it('the artifact ends the creation statements with the guard for the manifest expiry', () => {
    expect(sandbox.vault.creation.at(-1)).toBe(sandboxExpiryGuard('erp-sandbox', expiresAt));
  });

  it('after the expiry Vault issues nothing: the creation raises, and no role is left behind', async () => {
    const issued = await issue(at(iso(Date.now() - 60_000)));
    expect(issued.ok).toBe(false);
    if (issued.ok) return;
    expect(issued.code).toBe('P0001');
    expect(issued.message).toMatch(/^tierkit: sandbox erp-sandbox expired at .*: no credential is issued after its expiry$/);
    const admin = await ns.admin();
    // The creation ran in one transaction: the CREATE ROLE before the guard was rolled back.
    const left = await admin.query(`SELECT rolname FROM pg_roles WHERE rolname LIKE $1`, [`${applied.names.map('v-erp-sand')}%`]);
    expect(left).toEqual([]);
  });

  it('without the guard (the statements before this change), the same expired sandbox gets a credential that logs in', async () => {
    const guard = sandboxExpiryGuard('erp-sandbox', expiresAt);
    const issued = await issue({ ...sandbox.vault, creation: sandbox.vault.creation.filter((s) => s !== guard) });
    if (!issued.ok) throw new Error(`${issued.code} ${issued.message}`);
    expect(await loginOutcome(issued.credential.username, issued.credential.password)).toBe('ok');
    // The pattern the refusal test looks for does find such a role.
    const admin = await ns.admin();
    expect((await admin.query(`SELECT 1 FROM pg_roles WHERE rolname LIKE $1`, [`${applied.names.map('v-erp-sand')}%`])).length).toBeGreaterThan(0);
  });

  it('a lease longer than the sandbox\'s life is clamped: VALID UNTIL is the expiry; a shorter one keeps its own', async () => {
    const soon = Date.now() + 2 * 3600_000;
    const long = await issue(at(iso(soon)), 30 * 24 * 3600);
    if (!long.ok) throw new Error(`${long.code} ${long.message}`);
    expect((await validUntil(long.credential.username))?.getTime()).toBe(soon);
    const short = await issue(at(iso(soon)), 600);
    if (!short.ok) throw new Error(`${short.code} ${short.message}`);
    const v = (await validUntil(short.credential.username))!.getTime();
    expect(v).toBeLessThan(soon);
    expect(Math.abs(v - (Date.now() + 600_000))).toBeLessThan(60_000);
  });

  it('a credential issued just before the expiry cannot log in after it, whatever its lease says', async () => {
    const expiry = Date.now() + 4000;
    const issued = await issue(at(iso(expiry)), 3600);
    if (!issued.ok) throw new Error(`${issued.code} ${issued.message}`);
    const { username, password } = issued.credential;
    expect(await loginOutcome(username, password)).toBe('ok');
    await new Promise((r) => setTimeout(r, Math.max(0, expiry - Date.now()) + 1500));
    // PostgreSQL reports an expired VALID UNTIL as a failed password authentication.
    expect(await loginOutcome(username, password)).toBe('28P01');
    // And a fresh request now (the scale-up) is refused by the guard.
    const again = await issue(at(iso(expiry)), 3600);
    expect(again.ok ? 'issued' : again.code).toBe('P0001');
  });

  it('renewal (Vault\'s way: split on ;) extends a login up to the expiry, and is refused past it, leaving VALID UNTIL clamped', async () => {
    const stack = sandbox.stack.resources.find((r) => r.type === 'vault_database_secret_backend_role')!;
    expect(stack.attributes.renew_statements).toEqual(sandboxRenewStatements('erp-sandbox', expiresAt));
    const expiry = Date.now() + 2 * 3600_000;
    const renew = sandboxRenewStatements('erp-sandbox', iso(expiry));
    const issued = await issue(at(iso(expiry)), 600);
    if (!issued.ok) throw new Error(`${issued.code} ${issued.message}`);
    const user = issued.credential.username;
    const within = await renewCredential(ns.server, sandbox.vault, renew, sandbox.connectionPassword, user, vaultExpiration(new Date(Date.now() + 3600_000)));
    expect(within).toEqual({ ok: true });
    const clamped = (await validUntil(user))!.getTime();
    expect(Math.abs(clamped - (Date.now() + 3600_000))).toBeLessThan(60_000);
    const past = await renewCredential(ns.server, sandbox.vault, renew, sandbox.connectionPassword, user, vaultExpiration(new Date(expiry + 3600_000)));
    expect(past.ok ? 'renewed' : past.code).toBe('22P02');
    if (!past.ok) expect(past.message).toContain(`tierkit: sandbox erp-sandbox expires at ${iso(expiry)}: no renewal past it`);
    // Rolled back: VALID UNTIL is still the last accepted one, before the expiry.
    expect((await validUntil(user))!.getTime()).toBe(clamped);
    // Vault's default renewal alone (the statements before this change) moves it past the expiry.
    const plain = await renewCredential(ns.server, sandbox.vault, [renew[0]], sandbox.connectionPassword, user, vaultExpiration(new Date(expiry + 3600_000)));
    expect(plain).toEqual({ ok: true });
    expect((await validUntil(user))!.getTime()).toBeGreaterThan(expiry);
  });

  it('the app cannot make the connection user run its code: the guard and the renewal name only pg_catalog (fix10)', async () => {
    // The group owns the sandbox's database: the app's login may set its search_path and put a now(),
    // a >= and a > of its own before pg_catalog's. Vault's connection user (CREATEROLE on 15, ADMIN on
    // the group) runs the guard and the renewal in that database; any of them running records it.
    const expiry = Date.now() + 2 * 3600_000;
    const app = await issue(at(iso(expiry)));
    if (!app.ok) throw new Error(`${app.code} ${app.message}`);
    const s = await ns.connect({ user: app.credential.username, password: app.credential.password, database: sandbox.vault.database });
    await s.exec(`CREATE TABLE public.tk_seen (who text);
      GRANT INSERT, SELECT ON public.tk_seen TO PUBLIC;
      CREATE FUNCTION public.now() RETURNS timestamptz LANGUAGE plpgsql AS $f$ BEGIN INSERT INTO public.tk_seen VALUES (current_user); RETURN pg_catalog.now(); END $f$;
      CREATE FUNCTION public.tk_cmp(a timestamptz, b timestamptz) RETURNS boolean LANGUAGE plpgsql AS $f$ BEGIN INSERT INTO public.tk_seen VALUES (current_user); RETURN a OPERATOR(pg_catalog.>) b; END $f$;
      CREATE OPERATOR public.>= (LEFTARG = timestamptz, RIGHTARG = timestamptz, FUNCTION = public.tk_cmp);
      CREATE OPERATOR public.> (LEFTARG = timestamptz, RIGHTARG = timestamptz, FUNCTION = public.tk_cmp);
      ALTER DATABASE "${sandbox.vault.database.replace(/"/g, '""')}" SET search_path = public, pg_catalog`).finally(() => s.end());
    const issued = await issue(at(iso(expiry)), 600);
    if (!issued.ok) throw new Error(`${issued.code} ${issued.message}`);
    const renewed = await renewCredential(ns.server, sandbox.vault, sandboxRenewStatements('erp-sandbox', iso(expiry)), sandbox.connectionPassword,
      issued.credential.username, vaultExpiration(new Date(Date.now() + 3600_000)));
    expect(renewed).toEqual({ ok: true });
    const admin = await ns.connect({ user: ns.server.user, password: ns.server.password, database: sandbox.vault.database });
    const seen = await admin.query('SELECT who FROM public.tk_seen').finally(() => admin.end());
    expect(seen).toEqual([]);
  });
});
