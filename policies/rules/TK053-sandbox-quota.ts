import { groupBy } from '../graph/group';
import { EstateGraph, K8sObject } from '../graph/types';
import { FoundTemplate, podTemplates, quantity, sharesNodesWithProd } from './support/pod-templates';
import { Rule, RuleFinding, describeEnv } from './support/rule';
import { rolloutsOf } from './support/rollouts';

const COMPUTE = ['requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory'] as const;
/** Service types that open a port on every node or outside the cluster. */
const ZERO = ['services.nodeports', 'services.loadbalancers'] as const;

/** What a namespace's own pod templates need at most: Deployment replicas plus one surge pod, one pod per Job/CronJob. */
function need(g: EstateGraph, templates: readonly FoundTemplate[]): Record<string, number> | string {
  const total: Record<string, number> = { 'requests.cpu': 0, 'requests.memory': 0, 'limits.cpu': 0, 'limits.memory': 0, pods: 0 };
  for (const t of templates) {
    // A Deployment handed to Rollouts runs their replicas (the Rollout's own template, if any, counts itself).
    const own = ['Deployment', 'StatefulSet', 'Rollout'].includes(t.object.kind) ? Number(t.object.object.spec?.replicas ?? 1) : 0;
    const handed = t.object.kind === 'Deployment' ? rolloutsOf(g, t.object).reduce((n, r) => n + Number(r.object.spec?.replicas ?? 1), 0) : 0;
    const replicas = ['Deployment', 'StatefulSet', 'Rollout'].includes(t.object.kind) ? own + handed + 1 : 1;
    if (!Number.isInteger(replicas)) return `${t.object.kind} ${t.object.name} has no readable replica count`;
    total.pods += replicas;
    for (const c of [...(t.injected.spec?.initContainers ?? []), ...(t.injected.spec?.containers ?? [])] as any[]) {
      for (const key of COMPUTE) {
        const [kind, r] = key.split('.');
        const q = quantity(c?.resources?.[kind]?.[r]);
        if (q === undefined) return `container ${c?.name} of ${t.object.kind} ${t.object.name} has no readable ${key}`;
        total[key] += q * replicas;
      }
    }
  }
  return total;
}

export const rule: Rule = {
  id: 'TK053',
  name: 'sandbox-quota',
  severity: 'error',
  title: 'Every sandbox namespace has a ResourceQuota sized to its own manifests and a LimitRange',
  explanation:
    'A sandbox owner may create pods in the namespace. Without a ResourceQuota nothing stops them from requesting every CPU '
    + 'and byte of the shared nodes, or from opening a NodePort (a port on every node, prod\'s included) or a LoadBalancer. '
    + 'A quota larger than what the reviewed manifests run is room for pods nobody reviewed. The LimitRange gives a container '
    + 'added by hand the tier\'s defaults and caps it at the largest container tierkit writes. Several quotas each apply, so the '
    + 'smallest value of each resource counts.',
  fix: 'Keep the sandbox-quota ResourceQuota (requests/limits cpu and memory, pods, services.nodeports=0, services.loadbalancers=0, at most what the namespace\'s manifests need) and the sandbox-limits LimitRange (Container default and max) that tierkit writes.',
  suppressible: true,
  evaluate(g: EstateGraph) {
    const out: RuleFinding[] = [];
    const { templates } = podTemplates(g);
    // Indexed by namespace once: per-sandbox scans of every object are quadratic in the estate's size.
    const byNamespace = groupBy(g.kubernetes, (k) => k.namespace);
    const namespaces = new Map<string, typeof g.kubernetes[number]>();
    for (const k of g.kubernetes) if (k.kind === 'Namespace' && !namespaces.has(k.name)) namespaces.set(k.name, k);
    const templatesByNs = groupBy(templates, (t) => t.object.namespace);
    for (const env of g.envs.filter((e) => e.kind === 'sandbox')) {
      const ns = env.names.namespace;
      const unsuppressible = sharesNodesWithProd(g, ns);
      const inNs = (kind: string) => (byNamespace.get(ns) ?? []).filter((k) => k.kind === kind);
      const nsObject = namespaces.get(ns);
      const source = nsObject?.source ?? { file: env.artifacts.find((a) => a.startsWith('k8s/')) ?? env.artifacts[0], pointer: '', constructPath: env.constructPath };
      const where = `sandbox namespace "${ns}" (${describeEnv(env)})`;
      // A scoped quota (scopes / scopeSelector) caps only the pods in its scope: it caps nothing for the others.
      const quotas = inNs('ResourceQuota').filter((q) => q.object.spec?.scopes === undefined && q.object.spec?.scopeSelector === undefined);
      if (quotas.length === 0) {
        out.push({ env, source, unsuppressible, message: `${where} has no ResourceQuota that applies to every pod` });
      } else {
        // Each quota applies on its own: the smallest hard value of a resource is the cap.
        const cap = (key: string): { value?: number; from?: K8sObject } => {
          let best: { value?: number; from?: K8sObject } = {};
          for (const q of quotas) {
            const v = q.object.spec?.hard?.[key];
            if (v === undefined) continue;
            const n = quantity(v);
            if (n !== undefined && (best.value === undefined || n < best.value)) best = { value: n, from: q };
          }
          return best;
        };
        const needed = need(g, templatesByNs.get(ns) ?? []);
        if (typeof needed === 'string') out.push({ env, source: quotas[0].source, unsuppressible, message: `${where}: the quota cannot be judged: ${needed}` });
        for (const key of [...COMPUTE, 'pods']) {
          const c = cap(key);
          if (c.value === undefined) out.push({ env, source: quotas[0].source, unsuppressible, message: `${where}: no ResourceQuota caps ${key}` });
          else if (typeof needed !== 'string' && c.value > needed[key] * (1 + 1e-9)) {
            out.push({ env, source: c.from!.source, unsuppressible, message: `${where}: ResourceQuota ${c.from!.name} allows ${key} ${c.from!.object.spec.hard[key]}, more than its manifests need (${+needed[key].toPrecision(6)})` });
          }
        }
        for (const key of ZERO) {
          const c = cap(key);
          if (c.value !== 0) out.push({ env, source: (c.from ?? quotas[0]).source, unsuppressible, message: `${where}: no ResourceQuota sets ${key} to 0` });
        }
      }
      const ranges = inNs('LimitRange');
      const complete = ranges.some((r) => ((r.object.spec?.limits ?? []) as any[]).some((l) => l?.type === 'Container'
        && ['cpu', 'memory'].every((x) => quantity(l?.default?.[x]) !== undefined && quantity(l?.max?.[x]) !== undefined)));
      if (!complete) out.push({ env, source: ranges[0]?.source ?? source, unsuppressible, message: `${where} has no LimitRange giving containers a default and a max for cpu and memory` });
    }
    return out;
  },
};
