import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateEstate } from '../../constructs';
import { synthesize } from '../../constructs/synth/synthesize';
import { writeDist } from '../../constructs/synth/write';
import { synthKubernetes } from '../../bench/baseline/kubernetes';
import { synthTerraform } from '../../bench/baseline/terraform';
import { estateFromSpec, generateEstate } from '../../bench/generate';
import { OPERATIONS, Row, evaluateTargets, toMarkdown } from '../../bench/report';
import { commandAvailable, optionsFromArgv, runBench } from '../../bench/run';
import { GenerateOptions, generateSpec, mulberry32 } from '../../bench/spec';
import { readDist, readKubernetes, readStack } from '../../policies/dist';
import { testTmp } from '../setup/tmpdir';

const TINY: GenerateOptions = { apps: 4, sandboxes: 5, seed: 7 };

function files(options: GenerateOptions): ReadonlyMap<string, string> {
  return synthesize(generateEstate(options)).files;
}

describe('bench generator', () => {
  it('is deterministic: the same seed synthesizes a byte-identical dist, another seed a different one', () => {
    const a = files(TINY);
    const b = files(TINY);
    expect([...a.keys()]).toEqual([...b.keys()]);
    for (const [path, content] of a) expect(b.get(path), path).toBe(content);
    const other = files({ ...TINY, seed: 8 });
    expect([...other.entries()]).not.toEqual([...a.entries()]);
    expect(mulberry32(1)()).toBe(mulberry32(1)());
  });

  it('produces valid estates of the requested size, with random tier subsets or all seven tiers', () => {
    for (const options of [TINY, { ...TINY, allTiers: true }, { apps: 20, sandboxes: 30, seed: 3 }]) {
      const spec = generateSpec(options);
      expect(spec.apps).toHaveLength(options.apps);
      expect(spec.sandboxes).toHaveLength(options.sandboxes);
      for (const app of spec.apps) expect(app.tiers.length).toBeGreaterThan(0);
      expect(validateEstate(estateFromSpec(spec))).toEqual([]);
    }
    const all = synthesize(generateEstate({ apps: 3, sandboxes: 2, allTiers: true })).manifest;
    expect(all.appEnvironments).toHaveLength(3 * 7 + 2);
  });

  it('the one-app change touches app 0 only: a new image tag and one more sandbox', () => {
    const before = generateSpec({ ...TINY, allTiers: true });
    const after = generateSpec({ ...TINY, allTiers: true, change: true });
    expect(after.apps.slice(1)).toEqual(before.apps.slice(1));
    expect(after.apps[0].image).not.toBe(before.apps[0].image);
    expect(after.sandboxes.slice(0, -1)).toEqual(before.sandboxes);
    expect(after.sandboxes.at(-1)).toMatchObject({ app: before.apps[0].name, env: 'sb-change' });
    expect(validateEstate(estateFromSpec(after))).toEqual([]);
  });
});

