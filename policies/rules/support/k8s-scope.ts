/**
 * Which Argo CD Application syncs a Kubernetes manifest file, read from its path the way the
 * Applications tierkit writes read it: `k8s/<tier>/<env>.k8s.yaml` is one env's (its Application
 * includes exactly that file), `k8s/<tier>/argocd/*` is synced by the tier's app of apps, and
 * `k8s/argocd/<tier>.k8s.yaml` is the tier's bootstrap (applied by hand). The path decides, not
 * the manifest's claim about the file: Argo CD reads paths.
 */
import { dirname } from 'node:path';
import * as naming from '../../../constructs/naming';
import type { Env, EstateGraph, K8sObject } from '../../graph/types';

export type FileScope =
  | { readonly kind: 'env'; readonly env: Env }
  | { readonly kind: 'tier-argocd'; readonly tier: string }
  | { readonly kind: 'bootstrap'; readonly tier: string }
  /** `k8s/<tier>/previews/<app>/*`: an app's per-PR manifests, deployed by its preview Applications (TK179 judges them). */
  | { readonly kind: 'previews'; readonly tier: string; readonly app: string }
  | { readonly kind: 'unknown' };

interface Scopes {
  readonly envFiles: Map<string, Env>;
  readonly tierArgoDirs: Map<string, string>;
  readonly bootstrapFiles: Map<string, string>;
  /** `k8s/<tier>/previews/<app>` of every env the manifest says holds its app's previews → [tier, app]. */
  readonly previewDirs: Map<string, readonly [string, string]>;
  readonly byFile: Map<string, FileScope>;
  /** Every ServiceAccount / Vault Kubernetes auth role name an env owns → the env. */
  readonly serviceAccounts: Map<string, Env>;
  readonly authRoles: Map<string, Env>;
}

const cache = new WeakMap<EstateGraph, Scopes>();

function scopes(g: EstateGraph): Scopes {
  let s = cache.get(g);
  if (s) return s;
  s = { envFiles: new Map(), tierArgoDirs: new Map(), bootstrapFiles: new Map(), previewDirs: new Map(), byFile: new Map(), serviceAccounts: new Map(), authRoles: new Map() };
  for (const env of g.envs) {
    const c = { app: env.app, env: env.env };
    s.envFiles.set(naming.dist.k8sAppEnvironment(env.tier, c), env);
    for (const n of naming.serviceAccountNames(c)) s.serviceAccounts.set(n, env);
    for (const n of naming.kubernetesAuthRoleNames(c)) s.authRoles.set(n, env);
    if (env.previews !== undefined && env.previews !== null && typeof env.app === 'string') s.previewDirs.set(naming.k8sPreviewDir(env.tier, env.app), [env.tier, env.app]);
  }
  for (const tier of g.tiers.keys()) {
    s.tierArgoDirs.set(dirname(naming.dist.k8sTierApplications(tier)), tier);
    s.bootstrapFiles.set(naming.dist.k8sAppOfApps(tier), tier);
  }
  cache.set(g, s);
  return s;
}

export function fileScope(g: EstateGraph, file: string): FileScope {
  const s = scopes(g);
  let scope = s.byFile.get(file);
  if (!scope) {
    const env = s.envFiles.get(file);
    const argoTier = s.tierArgoDirs.get(dirname(file));
    const bootTier = s.bootstrapFiles.get(file);
    const previews = s.previewDirs.get(dirname(file));
    scope = env ? { kind: 'env', env } : argoTier !== undefined ? { kind: 'tier-argocd', tier: argoTier }
      : bootTier !== undefined ? { kind: 'bootstrap', tier: bootTier }
        : previews ? { kind: 'previews', tier: previews[0], app: previews[1] } : { kind: 'unknown' };
    s.byFile.set(file, scope);
  }
  return scope;
}

/** The env whose ServiceAccount (workload, reset, golden dump) has this name, if any. */
export function serviceAccountOwner(g: EstateGraph, name: string): Env | undefined {
  return scopes(g).serviceAccounts.get(name);
}

/** The env whose Vault Kubernetes auth role has this name, if any. */
export function authRoleOwner(g: EstateGraph, name: string): Env | undefined {
  return scopes(g).authRoles.get(name);
}

/** The envs of a tier, in the manifest's order. */
export function envsOfTier(g: EstateGraph, tier: string): Env[] {
  return g.envs.filter((e) => e.tier === tier);
}

export function at(k: K8sObject, suffix: string) {
  return { ...k.source, pointer: `${k.source.pointer}${suffix}` };
}

/** The cluster a tier's env Applications deploy to: the tier's own, or the estate's. */
export function tierServer(g: EstateGraph, tier: string): string {
  return g.manifest.tiers.find((t) => t.name === tier)?.argocdDestinationServer ?? g.manifest.estate.argocd.destinationServer;
}
