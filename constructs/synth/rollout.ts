import { ApiObject, Chart } from 'cdk8s';
import * as k8s from 'cdk8s-plus-32/lib/imports/k8s';
import { rolloutProblems } from '../../contract/rollout';
import type { AppEnvironment } from '../app-environment';
import * as naming from '../naming';
import { CanaryStep } from '../promotion';
import { RolloutStrategy } from '../releases';

/**
 * Progressive delivery of an env whose release strategy is canary or blue_green: an Argo Rollouts
 * `Rollout` that references the env's Deployment (`workloadRef`), so the pod template stays where
 * every pod rule already judges it. The Deployment itself is rendered at 0 replicas (Argo Rollouts'
 * documented way to hand its pods over, https://argoproj.github.io/argo-rollouts/migrating/).
 *
 * The workloadRef-delete trap: deleting such a Rollout leaves the Deployment at 0 replicas — the
 * env serves nothing. tierkit writes both objects in one file, so switching the strategy back to
 * immediate removes the Rollout and restores the Deployment's replicas in the same sync; a Rollout
 * removed by hand from dist/ while the Deployment stays at 0 is refused by TK142.
 */

/** `setWeight`/`pause` steps of Argo Rollouts from tierkit's steps (pause in minutes). */
export function canarySteps(steps: readonly CanaryStep[]): Record<string, unknown>[] {
  return steps.flatMap((s) => [{ setWeight: s.weight }, ...((s.pauseMinutes ?? 0) > 0 ? [{ pause: { duration: `${s.pauseMinutes}m` } }] : [])]);
}

/** Whether the env's workload is handed to a Rollout (the Deployment then declares 0 replicas). */
export function hasRollout(env: AppEnvironment): boolean {
  return env.strategy !== RolloutStrategy.IMMEDIATE;
}

export function buildRollout(chart: Chart, env: AppEnvironment, meta: (name: string) => k8s.ObjectMeta, selector: Record<string, string>, replicas: number): void {
  const c = env.coordinate;
  const estate = env.estate;
  const humanGated = estate.tier(env.tier).config.applyGate.human;
  let strategy: Record<string, unknown>;
  if (env.strategy === RolloutStrategy.BLUE_GREEN) {
    new k8s.KubeService(chart, 'preview_service', {
      metadata: meta(naming.previewServiceName(c)),
      spec: { selector, ports: [{ name: 'http', port: 80, targetPort: k8s.IntOrString.fromNumber(env.app.port) }] },
    });
    // On a human-gated tier the switch of live traffic waits for `kubectl argo rollouts promote`.
    strategy = { blueGreen: { activeService: naming.workloadName(c), previewService: naming.previewServiceName(c), autoPromotionEnabled: !humanGated } };
  } else {
    strategy = { canary: { steps: canarySteps(estate.promotion.canarySteps(env.tier)) } };
  }
  const object = {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: meta(naming.workloadName(c)),
    spec: {
      replicas,
      selector: { matchLabels: selector },
      workloadRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: naming.workloadName(c) },
      strategy,
    },
  };
  // What check would refuse is never written (a per-tier step list is validated earlier; this is the last word).
  const problems = rolloutProblems(JSON.parse(JSON.stringify(object)));
  if (problems.length > 0) throw new Error(`tierkit rendered an invalid Rollout for ${env.slug}: ${problems.map((p) => `${p.pointer} ${p.message}`).join('; ')}`);
  new ApiObject(chart, 'rollout', object);
}
