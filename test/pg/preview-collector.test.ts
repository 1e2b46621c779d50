// The preview orphan collector (constructs/lifecycle/preview-collector.ts) on a real PostgreSQL 18,
// as the synthesized preview admin: a PR with a live login is kept, one without is stamped and then
// dropped once its stamp is older than the window (time simulated by an old stamp the admin writes);
// a planted stamp on prod's role or on a database the admin did not create is never acted on; the
// PR's own code can neither forge nor clear the stamp; a sync (the create step) clears it.
// The rendered CronJob (dist) runs the same script with the env its container carries.
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { previewCollectScript, ORPHAN_STAMP_PREFIX } from '../../constructs/lifecycle/preview-collector';
import { PREVIEW_GROUP_MARKER } from '../../constructs/lifecycle/preview-scripts';
import { synthToDist } from '../support/synth';
import { previewEstate, usePreviewServer } from './support/preview-harness';
import { expectSqlState, ident, tryConnect, type Namespace, type Session } from './support/db';
import { type AppliedEstate } from './support/estate';

const HOURS = 72;

const dist = synthToDist(previewEstate(), 'pg-preview-collector');

/** An admin-written stamp `hours` ago, in the collector's format. */
const stampAgo = (hours: number) => `${ORPHAN_STAMP_PREFIX}${new Date(Date.now() - hours * 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z')}`;

