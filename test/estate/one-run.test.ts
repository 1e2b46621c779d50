import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Backend, PostgresServer, Releases, Sandbox, SandboxKind, Tier, TierkitValidationError, synthesize, validateEstate } from '../../constructs';
import { smallApp, smallEstate } from '../support/estates';

/**
 * One validation mechanism (issue 20): declaring an estate never throws; validation reports every
 * problem of the estate in one run — nothing found early hides what comes after it.
 */
const sandbox = (app: App, id: string, owner = 'alice') =>
  new Sandbox(app, id, { tier: Tier.DEV, kind: SandboxKind.ENGINEER, owner, createdAt: '2026-11-20' });

describe('every problem of an estate in one run', () => {
  it('two duplicate sandboxes are two issues; a third declaration of one is one more', () => {
    const e = smallEstate();
    const erp = smallApp(e);
    sandbox(erp, 'alice');
    sandbox(erp, 'alice');
    sandbox(erp, 'bob', 'bob');
    sandbox(erp, 'bob', 'bob');
    sandbox(erp, 'bob', 'bob');
    expect(validateEstate(e).map((i) => [i.path, i.property, i.value])).toEqual([
      ['test/erp/alice', 'env', 'alice'], ['test/erp/bob', 'env', 'bob'], ['test/erp/bob', 'env', 'bob'],
    ]);
    // The duplicates are not in the estate: only the first of each name is synthesized (once the issues are fixed).
    expect(erp.sandboxes.map((s) => s.env)).toEqual(['alice', 'bob']);
  });

  it('a bad CIDR hides nothing: network, servers, apps, duplicates and sandboxes all in one error', () => {
    const e = smallEstate({ vault: { address: 'https://vault.test.lab', cidr: '10.0.8.1/28' }, kubernetesApi: { cidr: '0.0.0.0/0' } });
    new PostgresServer(e, 'extra-pg', { host: 'pg-x.test.lab', majorVersion: 16, tiers: [], cidr: 'not-a-cidr', port: 70000 });
    new PostgresServer(e, 'extra-pg', { host: 'pg-y.test.lab', majorVersion: 16, tiers: [] });
    smallApp(e, 'ERP');
    smallApp(e, 'shop');
    smallApp(e, 'shop');
    new App(e, 'crm', { tiers: [Tier.DEV], objectPrefix: 'crm_', image: 'x:1', runAsUser: 0, healthPath: 'healthz' });
    sandbox(smallApp(e, 'hr'), 'sb').addSuppression('TK011', 'ok');
    const issues = validateEstate(e);
    expect(issues.map((i) => `${i.path} ${i.property}`)).toEqual([
      'test/extra-pg server', 'test/shop app',
      'test vault.cidr', 'test kubernetesApi.cidr',
      'test/extra-pg cidr', 'test/extra-pg port',
      'test/crm runAsUser', 'test/crm healthPath',
      'test/ERP name',
      'test/hr/sb suppressions[TK011].reason',
    ]);
    // …and synthesis refuses with all of them in one error.
    try {
      synthesize(e);
      expect.unreachable('synthesize accepted an invalid estate');
    } catch (err) {
      expect(err).toBeInstanceOf(TierkitValidationError);
      expect((err as TierkitValidationError).issues).toHaveLength(issues.length);
    }
  });

  it('a bad backend throws nothing: its props are issues beside the rest, and synth refuses them all', () => {
    const e = smallEstate({ backend: Backend.s3({ bucket: 'tf-*', region: 'eu-west-3', keyPrefix: '/x/', accountId: '12' }) });
    smallApp(e, 'Bad_Name');
    const issues = validateEstate(e);
    expect(issues.map((i) => `${i.path} ${i.property} ${JSON.stringify(i.value)}`)).toEqual([
      'test/Bad_Name name "Bad_Name"',
      'test backend.bucket "tf-*"', 'test backend.keyPrefix "/x/"', 'test backend.accountId "12"',
    ]);
    expect(issues.every((i) => i.fix.length > 0)).toBe(true);
    expect(() => synthesize(e)).toThrow(TierkitValidationError);
  });

  it('an unreadable or invalid releases file throws nothing: its problems are issues beside the rest', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tierkit-one-run-'));
    try {
      const bad = join(dir, 'erp.releases.json');
      writeFileSync(bad, '{ "schemaVersion": 1, "app": "erp", "envs": { "dev": {} } }');
      const e = smallEstate();
      new App(e, 'erp', { tiers: [Tier.DEV], objectPrefix: 'llx_', image: 'x:1', releases: Releases.fromFile(bad) });
      new App(e, 'crm', { tiers: [Tier.DEV], objectPrefix: 'crm_', image: 'x:1', releases: Releases.fromFile(join(dir, 'missing.json')) });
      smallApp(e, 'Bad_Name');
      const issues = validateEstate(e).map((i) => `${i.path} ${i.property}: ${i.message}`);
      expect(issues).toEqual(expect.arrayContaining([
        expect.stringMatching(/^test\/Bad_Name name: /),
        expect.stringMatching(new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} /envs/dev/image: `)),
        expect.stringMatching(/missing\.json : cannot be read \(ENOENT\)/),
      ]));
      expect(() => synthesize(e)).toThrow(TierkitValidationError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a type issue and the problems of other constructs: both reported', () => {
    const e = smallEstate({ ci: { repository: 'test/estate', repositoryId: '100001', maxPlanAgeHours: 'a day' } as never });
    smallApp(e, 'Bad_Name');
    expect(validateEstate(e).map((i) => `${i.path} ${i.property}`)).toEqual(['test ci.maxPlanAgeHours', 'test/Bad_Name name']);
  });
});
