import { isDeepStrictEqual } from 'node:util';
import { compareStrings } from '../../contract/order';
import * as naming from '../../constructs/naming';
import { APPS_NAMESPACED_KINDS, ENV_CLUSTER_KINDS, ENV_NAMESPACED_KINDS, GroupKind, PREVIEW_APPSET_KINDS, PREVIEW_CLUSTER_KINDS, PREVIEW_NAMESPACED_KINDS, groupOf } from '../../contract/rendered-kinds';
import type { EstateGraph, K8sObject } from '../graph/types';
import { at, envsOfTier, fileScope, tierServer } from './support/k8s-scope';
import { Rule, RuleFinding } from './support/rule';

/**
 * AppProject fields that only narrow what a project permits (argo-cd AppProject.IsGroupKindPermitted:
 * a blacklist entry always denies; sync windows and signature keys only refuse syncs).
 * Any other field (roles, sourceNamespaces, destinationServiceAccounts, …) is not modelled.
 */
const NARROWING_KEYS = new Set(['description', 'clusterResourceBlacklist', 'namespaceResourceBlacklist', 'syncWindows', 'signatureKeys', 'orphanedResources']);

interface Expected {
  readonly tier: string;
  readonly server: string;
  readonly namespaces: readonly string[];
  readonly cluster: readonly GroupKind[];
  readonly namespaced: readonly GroupKind[];
}

/** The AppProjects tierkit writes, by name, with the file each lives in. */
function expectedProjects(g: EstateGraph): Map<string, Expected & { file: string }> {
  const out = new Map<string, Expected & { file: string }>();
  const argoNs = g.manifest.estate.argocd.namespace;
  for (const tier of g.tiers.keys()) {
    const envs = envsOfTier(g, tier);
    if (envs.length === 0) continue;
    out.set(naming.argoProjectName(tier), {
      tier, server: tierServer(g, tier), file: naming.dist.k8sTierApplications(tier), namespaces: envs.map((e) => e.names.namespace),
      cluster: ENV_CLUSTER_KINDS, namespaced: ENV_NAMESPACED_KINDS,
    });
    // Apps whose previews live in the tier: their ApplicationSets, and the previews project (`<app>-pr-*` only).
    const previewApps = [...new Set(envs.filter((e) => e.previews !== undefined && e.previews !== null).map((e) => e.app))].sort(compareStrings);
    out.set(naming.argoAppsProjectName(tier), {
      tier, server: g.manifest.estate.argocd.destinationServer, file: naming.dist.k8sAppOfApps(tier), namespaces: [argoNs], cluster: [],
      namespaced: previewApps.length > 0 ? [...APPS_NAMESPACED_KINDS, ...PREVIEW_APPSET_KINDS] : APPS_NAMESPACED_KINDS,
    });
    if (previewApps.length > 0) {
      out.set(naming.previewsArgoProjectName(tier), {
        tier, server: tierServer(g, tier), file: naming.dist.k8sTierApplications(tier), namespaces: [...previewApps.map((a) => naming.previewNamespacePattern(a)), naming.PREVIEW_JOBS_NAMESPACE],
        cluster: PREVIEW_CLUSTER_KINDS, namespaced: PREVIEW_NAMESPACED_KINDS,
      });
    }
  }
  return out;
}

const gk = (x: any) => `${x?.group === '' ? '(core)' : x?.group}/${x?.kind}`;
const listed = (list: readonly GroupKind[], x: any) => list.some((k) => k.group === x?.group && k.kind === x?.kind);

