import { describe, expect, it } from 'vitest';
import { APP_PROPS } from '../../constructs/app';
import { ESTATE_PROPS } from '../../constructs/estate';
import { SERVER_PROPS } from '../../constructs/postgres-server';
import { SANDBOX_PROPS } from '../../constructs/sandbox';
import type { PropSpec } from '../../constructs/prop-types';
import { App, Estate, PostgresServer, Sandbox, SandboxKind, Tier, TierkitValidationError, synthesize } from '../../constructs';
import { smallApp, smallEstate } from '../support/estates';

/**
 * Estate programs from plain JavaScript (or tsx, which never type-checks): every prop of every
 * construct, given a value of the wrong type, is one issue naming the construct path, the
 * property, the value and the fix — thrown before anything uses the value.
 */

type Build = (props: Record<string, unknown>) => unknown;

const CONSTRUCTS: { name: string; spec: PropSpec; path: string; valid: () => Record<string, unknown>; build: Build }[] = [
  {
    name: 'Estate', spec: ESTATE_PROPS, path: 'test',
    valid: () => ({ name: 'test', domain: 'test.lab', vault: { address: 'https://vault.test.lab' }, argocd: { repoUrl: 'https://git.test.lab/e.git' }, ci: { repository: 'test/estate', repositoryId: '100001' } }),
    build: (props) => new Estate(props as never),
  },
  {
    name: 'PostgresServer', spec: SERVER_PROPS, path: 'test/pg',
    valid: () => ({ host: 'pg.test.lab', majorVersion: 16, tiers: [Tier.DEV] }),
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

/** A value of another type than any the prop accepts (a string where none is accepted, else a number). */
function wrongValue(spec: PropSpec, prop: string): unknown {
  return spec[prop].accepts('8080') ? 8080 : '8080';
}

function issuesOf(fn: () => unknown) {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TierkitValidationError);
    return (err as TierkitValidationError).issues;
  }
  throw new Error('expected a validation error, got none');
}

describe('runtime types of every prop', () => {
  for (const c of CONSTRUCTS) {
    it(`${c.name}: the valid props build`, () => {
      expect(() => c.build(c.valid())).not.toThrow();
    });

    for (const prop of Object.keys(c.spec)) {
      for (const value of [wrongValue(c.spec, prop), null]) {
        it(`${c.name}.${prop} = ${JSON.stringify(value)}: one issue with path, property, value and fix`, () => {
          const issues = issuesOf(() => c.build({ ...c.valid(), [prop]: value }));
          expect(issues).toHaveLength(1);
          const [issue] = issues;
          // An estate without a usable name is named by its role.
          expect(issue.path).toBe(c.name === 'Estate' && prop === 'name' ? '(estate)' : c.path);
          expect(issue.property).toBe(prop);
          expect(issue.value).toBe(value);
          expect(issue.message).toMatch(new RegExp(`^must be ${c.spec[prop].describe.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, not (a number|a string|null)$`));
          expect(issue.fix).toBe(`give ${prop} ${c.spec[prop].describe}`);
        });
      }
    }
  }

  it('the cases of the issue: image null, port "8080", flags "on", tiers "dev"', () => {
    const app = (props: Record<string, unknown>) => issuesOf(() => new App(smallEstate(), 'shop', { tiers: [Tier.DEV], objectPrefix: 's_', image: 'x:1', ...props } as never))[0];
    expect(app({ image: null })).toMatchObject({ path: 'test/shop', property: 'image', value: null, message: 'must be a string, not null' });
    expect(app({ port: '8080' })).toMatchObject({ property: 'port', value: '8080', message: 'must be an integer, not a string' });
    expect(app({ flags: 'on' })).toMatchObject({ property: 'flags', message: 'must be an object whose every value is a boolean, not a string' });
    expect(app({ flags: { beta: 'yes' } })).toMatchObject({ property: 'flags', value: { beta: 'yes' } });
    expect(app({ tiers: 'dev' })).toMatchObject({ property: 'tiers', value: 'dev', message: 'must be a list of tiers (e.g. [Tier.DEV, Tier.PROD]), not a string' });
    // (A list holding an unknown tier is the estate validation's: it names the tier; test/estate/validation.test.ts.)
  });

  it('a missing required prop and props that are no object', () => {
    expect(issuesOf(() => new App(smallEstate(), 'shop', { tiers: [Tier.DEV], objectPrefix: 's_' } as never))).toEqual([
      { path: 'test/shop', property: 'image', value: undefined, message: 'is required', fix: 'give image a string' },
    ]);
    expect(issuesOf(() => new Sandbox(smallApp(smallEstate()), 'sb', undefined as never))[0]).toMatchObject({ path: 'test/erp/sb', property: 'props', value: undefined });
  });

  it('well-typed props still synthesize: the check adds nothing to a valid estate', () => {
    const e = smallEstate();
    smallApp(e);
    expect(synthesize(e).manifest.appEnvironments.length).toBe(2);
  });
});
