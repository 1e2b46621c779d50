// attack18, issue 19 seed login (same root cause as pg-preview-foreign-grant.test.ts): while PR B's
// PreSync seeds, its throwaway login <app>_pr_<B>_seed is in pg_roles (readable by every login). PR A's
// code polls for it and GRANTs it SELECT on a table of A's database. B's seed step then cannot drop its
// seed login (a privilege in another database), takes its fallback — drain and DROP B's database — and
// fails (exit 5). A repeats it on every sync of B: B's preview is never seeded, never gets its Vault role.
//
// Context of the shared primitive: one PR's code blocks another
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
import { previewSeedScript } from '../../constructs/lifecycle/preview-scripts';
import * as naming from '../../constructs/naming';
import { synthToDist } from '../support/synth';
import { previewEstate, usePreviewServer } from '../pg/support/preview-harness';
import { tryConnect, type Namespace } from '../pg/support/db';
import { makePreviewSeed } from '../pg/support/preview-seed';


const dist = synthToDist(previewEstate(), 'pg-preview-collector');


describe('attack18: a PR grants on its own table to another PR\'s seed login', () => {
  const h = usePreviewServer(dist);
  let ns: Namespace;
  let dir: string;
  beforeAll(async () => {
    ({ ns, dir } = h);
  });
  const { app, run, create, db, exists, credential } = h;

  it('PR 71\'s code granting to PR 72\'s seed login does not make PR 72\'s seed step drop its database', async () => {
    const seedMade = await makePreviewSeed(dir, 'a18seed');
    const { binDir, file, hashes } = seedMade;
    try {
      for (const pr of ['71', '72']) expect((await create(pr)).code).toBe(0);
      const c = await credential('71', 3600);
      const a = await tryConnect(ns.server, { user: c.username, password: c.password, database: db('71') });
      expect(a.ok).toBe(true);
      if (!a.ok) return;
      const seeder = naming.previewSeedLoginName(app(), '72');
      await a.session.exec('CREATE TABLE public.pin (x int)');
      // PR 71's code: wait for PR 72's seed login to appear, grant it something in PR 71's database.
      const hostile = a.session.exec(`DO $$ BEGIN
          FOR i IN 1..1200 LOOP
            IF EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = '${seeder}') THEN
              EXECUTE pg_catalog.format('GRANT SELECT ON public.pin TO %I', '${seeder}'); RETURN;
            END IF;
            PERFORM pg_catalog.pg_sleep(0.005);
          END LOOP; END $$`);
      const seeded = await run(previewSeedScript(app()), { TIERKIT_PR_NUMBER: '72', PATH: `${binDir}:${process.env.PATH}`, TIERKIT_DUMP_FILE: file, TIERKIT_SEED_HASH_FILE: hashes, TIERKIT_OBJECT_PREFIX: 'llx_' });
      await hostile.catch(() => undefined);
      await a.session.end();
      // Secure: PR 72 is seeded and keeps its database whatever PR 71's code grants.
      expect(await exists(db('72')), 'PR 72\'s database was dropped by its own seed step').toBe(true);
      expect(seeded.code, seeded.stderr).toBe(0);
    } finally {
      await seedMade.cleanup();
    }
  }, 180_000);
});
