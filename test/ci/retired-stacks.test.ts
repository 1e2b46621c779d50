import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Estate, RetiredStack, Tier, validateEstate } from '../../constructs';
import type { StateAccessDocument } from '../../contract/state-access';
import exampleEstate from '../../environments';
import { check, findings, freshDir, synthDist } from '../policies/helpers';
import { rehashManifest } from '../policies/rehash';
import { computeChangeSet } from '../../diff';
import { estateWithoutShop, pairDirs, read as readEstate, retiring, writeEstate } from '../diff/fixtures';

/**
 * Retired stacks (estate `retiredStacks`, TK150): a removed stack's state key stays with exactly
 * the identity that applies its destroy — its gating tier's applier, platform-admin for a platform
 * stack — and with no planner. Attacks: an entry for a laxer tier (declared, or by hand in
 * manifest.json with state-access.json edited to match), a planner granted a retired key.
 */

const SHOP_OLD: RetiredStack = { stack: 'shop-old', tier: Tier.PROD, server: 'prod-pg', reason: 'shop-old decommissioned in PR 412; destroy pending' };
const PLATFORM_QA: RetiredStack = { stack: 'platform-qa', tier: Tier.PROD, reason: 'the qa tier was removed in PR 413; destroy pending' };

/** Declare `retiredStacks` on an estate built already (as its constructor would have resolved them). */
function retire(e: Estate, list: readonly RetiredStack[]): void {
  (e as { retiredStacks: readonly RetiredStack[] }).retiredStacks = list.map((r) => ({ ...r }));
}

const read = (dir: string, rel: string) => JSON.parse(readFileSync(join(dir, rel), 'utf8'));
const identity = (d: StateAccessDocument, name: string) => d.identities.find((i) => i.name === name)!;
const objects = (d: StateAccessDocument, name: string) => identity(d, name).permissionsPolicy.Statement.flatMap((s) => [s.Resource].flat() as string[]);
/** The state object of a stack as layout 2 names it: gating tier, then server (app-environment) or platform. */
const key = (stack: string) => `arn:aws:s3:::arcodange-tfstate/estate/prod/${stack.startsWith('platform') ? 'platform' : 'servers/prod-pg'}/${stack}.tfstate`;

let dist: string;
let access: StateAccessDocument;
beforeAll(() => {
  dist = synthDist((e) => retire(e, [SHOP_OLD, PLATFORM_QA]), 'retired');
  access = read(dist, 'ci/state-access.json');
});

/** A copy of `dist` with manifest.json and state-access.json edited by hand, every hash re-computed. */
function handEdited(edit: (manifest: any, access: any) => void): string {
  const dir = freshDir('retired-edit');
  cpSync(dist, dir, { recursive: true });
  const m = read(dir, 'manifest.json');
  const a = read(dir, 'ci/state-access.json');
  edit(m, a);
  writeFileSync(join(dir, 'ci/state-access.json'), JSON.stringify(a));
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m));
  rehashManifest(dir);
  return dir;
}

describe('retired stacks keep their state key for the applier that destroys them', () => {
  it('the manifest records them: kind from the server, the gating tier, sorted', () => {
    expect(read(dist, 'manifest.json').estate.retiredStacks).toEqual([
      { stack: 'platform-qa', kind: 'platform', gatingTier: 'prod', reason: PLATFORM_QA.reason },
      { stack: 'shop-old', kind: 'app-environment', gatingTier: 'prod', server: 'prod-pg', reason: SHOP_OLD.reason },
    ]);
  });

  it("prod's applier keeps shop-old's key and lock, platform-admin keeps platform-qa's; no planner, no other tier reaches either", () => {
    expect(identity(access, 'tierkit-state-apply-prod').retiredStacks).toEqual(['shop-old']);
    expect(objects(access, 'tierkit-state-apply-prod')).toEqual(expect.arrayContaining([key('shop-old'), `${key('shop-old')}.tflock`]));
    expect(identity(access, 'tierkit-state-apply-prod').stacks).not.toContain('shop-old'); // live stacks stay apart
    expect(identity(access, 'tierkit-state-platform-admin').retiredStacks).toEqual(['platform-qa']);
    expect(objects(access, 'tierkit-state-platform-admin')).toEqual(expect.arrayContaining([key('platform-qa'), `${key('platform-qa')}.tflock`]));
    const holders = (stack: string) => access.identities.filter((i) => objects(access, i.name).some((o) => o.startsWith(key(stack)))).map((i) => i.name);
    expect(holders('shop-old')).toEqual(['tierkit-state-apply-prod']);
    expect(holders('platform-qa')).toEqual(['tierkit-state-platform-admin']);
  });

  it('an estate without retired stacks writes the documents it wrote before (no empty field)', () => {
    const plain = read(synthDist(undefined, 'not-retired'), 'ci/state-access.json') as StateAccessDocument;
    expect(plain.identities.some((i) => 'retiredStacks' in i)).toBe(false);
  });

  it('check passes: TK093 admits the kept keys, TK150 the entries', async () => {
    const r = await check(dist);
    expect(findings(r, 'TK093')).toEqual([]);
    expect(findings(r, 'TK150')).toEqual([]);
  });
});

