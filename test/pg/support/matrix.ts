// The attack matrix: invariants 1–12 of docs/provider-sql.md (13 is the lifecycle test), generated
// from dist/manifest.json for every app-environment that was applied to a real server. Every
// case records invariant, credential, target, expected and observed SQLSTATE; runMatrix
// returns the violations as one precise line each, so a test can assert "none" — or, for a
// deliberately broken estate, exactly which.
import { ident, literal, tryConnect, type PgServerInfo, type Session } from './db';
import { compareWithServer, declaredState } from './declared';
import type { AppliedEnv, AppliedEstate } from './estate';
import { testPassword } from './estate';
import { issueCredential, retimeExpiryGuard, revokeCredential, type DynamicCredential } from './vault';

export interface MatrixCase {
  readonly invariant: number;
  readonly env: string;
  readonly credential: string;
  readonly target: string;
  readonly action: string;
  /** Expected SQLSTATE, or 'ok' when the action must succeed. */
  readonly expected: string;
  readonly observed: string;
  readonly detail?: string;
}

export interface MatrixResult {
  readonly cases: readonly MatrixCase[];
  readonly violations: readonly string[];
}

const TITLES: Record<number, string> = {
  1: 'sandbox credential must not connect to another env\'s database',
  2: 'sandbox credential must not drop the prod database',
  3: 'sandbox credential must not SET ROLE to / be a member of the prod group',
  4: 'sandbox credential must not create databases or roles',
  5: 'sandbox credential must not alter or drop prod roles',
  6: 'sandbox credential must not grant itself the prod group',
  7: 'Vault connection user: no SUPERUSER/CREATEDB, cannot grant the prod group, its own creation statements succeed',
  8: 'revoked dynamic user must not log in',
  9: 'objects of a dynamic user belong to the group; revocation drops the user cleanly',
  10: 'server state equals the declaration after apply',
  11: 'non-owner must not create in schema public of the env database',
  12: 'golden dump user must not write, even with default_transaction_read_only off',
};

/** 'ok' → success, a SQLSTATE → `SQLSTATE x`, anything else (true, equal, a role) as is. */
function outcome(v: string): string {
  return v === 'ok' ? 'success' : /^[0-9A-Z]{5}$/.test(v) ? `SQLSTATE ${v}` : v;
}

export function describeViolation(c: MatrixCase): string {
  return `invariant ${c.invariant} (${TITLES[c.invariant]}): env ${c.env}, credential ${c.credential}, target ${c.target}: ` +
    `${c.action} — expected ${outcome(c.expected)}, got ${outcome(c.observed)}` +
    (c.detail ? ` (${c.detail})` : '');
}

class Recorder {
  readonly cases: MatrixCase[] = [];
  constructor(private readonly env: string) {}
  add(invariant: number, credential: string, target: string, action: string, expected: string, observed: string, detail?: string): void {
    this.cases.push({ invariant, env: this.env, credential, target, action, expected, observed, detail });
  }
  /** Run `sql` in `s` and record the outcome. */
  async sql(s: Session, invariant: number, credential: string, target: string, sql: string, expected: string): Promise<void> {
    const out = await s.run(sql);
    this.add(invariant, credential, target, sql, expected, out.ok ? 'ok' : out.code, out.ok ? undefined : out.message);
  }
}

export interface MatrixOptions {
  readonly server: PgServerInfo;
  /** Superuser session for setup and catalog reads. */
  readonly admin: Session;
  readonly applied: AppliedEstate;
}

function prodOf(applied: AppliedEstate, e: AppliedEnv): AppliedEnv | undefined {
  return applied.envs.find((x) => x.env.app === e.env.app && x.env.kind === 'tier' && x.env.tier === 'prod' && x !== e);
}

async function loginOutcome(server: PgServerInfo, user: string, password: string, database: string): Promise<{ code: string; message?: string; session?: Session }> {
  const r = await tryConnect(server, { user, password, database });
  return r.ok ? { code: 'ok', session: r.session } : { code: r.code, message: r.message };
}

