import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PostgresServer } from '../../constructs';
import type { Manifest } from '../../contract/manifest';
import { readDist } from '../../contract/read';
import { stateMigrationPlan, stateMigrationScript } from '../../contract/state-migration';
import { computeChangeSet } from '../../diff';
import { server } from '../../environments/estate';
import { app, pairDirs, read, writeEstate } from '../diff/fixtures';
import { cleanDist, freshDir } from '../policies/helpers';

/**
 * attack14's follow-ups for `tierkit state migrate`: where a state may go (contract/state-move-gates.ts).
 * A gate that rises on the same server is moved and listed; one that falls, or another server, is
 * refused; a platform stack's gate must be the estate's strictest; the CLI refuses any reader problem.
 */
const ROOT = join(__dirname, '../..');
const tierkit = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, 'cli/main.ts'), ...args], { cwd: ROOT, encoding: 'utf8' });
const clone = (): any => JSON.parse(JSON.stringify(readDist(cleanDist()).manifest));
/** nonprod-pg gated by `tier` (its stacks too): an estate where that server's strictest gate was another. */
const nonprodGatedBy = (tier: string): Manifest => {
  const m = clone();
  m.servers.find((s: any) => s.id === 'nonprod-pg').gatingTier = tier;
  for (const s of m.stacks) if (s.server === 'nonprod-pg') s.gatingTier = tier;
  return m;
};

