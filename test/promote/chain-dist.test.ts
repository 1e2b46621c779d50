import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { App, PromotionChain, Releases, Tier } from '../../constructs';
import { flattenRelease } from '../../constructs/releases';
import { moves } from '../../promote/plan';
import { PromotionRecord, serializeRecord, withId } from '../../contract/promotion-record';
import { renderedOutcomesDir } from '../../contract/promotion-outcomes';
import { check, cleanDist, findings, freshDir, synthDist } from '../policies/helpers';
import { tierkit } from '../diff/cli';

/**
 * The promotion chain travels in dist/manifest.json (estate.promotion): TK143 judges it there, and
 * `diff` asks a promotion record's chain_ok and conflict_free again from the dists, the app's other
 * records and their outcome logs on the rendered branch — never from the record's own word.
 */
const manifestOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));

/** A copy of the clean dist whose manifest's estate.promotion is `edit`ed by hand. */
function editedChain(edit: (promotion: any, manifest: any) => void): string {
  const dir = freshDir('chain');
  cpSync(cleanDist(), dir, { recursive: true });
  const m = manifestOf(dir);
  edit(m.estate.promotion, m);
  writeFileSync(join(dir, 'manifest.json'), `${JSON.stringify(m, null, 2)}\n`);
  return dir;
}

describe('the promotion chain in dist/manifest.json, judged by TK143', () => {
  it('synth writes the estate\'s chain and demo\'s source; the example passes', async () => {
    expect(manifestOf(cleanDist()).estate.promotion).toEqual({ chain: ['local', 'ci', 'dev', 'staging', 'preprod', 'prod'], feeds: [{ tier: 'demo', from: 'staging' }] });
    expect(findings(await check(cleanDist()), 'TK143')).toEqual([]);
  });

  it('a declared chain is written as declared (demo fed from preprod)', () => {
    const dir = synthDist((e) => { (e.promotion as any).feeds = [{ tier: Tier.DEMO, from: Tier.PREPROD }]; }, 'chain-feeds');
    expect(manifestOf(dir).estate.promotion.feeds).toEqual([{ tier: 'demo', from: 'preprod' }]);
  });

  it('a defaulted chain is written for the tiers the estate runs; a declared one as declared, and judged', () => {
    const used = [Tier.CI, Tier.DEV, Tier.PREPROD, Tier.PROD];
    const names = (p: ReturnType<InstanceType<typeof PromotionChain>['inUse']>) => ({ chain: p.chain.map((t) => t.name), feeds: p.feeds.map((f) => `${f.from.name}→${f.tier.name}`) });
    expect(names(new PromotionChain().inUse(used))).toEqual({ chain: ['ci', 'dev', 'preprod', 'prod'], feeds: [] });
    expect(names(new PromotionChain({ chain: [Tier.DEV, Tier.STAGING, Tier.PROD] }).inUse(used))).toEqual({ chain: ['dev', 'staging', 'prod'], feeds: [] });
  });

  const cases: [string, (p: any, m: any) => void, RegExp, string][] = [
    ['no chain at all (an older or hand-made manifest)', (_p, m) => { delete m.estate.promotion; }, /declares no promotion chain/, '/estate/promotion'],
    ['an unknown field', (p) => { p.humanGated = ['dev']; }, /unknown field\(s\) humanGated/, '/estate/promotion/humanGated'],
    ['a feed that is not { tier, from }', (p) => { p.feeds.push({ tier: 'prod' }); }, /feeds\[1\] is .* not \{ tier, from \}/, '/estate/promotion/feeds/1'],
    ['prod fed straight from dev (automatic gate)', (p) => { p.chain = ['local', 'ci', 'dev', 'prod']; p.feeds = [{ tier: 'demo', from: 'dev' }, { tier: 'staging', from: 'dev' }, { tier: 'preprod', from: 'staging' }]; },
      /reaches prod from dev, whose apply gate \(automatic-on-merge\) needs no human approval/, '/estate/promotion/chain/3'],
    ['a cycle', (p) => { p.feeds.push({ tier: 'dev', from: 'prod' }); }, /has a cycle .*prod → dev|reaches tier dev a second time/, '/estate/promotion/feeds/1'],
    ['a tier hosting app-environments left off', (p) => { p.chain = ['local', 'ci', 'dev', 'staging', 'prod']; }, /leaves out tier preprod, which hosts app-environments/, '/estate/promotion'],
    ['a tier the estate does not have', (p) => { p.chain = [...p.chain, 'qa']; }, /names tier qa, which the estate does not have/, '/estate/promotion/chain/6'],
    ['prod fed from demo (an automatic gate) beside preprod', (p) => { p.feeds.push({ tier: 'prod', from: 'demo' }); }, /reaches prod from demo, whose apply gate \(automatic\)/, '/estate/promotion/feeds/1'],
    // Prod is decided by data class (contract/tiers.ts isLiveTier), never by the name `prod`.
    ['a tier holding live data under another name, fed from dev (automatic)', (p, m) => { m.tiers.find((t: any) => t.name === 'demo').data.push('live'); p.feeds = [{ tier: 'demo', from: 'dev' }]; },
      /reaches demo from dev, whose apply gate \(automatic-on-merge\) needs no human approval/, '/estate/promotion/feeds/0'],
  ];
  for (const [name, edit, message, pointer] of cases) {
    it(`refuses ${name}`, async () => {
      const got = findings(await check(editedChain(edit)), 'TK143');
      expect(got.some((f) => message.test(f.message) && f.pointer === pointer), JSON.stringify(got.map((f) => [f.message, f.pointer]))).toBe(true);
      expect(got.every((f) => f.severity === 'error' && !f.suppressed)).toBe(true);
    });
  }
});