/** Invariants 1–6 and 7 (cross-env part) for env `e` against its app's prod env `p`. */
async function crossEnvCases(o: MatrixOptions, rec: Recorder, e: AppliedEnv, cred: DynamicCredential, s: Session): Promise<void> {
  const { applied, server } = o;
  const who = `${e.env.slug} dynamic user`;
  const m = (n: string) => applied.names.map(n);
  const others = applied.envs.filter((x) => x.env.app === e.env.app && x !== e && x.report);
  for (const other of others) {
    const out = await loginOutcome(server, cred.username, cred.password, m(other.env.names.database));
    await out.session?.end();
    rec.add(1, who, `database ${other.env.names.database}`, 'connect', '42501', out.code, out.message);
  }
  const p = prodOf(applied, e);
  if (!p) return;
  const [pdb, pgroup, pconn] = [p.env.names.database, p.env.names.groupRole, p.env.names.vaultConnectionRole];
  await rec.sql(s, 2, who, `database ${pdb}`, `DROP DATABASE ${ident(m(pdb))}`, '42501');
  await rec.sql(s, 3, who, `role ${pgroup}`, `SET ROLE ${ident(m(pgroup))}`, '42501');
  // Back to the login's role (its SET ROLE default) so one breach does not mask the next cases.
  await s.query('RESET ROLE');
  const [{ member }] = await s.query<{ member: boolean }>(`SELECT pg_has_role(session_user, $1, 'MEMBER') AS member`, [m(pgroup)]);
  rec.add(3, who, `role ${pgroup}`, "pg_has_role(session_user, …, 'MEMBER')", 'false', String(member));
  await rec.sql(s, 4, who, 'server', `CREATE DATABASE ${ident(m(`${e.env.slug}-attack-db`))}`, '42501');
  await rec.sql(s, 4, who, 'server', `CREATE ROLE ${ident(m(`${e.env.slug}_attack_role`))}`, '42501');
  for (const role of [pgroup, pconn]) {
    await rec.sql(s, 5, who, `role ${role}`, `ALTER ROLE ${ident(m(role))} PASSWORD ${literal(testPassword())}`, '42501');
    await rec.sql(s, 5, who, `role ${role}`, `DROP ROLE ${ident(m(role))}`, '42501');
  }
  await rec.sql(s, 6, who, `role ${pgroup}`, `GRANT ${ident(m(pgroup))} TO ${ident(cred.username)}`, '42501');
  // Invariant 7's cross part: the Vault connection user minting prod membership. Before 16,
  // CREATEROLE may grant any non-superuser role: not applicable there (see matrix.test.ts).
  if (server.major >= 16) {
    const conn = await tryConnect(server, { user: e.vault.connectionUser, password: e.connectionPassword, database: e.vault.database });
    if (!conn.ok) {
      rec.add(7, `${e.env.slug} Vault connection user`, `database ${e.env.names.database}`, 'connect', 'ok', conn.code, conn.message);
    } else {
      await rec.sql(conn.session, 7, `${e.env.slug} Vault connection user`, `role ${pgroup}`, `GRANT ${ident(m(pgroup))} TO ${ident(cred.username)}`, '42501');
      await conn.session.end();
    }
  }
}

/** Owners of the tables whose name starts with `prefix`, read as the superuser. */
async function tableOwners(server: PgServerInfo, database: string, prefix: string): Promise<{ relname: string; owner: string }[]> {
  const d = await tryConnect(server, { user: server.user, password: server.password, database });
  if (!d.ok) throw new Error(`superuser cannot connect to ${database}: ${d.code} ${d.message}`);
  try {
    return await d.session.query<{ relname: string; owner: string }>(
      `SELECT relname, pg_get_userbyid(relowner) AS owner FROM pg_class WHERE relkind = 'r' AND starts_with(relname, $1) ORDER BY 1`, [prefix]);
  } finally {
    await d.session.end();
  }
}

