import { Rollout } from '@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/Rollout';
import { describe, expect, it } from 'vitest';
import { Releases, RolloutStrategy, Tier } from '../../constructs';
import { DEFAULT_CANARY_STEPS } from '../../constructs/promotion';
import { rolloutProblems } from '../../contract/rollout';
import { DistEdit } from '../policies/dist-edit';
import { check, findings, synthDist } from '../policies/helpers';
import { synthToDist } from '../support/synth';
import { smallEstate } from '../support/estates';
import { App } from '../../constructs';

const rollouts = () => synthToDist().kubernetes.filter((o) => o.object.kind === 'Rollout');
const schemaErrors = (o: unknown) => {
  try {
    new Rollout(o as never).validate();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
};

describe('Rollouts of canary and blue-green releases', () => {
  const all = rollouts();
  const canary = all.find((o) => o.file === 'k8s/prod/crm.k8s.yaml')!.object;
  const blueGreen = all.find((o) => o.file === 'k8s/prod/shop.k8s.yaml')!.object;

  it('render seed 001\'s steps on prod, a workloadRef to the Deployment held at 0, and validate against the argo-rollouts schema and tierkit\'s strictness', () => {
    expect(all.map((o) => o.file).sort()).toEqual(['k8s/preprod/crm-preprod.k8s.yaml', 'k8s/prod/crm.k8s.yaml', 'k8s/prod/shop.k8s.yaml']);
    for (const { object } of all) {
      expect(schemaErrors(object)).toBeUndefined();
      expect(rolloutProblems(object)).toEqual([]);
    }
    expect(canary.spec.strategy.canary.steps).toEqual([
      { setWeight: 5 }, { pause: { duration: '30m' } }, { setWeight: 20 }, { pause: { duration: '60m' } },
      { setWeight: 50 }, { pause: { duration: '120m' } }, { setWeight: 100 },
    ]);
    expect(canary.spec.workloadRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'crm' });
    const dist = synthToDist();
    const deployment = dist.kubernetes.find((o) => o.file === 'k8s/prod/crm.k8s.yaml' && o.object.kind === 'Deployment')!.object;
    expect(deployment.spec.replicas).toBe(0);
    expect(canary.spec.replicas).toBe(1);
    // The Rollout selects exactly the workload's pods (not the lifecycle Jobs' of the same env).
    expect(Object.entries(canary.spec.selector.matchLabels).every(([k, v]) => deployment.spec.template.metadata.labels[k] === v)).toBe(true);
    expect(canary.spec.selector.matchLabels['tierkit.io/component']).toBe('workload');
    // prod is human-gated: blue-green waits for a human; the preview Service is rendered beside it.
    expect(blueGreen.spec.strategy.blueGreen).toEqual({ activeService: 'shop', previewService: 'shop-preview', autoPromotionEnabled: false });
    const preview = dist.kubernetes.find((o) => o.file === 'k8s/prod/shop.k8s.yaml' && o.object.kind === 'Service' && o.object.metadata.name === 'shop-preview');
    expect(preview?.object.spec.selector).toEqual(dist.kubernetes.find((o) => o.file === 'k8s/prod/shop.k8s.yaml' && o.object.kind === 'Service' && o.object.metadata.name === 'shop')!.object.spec.selector);
    // An immediate env keeps its Deployment's replicas and has no Rollout.
    expect(dist.kubernetes.find((o) => o.file === 'k8s/staging/crm-staging.k8s.yaml' && o.object.kind === 'Deployment')!.object.spec.replicas).toBe(1);
  });

  it('steps are overridable per tier', () => {
    const estate = smallEstate({ promotion: { tiers: [{ tier: Tier.PROD, canarySteps: [{ weight: 10, pauseMinutes: 15 }, { weight: 100 }] }] } });
    new App(estate, 'erp', { tiers: [Tier.DEV, Tier.PROD], objectPrefix: 'llx_', image: 'x:1', releases: Releases.parse(JSON.stringify({ schemaVersion: 1, app: 'erp', envs: {
      dev: { image: `x@sha256:${'a'.repeat(64)}` }, prod: { image: `x@sha256:${'a'.repeat(64)}`, strategy: RolloutStrategy.CANARY.name },
    } }), 'r.json') });
    const r = synthToDist(estate).kubernetes.find((o) => o.object.kind === 'Rollout')!.object;
    expect(r.spec.strategy.canary.steps).toEqual([{ setWeight: 10 }, { pause: { duration: '15m' } }, { setWeight: 100 }]);
    expect(DEFAULT_CANARY_STEPS.map((s) => s.weight)).toEqual([5, 20, 50, 100]);
  });

  it('strictness refuses what the schema package lets through: both strategies, a final weight below 100, setCanaryScale without traffic routing, unknown fields', () => {
    const edit = (f: (o: any) => void) => { const o = structuredClone(canary); f(o); return o; };
    const cases: [string, any, RegExp][] = [
      ['canary and blueGreen', edit((o) => { o.spec.strategy.blueGreen = { activeService: 'crm' }; }), /both canary and blueGreen/],
      ['neither', edit((o) => { o.spec.strategy = {}; }), /neither canary nor blueGreen/],
      ['final weight 50', edit((o) => { o.spec.strategy.canary.steps = o.spec.strategy.canary.steps.slice(0, 5); }), /final weight, 50 %/],
      ['setCanaryScale unrouted', edit((o) => { o.spec.strategy.canary.steps.splice(1, 0, { setCanaryScale: { replicas: 3 } }); }), /only meaningful with trafficRouting/],
      ['typo in blue-green', structuredClone({ ...blueGreen, spec: { ...blueGreen.spec, strategy: { blueGreen: { activeService: 'shop', autoPromotionEnabeld: false } } } }), /"autoPromotionEnabeld" is not a field/],
      ['analysis step', edit((o) => { o.spec.strategy.canary.steps.splice(1, 0, { analysis: { templates: [{ templateName: 'x' }] } }); }), /"analysis" is not a field of a canary step/],
      ['weights going back', edit((o) => { o.spec.strategy.canary.steps.splice(3, 0, { setWeight: 1 }); }), /does not rise/],
      ['template and workloadRef', edit((o) => { o.spec.template = { spec: { containers: [] } }; }), /both workloadRef and template/],
      ['workloadRef to a StatefulSet', edit((o) => { o.spec.workloadRef = { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'crm' }; }), /apps\/v1 Deployment/],
    ];
    for (const [name, obj, want] of cases) {
      expect(rolloutProblems(obj).map((p) => `${p.pointer} ${p.message}`).join('\n'), name).toMatch(want);
    }
    // The schema package accepts the typo and the unrouted setCanaryScale: tierkit's own rules are not redundant.
    expect(schemaErrors(cases[4][1])).toBeUndefined();
    expect(schemaErrors(cases[3][1])).toBeUndefined();
  });
});

