// attack18 (TK180 collector, PostDelete drop, issue 19 seed login): one PR's code blocks another
// PR's cleanup. PR A's credential owns (through its group) objects in its own database and may GRANT on
// them to ANY role of the server: `GRANT SELECT ON a_table TO <app>_pr_<B>_role` (or to B's seed login
// `<app>_pr_<B>_seed` while B's PreSync seeds, or to B's Vault logins) records a shared dependency in
// pg_shdepend. B's DROP ROLE then fails ("privileges for table … in database <app>-pr-<A>"): the
// collector (and PostDelete's drop, the same SQL) drops B's database, then stops on B's group, which
// stays forever (no database, so never a candidate again); B's seed step cannot drop its seed login and
// drops B's database instead (exit 5), on every sync while A keeps granting. Nothing in B's scripts
// revokes privileges held in OTHER databases (DROP OWNED runs in one database only).
// The server, applied estate and admin-side scripts: test/pg/support/preview-harness.ts.
import { beforeAll, describe, expect, it } from 'vitest';
import { previewCollectScript, ORPHAN_STAMP_PREFIX } from '../../constructs/lifecycle/preview-collector';
import { previewDropScript } from '../../constructs/lifecycle/preview-scripts';
import { synthToDist } from '../support/synth';
import { previewEstate, usePreviewServer } from '../pg/support/preview-harness';
import { ident, tryConnect, type Namespace, type Session } from '../pg/support/db';

const HOURS = 72;

const dist = synthToDist(previewEstate(), 'pg-preview-collector');

/** An admin-written stamp `hours` ago, in the collector's format. */
const stampAgo = (hours: number) => `${ORPHAN_STAMP_PREFIX}${new Date(Date.now() - hours * 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z')}`;

describe('attack18: a PR grants on its own objects to another PR\'s roles', () => {
  const h = usePreviewServer(dist);
  let ns: Namespace;
  let admin: Session;
  beforeAll(async () => {
    ({ ns, admin } = h);
  });
  const { app, run, create, group, db, exists, credential } = h;
  const collect = () => run(previewCollectScript(app(), HOURS));

  it('PR 61\'s code granting on its table to PR 62\'s group does not stop PR 62\'s collection (nor its PostDelete drop)', async () => {
    for (const pr of ['61', '62', '63']) expect((await create(pr)).code).toBe(0);
    const c = await credential('61', 3600);
    const a = await tryConnect(ns.server, { user: c.username, password: c.password, database: db('61') });
    expect(a.ok).toBe(true);
    if (!a.ok) return;
    try {
      // Plain SQL of PR 61's own code, in its own database (its login SETs ROLE to its group, the owner).
      await a.session.exec(`CREATE TABLE public.pin (x int); GRANT SELECT ON public.pin TO ${ident(group('62'))}, ${ident(group('63'))}`);
    } finally {
      await a.session.end();
    }
    // PR 62 closed long ago: its group is stamped past the window.
    await admin.exec(`COMMENT ON ROLE ${ident(group('62'))} IS '${stampAgo(HOURS + 1)}'`);
    const r = await collect();
    // Secure: PR 62 is collected whole (database AND group), and the pass succeeds.
    expect(r.code, r.stderr).toBe(0);
    expect(await exists(db('62'))).toBe(false);
    expect((await admin.query('SELECT FROM pg_roles WHERE rolname = $1', [group('62')])).length, 'PR 62\'s group left behind').toBe(0);
    // PostDelete's drop step of PR 63 (the same SQL): secure is success, group gone.
    const d = await run(previewDropScript(app()), { TIERKIT_PR_NUMBER: '63' });
    expect(d.code, d.stderr).toBe(0);
    expect((await admin.query('SELECT FROM pg_roles WHERE rolname = $1', [group('63')])).length, 'PR 63\'s group left behind').toBe(0);
  });
});
