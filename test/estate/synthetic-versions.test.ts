// Issue 22: a synthetic seed of any declared version, not only v1. A version other than v1 needs
// the app's generator of that version (nothing else produces it); its store, claim and published
// hashes carry the version, and the seed rules judge it like v1.
import { mkdirSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { App, DataClass, Sandbox, SandboxKind, SeedProfile, Tier, validateEstate } from '../../constructs';
import { seedOf } from '../../constructs/sandbox-files';
import { SyntheticColumn } from '../../constructs/synthetic';
import { synthesize } from '../../constructs/synth/synthesize';
import { writeDist } from '../../constructs/synth/write';
import { DistEdit } from '../policies/dist-edit';
import { check, findings, freshDir } from '../policies/helpers';
import { smallEstate } from '../support/estates';

const generator = (version: string) => ({
  version, seed: 7, schema: 'CREATE TABLE crm_a (id int PRIMARY KEY);',
  tables: [{ table: 'crm_a', rows: 3, columns: { id: SyntheticColumn.sequence() } }],
});

function estate(synthetic: ReturnType<typeof generator> | undefined, seed: SeedProfile) {
  const e = smallEstate();
  const app = new App(e, 'crm', { tiers: [Tier.DEV, Tier.PROD], objectPrefix: 'crm_', image: `example/crm:1.0.0@sha256:${'d'.repeat(64)}`, ...(synthetic ? { synthetic } : {}) });
  new Sandbox(app, 'alice', { tier: Tier.DEV, kind: SandboxKind.ENGINEER, owner: 'alice', createdAt: '2026-11-21', seed });
  return e;
}

const issues = (e: ReturnType<typeof smallEstate>) => validateEstate(e).map((i) => ({ path: i.path, property: i.property, value: i.value, message: i.message }));

describe('SeedProfile.synthetic(version)', () => {
  it('is synthetic data under its own name; v1 is SYNTHETIC_V1', () => {
    expect(SeedProfile.synthetic('v2').name).toBe('synthetic:v2');
    expect(SeedProfile.synthetic('v2').dataClass).toBe(DataClass.SYNTHETIC);
    expect(SeedProfile.synthetic('v1')).toBe(SeedProfile.SYNTHETIC_V1);
    expect(seedOf('synthetic:2026.11')?.name).toBe('synthetic:2026.11');
    expect(seedOf('synthetic:')).toBeUndefined();
    expect(seedOf('synthetic:V 2')).toBeUndefined();
  });

  it('refuses a version the app declares no generator for, one the generator does not make, and a malformed one', () => {
    expect(issues(estate(undefined, SeedProfile.synthetic('v2')))).toEqual([
      { path: 'test/crm/alice', property: 'seed', value: 'synthetic:v2', message: 'app crm declares no synthetic generator, so nothing produces synthetic:v2' },
    ]);
    expect(issues(estate(generator('v3'), SeedProfile.synthetic('v2')))).toEqual([
      { path: 'test/crm/alice', property: 'seed', value: 'synthetic:v2', message: "is not the synthetic seed app crm's generator produces (synthetic:v3)" },
    ]);
    expect(issues(estate(generator('v2'), SeedProfile.synthetic('V 2')))).toContainEqual(
      { path: 'test/crm/alice', property: 'seed', value: 'synthetic:V 2', message: 'names no synthetic version' },
    );
    // v1 may still be produced outside tierkit (no generator declared).
    expect(issues(estate(undefined, SeedProfile.SYNTHETIC_V1))).toEqual([]);
    expect(issues(estate(generator('v2'), SeedProfile.synthetic('v2')))).toEqual([]);
  });

  it('a declared v2 renders a store, claim and hash secret of v2, and the seed rules pass it', async () => {
    const files = synthesize(estate(generator('v2'), SeedProfile.synthetic('v2'))).files;
    const k8s = parseAllDocuments(files.get('k8s/dev/crm-alice.k8s.yaml')!).map((d) => d.toJS());
    const pv = k8s.find((o) => o.kind === 'PersistentVolume');
    expect(pv.metadata.name).toBe('tierkit-seed-crm-alice-synthetic-v2');
    expect(pv.spec.nfs.path).toMatch(/\/crm\/synthetic-v2$/);
    expect(pv.spec.nfs.readOnly).toBe(true);
    expect(k8s.find((o) => o.kind === 'PersistentVolumeClaim').metadata.name).toBe('tierkit-seed-synthetic-v2');
    const reset = k8s.find((o) => o.kind === 'CronJob' && o.metadata.name.endsWith('-reset'));
    expect(reset.spec.jobTemplate.spec.template.metadata.annotations['vault.hashicorp.com/agent-inject-secret-seed']).toMatch(/\/data\/tierkit-seeds\/crm\.synthetic-v2$/);
    const dir = freshDir('synthetic-v2');
    mkdirSync(dir, { recursive: true });
    writeDist(dir, files);
    const seedRules = (await check(dir)).findings.filter((f) => /^TK(012|13\d)$/.test(f.ruleId));
    expect(seedRules).toEqual([]);
    // The v2 volume is judged like any other: re-pointed at the golden (live data), TK130 refuses it.
    const edited = new DistEdit('synthetic-v2-golden', dir).object('k8s/dev/crm-alice.k8s.yaml', 'PersistentVolume', 'tierkit-seed-crm-alice-synthetic-v2', (o) => {
      o.spec.nfs.path = o.spec.nfs.path.replace(/synthetic-v2$/, 'golden');
    });
    expect(findings(await check(edited.dir), 'TK130').map((f) => f.message)).toEqual([
      expect.stringMatching(/^PersistentVolume "tierkit-seed-crm-alice-synthetic-v2" .*its seed "golden" is live data, which tier dev does not allow/),
    ]);
  });
});