describe('the preview orphan collector on PostgreSQL 18', () => {
  const h = usePreviewServer(dist);
  let ns: Namespace;
  let applied: AppliedEstate;
  let m: (name: string) => string;
  let admin: Session;
  let su: Session;
  beforeAll(async () => {
    ({ ns, applied, m, admin } = h);
    su = await ns.admin();
  });
  const { app, run, create, group, db, exists, credential } = h;
  const collect = () => run(previewCollectScript(app(), HOURS));
  const comment = async (role: string) => (await admin.query<{ c: string | null }>("SELECT shobj_description(oid, 'pg_authid') AS c FROM pg_roles WHERE rolname = $1", [role]))[0]?.c;

  it('keeps a PR with a live login, stamps one with none (or only a lapsed one), drops it after the window, and clears a stamp when a login appears', async () => {
    for (const pr of ['31', '32', '33']) expect((await create(pr)).code).toBe(0);
    expect(await comment(group('31'))).toBe(PREVIEW_GROUP_MARKER);
    await credential('31', 3600);
    await credential('33', -60); // a lease that expired, its login not (yet) dropped

    const first = await collect();
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(await comment(group('31'))).toBe(PREVIEW_GROUP_MARKER);
    for (const pr of ['32', '33']) {
      const stamp = await comment(group(pr));
      expect(stamp).toMatch(new RegExp(`^${ORPHAN_STAMP_PREFIX}\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$`));
      expect(Math.abs(Date.parse(stamp!.slice(ORPHAN_STAMP_PREFIX.length)) - Date.now())).toBeLessThan(120_000);
      expect(await exists(db(pr))).toBe(true); // stamped, not dropped: the window has not passed
    }

    // Time passes: PR 32's stamp is older than the window, PR 33's is not.
    await admin.exec(`COMMENT ON ROLE ${ident(group('32'))} IS '${stampAgo(HOURS + 1)}'`);
    await admin.exec(`COMMENT ON ROLE ${ident(group('33'))} IS '${stampAgo(HOURS - 1)}'`);
    const second = await collect();
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(new RegExp(`orphaned preview database ${db('32')} collected`));
    expect(await exists(db('32'))).toBe(false);
    expect((await admin.query('SELECT FROM pg_roles WHERE rolname = $1', [group('32')])).length).toBe(0);
    expect(await exists(db('33'))).toBe(true);
    expect(await exists(db('31'))).toBe(true);

    // PR 33's workload gets a credential again: the stamp is cleared, nothing dropped even past the window.
    await admin.exec(`COMMENT ON ROLE ${ident(group('33'))} IS '${stampAgo(HOURS + 5)}'`);
    await credential('33', 3600);
    expect((await collect()).code).toBe(0);
    expect(await comment(group('33'))).toBe(PREVIEW_GROUP_MARKER);
    expect(await exists(db('33'))).toBe(true);
  });

  it('a sync (the create step) clears a stamp; the PR\'s own code can neither forge nor clear it', async () => {
    expect((await create('34')).code).toBe(0);
    await admin.exec(`COMMENT ON ROLE ${ident(group('34'))} IS '${stampAgo(1)}'`);
    const c = await credential('34', 3600);
    const pr = await tryConnect(ns.server, { user: c.username, password: c.password, database: db('34') });
    expect(pr.ok).toBe(true);
    if (!pr.ok) return;
    try {
      for (const text of [PREVIEW_GROUP_MARKER, stampAgo(1000), `${ORPHAN_STAMP_PREFIX}2999-01-01T00:00:00Z`]) {
        await expectSqlState(pr.session.query(`COMMENT ON ROLE ${ident(group('34'))} IS '${text}'`), '42501');
      }
      await expectSqlState(pr.session.query(`COMMENT ON ROLE ${ident(group('34'))} IS NULL`), '42501');
      // Nor can it keep itself alive past its lease: VALID UNTIL is not its to move.
      await expectSqlState(pr.session.query(`ALTER ROLE CURRENT_USER VALID UNTIL 'infinity'`), '42501');
    } finally {
      await pr.session.end();
    }
    expect((await create('34')).code).toBe(0);
    expect(await comment(group('34'))).toBe(PREVIEW_GROUP_MARKER);
  });

  it('never acts on a planted stamp: prod\'s or dev\'s role, a PR-named database and group the admin did not create, an unmarked group', async () => {
    const old = stampAgo(HOURS * 10);
    // Planted by the server's superuser (the admin cannot: 42501), the strongest a hostile author could hope for.
    await expectSqlState(admin.query(`COMMENT ON ROLE ${ident(m('erp_role'))} IS '${old}'`), '42501');
    await su.exec(`COMMENT ON ROLE ${ident(m('erp_role'))} IS '${old}'; COMMENT ON ROLE ${ident(m('erp_dev_role'))} IS '${old}'`);
    await su.exec(`CREATE ROLE ${ident(group('40'))} NOLOGIN; COMMENT ON ROLE ${ident(group('40'))} IS '${old}'`);
    await su.exec(`CREATE DATABASE ${ident(db('40'))} OWNER ${ident(group('40'))}`);
    // A preview the admin created, whose database an outsider replaced by one owned by prod's group.
    expect((await create('41')).code).toBe(0);
    await su.exec(`DROP DATABASE ${ident(db('41'))}`);
    await su.exec(`CREATE DATABASE ${ident(db('41'))} OWNER ${ident(m('erp_role'))}`);
    await admin.exec(`COMMENT ON ROLE ${ident(group('41'))} IS '${old}'`);
    // A preview the admin created but never marked (created before the marker): left for collection by hand.
    expect((await create('42')).code).toBe(0);
    await admin.exec(`COMMENT ON ROLE ${ident(group('42'))} IS NULL`);

    const r = await collect();
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const database of [m('erp'), m('erp-dev'), db('40'), db('41'), db('42')]) expect(await exists(database), database).toBe(true);
    expect(await comment(m('erp_role'))).toBe(old);
    expect(await comment(group('40'))).toBe(old);
    expect(await comment(group('42'))).toBeNull();
    // And were it selected, dropping prod stays the admin's to be refused.
    await expectSqlState(admin.query(`DROP DATABASE ${ident(m('erp'))}`), '42501');
    await su.exec(`COMMENT ON ROLE ${ident(m('erp_role'))} IS NULL; COMMENT ON ROLE ${ident(m('erp_dev_role'))} IS NULL`);
  });

  it('the rendered CronJob erp-previews-collect, run with the env its container carries, drops an orphan past the window and keeps a live PR', async () => {
    const cron = dist.kubernetes.find((k) => k.object.kind === 'CronJob' && k.object.metadata?.name === 'erp-previews-collect')!.object;
    const c = cron.spec.jobTemplate.spec.template.spec.containers[0];
    // The container runs tierkit's script for erp; the test server prefixes every name, so the prefixed app's script runs (same text, unprefixed).
    expect(c.command.slice(0, 2)).toEqual(['bash', '-c']);
    expect(c.command[2]).toBe(previewCollectScript(app(), HOURS).replaceAll(applied.names.prefix, ''));
    const env: Record<string, string> = Object.fromEntries(c.env.map((e: any) => [e.name, e.value]));
    expect(Object.keys(env).sort()).toEqual(['PGDATABASE', 'PGHOST', 'PGPORT', 'PGSSLMODE', 'TIERKIT_CREDENTIALS_FILE']);
    for (const pr of ['51', '52']) expect((await create(pr)).code).toBe(0);
    await credential('51', 3600);
    await admin.exec(`COMMENT ON ROLE ${ident(group('52'))} IS '${stampAgo(HOURS + 1)}'`);
    // What the cluster supplies: the server's address here, the agent's credentials file.
    const r = await run(previewCollectScript(app(), HOURS), { PGDATABASE: m(env.PGDATABASE) });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`orphaned preview database ${db('52')} collected`));
    expect(await exists(db('52'))).toBe(false);
    expect(await exists(db('51'))).toBe(true);
    expect(await comment(group('51'))).toBe(PREVIEW_GROUP_MARKER);
  });

  it('is shellcheck-clean (bash, as the Job would run it)', () => {
    const r = spawnSync('shellcheck', ['--shell=bash', '--format=gcc', '-'], { input: previewCollectScript('erp', HOURS), encoding: 'utf8' });
    if (r.error) throw new Error(`shellcheck is not installed (.ci/run installs it): ${r.error.message}`);
    expect(r.stdout).toBe('');
    expect(r.status).toBe(0);
  });

  it('refuses a window that is not a whole number of hours in bounds', () => {
    for (const bad of [0, -1, 1.5, 2161, Number.NaN]) expect(() => previewCollectScript('erp', bad)).toThrow(/orphanAfterHours .* is not a whole number of hours in \[1, 2160\]/);
  });
});
