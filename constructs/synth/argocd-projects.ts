import { ApiObject, Chart } from 'cdk8s';
import { AppEnvironment } from '../app-environment';
import { Estate } from '../estate';
import * as naming from '../naming';
import { compareStrings } from './serialize';
import { APPS_NAMESPACED_KINDS, ENV_CLUSTER_KINDS, ENV_NAMESPACED_KINDS, GroupKind, PREVIEW_APPSET_KINDS, PREVIEW_CLUSTER_KINDS, PREVIEW_NAMESPACED_KINDS } from './rendered-kinds';

/**
 * The Argo CD AppProjects of a tier. Argo CD checks every Application against its project at sync
 * time (argo-cd `AppProject.IsGroupKindPermitted` / `IsDestinationPermitted`), so a tier's project
 * is a second wall behind `tierkit check`: its Applications can only deploy the tier's namespaces,
 * from the estate's repository, the kinds tierkit renders — never into another tier.
 * Lists are written non-empty: older Argo CD read an empty cluster whitelist as "everything".
 */

const groupKinds = (list: readonly GroupKind[]) => list.map((k) => ({ group: k.group, kind: k.kind }));

/** Argo CD syncs only commits signed by one of these (the tier publisher's keys), when any is declared. */
function signatureKeys(keyIds: readonly string[]): { signatureKeys?: { keyID: string }[] } {
  return keyIds.length > 0 ? { signatureKeys: keyIds.map((keyID) => ({ keyID })) } : {};
}

function projectLabels(estate: Estate, tier: string): Record<string, string> {
  return { 'app.kubernetes.io/managed-by': 'tierkit', 'app.kubernetes.io/part-of': estate.estateName, 'tierkit.io/tier': tier };
}

/**
 * `tierkit-<tier>`: the project of the tier's app-environment Applications. Destinations are the
 * tier's namespaces on the tier's destination server (its own cluster, or the estate's); cluster-scoped kinds: Namespace only.
 * Synced by the tier's app of apps (sync wave -1, before the Applications that name it).
 */
export function addTierProject(chart: Chart, estate: Estate, tier: string, envs: readonly AppEnvironment[], server: string, keyIds: readonly string[] = []): ApiObject {
  const namespaces = [...new Set(envs.map((e) => naming.namespace(e.coordinate)))].sort(compareStrings);
  return new ApiObject(chart, 'project', {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AppProject',
    metadata: {
      name: naming.argoProjectName(tier), namespace: estate.argocd.namespace, labels: projectLabels(estate, tier),
      annotations: { 'argocd.argoproj.io/sync-wave': '-1' },
    },
    spec: {
      description: `tierkit: the ${tier} tier's app-environments, each in its own namespace`,
      sourceRepos: [estate.argocd.repoUrl],
      destinations: namespaces.map((namespace) => ({ namespace, server })),
      clusterResourceWhitelist: groupKinds(ENV_CLUSTER_KINDS),
      namespaceResourceWhitelist: groupKinds(ENV_NAMESPACED_KINDS),
      ...signatureKeys(keyIds),
    },
  });
}

/**
 * `tierkit-<tier>-apps`: the project of the tier's app of apps, which writes the tier's
 * Applications and its project into Argo CD's namespace — nothing else, no cluster-scoped kind.
 * It is bootstrapped with the app of apps (`k8s/argocd/<tier>.k8s.yaml`, applied once by hand).
 * When apps' previews live in the tier (`previews`), it may also write their ApplicationSets.
 */
export function addTierAppsProject(chart: Chart, estate: Estate, tier: string, keyIds: readonly string[] = [], previews = false): ApiObject {
  return new ApiObject(chart, 'apps_project', {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AppProject',
    metadata: { name: naming.argoAppsProjectName(tier), namespace: estate.argocd.namespace, labels: projectLabels(estate, tier) },
    spec: {
      description: `tierkit: the ${tier} tier's app of apps (its Applications and project only)`,
      sourceRepos: [estate.argocd.repoUrl],
      destinations: [{ namespace: estate.argocd.namespace, server: estate.argocd.destinationServer }],
      clusterResourceBlacklist: [{ group: '*', kind: '*' }],
      namespaceResourceWhitelist: groupKinds(previews ? [...APPS_NAMESPACED_KINDS, ...PREVIEW_APPSET_KINDS] : APPS_NAMESPACED_KINDS),
      ...signatureKeys(keyIds),
    },
  });
}

/**
 * `tierkit-<tier>-previews`: the project of the tier's preview Applications (`<app>-pr-<n>`, generated
 * by the apps' ApplicationSets), never the tier's own: its destinations are the namespaces `<app>-pr-*`
 * of the apps whose previews live in the tier, on the tier's server — no declared env's namespace
 * (validation refuses an env named under `<app>-pr-`). Cluster-scoped: Namespace only (rendered-kinds.ts says why).
 */
export function addPreviewsProject(chart: Chart, estate: Estate, tier: string, apps: readonly string[], server: string, keyIds: readonly string[] = []): ApiObject {
  const patterns = [...new Set(apps.map((a) => naming.previewNamespacePattern(a)))].sort(compareStrings);
  return new ApiObject(chart, 'previews_project', {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AppProject',
    metadata: {
      name: naming.previewsArgoProjectName(tier), namespace: estate.argocd.namespace, labels: projectLabels(estate, tier),
      annotations: { 'argocd.argoproj.io/sync-wave': '-1' },
    },
    spec: {
      description: `tierkit: the ${tier} tier's per-PR previews, each in its own namespace <app>-pr-<number>`,
      sourceRepos: [estate.argocd.repoUrl],
      // The hook Jobs' namespace too: they run outside the preview's (preview-manifests.ts).
      destinations: [...patterns, naming.PREVIEW_JOBS_NAMESPACE].map((namespace) => ({ namespace, server })),
      clusterResourceWhitelist: groupKinds(PREVIEW_CLUSTER_KINDS),
      namespaceResourceWhitelist: groupKinds(PREVIEW_NAMESPACED_KINDS),
      ...signatureKeys(keyIds),
    },
  });
}
