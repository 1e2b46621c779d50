/**
 * Argo Rollouts in the estate graph: which Rollout takes over which Deployment (workloadRef),
 * indexed once per graph. Used by TK053 (a handed-over Deployment runs its Rollouts' replicas),
 * TK141 and TK142.
 */
import { groupOf } from '../../../contract/rendered-kinds';
import type { EstateGraph, K8sObject } from '../../graph/types';

export const isRollout = (k: K8sObject): boolean => k.kind === 'Rollout' && groupOf(k.object.apiVersion) === 'argoproj.io';
export const isDeployment = (k: K8sObject): boolean => k.kind === 'Deployment' && groupOf(k.object.apiVersion) === 'apps';

const cache = new WeakMap<EstateGraph, Map<string, K8sObject[]>>();
const key = (ns: string | undefined, name: unknown) => `${ns ?? ''}\u0000${String(name)}`;

/** Rollouts whose workloadRef names this Deployment (same namespace; Argo Rollouts resolves it there). */
export function rolloutsOf(g: EstateGraph, deployment: K8sObject): K8sObject[] {
  let index = cache.get(g);
  if (!index) {
    index = new Map();
    for (const k of g.kubernetes) {
      const ref = k.object.spec?.workloadRef;
      if (!isRollout(k) || !ref || ref.kind !== 'Deployment') continue;
      const list = index.get(key(k.namespace, ref.name)) ?? [];
      list.push(k);
      index.set(key(k.namespace, ref.name), list);
    }
    cache.set(g, index);
  }
  return index.get(key(deployment.namespace, deployment.name)) ?? [];
}
