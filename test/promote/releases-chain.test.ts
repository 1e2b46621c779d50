import { describe, expect, it } from 'vitest';
import { App, Releases, RolloutStrategy, Sandbox, SandboxKind, Tier, TierkitValidationError, ValidationIssue, diffReleases } from '../../constructs';
import { PromotionChain, canaryStepsIssues } from '../../constructs/promotion';
import { validateEstate } from '../../constructs/validation';
import { smallEstate } from '../support/estates';

const D = (c: string) => `example/erp:1.0.0@sha256:${c.repeat(64)}`;
const doc = (envs: Record<string, unknown>, extra: Record<string, unknown> = {}) => JSON.stringify({ schemaVersion: 1, app: 'erp', envs, ...extra });

function issuesOf(fn: () => unknown): ValidationIssue[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof TierkitValidationError) return [...err.issues];
    throw err;
  }
  throw new Error('expected a TierkitValidationError');
}

describe('releases file', () => {
  it('reads a valid file: sorted envs, immediate by default', () => {
    const r = Releases.parse(doc({ prod: { image: D('a') }, dev: { image: D('b'), config: { LOG_LEVEL: 'debug' }, flags: { x: true }, strategy: 'immediate' } }), 'apps/erp.releases.json');
    expect(Object.keys(r.envs)).toEqual(['dev', 'prod']);
    expect(r.env('prod')!.strategy).toBe(RolloutStrategy.IMMEDIATE);
    expect(r.env('dev')!.config).toEqual({ LOG_LEVEL: 'debug' });
    expect(r.env('__proto__')).toBeUndefined();
  });

  it('names file, JSON pointer, value and fix for every problem at once; unknown fields are refused', () => {
    const issues = issuesOf(() => Releases.parse(doc({
      dev: { image: 'example/erp:1.0.0', config: { 'log-level': 'x', PORT: 8080, TIERKIT_ENV: 'prod' }, flags: { x: 'yes' }, strategy: 'rolling', replicas: 3 },
    }, { extra: 1 }), 'apps/erp.releases.json'));
    const at = issues.map((i) => `${i.path} ${i.property} ${JSON.stringify(i.value)}`);
    expect(at).toEqual([
      'apps/erp.releases.json /extra 1',
      'apps/erp.releases.json /envs/dev/replicas 3',
      'apps/erp.releases.json /envs/dev/image "example/erp:1.0.0"',
      'apps/erp.releases.json /envs/dev/config/log-level "log-level"',
      'apps/erp.releases.json /envs/dev/config/PORT 8080',
      'apps/erp.releases.json /envs/dev/config/TIERKIT_ENV "TIERKIT_ENV"',
      'apps/erp.releases.json /envs/dev/flags/x "yes"',
      'apps/erp.releases.json /envs/dev/strategy "rolling"',
    ]);
    expect(issues.every((i) => i.fix.length > 5 && i.message.length > 5)).toBe(true);
    expect(issues.find((i) => i.property.endsWith('/image'))!.message).toMatch(/pinned by digest/);
    expect(issuesOf(() => Releases.parse('{ nope', 'f.json'))[0].message).toMatch(/not JSON/);
    expect(issuesOf(() => Releases.parse(doc({}, { schemaVersion: 2 }), 'f.json')).map((i) => i.property)).toEqual(['/schemaVersion']);
  });

  it('refuses a repeated key (the reviewer would read the first prod image, the estate run the second)', () => {
    const text = `{"schemaVersion":1,"app":"erp","envs":{"prod":{"image":"${D('a')}","image":"${D('b')}"}}}`;
    expect(issuesOf(() => Releases.parse(text, 'apps/erp.releases.json')).map((i) => `${i.path} ${i.value} ${i.message}`)).toEqual([
      expect.stringMatching(/^apps\/erp.releases.json image repeats the key "image"/),
    ]);
  });

  it('round-trips its canonical text byte for byte', () => {
    const text = Releases.parse(doc({ prod: { image: D('a'), flags: { b: false, a: true } } }), 'f').toJson();
    expect(Releases.parse(text, 'f').toJson()).toBe(text);
    expect(text).toMatch(/"a": true,\n\s+"b": false/);
  });

  it('env-diff: added, removed, modified by dotted path (seed 001 shape)', () => {
    const a = Releases.parse(doc({ a: { image: D('a'), config: { A: '1', B: '2' }, flags: { f: false } } }), 'f').env('a')!;
    const b = Releases.parse(doc({ b: { image: D('b'), config: { B: '3', C: '4' }, flags: { f: false }, strategy: 'canary' } }), 'f').env('b')!;
    expect(diffReleases(a, b)).toEqual({
      added: { 'config.C': '4' },
      removed: { 'config.A': '1' },
      modified: { 'config.B': { old: '2', new: '3' }, image: { old: D('a'), new: D('b') }, strategy: { old: 'immediate', new: 'canary' } },
    });
    expect(diffReleases(a, a)).toEqual({ added: {}, removed: {}, modified: {} });
  });

  it('against the estate: app name, unknown and missing envs, undeclared flags, forbidden strategies, Rollouts on reset envs', () => {
    const estate = smallEstate();
    const app = new App(estate, 'erp', {
      tiers: [Tier.DEV, Tier.DEMO, Tier.PROD], objectPrefix: 'llx_', image: 'example/erp:1.0.0@sha256:' + 'e'.repeat(64), flags: { known: false },
      releases: Releases.parse(JSON.stringify({ schemaVersion: 1, app: 'crm', envs: {
        dev: { image: D('a'), flags: { ghost: true } }, demo: { image: D('a') }, prod: { image: D('a'), strategy: 'immediate' }, qa: { image: D('a') },
      } }), 'apps/erp.releases.json'),
    });
    new Sandbox(app, 'alice', { tier: Tier.DEV, kind: SandboxKind.ENGINEER, owner: 'alice', createdAt: '2026-11-20' });
    const got = validateEstate(estate).filter((i) => i.path === 'apps/erp.releases.json').map((i) => `${i.property} ${i.message}`);
    expect(got).toEqual([
      expect.stringMatching(/^\/app names another app/),
      expect.stringMatching(/^\/envs\/dev\/flags\/ghost is not a flag app erp declares/),
      expect.stringMatching(/^\/envs\/prod\/strategy is not a strategy tier prod allows \(canary, blue_green\)/),
      expect.stringMatching(/^\/envs\/qa is not an env of app erp/),
    ]);
    // demo resets its Deployment: a Rollout there is refused even where the tier allows it.
    const e2 = smallEstate({ promotion: { tiers: [{ tier: Tier.DEMO, strategies: [RolloutStrategy.CANARY] }] } });
    new App(e2, 'erp', { tiers: [Tier.DEMO, Tier.PROD], objectPrefix: 'llx_', image: 'x:1',
      releases: Releases.parse(doc({ demo: { image: D('a'), strategy: 'canary' } }), 'r.json') });
    expect(validateEstate(e2).map((i) => `${i.property} ${i.message}`)).toEqual([
      expect.stringMatching(/^\/envs\/demo\/strategy cannot be used on erp-demo: its reset Job/),
      expect.stringMatching(/^\/envs\/prod is missing/),
    ]);
  });
});