describe('validation: a retired entry names a removed stack, a CI tier no laxer than its server, a reason', () => {
  const issues = (list: RetiredStack[]) => {
    const e = exampleEstate();
    retire(e, list);
    return validateEstate(e).filter((i) => i.property.startsWith('retiredStacks'));
  };

  it('a laxer tier than the server\'s gating tier is refused, naming the tier to set', () => {
    const [i, ...rest] = issues([{ ...SHOP_OLD, tier: Tier.DEV }]);
    expect(rest).toEqual([]);
    expect(i).toMatchObject({ property: 'retiredStacks[0].tier', value: 'dev', fix: 'set tier: Tier.PROD (the tier that gated the stack)' });
    expect(i.message).toContain('is laxer than prod, which gates server prod-pg');
  });

  it('a live stack, a duplicate, a hand-applied tier, an unknown server and a short reason are each refused', () => {
    const found = issues([
      { ...SHOP_OLD, stack: 'crm' },
      SHOP_OLD, SHOP_OLD,
      { ...SHOP_OLD, stack: 'x-local', tier: Tier.LOCAL, server: 'local-pg' },
      { ...SHOP_OLD, stack: 'x-ghost', server: 'ghost-pg' },
      { ...SHOP_OLD, stack: 'x-short', reason: 'gone' },
    ]);
    expect(found.map((i) => `${i.property}: ${i.message}`)).toEqual([
      expect.stringMatching(/^retiredStacks\[0\]\.stack: is a stack the estate still declares/),
      expect.stringMatching(/^retiredStacks\[2\]\.stack: is retired twice/),
      expect.stringMatching(/^retiredStacks\[3\]\.tier: applies by hand/),
      expect.stringMatching(/^retiredStacks\[4\]\.server: is not a declared PostgreSQL server/),
      expect.stringMatching(/^retiredStacks\[5\]\.reason: needs a reason/),
    ]);
  });
});