describe('state migrate: where a state may go', () => {
  it("a gate that rises on the same server (nonprod-pg from ci to dev) moves each of its stacks and lists the rise", () => {
    const plan = stateMigrationPlan(nonprodGatedBy('ci'), clone());
    expect(plan.refusals).toEqual([]);
    expect(plan.moves.find((m) => m.stack === 'shop-dev')).toEqual({ stack: 'shop-dev', from: 'estate/ci/servers/nonprod-pg/shop-dev.tfstate', to: 'estate/dev/servers/nonprod-pg/shop-dev.tfstate', why: 'live' });
    expect(plan.gateRises).toContainEqual({ stack: 'shop-dev', fromTier: 'ci', toTier: 'dev' });
    expect(plan.gateRises.map((r) => r.stack)).toEqual(plan.moves.map((m) => m.stack));
    expect(stateMigrationScript(plan)).toContain('# shop-dev (live): estate/ci/servers/nonprod-pg/shop-dev.tfstate -> estate/dev/servers/nonprod-pg/shop-dev.tfstate (gate rises from ci to dev: review its first dev plan)');
    expect(stateMigrationScript(plan)).toContain(`if aws s3api head-object --bucket 'arcodange-tfstate' --key 'estate/dev/servers/nonprod-pg/shop-dev.tfstate' > /dev/null 2>&1; then echo "shop-dev: a state already exists at estate/dev/servers/nonprod-pg/shop-dev.tfstate; nothing moved" >&2; exit 1; fi`);
  });

  it('the same gate falling (nonprod-pg from dev to ci) is refused for every stack on it: retire and add anew', () => {
    const plan = stateMigrationPlan(clone(), nonprodGatedBy('ci'));
    expect(plan.moves).toEqual([]);
    expect(plan.refusals).toContainEqual(expect.stringContaining("stack shop-dev's gating tier goes from dev to ci, not stricter in both dists"));
    expect(() => stateMigrationScript(plan)).toThrow(/refusing to write a migration/);
  });

  it('a tier the new dist ranks above prod does not make prod → that tier a rise: both dists must agree', () => {
    const to = clone();
    to.tiers.find((t: any) => t.name === 'dev').rank = 9;
    to.tiers.find((t: any) => t.name === 'dev').data = ['live'];
    to.servers.find((s: any) => s.id === 'prod-pg').gatingTier = 'dev';
    for (const s of to.stacks) if (s.server === 'prod-pg') s.gatingTier = 'dev';
    const plan = stateMigrationPlan(clone(), to);
    expect(plan.moves.filter((m) => m.from.startsWith('estate/prod/'))).toEqual([]);
    expect(plan.refusals).toContainEqual(expect.stringContaining("stack shop's gating tier goes from prod to dev"));
  });

  it("prod-pg's entry and its stacks all edited to say dev gates them: the live env on it, and the fall, are each refused", () => {
    const to = clone();
    to.servers.find((s: any) => s.id === 'prod-pg').gatingTier = 'dev';
    for (const s of to.stacks) if (s.server === 'prod-pg') s.gatingTier = 'dev';
    const plan = stateMigrationPlan(clone(), to);
    expect(plan.refusals).toContainEqual(expect.stringMatching(/^server prod-pg holds \S+ of the live-data tier prod, but the new manifest gates it by dev$/));
    expect(plan.refusals).toContainEqual(expect.stringContaining("stack shop's gating tier goes from prod to dev"));
    expect(plan.moves).toEqual([]);
  });

  it("a platform stack whose gating tier is not the estate's strictest is refused", () => {
    const to = clone();
    to.stacks.find((s: any) => s.name === 'platform-dev').gatingTier = 'dev';
    const plan = stateMigrationPlan(clone(), to);
    expect(plan.refusals).toContainEqual(expect.stringContaining("platform stack platform-dev: the new manifest says \"dev\" gates it, but platform stacks apply behind the estate's strictest gate (prod)"));
    expect(plan.moves).toEqual([]);
  });

  it('the CLI refuses a dist the strict reader has problems with (an edited stack file), and one listing a stack twice', () => {
    const dir = freshDir('migrate-edited');
    cpSync(cleanDist(), dir, { recursive: true });
    const file = join(dir, 'terraform/shop/cdk.tf.json');
    writeFileSync(file, `${readFileSync(file, 'utf8')}\n`); // same JSON, another sha256
    const r = tierkit('state', 'migrate', '--from', cleanDist(), '--dist', dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`the new dist ${dir} is not what tierkit synthesized`);
    expect(r.stderr).toContain('terraform/shop/cdk.tf.json');
    expect(r.stdout).toBe('');
    const dup = freshDir('migrate-dup');
    cpSync(cleanDist(), dup, { recursive: true });
    const m = JSON.parse(readFileSync(join(dup, 'manifest.json'), 'utf8'));
    m.stacks.push({ ...m.stacks.find((s: any) => s.name === 'shop') });
    writeFileSync(join(dup, 'manifest.json'), JSON.stringify(m, null, 2));
    const d = tierkit('state', 'migrate', '--from', cleanDist(), '--dist', dup, '--script');
    expect(d.status).toBe(1);
    expect(d.stdout).not.toContain('aws s3 rm');
    const ok = tierkit('state', 'migrate', '--from', cleanDist(), '--dist', cleanDist());
    expect(ok.status, ok.stderr).toBe(0);
  });
});

describe('the PR diff on a state key move that migrate refuses', () => {
  it("erp-sandbox moved from prod-pg to nonprod-pg: the item says not to migrate and to retire it under prod's gate", () => {
    const dirs = pairDirs('a14-diff-down');
    const base = writeEstate(dirs.base);
    const head = writeEstate(dirs.head, (e) => {
      const sb = app(e, 'erp').node.children.find((c) => c.node.id === 'sandbox')!;
      (sb as unknown as { explicitServer: PostgresServer }).explicitServer = server(e, 'nonprod-pg');
    });
    const item = computeChangeSet(read(base), read(head)).attention.find((a) => a.category === 'state-key-moved' && a.stack === 'erp-sandbox')!;
    expect(item.message).toContain('moves from estate/prod/servers/prod-pg/erp-sandbox.tfstate to estate/dev/servers/nonprod-pg/erp-sandbox.tfstate');
    expect(item.message).toContain('`tierkit state migrate` refuses this move, do not migrate');
    expect(item.message).toContain("its destroy runs under prod's gate");
    expect(item.message).not.toContain('pause applies and run');
  });
});
