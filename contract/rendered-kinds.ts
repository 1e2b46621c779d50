/**
 * The Kubernetes kinds tierkit renders, as Argo CD names them (API group + kind). One list for
 * both sides: the synthesizer whitelists exactly these in each tier's AppProject, and the policy
 * rules (TK110, TK112) refuse any other kind in an env's manifests or project. A kind added to
 * the env charts must be added here, or Argo CD refuses to sync it and `check` reports it.
 */
export interface GroupKind {
  /** `''` for the core group. */
  readonly group: string;
  readonly kind: string;
}

/** Namespaced kinds of an app-environment's file (`k8s/<tier>/<env>.k8s.yaml`), all in the env's namespace. */
export const ENV_NAMESPACED_KINDS: readonly GroupKind[] = [
  // Hourly-reset (demo) envs only: the flags their reset restores (lifecycle/jobs.ts; TK127).
  { group: '', kind: 'ConfigMap' },
  // Sandbox namespaces only: their quota and default limits (constructs/synth/kubernetes-quota.ts).
  { group: '', kind: 'LimitRange' },
  // The env's claim on its one seed (lifecycle/seed-store.ts; judged by TK130–TK131).
  { group: '', kind: 'PersistentVolumeClaim' },
  { group: '', kind: 'ResourceQuota' },
  { group: '', kind: 'Service' },
  { group: '', kind: 'ServiceAccount' },
  { group: 'apps', kind: 'Deployment' },
  // canary / blue_green envs only (synth/rollout.ts): a workloadRef to the env's own Deployment.
  { group: 'argoproj.io', kind: 'Rollout' },
  { group: 'batch', kind: 'CronJob' },
  { group: 'networking.k8s.io', kind: 'Ingress' },
  { group: 'networking.k8s.io', kind: 'NetworkPolicy' },
  { group: 'rbac.authorization.k8s.io', kind: 'Role' },
  { group: 'rbac.authorization.k8s.io', kind: 'RoleBinding' },
];

/**
 * The cluster-scoped kinds of an env's file: its own Namespace, and the PersistentVolume of its
 * seed, whose `claimRef` pins it to the env's own claim (TK110) and whose export TK130–TK131 judge.
 */
export const ENV_CLUSTER_KINDS: readonly GroupKind[] = [{ group: '', kind: 'Namespace' }, { group: '', kind: 'PersistentVolume' }];

/** What a tier's app of apps writes into Argo CD's namespace: the tier's Applications and its project. */
export const APPS_NAMESPACED_KINDS: readonly GroupKind[] = [
  { group: 'argoproj.io', kind: 'AppProject' },
  { group: 'argoproj.io', kind: 'Application' },
];

/**
 * What a tier's app of apps may write besides, when an app's previews live in the tier: their
 * ApplicationSets (TK174–TK176 judge each). Every other tier's apps project refuses the kind.
 */
export const PREVIEW_APPSET_KINDS: readonly GroupKind[] = [{ group: 'argoproj.io', kind: 'ApplicationSet' }];

/**
 * The previews project `tierkit-<tier>-previews` (docs/previews.md): cluster-scoped, the Namespace
 * of a preview only — Argo CD refuses a CreateNamespace or a rendered Namespace object without it
 * (argoproj/argo-cd#20233, #22869), and its 2.x whitelist cannot name which namespaces (#3553); the
 * Applications that use the project come only from the preview ApplicationSets, whose source is the
 * rendered branch at a literal path (TK176), so no PR chooses what Namespace is written.
 */
export const PREVIEW_CLUSTER_KINDS: readonly GroupKind[] = [{ group: '', kind: 'Namespace' }];

/**
 * The namespaced kinds of a preview's manifests: the sandboxes' default-deny policies and the
 * workload (in `<app>-pr-<n>`), and the PreSync/PostDelete Jobs (in `tierkit-previews` only).
 */
export const PREVIEW_NAMESPACED_KINDS: readonly GroupKind[] = [
  { group: '', kind: 'ServiceAccount' },
  { group: 'apps', kind: 'Deployment' },
  { group: 'batch', kind: 'Job' },
  { group: 'networking.k8s.io', kind: 'NetworkPolicy' },
];

/** `apps/v1` → `apps`, `v1` → `''`: the group of an object's apiVersion. */
export function groupOf(apiVersion: unknown): string | undefined {
  if (typeof apiVersion !== 'string' || apiVersion === '') return undefined;
  const slash = apiVersion.lastIndexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

export function hasKind(list: readonly GroupKind[], group: string | undefined, kind: unknown): boolean {
  return group !== undefined && list.some((k) => k.group === group && k.kind === kind);
}
