import { describe, expect, it } from 'vitest';
import { APP_PROPS } from '../../constructs/app';
import { ESTATE_PROPS } from '../../constructs/estate';
import { SERVER_PROPS } from '../../constructs/postgres-server';
import { SANDBOX_PROPS } from '../../constructs/sandbox';
import type { PropSpec, PropType } from '../../constructs/prop-types';
import { App, Estate, PostgresServer, Sandbox, SandboxKind, Tier, ValidationIssue, synthesize, validateEstate } from '../../constructs';
import type { IConstruct } from 'constructs';
import { smallApp, smallEstate } from '../support/estates';

/**
 * Estate programs from plain JavaScript (or tsx, which never type-checks): every prop of every
 * construct — nested ones too (`vault.port`, `tiers[0].nodePool.taint.effect`, `resources.limitsCpuMillis`),
 * walked from the specs themselves — given a value of the wrong type, is one issue naming the
 * construct path, the property path, the value and the fix. Nothing throws while the estate is
 * declared: validation reports it with everything else, and synthesis refuses the estate.
 */

type Build = (props: Record<string, unknown>) => IConstruct;

const CONSTRUCTS: { name: string; spec: PropSpec; path: string; valid: () => Record<string, unknown>; build: Build }[] = [
  {
    name: 'Estate', spec: ESTATE_PROPS, path: 'test',
    valid: () => ({ name: 'test', domain: 'test.lab', vault: { address: 'https://vault.test.lab' }, argocd: { repoUrl: 'https://git.test.lab/e.git' }, ci: { repository: 'test/estate', repositoryId: '100001' } }),
    build: (props) => new Estate(props as never),
  },
  {
    name: 'PostgresServer', spec: SERVER_PROPS, path: 'test/pg',
    valid: () => ({ host: 'pg.test.lab', majorVersion: 16, tiers: [] }),
    build: (props) => new PostgresServer(smallEstate(), 'pg', props as never),
  },
  {
    name: 'App', spec: APP_PROPS, path: 'test/shop',
    valid: () => ({ tiers: [Tier.DEV], objectPrefix: 'shop_', image: 'example/shop:1.0.0' }),
    build: (props) => new App(smallEstate(), 'shop', props as never),
  },
  {
    name: 'Sandbox', spec: SANDBOX_PROPS, path: 'test/erp/sb',
    valid: () => ({ tier: Tier.DEV, kind: SandboxKind.ENGINEER, owner: 'alice', createdAt: '2026-11-20' }),
    build: (props) => new Sandbox(smallApp(smallEstate()), 'sb', props as never),
  },
];

/** A valid value of each nested object type (by its name in the spec), the base each nested case breaks one property of. */
const EXAMPLES: Record<string, () => Record<string, unknown>> = {
  VaultSettings: () => ({ address: 'https://vault.test.lab', cidr: '10.0.8.0/28' }),
  ArgoCdSettings: () => ({ repoUrl: 'https://git.test.lab/e.git' }),
  CiSettings: () => ({ repository: 'test/estate', repositoryId: '100001' }),
  KubernetesApiSettings: () => ({ cidr: '10.0.1.0/28' }),
  IngressControllerSettings: () => ({}),
  TierSettings: () => ({ tier: Tier.DEV }),
  SecretTtl: () => ({ defaultSeconds: 3600, maxSeconds: 3600 }),
  ContainerResources: () => ({ requestsCpuMillis: 100, requestsMemoryMiB: 128, limitsCpuMillis: 500, limitsMemoryMiB: 256 }),
  DatabaseCaps: () => ({ connectionLimit: 20, userConnectionLimit: 10, statementTimeoutSeconds: 300, idleInTransactionTimeoutSeconds: 300 }),
  VaultQuotas: () => ({ maxLeases: 50, rateLimitRequests: 30 }),
  EgressTarget: () => ({ cidr: '10.20.0.0/16', ports: [{ protocol: 'TCP', port: 443 }] }),
  EgressPort: () => ({ protocol: 'TCP', port: 443 }),
  NodePool: () => ({ nodeSelector: { 'tierkit.io/pool': 'dev' } }),
  NodeTaint: () => ({ key: 'tierkit.io/pool', value: 'dev', effect: 'NoSchedule' }),
  SharedCluster: () => ({ server: 'https://kubernetes.default.svc', tiers: [Tier.DEV, Tier.PROD], reason: 'one test cluster, prod on a tainted pool' }),
  SeedStoreSettings: () => ({ server: 'nfs.test.lab' }),
  PromoteTableGrant: () => ({ table: 'llx_facture', privileges: ['SELECT', 'UPDATE'] }),
  PreviewSettings: () => ({ tier: Tier.DEV, orphanAfterHours: 72 }),
  RetiredStack: () => ({ stack: 'platform-old', tier: Tier.PROD, reason: 'tier platform removed; its destroy is pending' }),
};

