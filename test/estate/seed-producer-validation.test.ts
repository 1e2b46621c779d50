// Issue 22: what validation refuses of a seed producer before synth renders it — a generator whose
// SQL would not fit the producer's ConfigMap, and a producer name too long for a CronJob — each
// naming the construct path, the property, the value and the fix; constructors never throw.
import { describe, expect, it } from 'vitest';
import { App, FakeKind, Sandbox, SandboxKind, SyntheticColumn, Tier, validateEstate } from '../../constructs';
import { smallEstate } from '../support/estates';

const synthetic = (rows: number) => ({
  version: 'v1', seed: 7,
  schema: 'CREATE TABLE crm_person (id int PRIMARY KEY, name text NOT NULL, email text NOT NULL);',
  tables: [{ table: 'crm_person', rows, columns: { id: SyntheticColumn.sequence(), name: SyntheticColumn.fake(FakeKind.FULL_NAME), email: SyntheticColumn.fake(FakeKind.EMAIL) } }],
});

function issues(name: string, rows: number) {
  const estate = smallEstate();
  new App(estate, name, { tiers: [Tier.CI, Tier.PROD], objectPrefix: 'crm_', image: `example/crm:1.0.0@sha256:${'e'.repeat(64)}`, synthetic: synthetic(rows) });
  return validateEstate(estate).map((i) => ({ path: i.path, property: i.property, value: i.value, message: i.message, fix: i.fix }));
}

describe('seed producer validation', () => {
  it('accepts a generator whose SQL fits the ConfigMap', () => {
    expect(issues('crm', 1000)).toEqual([]);
  });

  it('refuses a generator whose SQL exceeds the producer ConfigMap (1 MiB), naming its size and the fix', () => {
    const got = issues('crm', 30_000);
    expect(got).toEqual([{
      path: 'test/crm', property: 'synthetic.tables', value: expect.stringMatching(/^\d+ bytes of SQL$/),
      message: "generates more SQL than its producer's ConfigMap holds (1000000 bytes)",
      fix: 'generate fewer rows (the rows are the SQL), or produce the seed outside tierkit',
    }]);
    expect(Number.parseInt(String(got[0].value), 10)).toBeGreaterThan(1_000_000);
  });

  it('refuses a producer name longer than a CronJob allows', () => {
    const long = `crm${'x'.repeat(40)}`;
    const got = issues(long, 10);
    expect(got).toEqual([expect.objectContaining({ path: `test/${long}/ci`, property: 'seedProducerCronJob[synthetic:v1]', value: `${long}-ci-seed-synthetic-v1` })]);
  });

  it('refuses an env whose derived Vault names are a seed producer\'s (it would declare the producer\'s policy)', () => {
    const estate = smallEstate();
    const app = new App(estate, 'crm', { tiers: [Tier.CI, Tier.DEV, Tier.PROD], objectPrefix: 'crm_', image: `example/crm:1.0.0@sha256:${'e'.repeat(64)}`, synthetic: synthetic(10) });
    new Sandbox(app, 'ci-seed-synthetic-v1', { tier: Tier.DEV, kind: SandboxKind.ENGINEER, owner: 'eve', createdAt: '2026-11-21' });
    const got = validateEstate(estate).filter((i) => i.property === 'coordinate');
    expect(got).toEqual([expect.objectContaining({ value: expect.stringMatching(/^crm\/ci/), message: expect.stringContaining('"crm-ci-seed-synthetic-v1"') })]);
  });
});
