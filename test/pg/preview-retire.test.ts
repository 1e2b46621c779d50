// Issue 19, attack18's root cause: a PR's code owns its database's objects and may GRANT on them (or
// name a role in a policy, or in default privileges) to any role of the server; the shared pg_shdepend
// then keeps DROP ROLE of the grantee from succeeding anywhere but in a session in the granting
// database, which the preview admin never opens. On a real PostgreSQL 18, as the synthesized preview
// admin: the drop step retires such a role (no login, no connection, no password, no membership,
// marked, renamed `<app>_retired_<oid>`), the collector keeps it while pinned and drops it once the
// granting PR's database is gone, never drops a retired-looking role it did not retire, and a role held
// by anything but grants (ownership) is not retired: the drop fails.
import { beforeAll, describe, expect, it } from 'vitest';
import { previewCollectScript } from '../../constructs/lifecycle/preview-collector';
import { PREVIEW_RETIRED_MARKER, previewDropScript } from '../../constructs/lifecycle/preview-scripts';
import * as naming from '../../constructs/naming';
import { synthToDist } from '../support/synth';
import { previewEstate, usePreviewServer } from './support/preview-harness';
import { ident, tryConnect, type Namespace, type Session } from './support/db';

const HOURS = 72;

const dist = synthToDist(previewEstate(), 'pg-preview-retire');