/** A value of another type than any the prop accepts (a string where none is accepted, else a number). */
const wrongValue = (type: PropType): unknown => (type.accepts('8080') ? 8080 : '8080');

function example(type: PropType): unknown {
  if (type.fields) {
    const name = type.describe.replace(/^a (\w+) object$/, '$1');
    expect(EXAMPLES[name], `an example ${name}`).toBeDefined();
    return EXAMPLES[name]();
  }
  if (type.element) return [example(type.element)];
  return {};
}

/** Every way to break one nested property of a valid `value` of `type`: its path below the value, the broken whole, the wrong value, its type. */
function nested(type: PropType, value: unknown): { at: string; whole: unknown; bad: unknown; type: PropType }[] {
  const out: { at: string; whole: unknown; bad: unknown; type: PropType }[] = [];
  const inner = (t: PropType, at: string, wrap: (v: unknown) => unknown) => {
    const bad = wrongValue(t);
    out.push({ at, whole: wrap(bad), bad, type: t });
    if (t.fields || t.element || t.values) {
      for (const n of nested(t, example(t))) out.push({ at: `${at}${n.at}`, whole: wrap(n.whole), bad: n.bad, type: n.type });
    }
  };
  if (type.fields) {
    for (const [k, t] of Object.entries(type.fields)) inner(t, `.${k}`, (v) => ({ ...(value as object), [k]: v }));
  }
  if (type.element) inner(type.element, '[0]', (v) => [v]);
  if (type.values) inner(type.values, '.key', (v) => ({ key: v }));
  return out;
}