const digest = (dir: string) => createHash('sha256').update(readFileSync(join(dir, 'manifest.json'))).digest('hex');
const NOW = ['--now', '2026-11-22T06:00:00Z'];

describe('diff asks chain_ok and conflict_free again', () => {
  const base = synthDist(undefined, 'reverify-base');
  let releases: Releases | undefined;
  const head = synthDist((e) => {
    const crm = e.node.findChild('crm') as App;
    releases = crm.releases!.with('preprod', { ...crm.releases!.env('dev')! });
    (crm as { releases?: Releases }).releases = releases;
  }, 'reverify-head');
  /** An estate repo root (cdktf.json) whose promotions/crm/ holds the given records. */
  const repo = (): string => {
    const dir = freshDir('reverify-repo');
    mkdirSync(join(dir, 'promotions/crm'), { recursive: true });
    writeFileSync(join(dir, 'cdktf.json'), '{}\n');
    return dir;
  };
  const record = (root: string, over: Partial<PromotionRecord> = {}): PromotionRecord => {
    const before = Releases.fromFile(join(__dirname, '../../apps/crm.releases.json')).env('preprod')!;
    const after = releases!.env('preprod')!;
    const r = withId({
      schemaVersion: 1, kind: 'promote', app: 'crm', from: 'dev', to: 'preprod', moves: moves(before, after),
      release: { before: flattenRelease(before), after: flattenRelease(after) }, strategy: 'immediate', steps: [{ rollingUpdate: 'the Deployment replaces its pods' }],
      checks: { schema_valid: { ok: true, why: 'passes' }, chain_ok: { ok: true, why: 'preprod follows dev' }, conflict_free: { ok: true, why: 'none open' }, health_ok: { ok: false, pending: true, why: 'asked by the gated job' } },
      dist: { base: digest(base), head: digest(head) }, requester: 'alice', ...over,
    } as Omit<PromotionRecord, 'id'>);
    writeFileSync(join(root, 'promotions/crm', `${r.id}.json`), serializeRecord(r));
    return r;
  };
  const diff = (root: string, r: PromotionRecord, extra: string[] = []) => tierkit(['diff', base, head, '--promotion', join(root, 'promotions/crm', `${r.id}.json`), ...NOW, ...extra], root);

  it('a record claiming chain_ok for a skip without a reason is refused; with one it passes', () => {
    const root = repo();
    const skip = diff(root, record(root));
    expect(skip.status).toBe(1);
    expect(skip.stdout).toMatch(/❌ `chain_ok`: dev → preprod skips staging in the base's chain, and the record carries no reason/);
    expect(skip.stderr).toMatch(/is refused: chain_ok does not hold/);
    const root2 = repo();
    const reasoned = diff(root2, record(root2, { reason: 'hotfix for the preprod demo, staging is frozen' }));
    expect(reasoned.stderr).toBe('');
    expect(reasoned.status).toBe(0);
    expect(reasoned.stdout).toMatch(/✅ `chain_ok`: follows through staging \(skipped: hotfix/);
    expect(reasoned.stdout).toMatch(/✅ `conflict_free`: no other promotion of crm is recorded/);
  });

  it('a chain the head edits does not license a skip the base\'s chain forbids', () => {
    const edited = freshDir('reverify-head-chain');
    cpSync(head, edited, { recursive: true });
    const m = manifestOf(edited);
    m.estate.promotion = { chain: ['local', 'ci', 'dev', 'preprod', 'prod'], feeds: [{ tier: 'demo', from: 'staging' }, { tier: 'staging', from: 'dev' }] };
    writeFileSync(join(edited, 'manifest.json'), `${JSON.stringify(m, null, 2)}\n`);
    const root = repo();
    const r = record(root, { dist: { base: digest(base), head: digest(edited) } });
    const out = tierkit(['diff', base, edited, '--promotion', join(root, 'promotions/crm', `${r.id}.json`), ...NOW], root);
    expect(out.status).toBe(1);
    expect(out.stdout).toMatch(/skips staging in the base's chain/);
    expect(out.stdout).not.toMatch(/in the head's chain/);
  });

  it('another promotion of the app without a final outcome conflicts; unknown outcomes conflict; an ended one does not', () => {
    const root = repo();
    const open = record(root, { to: 'staging', reason: undefined, requester: 'bob' });
    const mine = record(root, { reason: 'hotfix for the preprod demo, staging is frozen' });
    const blind = diff(root, mine);
    expect(blind.status).toBe(1);
    expect(blind.stdout).toMatch(new RegExp(`❌ \`conflict_free\`: whether ${open.id} still roll\\(s\\) out is unknown: no checkout of the rendered branch`));
    const rendered = freshDir('rendered');
    const logDir = join(rendered, renderedOutcomesDir('staging'), 'crm');
    mkdirSync(logDir, { recursive: true });
    const log = (events: unknown[]) => writeFileSync(join(logDir, `${open.id}.json`), JSON.stringify({ schemaVersion: 1, id: open.id, events }));
    log([{ event: 'health', ok: true, why: 'healthy', by: 'job' }]);
    const rolling = diff(root, mine, ['--rendered', rendered]);
    expect(rolling.status).toBe(1);
    expect(rolling.stdout).toMatch(new RegExp(`promotion ${open.id} \\(dev → staging, no final outcome\\) of crm is still rolling out`));
    // An outcome written under another tier's directory (another publisher's paths) does not count.
    const wrongTier = join(rendered, renderedOutcomesDir('dev'), 'crm');
    mkdirSync(wrongTier, { recursive: true });
    writeFileSync(join(wrongTier, `${open.id}.json`), JSON.stringify({ schemaVersion: 1, id: open.id, events: [{ event: 'succeeded', ok: true, why: 'forged', by: 'dev publisher' }] }));
    expect(diff(root, mine, ['--rendered', rendered]).status).toBe(1);
    log([{ event: 'health', ok: true, why: 'healthy', by: 'job' }, { event: 'succeeded', ok: true, why: 'Synced and Healthy', by: 'job' }]);
    const ended = diff(root, mine, ['--rendered', rendered]);
    expect(ended.stderr).toBe('');
    expect(ended.status).toBe(0);
    expect(ended.stdout).toMatch(/✅ `conflict_free`: every other promotion of crm has ended/);
    writeFileSync(join(logDir, `${open.id}.json`), '{"schemaVersion":1,"id":"x"');
    expect(diff(root, mine, ['--rendered', rendered]).stdout).toMatch(/is not a readable outcome log/);
  });

  it('an open promotion of the app filed under another app\'s directory still conflicts', () => {
    const root = repo();
    const open = record(root, { to: 'staging', requester: 'bob' });
    mkdirSync(join(root, 'promotions/shop'), { recursive: true });
    renameSync(join(root, 'promotions/crm', `${open.id}.json`), join(root, 'promotions/shop', `${open.id}.json`));
    const mine = record(root, { reason: 'hotfix for the preprod demo, staging is frozen' });
    const r = diff(root, mine, ['--rendered', freshDir('rendered-empty')]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`❌ \`conflict_free\`: promotion record\\(s\\) promotions/shop/${open.id}.json \\(of app crm\\) are filed under another app's directory`));
  });
});
