import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Backend, Estate, RetiredStack, StateKeyLayout, Tier, validateEstate } from '../../constructs';
import type { Manifest } from '../../contract/manifest';
import type { StateAccessDocument } from '../../contract/state-access';
import { check, findings, freshDir } from '../policies/helpers';
import { copyDist, editJson, rehashManifest } from '../policies/support/dist-edit';
import { estateWithoutShop, pairDirs, read as readEstate, retiring, writeEstate } from '../diff/fixtures';

/**
 * Issue 12: retiring prod's `shop` as a dev stack on the dev server (nonprod-pg). Base has shop on
 * prod-pg, gated by prod; head removes it and declares `{ stack: 'shop', tier: Tier.DEV, server:
 * 'nonprod-pg' }`, which is consistent in itself, so validation and TK150 pass it. What the entry
 * gets is a grant for `tierkit-state-apply-dev` — trusted by the apply workflow at main in the dev
 * environment, which applies on merge with no human gate — on the key the entry forms. Under state
 * key layout 1 that is prod shop's real state (read: every attribute; write: what the next apply
 * changes); under layout 2 it is another, empty key.
 */

const S3 = { bucket: 'arcodange-tfstate', region: 'eu-west-3', keyPrefix: 'estate', accountId: '318462750923' } as const;
const layout = (l: StateKeyLayout) => (e: Estate) => { (e as { backend: Backend }).backend = Backend.s3({ ...S3, stateKeyLayout: l }); };

/** Head's mutation: retire base's shop stacks as they were, except prod's shop, claimed as dev on nonprod-pg. */
function retireShopAsDev(base: Manifest): (e: Estate) => void {
  return (e) => {
    retiring(base, (n) => n.startsWith('shop'))(e);
    const list = (e as unknown as { retiredStacks: RetiredStack[] }).retiredStacks;
    (e as { retiredStacks: unknown }).retiredStacks = list.map((r) => (r.stack === 'shop' ? { ...r, tier: Tier.DEV, server: 'nonprod-pg' } : r));
  };
}

const json = (dir: string, rel: string) => JSON.parse(readFileSync(join(dir, rel), 'utf8'));
const objectsOf = (d: StateAccessDocument, name: string) => d.identities.find((i) => i.name === name)!.permissionsPolicy.Statement.flatMap((s) => [s.Resource].flat() as string[]);
const holders = (d: StateAccessDocument, object: string) => d.identities.filter((i) => objectsOf(d, i.name).includes(object)).map((i) => i.name);

interface Case { base: string; head: string; prodShopKey: string; access: StateAccessDocument }
function build(l: StateKeyLayout, label: string): Case {
  const dirs = pairDirs(label);
  const base = writeEstate(dirs.base, layout(l));
  const head = writeEstate(dirs.head, (e) => { layout(l)(e); retireShopAsDev(readEstate(base).manifest)(e); }, estateWithoutShop);
  // The key prod shop's state really lives under: base's own backend block.
  const prodShopKey = json(base, 'terraform/shop/cdk.tf.json').terraform.backend.s3.key as string;
  return { base, head, prodShopKey, access: json(head, 'ci/state-access.json') };
}