describe('promotion chain', () => {
  const human = (t: Tier) => t.defaults.applyGate.human;

  it('the default chain is valid and demo is fed from staging', () => {
    const c = new PromotionChain();
    expect(c.issues('e', human)).toEqual([]);
    expect(c.path(Tier.DEV, Tier.PROD)!.map((t) => t.name)).toEqual(['dev', 'staging', 'preprod', 'prod']);
    expect(c.path(Tier.STAGING, Tier.DEMO)!.map((t) => t.name)).toEqual(['staging', 'demo']);
    expect(c.path(Tier.PROD, Tier.DEV)).toBeUndefined();
    expect(c.path(Tier.DEV, Tier.DEV)).toBeUndefined();
  });

  it('refuses a cycle, a tier reached twice, and prod reached from a tier without a human gate', () => {
    const cyc = new PromotionChain({ chain: [Tier.DEV, Tier.STAGING, Tier.PROD], feeds: [{ tier: Tier.CI, from: Tier.STAGING }, { tier: Tier.LOCAL, from: Tier.CI }, { tier: Tier.DEMO, from: Tier.LOCAL }] });
    expect(cyc.issues('e', human)).toEqual([]);
    const loop = new PromotionChain({ chain: [Tier.DEV, Tier.STAGING, Tier.PROD], feeds: [{ tier: Tier.DEMO, from: Tier.CI }, { tier: Tier.CI, from: Tier.DEMO }] });
    expect(loop.issues('e', human).map((i) => `${i.property}: ${i.value}`)).toEqual(['promotion: ci → demo → ci']);
    const twice = new PromotionChain({ chain: [Tier.DEV, Tier.STAGING, Tier.PROD], feeds: [{ tier: Tier.STAGING, from: Tier.CI }] });
    expect(twice.issues('e', human).map((i) => i.property)).toEqual(['promotion.feeds[0].tier']);
    const shortcut = new PromotionChain({ chain: [Tier.LOCAL, Tier.DEV, Tier.PROD] });
    const issue = shortcut.issues('e', human);
    expect(issue.map((i) => `${i.property}: ${i.value}`)).toEqual(['promotion: dev → prod']);
    expect(issue[0].message).toMatch(/no human approval/);
    // The estate's own gate counts: dev made human-gated may feed prod.
    expect(shortcut.issues('e', (t) => t === Tier.DEV || human(t))).toEqual([]);
  });

  it('the estate\'s validation refuses an invalid chain, and bad canary steps', () => {
    const report = (e: ReturnType<typeof smallEstate>) => validateEstate(e).map((i) => `${i.property} = ${JSON.stringify(i.value)}: ${i.message}`).join('\n');
    expect(report(smallEstate({ promotion: { chain: [Tier.CI, Tier.PROD] } }))).toMatch(/ci → prod/);
    expect(report(smallEstate({ promotion: { tiers: [{ tier: Tier.PROD, canarySteps: [{ weight: 10, pauseMinutes: 5 }] }] } }))).toMatch(/promotion.tiers\[0\].canarySteps\[0\].weight/);
    expect(canaryStepsIssues([{ weight: 20 }, { weight: 10 }, { weight: 100, pauseMinutes: 5 }]).map((i) => i.property)).toEqual(['[1].weight', '[2].pauseMinutes']);
    expect(canaryStepsIssues([{ weight: 50, pauseMinutes: 10 }, { weight: 100 }])).toEqual([]);
  });
});
