import { EstateGraph, K8sObject } from '../graph/types';
import { sharesNodesWithProd } from './support/pod-templates';
import { Rule, RuleFinding, describeEnv } from './support/rule';

const MODES = ['enforce', 'audit', 'warn'] as const;
const KEY = (mode: string) => `pod-security.kubernetes.io/${mode}`;
/** A pinned Pod Security version (`latest` moves under the namespace when the cluster upgrades). */
const PINNED = /^v1\.(\d+)$/;
/** The first release where Pod Security admission and its restricted profile are stable. */
const MIN_MINOR = 25;

function labelProblems(ns: K8sObject): { key: string; problem: string }[] {
  const labels: Record<string, unknown> = ns.object.metadata?.labels ?? {};
  const out: { key: string; problem: string }[] = [];
  for (const mode of MODES) {
    if (labels[KEY(mode)] !== 'restricted') out.push({ key: KEY(mode), problem: `is ${JSON.stringify(labels[KEY(mode)] ?? null)}, not "restricted"` });
  }
  const version = labels[`${KEY('enforce')}-version`];
  const m = typeof version === 'string' ? PINNED.exec(version) : null;
  if (!m || Number(m[1]) < MIN_MINOR) out.push({ key: `${KEY('enforce')}-version`, problem: `is ${JSON.stringify(version ?? null)}, not a pinned version v1.${MIN_MINOR} or later` });
  return out;
}

export const rule: Rule = {
  id: 'TK050',
  name: 'namespace-pod-security',
  severity: 'error',
  title: 'Every namespace enforces, audits and warns Pod Security "restricted" at a pinned version',
  explanation:
    'Whoever may create pods in a namespace decides what they run unless admission says otherwise. Without the '
    + 'pod-security.kubernetes.io/enforce=restricted label a privileged, hostPath, hostPID or hostNetwork pod is admitted: on '
    + "shared nodes it reads other tiers' /vault/secrets and service-account tokens from the node, and hostNetwork bypasses every "
    + 'NetworkPolicy. audit and warn make a violation visible before enforce would reject it; a pinned version keeps a cluster '
    + 'upgrade from changing the profile under the namespace.',
  fix: 'Label the Namespace pod-security.kubernetes.io/enforce, audit and warn = restricted, and enforce-version = v1.<minor> (tierkit writes these; remove the override).',
  suppressible: true,
  evaluate(g: EstateGraph) {
    const out: RuleFinding[] = [];
    const seen = new Set<string>();
    for (const ns of g.kubernetes) {
      if (ns.kind !== 'Namespace') continue;
      seen.add(ns.name);
      const env = g.index.byNamespace.get(ns.name);
      // Platform namespaces tierkit writes without a tier (none today) are not workloads' namespaces.
      if (!env && ns.listed && ns.object.metadata?.labels?.['tierkit.io/tier'] === undefined) continue;
      for (const p of labelProblems(ns)) {
        out.push({
          env, source: ns.source, unsuppressible: sharesNodesWithProd(g, ns.name),
          message: `namespace "${ns.name}" (${describeEnv(env)}): label ${p.key} ${p.problem}`,
        });
      }
    }
    for (const env of g.envs) {
      if (seen.has(env.names.namespace)) continue;
      out.push({
        env, unsuppressible: sharesNodesWithProd(g, env.names.namespace),
        source: { file: env.artifacts.find((a) => a.startsWith('k8s/')) ?? env.artifacts[0], pointer: '', constructPath: env.constructPath },
        message: `namespace "${env.names.namespace}" (${describeEnv(env)}) has no Namespace object, so nothing labels it for Pod Security`,
      });
    }
    return out;
  },
};
