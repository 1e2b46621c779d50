import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Backend, Estate, RetiredStack, StateKeyLayout, Tier } from '../../constructs';
import { stateMigrationPlan, stateMigrationScript } from '../../contract/state-migration';
import { computeChangeSet } from '../../diff';
import { estateWithoutShop, pairDirs, read as readEstate, retiring, writeEstate } from '../diff/fixtures';

/** `tierkit state migrate`: old and new keys from two manifests (layout 1 → 2, a gate change), refusing to guess. */

const ROOT = join(__dirname, '../..');
const S3 = { bucket: 'arcodange-tfstate', region: 'eu-west-3', keyPrefix: 'estate', accountId: '318462750923' } as const;
const layout = (l: StateKeyLayout) => (e: Estate) => { (e as { backend: Backend }).backend = Backend.s3({ ...S3, stateKeyLayout: l }); };
const tierkit = (cwd: string, ...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, 'cli/main.ts'), ...args], { cwd, encoding: 'utf8' });

let v1: string;
let v2: string;
beforeAll(() => {
  const dirs = pairDirs('state-migrate');
  v1 = writeEstate(dirs.base, layout(StateKeyLayout.STACK_NAME));
  v2 = writeEstate(dirs.head);
});

describe('tierkit state migrate', () => {
  it('layout 1 → 2: every stack moves from <prefix>/<stack> to the key naming its gating tier and server', () => {
    const plan = stateMigrationPlan(readEstate(v1).manifest, readEstate(v2).manifest);
    expect(plan.refusals).toEqual([]);
    expect(plan.moves.length).toBe(readEstate(v2).manifest.stacks.length);
    expect(plan.moves.find((m) => m.stack === 'shop')).toEqual({ stack: 'shop', from: 'estate/shop.tfstate', to: 'estate/prod/servers/prod-pg/shop.tfstate', why: 'live' });
    expect(plan.moves.find((m) => m.stack === 'erp-sandbox')!.to).toBe('estate/prod/servers/prod-pg/erp-sandbox.tfstate'); // a dev env on prod's server: prod's gate
    expect(plan.moves.find((m) => m.stack === 'platform-dev')!.to).toBe('estate/prod/platform/platform-dev.tfstate');
    const script = stateMigrationScript(plan);
    expect(script).toContain(`terraform -chdir="$FROM_DIST"/terraform/shop init -input=false -migrate-state -force-copy -backend-config=key='estate/prod/servers/prod-pg/shop.tfstate'`);
    expect(script).toContain(`aws s3 rm 's3://arcodange-tfstate/estate/shop.tfstate'`);
  });

  it('the same dist twice moves nothing; the CLI prints the plan and the script byte-identically', () => {
    const same = stateMigrationPlan(readEstate(v2).manifest, readEstate(v2).manifest);
    expect(same.moves).toEqual([]);
    const a = tierkit(ROOT, 'state', 'migrate', '--from', v1, '--dist', v2);
    expect(a.status, a.stderr).toBe(0);
    expect(JSON.parse(a.stdout).moves.length).toBe(readEstate(v2).manifest.stacks.length);
    const s = tierkit(ROOT, 'state', 'migrate', '--from', v1, '--dist', v2, '--script');
    expect(s.stdout).toBe(stateMigrationScript(stateMigrationPlan(readEstate(v1).manifest, readEstate(v2).manifest)));
    expect(tierkit(ROOT, 'state', 'migrate', '--dist', v2).status).toBe(2); // no --from: never guessed
  });

  it("refuses a retired entry claiming another tier and server than the old dist had (prod's shop as dev on nonprod-pg)", () => {
    const head = writeEstate(pairDirs('state-migrate-retire').head, (e) => {
      retiring(readEstate(v2).manifest, (n) => n.startsWith('shop'))(e);
      const list = (e as unknown as { retiredStacks: RetiredStack[] }).retiredStacks;
      (e as { retiredStacks: unknown }).retiredStacks = list.map((r) => (r.stack === 'shop' ? { ...r, tier: Tier.DEV, server: 'nonprod-pg' } : r));
    }, estateWithoutShop);
    const plan = stateMigrationPlan(readEstate(v2).manifest, readEstate(head).manifest);
    expect(plan.refusals).toEqual([expect.stringContaining('retired stack shop is claimed as tier dev on nonprod-pg, but the old dist had it gated by prod on prod-pg')]);
    expect(() => stateMigrationScript(plan)).toThrow(/refusing to write a migration/);
    const r = tierkit(ROOT, 'state', 'migrate', '--from', v2, '--dist', head);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('refusing: retired stack shop is claimed as tier dev');
  });

  it('refuses another bucket or prefix', () => {
    const other = writeEstate(pairDirs('state-migrate-bucket').head, (e) => { (e as { backend: Backend }).backend = Backend.s3({ ...S3, keyPrefix: 'elsewhere' }); });
    expect(stateMigrationPlan(readEstate(v2).manifest, readEstate(other).manifest).refusals).toEqual([expect.stringContaining("the backend's keyPrefix differs")]);
  });

  it('the PR diff names every key move and the command, before the merge (severity 4, beside the gates)', () => {
    const items = computeChangeSet(readEstate(v1), readEstate(v2)).attention.filter((a) => a.category === 'state-key-moved');
    expect(items.length).toBe(readEstate(v2).manifest.stacks.length);
    const shop = items.find((i) => i.stack === 'shop')!;
    expect(shop.message).toContain('moves from estate/shop.tfstate to estate/prod/servers/prod-pg/shop.tfstate');
    expect(shop.message).toContain('tierkit state migrate --from <base dist> --dist <head dist>');
    expect(computeChangeSet(readEstate(v2), readEstate(v2)).attention.filter((a) => a.category === 'state-key-moved')).toEqual([]);
  });
});
