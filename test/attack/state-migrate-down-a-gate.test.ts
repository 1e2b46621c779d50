// attack14 hole 2: `tierkit state migrate` hands a prod-gated stack's state to the dev applier for an
// estate `tierkit check` passes. erp-sandbox (tier dev) sits on prod-pg, so prod's gate applies it and
// its state is estate/prod/servers/prod-pg/erp-sandbox.tfstate: it holds the objects made on PROD's
// server (the golden copy of prod-shaped data, erp_sandbox_role, the Vault connection login). A PR that
// only changes the sandbox's server to nonprod-pg passes check; the diff says "migrate first"; migrate
// plans (exit 0) the copy of that state to estate/dev/servers/nonprod-pg/erp-sandbox.tfstate and the
// delete of prod's key. From then on the state of prod-server objects is written by the dev applier
// (automatic on merge) and read by the ungated dev planner (any PR), and no prod-gated run will ever
// destroy those objects: the dev apply refreshes them against nonprod-pg, drops them from state and
// recreates them there, leaving the prod-pg database and logins orphaned, unmanaged, on prod's server.
// Secure behaviour asserted: a move whose new key names a laxer gating tier (or another server) is
// refused — such a stack must be destroyed under its old gate (retired) and created anew.
import { describe, expect, it } from 'vitest';
import { PostgresServer } from '../../constructs';
import { stateMigrationPlan } from '../../contract/state-migration';
import { server } from '../../environments/estate';
import { app, pairDirs, read, writeEstate } from '../diff/fixtures';

describe('attack14: state migrate moving state down a gate', () => {
  it("refuses to move erp-sandbox's prod-gated state (objects on prod-pg) to a dev key when the sandbox moves to nonprod-pg", () => {
    const dirs = pairDirs('a14-migrate-down');
    const base = writeEstate(dirs.base);
    const head = writeEstate(dirs.head, (e) => {
      const sb = app(e, 'erp').node.children.find((c) => c.node.id === 'sandbox')!;
      (sb as unknown as { explicitServer: PostgresServer }).explicitServer = server(e, 'nonprod-pg');
    });
    const plan = stateMigrationPlan(read(base).manifest, read(head).manifest);
    expect(plan.moves.find((m) => m.stack === 'erp-sandbox')?.to).not.toBe('estate/dev/servers/nonprod-pg/erp-sandbox.tfstate');
    expect(plan.refusals).not.toEqual([]);
  });
});