/** Invariants 7 (own part), 8, 9, 10, 11, 12 for one env. */
async function envCases(o: MatrixOptions, rec: Recorder, e: AppliedEnv): Promise<void> {
  const { applied, server, admin } = o;
  const m = (n: string) => applied.names.map(n);
  const db = m(e.env.names.database);
  const connName = `${e.env.slug} Vault connection user`;

  const declared = declaredState([e.stack], applied.names, e.adminUser);
  const problems = await compareWithServer(admin, declared, e.adminUser, applied.names);
  rec.add(10, `provider user (${e.adminKind})`, `stack ${e.env.stack}`, 'compare server with artifacts', 'equal',
    problems.length === 0 ? 'equal' : 'different', problems.join('; ') || undefined);
  const [attrs] = await admin.query<{ rolsuper: boolean; rolcreatedb: boolean }>(
    'SELECT rolsuper, rolcreatedb FROM pg_roles WHERE rolname = $1', [e.vault.connectionUser]);
  rec.add(7, connName, 'its role attributes', 'rolsuper', 'false', String(attrs?.rolsuper));
  rec.add(7, connName, 'its role attributes', 'rolcreatedb', 'false', String(attrs?.rolcreatedb));

  // A sandbox past its expiry (the example's dates are fixed, the clock is not) gets no credential:
  // its guard refuses the creation (test/pg/expiry-guard.test.ts). The rest of the matrix judges
  // privileges, so it goes on with the guard retimed an hour ahead — that statement only.
  let vault = e.vault;
  const sandbox = e.env.sandbox;
  if (sandbox && Date.parse(sandbox.expiresAt) <= Date.now()) {
    const refused = await issueCredential(server, vault, applied.names, e.connectionPassword);
    rec.add(7, connName, `Vault role ${vault.roleName}`, `creation statements after the sandbox's expiry ${sandbox.expiresAt}`, 'P0001', refused.ok ? 'ok' : refused.code);
    vault = retimeExpiryGuard(vault, e.env.slug, sandbox.expiresAt, new Date(Date.now() + 3600_000).toISOString());
  }
  const issued = await issueCredential(server, vault, applied.names, e.connectionPassword);
  if (!issued.ok) {
    rec.add(7, connName, `Vault role ${e.vault.roleName}`, `creation statements (${issued.sql || 'allowed_roles'})`, 'ok', issued.code, issued.message);
    return;
  }
  rec.add(7, connName, `Vault role ${e.vault.roleName}`, 'creation statements', 'ok', 'ok');
  const cred = issued.credential;
  const who = `${e.env.slug} dynamic user`;
  const login = await loginOutcome(server, cred.username, cred.password, db);
  rec.add(9, who, `database ${e.env.names.database}`, 'connect to its own database', 'ok', login.code, login.message);
  if (!login.session) return;
  const s = login.session;
  try {
    await crossEnvCases(o, rec, e, cred, s);
    // Invariant 9: a table made as the group (the login's SET ROLE), and one made after RESET
    // ROLE as the user itself: revocation must still drop the user and keep the data.
    const [t1, t2] = [`${e.env.objectPrefix}matrix_by_group`, `${e.env.objectPrefix}matrix_by_user`];
    await rec.sql(s, 9, who, `table ${t1}`, `CREATE TABLE public.${ident(t1)} (id int PRIMARY KEY); INSERT INTO public.${ident(t1)} VALUES (1)`, 'ok');
    await rec.sql(s, 9, who, `table ${t2}`, `RESET ROLE; CREATE TABLE public.${ident(t2)} (id int)`, 'ok');
  } finally {
    await s.end();
  }
  const owners = await tableOwners(server, db, `${e.env.objectPrefix}matrix_`);
  const byGroup = owners.find((x) => x.relname.endsWith('matrix_by_group'));
  rec.add(9, who, `table ${e.env.objectPrefix}matrix_by_group`, 'owner', e.env.names.groupRole, applied.names.unmap(byGroup?.owner ?? '') ?? String(byGroup?.owner));

  const revoked = await revokeCredential(server, e.vault, e.connectionPassword, cred.username);
  rec.add(9, connName, `dynamic user of ${e.env.slug}`, `revocation statements${revoked.ok ? '' : ` (${revoked.sql})`}`, 'ok', revoked.ok ? 'ok' : revoked.code, revoked.ok ? undefined : revoked.message);
  if (revoked.ok) {
    const after = await loginOutcome(server, cred.username, cred.password, db);
    await after.session?.end();
    rec.add(8, `${e.env.slug} revoked dynamic user`, `database ${e.env.names.database}`, 'connect', '28P01', after.code, after.message);
  }

  // Invariant 11: a role that may connect but owns nothing.
  const outsider = m(`${e.env.slug}_outsider`);
  const pw = testPassword();
  await admin.exec(`CREATE ROLE ${ident(outsider)} LOGIN PASSWORD ${literal(pw)}`);
  await admin.exec(`GRANT CONNECT ON DATABASE ${ident(db)} TO ${ident(outsider)}`);
  const os = await loginOutcome(server, outsider, pw, db);
  if (os.session) {
    await rec.sql(os.session, 11, `${e.env.slug} outsider (CONNECT only)`, `database ${e.env.names.database}`, 'CREATE TABLE public.t (id int)', '42501');
    await os.session.end();
  } else {
    rec.add(11, `${e.env.slug} outsider (CONNECT only)`, `database ${e.env.names.database}`, 'connect', 'ok', os.code, os.message);
  }

  await goldenCases(o, rec, e);
}

