/**
 * tierkit's own strictness for Argo Rollouts (`argoproj.io/v1alpha1` Rollout), on top of the CRD
 * schema (which accepts unknown fields: its schema is not structural-strict). One judgement for
 * both sides: the synthesizer refuses to write a Rollout that fails it, and TK140 judges every
 * Rollout in dist/ — hand-edited ones included. What is not listed here is not modelled, and is
 * refused rather than passed (a step kind such as `analysis` or `experiment` changes who decides
 * the rollout's progress).
 */

export interface RolloutProblem {
  /** JSON pointer inside the object. */
  readonly pointer: string;
  readonly message: string;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const seg = (k: string) => k.replace(/~/g, '~0').replace(/\//g, '~1');

const FIELDS = {
  top: ['apiVersion', 'kind', 'metadata', 'spec'],
  metadata: ['name', 'namespace', 'labels', 'annotations'],
  spec: ['replicas', 'selector', 'workloadRef', 'template', 'strategy', 'revisionHistoryLimit', 'minReadySeconds', 'progressDeadlineSeconds', 'progressDeadlineAbort'],
  workloadRef: ['apiVersion', 'kind', 'name'],
  strategy: ['canary', 'blueGreen'],
  canary: ['steps', 'trafficRouting', 'maxSurge', 'maxUnavailable', 'canaryService', 'stableService'],
  trafficRouting: ['nginx'],
  nginx: ['stableIngress', 'annotationPrefix'],
  blueGreen: ['activeService', 'previewService', 'autoPromotionEnabled', 'autoPromotionSeconds', 'scaleDownDelaySeconds', 'previewReplicaCount'],
  step: ['setWeight', 'pause', 'setCanaryScale'],
  pause: ['duration'],
  setCanaryScale: ['weight', 'replicas', 'matchTrafficWeight'],
} as const;

function unknownFields(obj: Json, allowed: readonly string[], at: string, what: string, out: RolloutProblem[]): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) out.push({ pointer: `${at}/${seg(k)}`, message: `"${k}" is not a field of ${what} that tierkit models (${allowed.join(', ')})` });
  }
}

/** Pause durations Argo Rollouts reads: whole seconds, or a number with s, m or h. */
const DURATION = /^[1-9][0-9]*[smh]?$/;

/** Every problem of one Rollout object; [] when tierkit can vouch for what it does. */
export function rolloutProblems(obj: unknown): RolloutProblem[] {
  const out: RolloutProblem[] = [];
  const add = (pointer: string, message: string) => out.push({ pointer, message });
  if (!isObject(obj)) return [{ pointer: '', message: 'is not an object' }];
  unknownFields(obj, FIELDS.top, '', 'a Rollout', out);
  if (obj.apiVersion !== 'argoproj.io/v1alpha1') add('/apiVersion', `is ${JSON.stringify(obj.apiVersion)}, not argoproj.io/v1alpha1`);
  if (isObject(obj.metadata)) unknownFields(obj.metadata, FIELDS.metadata, '/metadata', 'a Rollout\'s metadata', out);
  else add('/metadata', 'is missing');
  const spec = obj.spec;
  if (!isObject(spec)) {
    add('/spec', 'is missing');
    return out;
  }
  unknownFields(spec, FIELDS.spec, '/spec', 'a Rollout spec', out);
  if (spec.replicas !== undefined && (!Number.isInteger(spec.replicas) || (spec.replicas as number) < 0)) add('/spec/replicas', 'is not a whole number ≥ 0');
  if (!isObject(spec.selector) || !isObject(spec.selector.matchLabels) || Object.keys(spec.selector).some((k) => k !== 'matchLabels')) {
    add('/spec/selector', 'is not { matchLabels: {…} } (tierkit models label selectors only)');
  }
  const hasRef = spec.workloadRef !== undefined;
  const hasTemplate = spec.template !== undefined;
  if (hasRef === hasTemplate) add('/spec', hasRef ? 'has both workloadRef and template: give one' : 'has neither workloadRef nor template: its pods are not declared');
  if (hasRef) {
    const ref = spec.workloadRef;
    if (!isObject(ref)) add('/spec/workloadRef', 'is not an object');
    else {
      unknownFields(ref, FIELDS.workloadRef, '/spec/workloadRef', 'workloadRef', out);
      if (ref.apiVersion !== 'apps/v1' || ref.kind !== 'Deployment') add('/spec/workloadRef', 'does not reference an apps/v1 Deployment (the only workload tierkit models behind a Rollout)');
      if (typeof ref.name !== 'string' || ref.name === '') add('/spec/workloadRef/name', 'is not a name');
    }
  }
  const strategy = spec.strategy;
  if (!isObject(strategy)) {
    add('/spec/strategy', 'is missing: a Rollout without a strategy is a canary with no steps, straight to 100 %');
    return out;
  }
  unknownFields(strategy, FIELDS.strategy, '/spec/strategy', 'a Rollout strategy', out);
  const canary = strategy.canary;
  const blueGreen = strategy.blueGreen;
  if ((canary === undefined) === (blueGreen === undefined)) {
    add('/spec/strategy', canary === undefined ? 'has neither canary nor blueGreen' : 'has both canary and blueGreen: give exactly one');
  }
  if (canary !== undefined) canaryProblems(canary, out);
  if (blueGreen !== undefined) {
    if (!isObject(blueGreen)) add('/spec/strategy/blueGreen', 'is not an object');
    else {
      unknownFields(blueGreen, FIELDS.blueGreen, '/spec/strategy/blueGreen', 'blueGreen', out);
      if (typeof blueGreen.activeService !== 'string' || blueGreen.activeService === '') add('/spec/strategy/blueGreen/activeService', 'is missing: blue-green switches this Service');
      if (blueGreen.previewService !== undefined && (typeof blueGreen.previewService !== 'string' || blueGreen.previewService === blueGreen.activeService)) {
        add('/spec/strategy/blueGreen/previewService', 'is not a Service other than activeService');
      }
      if (blueGreen.autoPromotionEnabled !== undefined && typeof blueGreen.autoPromotionEnabled !== 'boolean') add('/spec/strategy/blueGreen/autoPromotionEnabled', 'is not a boolean');
    }
  }
  return out;
}

