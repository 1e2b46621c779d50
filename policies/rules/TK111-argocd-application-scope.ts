import { isDeepStrictEqual } from 'node:util';
import * as naming from '../../constructs/naming';
import { groupOf } from '../../contract/rendered-kinds';
import type { Env, EstateGraph, K8sObject } from '../graph/types';
import { at, fileScope, tierServer } from './support/k8s-scope';
import { Rule, RuleFinding, describeEnv } from './support/rule';

/** Application spec fields tierkit writes; anything else (sources, managedNamespaceMetadata, …) is not modelled. */
const SPEC_KEYS = new Set(['project', 'source', 'destination', 'ignoreDifferences', 'syncPolicy', 'revisionHistoryLimit', 'info']);
const SYNC_POLICY_KEYS = new Set(['automated', 'syncOptions', 'retry']);

interface Expected {
  readonly what: string;
  readonly env?: Env;
  readonly project: string;
  readonly namespace: string;
  readonly server: string;
  readonly source: Record<string, unknown>;
}

/** What an Application at this place and with this name must be, or why it cannot be one. */
function expected(g: EstateGraph, k: K8sObject): Expected | string {
  const scope = fileScope(g, k.source.file);
  const argo = g.manifest.estate.argocd;
  const base = { repoURL: argo.repoUrl, targetRevision: argo.targetRevision };
  if (scope.kind === 'tier-argocd') {
    const found = g.index.bySlug.get(k.name);
    const env = found && found.tier === scope.tier && found.names.argoApplication === k.name ? found : undefined;
    if (!env) return `is in tier ${scope.tier}'s Applications but names no env of tier ${scope.tier}`;
    return {
      what: describeEnv(env), env, project: naming.argoProjectName(scope.tier), namespace: env.names.namespace, server: tierServer(g, scope.tier),
      source: { ...base, path: naming.dist.argoTierPath(scope.tier), directory: { include: naming.dist.argoInclude({ app: env.app, env: env.env }) } },
    };
  }
  if (scope.kind === 'bootstrap') {
    if (k.name !== naming.argoTierApplicationName(scope.tier)) return `is in tier ${scope.tier}'s bootstrap file but is not its app of apps "${naming.argoTierApplicationName(scope.tier)}"`;
    return {
      what: `tier ${scope.tier}'s app of apps`, project: naming.argoAppsProjectName(scope.tier), namespace: argo.namespace, server: argo.destinationServer,
      source: { ...base, path: naming.dist.argoTierApplicationsPath(scope.tier) },
    };
  }
  return `is in ${k.source.file}, where tierkit writes no Application`;
}

export const rule: Rule = {
  id: 'TK111',
  name: 'argocd-application-scope',
  severity: 'error',
  title: "Every Argo CD Application is in its tier's project, targets its own env's namespace and syncs only its own rendered file",
  explanation:
    "An Application decides what Argo CD writes where: in project `default` (any repo, any namespace, any kind) or in another "
    + "tier's project, targeting another env's namespace, reading another revision than the rendered branch, or including more "
    + "than its env's file, it deploys unreviewed or foreign manifests into an env — or a lower tier's into prod. tierkit writes each "
    + "Application in its tier's AppProject (`tierkit-<tier>`; the app of apps in `tierkit-<tier>-apps`), so Argo CD enforces the same bounds.",
  fix: "Regenerate the Application with `tierkit synth`: project tierkit-<tier>, destination = the env's namespace on the estate's server, source = the rendered branch, path <tier>, include <env>.k8s.yaml.",
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    const argo = g.manifest.estate.argocd;
    for (const k of g.kubernetes) {
      if (k.kind !== 'Application' || groupOf(k.object.apiVersion) !== 'argoproj.io') continue;
      const exp = expected(g, k);
      const label = `Application "${k.name}"`;
      if (typeof exp === 'string') {
        out.push({ source: k.source, message: `${label} ${exp}` });
        continue;
      }
      const push = (suffix: string, text: string) => out.push({ env: exp.env, source: at(k, suffix), message: `${label} (${exp.what}) ${text}` });
      const spec = k.object.spec ?? {};
      if (k.object.metadata?.namespace !== argo.namespace) push('/metadata/namespace', `is in namespace "${k.object.metadata?.namespace}", not Argo CD's "${argo.namespace}"`);
      const project = spec.project ?? 'default';
      if (project === 'default') push('/spec/project', `is in project "default", which permits any repository, namespace and kind; it belongs in "${exp.project}"`);
      else if (project !== exp.project) push('/spec/project', `is in project "${project}", not its tier's "${exp.project}"`);
      const dest = spec.destination ?? {};
      if (dest.namespace !== exp.namespace) {
        const other = typeof dest.namespace === 'string' ? g.index.byNamespace.get(dest.namespace) : undefined;
        push('/spec/destination/namespace', `targets namespace "${dest.namespace}"${other ? `, of ${describeEnv(other)}` : ''}, not "${exp.namespace}"`);
      }
      if (dest.server !== exp.server || dest.name !== undefined) {
        push('/spec/destination', `targets cluster ${JSON.stringify({ server: dest.server, name: dest.name })}, not "${exp.server}"`);
      }
      if (!isDeepStrictEqual(spec.source, exp.source)) {
        push('/spec/source', `syncs ${JSON.stringify(spec.source ?? spec.sources ?? null)}, not exactly ${JSON.stringify(exp.source)} (its own rendered file on the rendered branch)`);
      }
      for (const key of Object.keys(spec).filter((x) => !SPEC_KEYS.has(x)).sort()) push(`/spec/${key}`, `sets spec.${key}, which tierkit does not model`);
      for (const key of Object.keys(spec.syncPolicy ?? {}).filter((x) => !SYNC_POLICY_KEYS.has(x)).sort()) {
        push(`/spec/syncPolicy/${key}`, `sets spec.syncPolicy.${key}, which tierkit does not model (managedNamespaceMetadata would relabel the namespace)`);
      }
    }
    return out;
  },
};