function problems(g: EstateGraph, k: K8sObject, exp: Expected): [string, string][] {
  const argo = g.manifest.estate.argocd;
  const spec = k.object.spec ?? {};
  const out: [string, string][] = [];
  if (!isDeepStrictEqual(spec.sourceRepos, [argo.repoUrl])) out.push(['/spec/sourceRepos', `permits repositories ${JSON.stringify(spec.sourceRepos ?? null)}, not only the estate's "${argo.repoUrl}"`]);
  const dests: any[] = Array.isArray(spec.destinations) ? spec.destinations : [];
  dests.forEach((d, i) => {
    if (d?.server !== exp.server || d?.name !== undefined || !exp.namespaces.includes(d?.namespace)) {
      const other = typeof d?.namespace === 'string' ? g.index.byNamespace.get(d.namespace) : undefined;
      out.push([`/spec/destinations/${i}`, `permits destination ${JSON.stringify(d)}${other ? ` (the namespace of ${other.slug}, tier ${other.tier})` : ''}; only ${exp.namespaces.join(', ')} on "${exp.server}" are tier ${exp.tier}'s`]);
    }
  });
  const missing = exp.namespaces.filter((n) => !dests.some((d) => d?.namespace === n));
  if (missing.length > 0) out.push(['/spec/destinations', `does not permit ${missing.join(', ')}: their Applications cannot sync`]);
  const whitelist = (key: string, allowed: readonly GroupKind[]) => {
    const list = spec[key];
    if (list === undefined && allowed.length === 0) return;
    // A namespaced whitelist left out permits every kind; an empty cluster whitelist did too in older Argo CD.
    if (!Array.isArray(list) || list.length === 0) {
      if (allowed.length > 0 || key === 'namespaceResourceWhitelist') out.push([`/spec/${key}`, `has no ${key}: Argo CD then permits ${key.startsWith('namespace') ? 'every namespaced kind' : 'cluster-scoped kinds'}`]);
      return;
    }
    list.forEach((x: any, i: number) => {
      if (!listed(allowed, x)) out.push([`/spec/${key}/${i}`, `permits ${gk(x)}; tierkit renders only ${allowed.map(gk).join(', ') || 'none'} here`]);
    });
  };
  whitelist('clusterResourceWhitelist', exp.cluster);
  whitelist('namespaceResourceWhitelist', exp.namespaced);
  if (exp.cluster.length === 0 && !(spec.clusterResourceBlacklist ?? []).some((x: any) => x?.group === '*' && x?.kind === '*')) {
    out.push(['/spec/clusterResourceBlacklist', 'does not deny every cluster-scoped kind (older Argo CD reads an empty cluster whitelist as "all")']);
  }
  const known = new Set([...NARROWING_KEYS, 'sourceRepos', 'destinations', 'clusterResourceWhitelist', 'namespaceResourceWhitelist']);
  for (const key of Object.keys(spec).filter((x) => !known.has(x)).sort()) out.push([`/spec/${key}`, `sets spec.${key}, which tierkit does not model`]);
  return out;
}

export const rule: Rule = {
  id: 'TK112',
  name: 'argocd-project-scope',
  severity: 'error',
  title: "Each tier's Argo CD AppProjects permit exactly the tier's namespaces, the estate's repository and the kinds tierkit renders",
  explanation:
    'Argo CD enforces an AppProject at every sync: its destinations, source repositories and resource whitelists bound what its '
    + "Applications may write. tierkit writes, per tier, `tierkit-<tier>` (the tier's env namespaces; Namespace plus the kinds it "
    + "renders), `tierkit-<tier>-apps` (Argo CD's namespace; Applications and AppProjects only, and ApplicationSets where an app's "
    + "previews live) and, there, `tierkit-<tier>-previews` (namespaces `<app>-pr-*`; Namespace and the preview's kinds). A project that permits another "
    + "tier's namespace, any repository, other kinds, or carries roles, or a project tierkit does not write, removes that wall.",
  fix: 'Regenerate the AppProjects with `tierkit synth`; remove hand-written projects from dist/k8s.',
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    const expected = expectedProjects(g);
    const seen = new Map<string, K8sObject>();
    for (const k of g.kubernetes) {
      if (k.kind !== 'AppProject' || groupOf(k.object.apiVersion) !== 'argoproj.io') continue;
      const exp = expected.get(k.name);
      const label = `AppProject "${k.name}" in ${k.source.file}`;
      if (!exp) {
        out.push({ source: k.source, message: `${label} is no project tierkit writes (${[...expected.keys()].sort(compareStrings).join(', ')})` });
        continue;
      }
      const scope = fileScope(g, k.source.file);
      if (k.source.file !== exp.file) {
        // Another tier's app of apps would write (and, when they differ, fight over) this project.
        out.push({ source: k.source, message: `${label} belongs in ${exp.file} (tier ${exp.tier})${'tier' in scope ? `, not in tier ${scope.tier}'s file` : ''}` });
      } else if (seen.has(k.name)) {
        out.push({ source: k.source, message: `${label} is declared twice in its file` });
      }
      if (k.source.file === exp.file) seen.set(k.name, k);
      for (const [pointer, text] of problems(g, k, exp)) out.push({ source: at(k, pointer), message: `${label} ${text}` });
      // A previews project's destinations are globs `<app>-pr-*`: a declared env's namespace under one
      // (validation refuses it; a hand-edited manifest may not) would be open to every preview Application.
      if (k.name === naming.previewsArgoProjectName(exp.tier)) {
        for (const e of g.envs) {
          const glob = exp.namespaces.find((n) => n.endsWith('*') && e.names.namespace.startsWith(n.slice(0, -1)));
          if (glob) out.push({ env: e, source: at(k, '/spec/destinations'), message: `${label} permits "${glob}", which matches the namespace "${e.names.namespace}" of declared env ${e.slug} (tier ${e.tier}): every preview Application could deploy into it` });
        }
      }
    }
    for (const [name, exp] of expected) {
      if (!seen.has(name)) out.push({ source: { file: exp.file, pointer: '' }, message: `AppProject "${name}" of tier ${exp.tier} is missing: Argo CD refuses its Applications (or, if one named "${name}" exists elsewhere, enforces that one)` });
    }
    return out;
  },
};