function canaryProblems(canary: unknown, out: RolloutProblem[]): void {
  const at = '/spec/strategy/canary';
  if (!isObject(canary)) {
    out.push({ pointer: at, message: 'is not an object' });
    return;
  }
  unknownFields(canary, FIELDS.canary, at, 'canary', out);
  const routed = canary.trafficRouting !== undefined;
  if (routed) {
    if (!isObject(canary.trafficRouting)) out.push({ pointer: `${at}/trafficRouting`, message: 'is not an object' });
    else {
      unknownFields(canary.trafficRouting, FIELDS.trafficRouting, `${at}/trafficRouting`, 'trafficRouting', out);
      if (isObject(canary.trafficRouting.nginx)) unknownFields(canary.trafficRouting.nginx, FIELDS.nginx, `${at}/trafficRouting/nginx`, 'trafficRouting.nginx', out);
      else out.push({ pointer: `${at}/trafficRouting/nginx`, message: 'is missing' });
    }
  }
  const steps = canary.steps;
  if (!Array.isArray(steps) || steps.length === 0) {
    out.push({ pointer: `${at}/steps`, message: 'is not a non-empty list: the canary would go straight to 100 %' });
    return;
  }
  let last: number | undefined;
  let lastAt = '';
  let previous = -1;
  steps.forEach((step, i) => {
    const p = `${at}/steps/${i}`;
    if (!isObject(step) || Object.keys(step).length !== 1) {
      out.push({ pointer: p, message: 'is not one step (a step has exactly one of setWeight, pause, setCanaryScale)' });
      return;
    }
    unknownFields(step, FIELDS.step, p, 'a canary step', out);
    if ('setWeight' in step) {
      const w = step.setWeight;
      if (!Number.isInteger(w) || (w as number) < 0 || (w as number) > 100) out.push({ pointer: `${p}/setWeight`, message: 'is not a whole percentage 0–100' });
      else {
        if ((w as number) <= previous) out.push({ pointer: `${p}/setWeight`, message: `does not rise above the previous weight (${previous}): traffic would move back to the old version` });
        previous = w as number;
        last = w as number;
        lastAt = `${p}/setWeight`;
      }
    }
    if ('pause' in step) {
      if (!isObject(step.pause)) out.push({ pointer: `${p}/pause`, message: 'is not an object ({} waits for a human, { duration: "30m" } waits 30 minutes)' });
      else {
        unknownFields(step.pause, FIELDS.pause, `${p}/pause`, 'pause', out);
        const d = step.pause.duration;
        if (d !== undefined && !(typeof d === 'string' ? DURATION.test(d) : Number.isInteger(d) && (d as number) > 0)) out.push({ pointer: `${p}/pause/duration`, message: 'is not a duration (e.g. "30m", "2h", 600)' });
      }
    }
    if ('setCanaryScale' in step) {
      // Without traffic routing, the weight IS the share of pods: scaling the canary apart from
      // it silently changes the share of requests it gets.
      if (!routed) out.push({ pointer: `${p}/setCanaryScale`, message: 'is only meaningful with trafficRouting: without it the canary\'s share of pods is its share of traffic' });
      if (isObject(step.setCanaryScale)) unknownFields(step.setCanaryScale, FIELDS.setCanaryScale, `${p}/setCanaryScale`, 'setCanaryScale', out);
    }
  });
  if (last === undefined) out.push({ pointer: `${at}/steps`, message: 'sets no weight' });
  else if (last !== 100) out.push({ pointer: lastAt, message: `is the final weight, ${last} %: end the steps with setWeight 100 so the review sees where the rollout ends` });
}
