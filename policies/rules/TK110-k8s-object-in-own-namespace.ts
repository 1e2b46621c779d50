import { APPS_NAMESPACED_KINDS, ENV_CLUSTER_KINDS, ENV_NAMESPACED_KINDS, PREVIEW_APPSET_KINDS, groupOf, hasKind } from '../../contract/rendered-kinds';
import type { K8sObject } from '../graph/types';
import { fileScope } from './support/k8s-scope';
import { previewEnvOf } from './support/preview-applicationset';
import { expectedPreviewJobsNamespace, isPreviewJobsNamespaceObject } from './support/preview-manifests';
import { Rule, RuleFinding, describeEnv } from './support/rule';

const kindText = (k: K8sObject) => `${k.object.apiVersion ?? '?'} ${k.kind || '(no kind)'} "${k.name}"`;

export const rule: Rule = {
  id: 'TK110',
  name: 'k8s-object-in-own-namespace',
  severity: 'error',
  title: "Every Kubernetes object of an env's manifests lives in that env's namespace; Argo CD files hold only their tier's Argo CD objects",
  explanation:
    "An env's Application syncs `k8s/<tier>/<env>.k8s.yaml` and applies every object where the object says: an object "
    + "naming another env's namespace (or a cluster-scoped kind) there would be written into that env — a dev file reaching "
    + "prod. So an env's file holds its own Namespace and, in that namespace only, the kinds tierkit renders; the tier's "
    + 'Argo CD files hold Applications and AppProjects in Argo CD\'s namespace (and, in the tier its previews live in, an app\'s preview ApplicationSet); any other file in dist/k8s is not tierkit\'s. '
    + 'A kind tierkit does not render cannot be judged, and the tier\'s AppProject would refuse it at sync.',
  fix: "Put the object in its own env's file and namespace (or remove it); tierkit never writes other kinds into an env.",
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    const argoNs = g.manifest.estate?.argocd?.namespace;
    for (const k of g.kubernetes) {
      const scope = fileScope(g, k.source.file);
      const group = groupOf(k.object.apiVersion);
      const ns = k.object.metadata?.namespace;
      // An app's per-PR manifests: TK179 compares them whole with what tierkit renders.
      if (scope.kind === 'previews') continue;
      if (scope.kind === 'env') {
        const env = scope.env;
        const own = env.names.namespace;
        const where = `${k.source.file} (${describeEnv(env)})`;
        if (hasKind(ENV_CLUSTER_KINDS, group, k.kind)) {
          if (k.kind === 'PersistentVolume') {
            // Cluster-scoped: without a claimRef to the env's own namespace, any namespace's claim could bind it.
            const ref = k.object.spec?.claimRef;
            if (ref?.namespace !== own || typeof ref?.name !== 'string' || (ref?.kind ?? 'PersistentVolumeClaim') !== 'PersistentVolumeClaim') {
              const other = typeof ref?.namespace === 'string' ? g.index.byNamespace.get(ref.namespace) : undefined;
              out.push({ env, source: k.source, message: `${where} declares PersistentVolume "${k.name}" whose claimRef is ${ref ? `"${ref.namespace ?? '(no namespace)'}/${ref.name ?? '(no name)'}"` : '(none)'}${other ? `, of ${describeEnv(other)}` : ''}: an env's PersistentVolume must be pinned to a claim in its own namespace "${own}"` });
            }
          } else if (k.name !== own) {
            const other = g.index.byNamespace.get(k.name);
            out.push({ env, source: k.source, message: `${where} declares Namespace "${k.name}"${other ? `, the namespace of ${describeEnv(other)}` : ''}; its only Namespace is "${own}"` });
          }
        } else if (!hasKind(ENV_NAMESPACED_KINDS, group, k.kind)) {
          out.push({ env, source: k.source, message: `${where} holds ${kindText(k)}, a kind tierkit does not render into an env (the tier's AppProject refuses it; check cannot judge it)` });
        } else if (ns !== own) {
          const other = typeof ns === 'string' ? g.index.byNamespace.get(ns) : undefined;
          out.push({
            env, source: k.source,
            message: `${where}: ${kindText(k)} is in namespace ${ns === undefined ? '(none)' : `"${ns}"`}${other ? `, of ${describeEnv(other)}` : ''}, not the env's own "${own}"`,
          });
        }
      } else if (scope.kind === 'tier-argocd' && hasKind(PREVIEW_APPSET_KINDS, group, k.kind)) {
        // An app's preview ApplicationSet, in the Argo CD file of the tier its previews live in (TK174–TK176 judge the rest).
        const owner = previewEnvOf(g, k);
        if (owner?.tier !== scope.tier || ns !== argoNs) {
          out.push({
            source: k.source,
            message: `${k.source.file} (tier ${scope.tier}'s Argo CD objects) holds ${kindText(k)} in namespace ${ns === undefined ? '(none)' : `"${ns}"`}; `
              + `an ApplicationSet belongs there only as the previews of an app whose previews live in tier ${scope.tier}, in Argo CD's namespace "${argoNs}"`
              + (owner ? ` (app ${owner.app}'s previews live in tier ${owner.tier})` : ''),
          });
        }
      } else if (scope.kind === 'bootstrap' && isPreviewJobsNamespaceObject(k) && expectedPreviewJobsNamespace(g, scope.tier).length > 0) {
        // The preview Jobs' namespace, in the bootstrap of a tier where previews live: TK179 compares it whole.
        continue;
      } else if (scope.kind === 'tier-argocd' || scope.kind === 'bootstrap') {
        if (!hasKind(APPS_NAMESPACED_KINDS, group, k.kind) || ns !== argoNs) {
          out.push({
            source: k.source,
            message: `${k.source.file} (tier ${scope.tier}'s Argo CD ${scope.kind === 'bootstrap' ? 'bootstrap' : 'objects'}) holds ${kindText(k)} in namespace ${ns === undefined ? '(none)' : `"${ns}"`}; only Applications and AppProjects in Argo CD's namespace "${argoNs}" belong there`,
          });
        }
      } else {
        out.push({ source: k.source, message: `${k.source.file} is no file tierkit writes (an env's k8s/<tier>/<env>.k8s.yaml or a tier's Argo CD file): ${kindText(k)} cannot be tied to an env` });
      }
    }
    return out;
  },
};