describe('baseline (plain cdktf + cdk8s) writes the same artifacts as tierkit', () => {
  it('same stacks with the same resource addresses and providers, same Kubernetes files with the same kinds and names', () => {
    const spec = generateSpec(TINY);
    const dir = testTmp('bench', `fair-${process.pid}`);
    const tierkitDir = join(dir, 'tierkit');
    writeDist(tierkitDir, synthesize(estateFromSpec(spec)).files);
    const baselineDir = join(dir, 'baseline');
    synthTerraform(spec, join(baselineDir, 'terraform'));
    synthKubernetes(spec, join(baselineDir, 'k8s'));

    const tierkit = readDist(tierkitDir);
    const baselineStacks = readdirSync(join(baselineDir, 'terraform', 'stacks')).sort();
    expect(baselineStacks).toEqual(tierkit.stacks.map((s) => s.name).sort());
    for (const stack of tierkit.stacks) {
      const base = readStack(baselineDir, stack.name, `terraform/stacks/${stack.name}/cdk.tf.json`);
      expect(base.resources.map((r) => r.address).sort(), stack.name).toEqual(stack.resources.map((r) => r.address).sort());
      expect(Object.keys(base.json.provider ?? {}).sort(), stack.name).toEqual(Object.keys(stack.json.provider ?? {}).sort());
      expect(Object.keys(base.json.variable ?? {}).sort(), stack.name).toEqual(Object.keys(stack.json.variable ?? {}).sort());
      expect(base.json.terraform?.backend, stack.name).toEqual(stack.json.terraform?.backend);
    }
    expect(tierkit.stacks.length).toBeGreaterThan(spec.apps.length);

    const ident = (o: Record<string, any>) => `${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;
    const byFile = new Map<string, string[]>();
    for (const k of tierkit.kubernetes) byFile.set(k.file, [...(byFile.get(k.file) ?? []), ident(k.object)]);
    expect(byFile.size).toBeGreaterThan(spec.apps.length);
    for (const [file, objects] of byFile) {
      const base = readKubernetes(baselineDir, file).map((k) => ident(k.object));
      expect(base.sort(), file).toEqual([...objects].sort());
    }
    const kinds = new Set(tierkit.kubernetes.map((k) => k.object.kind));
    expect([...kinds].sort()).toEqual([
      'AppProject', 'Application', 'ConfigMap', 'CronJob', 'Deployment', 'Ingress', 'LimitRange', 'Namespace', 'NetworkPolicy', 'PersistentVolume', 'PersistentVolumeClaim',
      'ResourceQuota', 'Role', 'RoleBinding', 'Service', 'ServiceAccount',
    ]);
  });
});

describe('bench harness', () => {
  it('runs end to end at a tiny size and reports every operation at every size', () => {
    const options = { ...optionsFromArgv(['--quick', '--multipliers', '1', '--work-dir', testTmp('bench', `run-${process.pid}`)]), base: { apps: 1, sandboxes: 1 }, phases: true };
    const report = runBench(options);
    expect(report.rows.map((r) => `${r.operation}@${r.multiplier}`)).toEqual(OPERATIONS.map((op) => `${op}@1`));
    const available: Record<string, boolean> = { check: commandAvailable('check'), diff: commandAvailable('diff') };
    for (const row of report.rows) {
      const command = row.operation.startsWith('synth') ? 'synth' : row.operation;
      if (command !== 'synth' && !available[command]) {
        expect(row.status, row.operation).toBe('unavailable');
        expect(row.note).toMatch(/not available yet/);
        continue;
      }
      expect(row, row.operation).toMatchObject({ status: 'ok', runs: 1, appEnvironments: 8 });
      expect(row.medianMs).toBeGreaterThan(0);
      expect(row.medianRssMiB).toBeGreaterThan(0);
    }
    expect(report.phases).toHaveLength(1);
    expect(report.phases[0].appEnvironments).toBe(8);
    const md = toMarkdown(report);
    for (const op of OPERATIONS) expect(md).toContain(`| ${op} | 1× | 8 |`);
    for (const t of report.targets) expect(md).toContain(`| ${t.name} |`);
    expect(report.machine.cpus).toBeGreaterThan(0);
  }, 300_000);

  it('--only check times check alone, on a dist one untimed synth wrote', () => {
    const options = { ...optionsFromArgv(['--quick', '--multipliers', '1', '--only', 'check', '--work-dir', testTmp('bench', `only-${process.pid}`)]), base: { apps: 1, sandboxes: 1 } };
    expect([...options.only!]).toEqual(['check']);
    const report = runBench(options);
    expect(report.rows.map((r) => r.operation)).toEqual(['check']);
    if (commandAvailable('check')) expect(report.rows[0]).toMatchObject({ status: 'ok', runs: 1, appEnvironments: 8 });
    expect(report.phases).toEqual([]);
    expect(() => optionsFromArgv(['--only', 'check,lint'])).toThrow(/--only takes a comma-separated list of synth, baseline, check, diff, got "lint"/);
  }, 300_000);

  it('--compiled adds a row timing check through the compiled CLI (lib/, built first), beside the source row', () => {
    const options = { ...optionsFromArgv(['--quick', '--multipliers', '1', '--only', 'check', '--compiled', '--work-dir', testTmp('bench', `compiled-${process.pid}`)]), base: { apps: 1, sandboxes: 1 } };
    expect(options.compiled).toBe(true);
    expect(optionsFromArgv(['--quick']).compiled).toBeUndefined();
    const report = runBench(options);
    expect(report.rows.map((r) => r.operation)).toEqual(['check', 'check (compiled lib/)']);
    for (const row of report.rows) expect(row, row.operation).toMatchObject({ status: 'ok', runs: 1, appEnvironments: 8 });
    expect(toMarkdown(report)).toContain('| check (compiled lib/) | 1× | 8 |');
  }, 300_000);

  it('--compiled --only synth adds a row timing synth through the compiled CLI on an estate importing tierkit, its dist equal to the source one', () => {
    const workDir = testTmp('bench', `compiled-synth-${process.pid}`);
    const options = { ...optionsFromArgv(['--quick', '--multipliers', '1', '--only', 'synth', '--compiled', '--work-dir', workDir]), base: { apps: 1, sandboxes: 1 } };
    const report = runBench(options);
    expect(report.rows.map((r) => r.operation)).toEqual(['synth (tierkit)', 'synth (compiled lib/)']);
    for (const row of report.rows) expect(row, row.operation).toMatchObject({ status: 'ok', runs: 1, appEnvironments: 8 });
    expect(toMarkdown(report)).toContain('| synth (compiled lib/) | 1× | 8 |');
    // An installed user's program: JavaScript requiring `tierkit`, never the checkout's sources.
    const entry = readFileSync(join(workDir, 'compiled-estate', 'generate.js'), 'utf8');
    expect(entry).toContain('require("tierkit")');
    expect(entry).not.toMatch(/require\("\.\.\//);
  }, 600_000);

  it('judges the targets at the reference size and marks what was not measured', () => {
    const row = (operation: Row['operation'], multiplier: number, medianMs: number, medianRssMiB = 100): Row => ({
      operation, multiplier, appEnvironments: 23 * multiplier, status: 'ok', runs: 3, medianMs, medianRssMiB, medianCpuMs: medianMs, samplesMs: [medianMs],
    });
    const rows = [
      row('synth (tierkit)', 1, 1000), row('synth (tierkit)', 10, 12000), row('synth (tierkit)', 100, 7000, 2000),
      row('synth (baseline)', 100, 20000), row('check', 100, 1500),
      { ...row('diff', 100, 0), status: 'unavailable' as const, medianMs: NaN },
    ];
    const verdicts = Object.fromEntries(evaluateTargets(rows, [1, 10, 100], 100, []).map((t) => [t.name, t.verdict]));
    expect(verdicts).toMatchObject({
      'synth wall time': 'met', 'synth peak RSS': 'missed', 'synth time tierkit / baseline': 'met', 'check wall time': 'met',
      'diff wall time': 'not measured', 'scaling time(10×)/time(1×), synth (tierkit)': 'missed',
      'scaling time(10×)/time(1×), synthesize() in-process (no startup)': 'not measured',
    });
  });
});