/** Invariant 12 for an env whose stack declares the golden dump role. */
async function goldenCases(o: MatrixOptions, rec: Recorder, e: AppliedEnv): Promise<void> {
  const role = e.stack.resources.find((r) => r.type === 'postgresql_role' && r.attributes.name === e.env.names.goldenDumpRole);
  if (!role) return;
  const { applied, server } = o;
  const m = (n: string) => applied.names.map(n);
  const password = e.variables.golden_dump_password;
  const who = `${e.env.slug} golden dump user`;
  const login = await loginOutcome(server, m(e.env.names.goldenDumpRole), password, m(e.env.names.database));
  rec.add(12, who, `database ${e.env.names.database}`, 'connect', 'ok', login.code, login.message);
  if (!login.session) return;
  const s = login.session;
  try {
    const t = `public.${ident(`${e.env.objectPrefix}matrix_by_group`)}`;
    await rec.sql(s, 12, who, `table ${t}`, `SELECT count(*) FROM ${t}`, 'ok');
    await rec.sql(s, 12, who, `table ${t}`, `SET default_transaction_read_only = off; INSERT INTO ${t} VALUES (2)`, '42501');
    await rec.sql(s, 12, who, 'schema public', 'SET default_transaction_read_only = off; CREATE TABLE public.golden_attack (id int)', '42501');
  } finally {
    await s.end();
  }
  for (const other of applied.envs.filter((x) => x !== e && x.env.app === e.env.app && x.report)) {
    const out = await loginOutcome(server, m(e.env.names.goldenDumpRole), password, m(other.env.names.database));
    await out.session?.end();
    rec.add(12, who, `database ${other.env.names.database}`, 'connect', '42501', out.code, out.message);
  }
}

/** Run every case for every applied env (those whose apply failed are reported, not attacked). */
export async function runMatrix(o: MatrixOptions, only?: (e: AppliedEnv) => boolean): Promise<MatrixResult> {
  const cases: MatrixCase[] = [];
  for (const e of o.applied.envs.filter(only ?? (() => true))) {
    const rec = new Recorder(e.env.slug);
    if (e.error) {
      rec.add(10, `provider user (${e.adminKind})`, `stack ${e.env.stack}`, 'apply', 'ok', 'failed', e.error.message);
    } else {
      await envCases(o, rec, e);
    }
    cases.push(...rec.cases);
  }
  const violations = cases.filter((c) => c.expected !== c.observed).map(describeViolation);
  return { cases, violations };
}