describe("retiring prod's shop as a dev stack on the dev server", () => {
  let v1: Case;
  let v2: Case;
  beforeAll(() => {
    v1 = build(StateKeyLayout.STACK_NAME, 'retire-other-v1');
    v2 = build(StateKeyLayout.GATE_AND_SERVER, 'retire-other-v2');
  });

  it('is a consistent entry: validation accepts it (the server it names is gated by the tier it names)', () => {
    const e = estateWithoutShop();
    retireShopAsDev(readEstate(v2.base).manifest)(e);
    expect(validateEstate(e).filter((i) => i.property.startsWith('retiredStacks'))).toEqual([]);
  });

  it('layout 1 (reproduction): the dev applier, trusted by merge-time dev applies, is granted prod shop\'s real state; only TK016 says so', async () => {
    expect(v1.prodShopKey).toBe('estate/shop.tfstate');
    const arn = `arn:aws:s3:::${S3.bucket}/${v1.prodShopKey}`;
    expect(holders(v1.access, arn)).toEqual(['tierkit-state-apply-dev']);
    expect(holders(v1.access, `${arn}.tflock`)).toEqual(['tierkit-state-apply-dev']);
    const dev = v1.access.identities.find((i) => i.name === 'tierkit-state-apply-dev')!;
    expect(dev.access).toBe('write');
    expect(dev.subjects).toEqual([expect.stringContaining(':environment:dev:job_workflow_ref:')]);
    expect(readEstate(v1.head).manifest.tiers.find((t) => t.name === 'dev')!.applyGate.human).toBe(false);
    const r = await check(v1.head);
    expect(findings(r, 'TK093')).toEqual([]);
    expect(findings(r, 'TK150')).toEqual([]);
    const f = findings(r, 'TK016');
    expect(f.map((x) => x.message)).toEqual([expect.stringContaining('retires shop, shop-alice')]);
    expect(f[0]).toMatchObject({ severity: 'error', file: 'manifest.json', pointer: '/estate/backend/stateKeyLayout' });
  });

  it('layout 2: the entry forms estate/dev/servers/nonprod-pg/shop.tfstate, a key no stack of base ever wrote; prod shop\'s key is granted to no one', async () => {
    expect(v2.prodShopKey).toBe('estate/prod/servers/prod-pg/shop.tfstate');
    expect(holders(v2.access, `arn:aws:s3:::${S3.bucket}/${v2.prodShopKey}`)).toEqual([]);
    expect(holders(v2.access, `arn:aws:s3:::${S3.bucket}/${v2.prodShopKey}.tflock`)).toEqual([]);
    const claimed = `arn:aws:s3:::${S3.bucket}/estate/dev/servers/nonprod-pg/shop.tfstate`;
    expect(holders(v2.access, claimed)).toEqual(['tierkit-state-apply-dev']);
    const baseKeys = readEstate(v2.base).manifest.stacks.map((s) => json(v2.base, s.artifact).terraform.backend.s3.key);
    expect(baseKeys).toContain(v2.prodShopKey);
    expect(baseKeys).not.toContain('estate/dev/servers/nonprod-pg/shop.tfstate');
    const r = await check(v2.head);
    expect(r.findings.filter((x) => x.severity === 'error').map((x) => x.ruleId)).toEqual([]);
  });

  it('a hand-edited dist going back to layout 1 (manifest field dropped, every key rewritten, hashes redone) is a TK016 error', async () => {
    const dir = copyDist(v2.head, freshDir('retire-other-downgrade'));
    editJson(dir, 'manifest.json', (m) => { delete m.estate.backend.stateKeyLayout; return m; });
    for (const s of readEstate(v2.head).manifest.stacks) {
      editJson(dir, s.artifact, (j) => { j.terraform.backend.s3.key = `estate/${s.name}.tfstate`; return j; }, { rehash: false });
    }
    rehashManifest(dir);
    const r = await check(dir);
    expect(findings(r, 'TK092')).toEqual([]); // every key is what layout 1 derives
    expect(findings(r, 'TK016').map((x) => x.message)).toEqual([expect.stringContaining('keeps state under layout 1')]);
  });

  it('a manifest whose server id is no single path segment forms no key: its stacks are TK092 findings, granted to no one', async () => {
    const dir = copyDist(v2.head, freshDir('retire-other-segment'));
    editJson(dir, 'manifest.json', (m) => {
      for (const s of m.stacks) if (s.server === 'nonprod-pg') s.server = 'nonprod-pg/../x';
      return m;
    });
    rehashManifest(dir);
    const r = await check(dir);
    expect(findings(r, 'TK092').some((x) => x.message.includes('stack crm-dev: the manifest lists it without the gating tier and server its state key names'))).toBe(true);
  });
});