describe('TK150 judges dist as written', () => {
  it('a hand edit moving a retired prod stack to the dev applier (manifest and state-access agreeing) is an error', async () => {
    const dir = handEdited((m, a) => {
      m.estate.retiredStacks.find((r: any) => r.stack === 'shop-old').gatingTier = 'dev';
      const prod = a.identities.find((i: any) => i.name === 'tierkit-state-apply-prod');
      const dev = a.identities.find((i: any) => i.name === 'tierkit-state-apply-dev');
      for (const st of prod.permissionsPolicy.Statement) if (Array.isArray(st.Resource)) st.Resource = st.Resource.filter((r: string) => !r.includes('shop-old'));
      prod.retiredStacks = [];
      dev.retiredStacks = ['shop-old'];
      dev.permissionsPolicy.Statement.find((s: any) => s.Sid === 'ReadWriteState').Resource.push(key('shop-old'));
      dev.permissionsPolicy.Statement.find((s: any) => s.Sid === 'StateLock').Resource.push(`${key('shop-old')}.tflock`);
    });
    const r = await check(dir);
    // Layout 2: a dev entry forms the key estate/dev/servers/prod-pg/shop-old.tfstate, so the dev
    // applier granted prod's key is TK093's finding too (before layouts, only TK150 could tell).
    expect(findings(r, 'TK093').map((x) => x.message)).toEqual([
      expect.stringContaining(`state identity "tierkit-state-apply-dev" reaches ${key('shop-old')},`),
      expect.stringContaining(`state identity "tierkit-state-apply-dev" reaches ${key('shop-old')}.tflock,`),
    ]);
    const f = findings(r, 'TK150');
    expect(f.map((x) => x.message)).toEqual([expect.stringContaining("retired stack shop-old (tier dev): tier dev is laxer than prod, which gates its server prod-pg")]);
    expect(f[0].severity).toBe('error');
    expect(f[0]).toMatchObject({ file: 'manifest.json', pointer: '/estate/retiredStacks/1' });
  });

  it("a planner granted a retired stack's key is an error naming the planner (TK093 too)", async () => {
    const dir = handEdited((_m, a) => {
      a.identities.find((i: any) => i.name === 'tierkit-state-plan-prod').permissionsPolicy.Statement.find((s: any) => s.Sid === 'ReadState').Resource.push(key('shop-old'));
    });
    const r = await check(dir);
    expect(findings(r, 'TK150').map((x) => x.message)).toEqual([
      `state identity "tierkit-state-plan-prod" (a planner) reaches ${key('shop-old')}, the state of retired stack shop-old: only tierkit-state-apply-prod may keep it until its destroy ran`,
    ]);
    expect(findings(r, 'TK093').length).toBe(1);
  });

  it('an entry naming a live stack, an unknown tier, a hand-applied tier, or no readable list is an error', async () => {
    const live = await check(handEdited((m) => { m.estate.retiredStacks.push({ stack: 'crm', kind: 'app-environment', gatingTier: 'prod', server: 'prod-pg', reason: 'not really removed at all' }); }));
    expect(findings(live, 'TK150').map((x) => x.message)).toEqual([expect.stringContaining('retired stack crm (tier prod): the estate still declares a stack of that name')]);
    const unknown = await check(handEdited((m) => { m.estate.retiredStacks[1].gatingTier = 'nowhere'; }));
    expect(findings(unknown, 'TK150').map((x) => x.message)).toEqual([expect.stringContaining('its tier nowhere is not one of the estate\'s')]);
    const byHand = await check(handEdited((m) => { m.estate.retiredStacks[0].gatingTier = 'local'; }));
    expect(findings(byHand, 'TK150').map((x) => x.message)).toEqual([expect.stringContaining('its tier local is applied by hand')]);
    const unreadable = await check(handEdited((m) => { m.estate.retiredStacks = { 'shop-old': 'prod' }; }));
    expect(findings(unreadable, 'TK150').map((x) => x.message)).toEqual([expect.stringContaining('estate.retiredStacks is not a list')]);
  });
});

describe('the PR diff shows what a removal keeps, before the merge', () => {
  let baseDir: string;
  beforeAll(() => { baseDir = writeEstate(pairDirs('retired-diff').base); });
  const retiredItems = (mutate: (e: Estate) => void) => {
    const head = writeEstate(pairDirs('retired-diff-head').head, mutate, estateWithoutShop);
    return computeChangeSet(readEstate(baseDir), readEstate(head)).attention.filter((a) => a.category.startsWith('retired-stack'));
  };

  it('a removal without retiredStacks: one severity-2 item per stack, naming the entry to add (else only a hand destroy is left)', () => {
    const items = retiredItems(() => {});
    expect(items.map((i) => i.subject).sort()).toEqual(['stack shop', 'stack shop-alice', 'stack shop-bob-checkout', 'stack shop-demo', 'stack shop-dev', 'stack shop-staging', 'stack shop-team-growth']);
    const shop = items.find((i) => i.subject === 'stack shop')!;
    expect(shop.category).toBe('retired-stack-problem');
    expect(shop.message).toContain("add { stack: 'shop', tier: Tier.PROD, server: 'prod-pg', reason } to the estate prop retiredStacks");
  });

  it("retiring prod's shop as a dev stack on nonprod-pg (one dist cannot tell: validation and TK150 pass it) is a problem item naming base's gate; matching entries are routine", () => {
    const items = retiredItems((e) => {
      retiring(readEstate(baseDir).manifest, (n) => n.startsWith('shop'))(e);
      const list = (e as unknown as { retiredStacks: RetiredStack[] }).retiredStacks;
      (e as { retiredStacks: unknown }).retiredStacks = list.map((r) => (r.stack === 'shop' ? { ...r, tier: Tier.DEV, server: 'nonprod-pg' } : r));
    });
    const shop = items.find((i) => i.subject === 'stack shop')!;
    expect(shop.category).toBe('retired-stack-problem');
    expect(shop.message).toContain('base gated it by prod: a laxer tier\'s applier would keep its state; base had it as app-environment on server prod-pg');
    expect(items.filter((i) => i.subject !== 'stack shop').every((i) => i.category === 'retired-stack')).toBe(true);
  });
});
