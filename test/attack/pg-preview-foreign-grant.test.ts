// attack18 (TK180 collector, PostDelete drop, issue 19 seed login): one PR's code blocks another
// PR's cleanup. PR A's credential owns (through its group) objects in its own database and may GRANT on
// them to ANY role of the server: `GRANT SELECT ON a_table TO <app>_pr_<B>_role` (or to B's seed login
// `<app>_pr_<B>_seed` while B's PreSync seeds, or to B's Vault logins) records a shared dependency in
// pg_shdepend. B's DROP ROLE then fails ("privileges for table … in database <app>-pr-<A>"): the
// collector (and PostDelete's drop, the same SQL) drops B's database, then stops on B's group, which
// stays forever (no database, so never a candidate again); B's seed step cannot drop its seed login and
// drops B's database instead (exit 5), on every sync while A keeps granting. Nothing in B's scripts
// revokes privileges held in OTHER databases (DROP OWNED runs in one database only).
// Harness copied from test/pg/preview-collector.test.ts:
// The preview orphan collector (constructs/lifecycle/preview-collector.ts) on a real PostgreSQL 18,
// as the synthesized preview admin: a PR with a live login is kept, one without is stamped and then
// dropped once its stamp is older than the window (time simulated by an old stamp the admin writes);
// a planted stamp on prod's role or on a database the admin did not create is never acted on; the
// PR's own code can neither forge nor clear the stamp; a sync (the create step) clears it.
// The rendered CronJob (dist) runs the same script with the env its container carries.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { App, Tier } from '../../constructs';
import { previewCollectScript, ORPHAN_STAMP_PREFIX } from '../../constructs/lifecycle/preview-collector';
import { previewCreateScript, previewDropScript } from '../../constructs/lifecycle/preview-scripts';
import * as naming from '../../constructs/naming';
import { creationStatements } from '../../constructs/statements';
import { smallEstate } from '../support/estates';
import { synthToDist } from '../support/synth';
import { createNamespace, ident, pgServer, tryConnect, type Namespace, type Session } from '../pg/support/db';
import { applyEstate, type AppliedEnv, type AppliedEstate } from '../pg/support/estate';
import { runTool, type ToolResult } from '../pg/support/pgtools';
import { issueCredential, type DynamicCredential, type VaultPieces } from '../pg/support/vault';

const HOURS = 72;

function previewEstate() {
  const e = smallEstate();
  new App(e, 'erp', { tiers: [Tier.DEV, Tier.PROD], objectPrefix: 'llx_', image: 'example/erp:1.0.0@sha256:' + 'e'.repeat(64), previews: { tier: Tier.DEV, maxOpen: 9 } });
  return e;
}
const dist = synthToDist(previewEstate(), 'pg-preview-collector');

/** An admin-written stamp `hours` ago, in the collector's format. */
const stampAgo = (hours: number) => `${ORPHAN_STAMP_PREFIX}${new Date(Date.now() - hours * 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z')}`;

describe('attack18: a PR grants on its own objects to another PR\'s roles', () => {
  let ns: Namespace;
  let applied: AppliedEstate;
  let dev: AppliedEnv;
  let dir: string;
  let m: (name: string) => string;
  let admin: Session;
  const app = () => m('erp');

  beforeAll(async () => {
    ns = await createNamespace(pgServer(18), 'pcollect');
    applied = await applyEstate(ns, dist, { kind: 'declared' });
    dev = applied.envs.find((e) => e.env.slug === 'erp-dev')!;
    m = (name) => applied.names.map(name);
    dir = mkdtempSync(join(tmpdir(), 'tierkit-preview-collector-'));
    admin = await ns.connect({ user: m('erp_preview_admin'), password: dev.variables.preview_admin_password, database: m('erp-previews') });
  });
  afterAll(async () => {
    await ns?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const run = (script: string, extra: Record<string, string> = {}): Promise<ToolResult> => {
    const creds = join(dir, 'admin-creds');
    writeFileSync(creds, `export PGUSER='${m('erp_preview_admin')}'\nexport PGPASSWORD='${dev.variables.preview_admin_password}'\n`, { mode: 0o600 });
    return runTool('/bin/bash', ['-c', script], {
      PATH: process.env.PATH, HOME: dir, PGHOST: ns.server.host, PGPORT: String(ns.server.port), PGSSLMODE: 'disable',
      PGDATABASE: m('erp-previews'), TIERKIT_CREDENTIALS_FILE: creds, TIERKIT_MAX_OPEN: '9', ...extra,
    });
  };
  const create = (pr: string) => run(previewCreateScript(app()), { TIERKIT_PR_NUMBER: pr });
  const collect = () => run(previewCollectScript(app(), HOURS));
  const group = (pr: string) => naming.previewGroupRoleName(app(), pr);
  const db = (pr: string) => naming.previewSlug(app(), pr);
  const exists = async (database: string) => (await admin.query('SELECT FROM pg_database WHERE datname = $1', [database])).length === 1;

  /** A PR credential as Vault issues it (the preview connection's creation statements, as the admin), valid for `ttlSeconds` (negative: lapsed). */
  async function credential(pr: string, ttlSeconds: number): Promise<DynamicCredential> {
    const conn = dev.stack.resources.find((r) => r.name === 'preview_connection')!.attributes as Record<string, any>;
    const role = naming.previewSlug('erp', pr);
    const pieces: VaultPieces = {
      stack: dev.stack.name, connectionName: String(conn.name), connectionUser: m(String(conn.postgresql.username)),
      database: m('erp-previews'), allowedRoles: [role], roleName: role,
      creation: creationStatements(naming.previewCoordinate('erp', pr)).map((s) => applied.names.mapQuotedIdentifiers(s)), revocation: [],
    };
    const issued = await issueCredential(ns.server, pieces, applied.names, dev.variables.preview_admin_password, ttlSeconds);
    if (!issued.ok) throw new Error(`${issued.code} ${issued.message}`);
    return issued.credential;
  }

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