function issuesOf(c: IConstruct): ValidationIssue[] {
  return validateEstate(c instanceof Estate ? c : Estate.of(c));
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('runtime types of every prop, nested ones included', () => {
  for (const c of CONSTRUCTS) {
    it(`${c.name}: the valid props build and validate`, () => {
      expect(issuesOf(c.build(c.valid()))).toEqual([]);
    });

    const cases: { property: string; props: Record<string, unknown>; bad: unknown; type: PropType }[] = [];
    for (const [prop, type] of Object.entries(c.spec)) {
      for (const bad of [wrongValue(type), null]) cases.push({ property: prop, props: { ...c.valid(), [prop]: bad }, bad, type });
      for (const n of nested(type, example(type))) cases.push({ property: `${prop}${n.at}`, props: { ...c.valid(), [prop]: n.whole }, bad: n.bad, type: n.type });
    }

    for (const k of cases) {
      it(`${c.name}.${k.property} = ${JSON.stringify(k.bad)}: one issue with path, property, value and fix`, () => {
        const issues = issuesOf(c.build(k.props));
        expect(issues).toHaveLength(1);
        const [issue] = issues;
        // An estate without a usable name is named by its role.
        expect(issue.path).toBe(c.name === 'Estate' && k.property === 'name' ? '(estate)' : c.path);
        expect(issue.property).toBe(k.property);
        expect(issue.value).toBe(k.bad);
        expect(issue.message).toMatch(new RegExp(`^must be ${escape(k.type.describe)}, not (a number|a string|null)$`));
        expect(issue.fix).toBe(`give ${k.property} ${k.type.describe}`);
      });
    }
  }

  it('every nested object type has an example, and the walk reaches the deepest props', () => {
    const all = CONSTRUCTS.flatMap((c) => Object.entries(c.spec).flatMap(([p, t]) => nested(t, example(t)).map((n) => `${c.name}.${p}${n.at}`)));
    expect(all).toEqual(expect.arrayContaining([
      'Estate.vault.port', 'Estate.tiers[0].egressAllowList[0]', 'Estate.tiers[0].nodePool.taint.effect', 'Estate.tiers[0].nodePool.nodeSelector.key',
      'Estate.tiers[0].workloadResources.limitsCpuMillis', 'Estate.ingressController.podLabels.key', 'App.resources.requestsMemoryMiB', 'App.flags.key',
    ]));
    expect(all.length).toBeGreaterThan(50);
  });

  it('the cases of the issue: image null, port "8080", flags "on", tiers "dev"', () => {
    const app = (props: Record<string, unknown>) => issuesOf(new App(smallEstate(), 'shop', { tiers: [Tier.DEV], objectPrefix: 's_', image: 'x:1', ...props } as never))[0];
    expect(app({ image: null })).toMatchObject({ path: 'test/shop', property: 'image', value: null, message: 'must be a string, not null' });
    expect(app({ port: '8080' })).toMatchObject({ property: 'port', value: '8080', message: 'must be an integer, not a string' });
    expect(app({ flags: 'on' })).toMatchObject({ property: 'flags', message: 'must be an object whose every value is a boolean, not a string' });
    expect(app({ flags: { beta: 'yes' } })).toMatchObject({ property: 'flags.beta', value: 'yes' });
    expect(app({ tiers: 'dev' })).toMatchObject({ property: 'tiers', value: 'dev', message: 'must be a list of tiers (e.g. [Tier.DEV, Tier.PROD]), not a string' });
    // (A list holding an unknown tier is the estate validation's: it names the tier; test/estate/validation.test.ts.)
  });

  it('deep in a list: the index and the property, an unknown nested property with the known ones, a missing required one', () => {
    const e = smallEstate({ tiers: [{ tier: Tier.DEV }, { tier: Tier.STAGING }, { tier: Tier.DEMO, egressAllowList: ['10.1.0.0/16', 42], nodePool: { nodeSelector: { a: 'b' }, taint: { key: 'k', value: 'v', effect: 'Sometimes' } } }] as never });
    expect(validateEstate(e)).toEqual([
      { path: 'test', property: 'tiers[2].egressAllowList[1]', value: 42, message: 'must be a string, not a number', fix: 'give tiers[2].egressAllowList[1] a string' },
      { path: 'test', property: 'tiers[2].nodePool.taint.effect', value: 'Sometimes', message: 'must be one of "NoSchedule", "NoExecute", not a string', fix: 'give tiers[2].nodePool.taint.effect one of "NoSchedule", "NoExecute"' },
    ]);
    const typo = smallEstate({ vault: { address: 'https://vault.test.lab', cdir: '10.0.8.0/28' } as never, ci: { repository: 'test/estate' } as never });
    expect(validateEstate(typo)).toEqual([
      expect.objectContaining({ path: 'test', property: 'vault.cdir', value: '10.0.8.0/28', message: 'is not a property of this object', fix: expect.stringMatching(/^did you mean cidr\? \(known: address, /) }),
      expect.objectContaining({ path: 'test', property: 'ci.repositoryId', value: undefined, message: 'is required', fix: 'give ci.repositoryId a string' }),
    ]);
  });

  it("keys Object.prototype has (constructor, toString, hasOwnProperty) are unknown props, never a crash", () => {
    const issues = issuesOf(new App(smallEstate({ vault: { address: 'https://vault.test.lab', hasOwnProperty: 1 } as never }), 'shop',
      { tiers: [Tier.DEV], objectPrefix: 's_', image: 'x:1', constructor: 1, toString: 'x' } as never));
    expect(issues.map((i) => [i.path, i.property, i.message])).toEqual([
      ['test', 'vault.hasOwnProperty', 'is not a property of this object'],
      ['test/shop', 'constructor', 'is not a property of this construct'],
      ['test/shop', 'toString', 'is not a property of this construct'],
    ]);
  });

  it('a missing required prop and props that are no object', () => {
    expect(issuesOf(new App(smallEstate(), 'shop', { tiers: [Tier.DEV], objectPrefix: 's_' } as never))).toEqual([
      { path: 'test/shop', property: 'image', value: undefined, message: 'is required', fix: 'give image a string' },
    ]);
    expect(issuesOf(new Sandbox(smallApp(smallEstate()), 'sb', undefined as never))[0]).toMatchObject({ path: 'test/erp/sb', property: 'props', value: undefined });
  });

  it('a wrong type is refused by synthesis, never written', () => {
    const e = smallEstate({ vault: { address: 'https://vault.test.lab', cidr: '10.0.8.0/28', port: '8200' } as never });
    smallApp(e);
    expect(() => synthesize(e)).toThrow(/vault\.port = "8200": must be an integer, not a string/);
  });

  it('well-typed props still synthesize: the check adds nothing to a valid estate', () => {
    const e = smallEstate();
    smallApp(e);
    expect(synthesize(e).manifest.appEnvironments.length).toBe(2);
  });
});