describe('check on hand-edited Rollouts (TK140–TK142)', () => {
  const base = synthDist(undefined, 'rollouts');

  it('TK142: removing the Rollout leaves the Deployment at 0 (the workloadRef-delete trap)', async () => {
    const d = new DistEdit('no-rollout', base).k8s('k8s/prod/crm.k8s.yaml', (docs) => docs.filter((o) => o.kind !== 'Rollout'));
    const f = findings(await check(d.dir), 'TK142');
    expect(f.map((x) => x.message)).toEqual([expect.stringMatching(/Deployment crm\/crm \(crm \(tier prod\)\) declares 0 replicas and no Rollout takes it over/)]);
    expect(f[0].suppressed).toBeUndefined();
    expect(f[0].severity).toBe('error');
  });

  it('TK141: a Deployment still running replicas, a workloadRef to nothing, a blue-green promoting itself on prod', async () => {
    const replicas = new DistEdit('dep-replicas', base).object('k8s/prod/crm.k8s.yaml', 'Deployment', 'crm', (o) => { o.spec.replicas = 2; });
    expect(findings(await check(replicas.dir), 'TK141').map((x) => x.message)).toEqual([expect.stringMatching(/still declares 2 replicas/)]);
    const dangling = new DistEdit('dangling', base).object('k8s/prod/crm.k8s.yaml', 'Rollout', 'crm', (o) => { o.spec.workloadRef.name = 'elsewhere'; });
    const r = await check(dangling.dir);
    expect(findings(r, 'TK141').map((x) => x.message)).toEqual([expect.stringMatching(/runs the pods of Deployment "elsewhere", which its file .* does not hold/)]);
    // …and the Deployment it no longer references is the trap too.
    expect(findings(r, 'TK142')).toHaveLength(1);
    const auto = new DistEdit('auto', base).object('k8s/prod/shop.k8s.yaml', 'Rollout', 'shop', (o) => { o.spec.strategy.blueGreen.autoPromotionEnabled = true; });
    expect(findings(await check(auto.dir), 'TK141').map((x) => x.message)).toEqual([expect.stringMatching(/tier prod, whose apply gate needs a human, but promotes the new version to live traffic by itself/)]);
    const noPreview = new DistEdit('no-preview', base).k8s('k8s/prod/shop.k8s.yaml', (docs) => docs.filter((o) => !(o.kind === 'Service' && o.metadata.name === 'shop-preview')));
    expect(findings(await check(noPreview.dir), 'TK141').map((x) => x.message)).toEqual([expect.stringMatching(/switches Service "shop-preview", which its file does not hold/)]);
  });

  it('TK140 + pod rules: an inline template is judged like a Deployment\'s, and an unknown field is refused', async () => {
    const d = new DistEdit('inline', base).k8s('k8s/prod/crm.k8s.yaml', (docs) => {
      const dep = docs.find((o) => o.kind === 'Deployment');
      const r = docs.find((o) => o.kind === 'Rollout');
      delete r.spec.workloadRef;
      r.spec.template = structuredClone(dep.spec.template);
      r.spec.template.spec.containers[0].securityContext.privileged = true;
      r.spec.strategy.canary.dynamicStableScale = true;
      return docs.filter((o) => o.kind !== 'Deployment');
    });
    const report = await check(d.dir);
    expect(findings(report, 'TK140').map((x) => x.message)).toEqual([expect.stringMatching(/"dynamicStableScale" is not a field of canary/)]);
    expect(findings(report, 'TK051').map((x) => x.message)).toEqual([expect.stringMatching(/Rollout crm\/crm .*privileged/)]);
  });

  it('the example estate\'s Rollouts pass every rule', async () => {
    const report = await check(base);
    expect(report.findings.map((f) => `${f.ruleId} ${f.message}`)).toEqual([]);
  });
});