describe('previews: a role pinned by another PR\'s grants is retired, then collected', () => {
  const h = usePreviewServer(dist);
  let ns: Namespace;
  let m: (name: string) => string;
  let admin: Session;
  beforeAll(async () => {
    ({ ns, m, admin } = h);
  });
  const { app, run, create, group, db, exists, credential } = h;
  const collect = () => run(previewCollectScript(app(), HOURS));

  const retiredPrefix = () => naming.previewRetiredRolePrefix(app());
  const retired = async () => admin.query<{ oid: string; rolname: string; rolcanlogin: boolean; rolconnlimit: number; comment: string | null; parents: string; members: string }>(
    `SELECT r.oid::text, r.rolname, r.rolcanlogin, r.rolconnlimit, pg_catalog.shobj_description(r.oid, 'pg_authid') AS comment,
            (SELECT count(*) FROM pg_auth_members a WHERE a.member = r.oid)::text AS parents,
            (SELECT count(*) FROM pg_auth_members a JOIN pg_roles m ON m.oid = a.member WHERE a.roleid = r.oid AND m.rolname <> CURRENT_USER)::text AS members
       FROM pg_roles r WHERE r.rolname LIKE $1 ORDER BY r.rolname`, [`${retiredPrefix()}%`]);
  const roleExists = async (name: string) => (await admin.query('SELECT FROM pg_roles WHERE rolname = $1', [name])).length === 1;

  it('PostDelete retires PR 82\'s group and Vault login pinned by PR 81\'s grants; the collector drops them once PR 81 is gone', async () => {
    for (const pr of ['81', '82']) expect((await create(pr)).code).toBe(0);
    const b = await credential('82', 3600);
    const c = await credential('81', 3600);
    const a = await tryConnect(ns.server, { user: c.username, password: c.password, database: db('81') });
    expect(a.ok).toBe(true);
    if (!a.ok) return;
    try {
      // Three kinds of pin on PR 82's roles, by PR 81's code in its own database: a privilege, a policy, default privileges.
      await a.session.exec(`CREATE TABLE public.pin (x int); GRANT SELECT ON public.pin TO ${ident(group('82'))}, ${ident(b.username)};
        CREATE POLICY pin_p ON public.pin TO ${ident(group('82'))} USING (true);
        ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO ${ident(b.username)}`);
    } finally {
      await a.session.end();
    }
    const d = await run(previewDropScript(app()), { TIERKIT_PR_NUMBER: '82' });
    expect(d.code, d.stderr).toBe(0);
    expect(await exists(db('82'))).toBe(false);
    expect(await roleExists(group('82'))).toBe(false);
    expect(await roleExists(b.username)).toBe(false);
    const left = await retired();
    expect(left.length, 'the group and the login, retired').toBe(2);
    for (const r of left) {
      expect(r.rolname).toBe(`${retiredPrefix()}${r.oid}`);
      expect(r.comment).toBe(PREVIEW_RETIRED_MARKER);
      expect(r.rolcanlogin).toBe(false);
      expect(r.rolconnlimit).toBe(0);
      expect(r.parents, `${r.rolname} still a member of a role`).toBe('0');
      expect(r.members, `${r.rolname} still has a member`).toBe('0');
    }
    // PR 82's login cannot log in any more, with the password Vault gave it, under its new name.
    for (const r of left) expect((await tryConnect(ns.server, { user: r.rolname, password: b.password, database: m('erp-previews') })).ok).toBe(false);
    // A second drop finds nothing and succeeds; the collector keeps the pinned roles.
    expect((await run(previewDropScript(app()), { TIERKIT_PR_NUMBER: '82' })).code).toBe(0);
    let r = await collect();
    expect(r.code, r.stderr).toBe(0);
    expect((await retired()).length).toBe(2);
    // PR 81 closes: its database goes, and with it the pins; the next pass drops the retired roles.
    expect((await run(previewDropScript(app()), { TIERKIT_PR_NUMBER: '81' })).code).toBe(0);
    r = await collect();
    expect(r.code, r.stderr).toBe(0);
    expect(await retired()).toEqual([]);
  });

  it('the collector never drops a retired-looking role it did not retire, and ownership is never retired: the drop fails', async () => {
    const su = await ns.admin();
    // A role named and marked like a retired one, not created by the admin (no ADMIN OPTION on it).
    const planted = `${retiredPrefix()}1`;
    await su.exec(`CREATE ROLE ${ident(planted)} NOLOGIN; COMMENT ON ROLE ${ident(planted)} IS '${PREVIEW_RETIRED_MARKER}'`);
    for (const pr of ['91', '92']) expect((await create(pr)).code).toBe(0);
    // Something makes PR 92's group OWN an object in PR 91's database (only a superuser can): not a grant.
    const s91 = await ns.connect({ user: ns.server.user, password: ns.server.password, database: db('91') });
    await s91.exec(`CREATE TABLE public.owned (x int); ALTER TABLE public.owned OWNER TO ${ident(group('92'))}`);
    await s91.end();
    const d = await run(previewDropScript(app()), { TIERKIT_PR_NUMBER: '92' });
    expect(d.code).not.toBe(0);
    expect(d.stderr).toMatch(/cannot be dropped because some objects depend on it/);
    expect(await roleExists(group('92')), 'an owner is not retired').toBe(true);
    expect(await roleExists(planted)).toBe(true);
    const r = await collect();
    expect(r.code, r.stderr).toBe(0);
    expect(await roleExists(planted), 'a role the admin did not retire').toBe(true);
    await su.exec(`DROP ROLE ${ident(planted)}`);
  });

  it('a PR granting and revoking in a loop never makes another PR\'s drop fail: the drop decides after DROP ROLE fails', async () => {
    const prs = ['101', '102', '103', '104', '105'];
    for (const pr of ['100', ...prs]) expect((await create(pr)).code).toBe(0);
    const c = await credential('100', 3600);
    const a = await tryConnect(ns.server, { user: c.username, password: c.password, database: db('100') });
    expect(a.ok).toBe(true);
    if (!a.ok) return;
    await a.session.exec('CREATE TABLE public.pin (x int)');
    // A grant to a role dropped since the loop listed it ends the loop: the drops have then won the race anyway.
    const names = prs.map((pr) => `'${group(pr)}'`).join(', ');
    // Server-side, committing each step: a grant or a revoke lands every fraction of a millisecond, for as long as the drops run.
    const until = Date.now() + 60_000;
    const hostile = a.session.query(`DO $$ DECLARE r record; BEGIN
        WHILE pg_catalog.clock_timestamp() < pg_catalog.to_timestamp(${until / 1000}) AND pg_catalog.current_setting('application_name') <> 'stop' LOOP
          FOR r IN SELECT rolname FROM pg_catalog.pg_roles WHERE rolname::text = ANY (ARRAY[${names}]) LOOP EXECUTE pg_catalog.format('GRANT SELECT ON public.pin TO %I', r.rolname); END LOOP; COMMIT;
          FOR r IN SELECT rolname FROM pg_catalog.pg_roles WHERE rolname::text = ANY (ARRAY[${names}]) LOOP EXECUTE pg_catalog.format('REVOKE SELECT ON public.pin FROM %I', r.rolname); END LOOP; COMMIT;
          PERFORM pg_catalog.set_config('tierkit.toggles', (COALESCE(NULLIF(pg_catalog.current_setting('tierkit.toggles', true), ''), '0')::int + 1)::text, false);
          IF EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = ${ident(group('105')).replace(/"/g, "'")}) IS NOT TRUE THEN EXIT; END IF;
        END LOOP; END $$`).catch(() => undefined).then(() => a.session.query<{ toggles: string }>(`SELECT pg_catalog.current_setting('tierkit.toggles', true) AS toggles`));
    try {
      for (const pr of prs) {
        const d = await run(previewDropScript(app()), { TIERKIT_PR_NUMBER: pr });
        expect(d.code, d.stderr).toBe(0);
        expect(await roleExists(group(pr)), `PR ${pr}'s group left behind`).toBe(false);
      }
    } finally {
      // The loop ends once PR 105's group is gone (or the minute is up).
      const t = await hostile;
      await a.session.end();
      expect(Number(t[0]?.toggles), 'the hostile loop ran').toBeGreaterThan(10);
    }
  });
});
