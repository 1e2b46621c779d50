// Issue 17: the promote credential, issued from the synthesized prod stack's own statements (as
// Vault runs them: as prod's connection user, in one transaction) on real PostgreSQL 15 and 18.
// It writes the tables its app declares, as declared, and nothing else: no DDL, no DROP DATABASE,
// no role, no way into the owner group.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthToDist } from '../support/synth';
import { createNamespace, expectSqlState, ident, pgServer, type Namespace, type Session } from './support/db';
import { applyEstate, envStack, type AppliedEnv, type AppliedEstate } from './support/estate';
import { issueCredential, promoteRolePieces, revokeCredential, type VaultPieces } from './support/vault';

const dist = synthToDist(undefined, 'pg-promote');

describe.each([15, 18] as const)('the promote credential on PostgreSQL %i', (major) => {
  let ns: Namespace;
  let applied: AppliedEstate;
  let prod: AppliedEnv;
  let promote: VaultPieces;
  let login: { user: string; password: string };
  let s: Session;
  const m = (n: string) => applied.names.map(n);
  const t = (n: string) => `public.${ident(m(n))}`;

  beforeAll(async () => {
    ns = await createNamespace(pgServer(major), `promote${major}`);
    applied = await applyEstate(ns, dist, { kind: 'declared', only: (e) => e.slug === 'erp' });
    prod = applied.envs[0];
    promote = promoteRolePieces(envStack(dist, prod.env), applied.names);
    // The app's own objects, created as Dolibarr creates them: by its dynamic user, owned by the group.
    const app = await issueCredential(ns.server, prod.vault, applied.names, prod.connectionPassword);
    if (!app.ok) throw new Error(`app credential: ${app.code} ${app.message}`);
    const a = await ns.connect({ user: app.credential.username, password: app.credential.password, database: m('erp') });
    for (const table of ['llx_facture', 'llx_facturedet', 'llx_societe', 'llx_user']) {
      await a.query(`CREATE TABLE ${t(table)} (rowid int PRIMARY KEY, note text)`);
      await a.query(`INSERT INTO ${t(table)} VALUES (1, 'one'), (2, 'two')`);
    }
    const issued = await issueCredential(ns.server, promote, applied.names, prod.connectionPassword, 900);
    if (!issued.ok) throw new Error(`promote credential: ${issued.code} ${issued.message} (${issued.sql})`);
    login = { user: issued.credential.username, password: issued.credential.password };
    s = await ns.connect({ ...login, database: m('erp') });
  }, 120_000);

  afterAll(async () => {
    await ns?.cleanup();
  });

  it('is issued through prod\'s own connection, which allows it by name', () => {
    expect(promote.roleName).toBe('erp-promote');
    expect(promote.allowedRoles).toEqual(['erp', 'erp-promote']);
    expect(promote.connectionUser).toBe(m('erp_vault'));
  });

  it('inserts, updates and deletes exactly as declared on covered prod tables', async () => {
    await s.query(`INSERT INTO ${t('llx_facturedet')} VALUES (3, 'three')`);
    await s.query(`UPDATE ${t('llx_facturedet')} SET note = 'changed' WHERE rowid = 1`);
    await s.query(`DELETE FROM ${t('llx_facturedet')} WHERE rowid = 2`);
    expect(await s.query(`SELECT rowid, note FROM ${t('llx_facturedet')} ORDER BY rowid`)).toEqual([{ rowid: 1, note: 'changed' }, { rowid: 3, note: 'three' }]);
    await s.query(`INSERT INTO ${t('llx_facture')} VALUES (3, 'three')`);
    await s.query(`UPDATE ${t('llx_societe')} SET note = 'renamed' WHERE rowid = 1`);
    // Declared SELECT, INSERT, UPDATE on llx_facture: no DELETE; SELECT, UPDATE on llx_societe: no INSERT.
    await expectSqlState(s.query(`DELETE FROM ${t('llx_facture')} WHERE rowid = 1`), '42501');
    await expectSqlState(s.query(`INSERT INTO ${t('llx_societe')} VALUES (9, 'x')`), '42501');
  });

  it('reads or writes no undeclared table and empties none', async () => {
    await expectSqlState(s.query(`SELECT * FROM ${t('llx_user')}`), '42501');
    await expectSqlState(s.query(`UPDATE ${t('llx_user')} SET note = 'x'`), '42501');
    await expectSqlState(s.query(`TRUNCATE ${t('llx_facturedet')}`), '42501');
  });

  it('cannot create, alter or drop tables', async () => {
    await expectSqlState(s.query(`CREATE TABLE public.${ident(m('llx_new'))} (a int)`), '42501');
    await expectSqlState(s.query(`ALTER TABLE ${t('llx_facture')} ADD COLUMN evil text`), '42501');
    await expectSqlState(s.query(`DROP TABLE ${t('llx_facturedet')}`), '42501');
    await expectSqlState(s.query(`CREATE SCHEMA ${ident(m('evil'))}`), '42501');
  });

  it('cannot drop the database, create roles, or join the owner group', async () => {
    await expectSqlState(s.query(`DROP DATABASE ${ident(m('erp'))}`), '42501');
    await expectSqlState(s.query(`CREATE ROLE ${ident(m('evil'))} LOGIN`), '42501');
    const grant = await s.run(`GRANT ${ident(m('erp_role'))} TO ${ident(login.user)}`);
    expect(grant.ok).toBe(false);
    if (!grant.ok) expect(['42501', '0LP01']).toContain(grant.code);
    await expectSqlState(s.query(`SET ROLE ${ident(m('erp_role'))}`), '42501');
    const member = await s.query<{ m: boolean }>(`SELECT pg_has_role(session_user, $1, 'MEMBER') AS m`, [m('erp_role')]);
    expect(member[0].m).toBe(false);
    const attrs = await s.query(`SELECT rolsuper, rolcreaterole, rolcreatedb, rolinherit, rolconnlimit FROM pg_roles WHERE rolname = session_user`);
    expect(attrs[0]).toMatchObject({ rolsuper: false, rolcreaterole: false, rolcreatedb: false, rolconnlimit: 1 });
  });

  it('is revoked by the env\'s revocation statements: the login and its grants are gone', async () => {
    await s.end();
    const out = await revokeCredential(ns.server, promote, prod.connectionPassword, login.user);
    expect(out).toEqual({ ok: true });
    const admin = await ns.admin(m('erp'));
    expect(await admin.query(`SELECT 1 FROM pg_roles WHERE rolname = $1`, [login.user])).toEqual([]);
  });
});
