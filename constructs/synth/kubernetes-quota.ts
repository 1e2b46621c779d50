import { Chart } from 'cdk8s';
import * as k8s from 'cdk8s-plus-32/lib/imports/k8s';
import { AppEnvironment } from '../app-environment';
import { VAULT_AGENT_RESOURCES, resourceQuantities, tierResources } from '../runtime';
import { REPLICAS, workloadResources } from './pod-security';
import { chartJson } from './kubernetes-json';

interface Totals { requestsCpuMillis: number; requestsMemoryMiB: number; limitsCpuMillis: number; limitsMemoryMiB: number }
const ZERO: Totals = { requestsCpuMillis: 0, requestsMemoryMiB: 0, limitsCpuMillis: 0, limitsMemoryMiB: 0 };

/** Our own quantities only: `<n>m` CPU, `<n>Mi` memory (what runtime.ts writes). */
function millis(q: string | undefined): number {
  const m = /^(\d+)m$/.exec(q ?? '');
  if (!m) throw new Error(`internal: unexpected CPU quantity ${q}`);
  return Number(m[1]);
}
function mebibytes(q: string | undefined): number {
  const m = /^(\d+)Mi$/.exec(q ?? '');
  if (!m) throw new Error(`internal: unexpected memory quantity ${q}`);
  return Number(m[1]);
}
function add(a: Totals, b: Totals, times = 1): Totals {
  return {
    requestsCpuMillis: a.requestsCpuMillis + times * b.requestsCpuMillis, requestsMemoryMiB: a.requestsMemoryMiB + times * b.requestsMemoryMiB,
    limitsCpuMillis: a.limitsCpuMillis + times * b.limitsCpuMillis, limitsMemoryMiB: a.limitsMemoryMiB + times * b.limitsMemoryMiB,
  };
}

/** A pod template's containers (init ones too: summing them over-counts, never under-counts) plus its injected agent. */
function templateTotals(template: any): Totals {
  let t = ZERO;
  for (const c of [...(template.spec.initContainers ?? []), ...template.spec.containers]) {
    const r = c.resources;
    t = add(t, { requestsCpuMillis: millis(r.requests.cpu), requestsMemoryMiB: mebibytes(r.requests.memory), limitsCpuMillis: millis(r.limits.cpu), limitsMemoryMiB: mebibytes(r.limits.memory) });
  }
  const a = template.metadata?.annotations ?? {};
  if (a['vault.hashicorp.com/agent-inject'] === 'true') {
    t = add(t, {
      requestsCpuMillis: millis(a['vault.hashicorp.com/agent-requests-cpu']), requestsMemoryMiB: mebibytes(a['vault.hashicorp.com/agent-requests-mem']),
      limitsCpuMillis: millis(a['vault.hashicorp.com/agent-limits-cpu']), limitsMemoryMiB: mebibytes(a['vault.hashicorp.com/agent-limits-mem']),
    });
  }
  return t;
}

/**
 * A sandbox's share of the cluster: a ResourceQuota sized to exactly what its manifests run (the
 * Deployment's replicas plus one rolling-update surge pod, and one pod of each lifecycle CronJob),
 * no NodePort or LoadBalancer Service (either opens a port on every node or outside the cluster),
 * and a LimitRange so a container its owner adds by hand gets the tier's defaults and no more
 * than the largest container tierkit writes. Call after every pod template of the chart exists.
 */
export function buildSandboxQuota(chart: Chart, env: AppEnvironment, meta: (name: string) => k8s.ObjectMeta): void {
  let total = ZERO;
  let pods = 0;
  let maxCpu = 0;
  let maxMem = 0;
  for (const o of chartJson(chart) as any[]) {
    const template = o.kind === 'Deployment' ? o.spec.template : o.kind === 'CronJob' ? o.spec.jobTemplate.spec.template : undefined;
    if (!template) continue;
    const count = o.kind === 'Deployment' ? REPLICAS + 1 : 1;
    total = add(total, templateTotals(template), count);
    pods += count;
    for (const c of [...(template.spec.initContainers ?? []), ...template.spec.containers]) {
      maxCpu = Math.max(maxCpu, millis(c.resources.limits.cpu));
      maxMem = Math.max(maxMem, mebibytes(c.resources.limits.memory));
    }
  }
  const agent = tierResources(env.tier, VAULT_AGENT_RESOURCES);
  maxCpu = Math.max(maxCpu, agent.limitsCpuMillis);
  maxMem = Math.max(maxMem, agent.limitsMemoryMiB);
  const q = (s: string) => k8s.Quantity.fromString(s);
  new k8s.KubeResourceQuota(chart, 'resource_quota', {
    metadata: meta('sandbox-quota'),
    spec: {
      hard: {
        'limits.cpu': q(`${total.limitsCpuMillis}m`), 'limits.memory': q(`${total.limitsMemoryMiB}Mi`),
        'requests.cpu': q(`${total.requestsCpuMillis}m`), 'requests.memory': q(`${total.requestsMemoryMiB}Mi`),
        pods: q(String(pods)), 'services.loadbalancers': q('0'), 'services.nodeports': q('0'),
        // The seed volume claim the platform provides in a reset env's namespace; nothing more.
        persistentvolumeclaims: q('1'),
      },
    },
  });
  const d = resourceQuantities(tierResources(env.tier, workloadResources(env)));
  new k8s.KubeLimitRange(chart, 'limit_range', {
    metadata: meta('sandbox-limits'),
    spec: {
      limits: [{
        type: 'Container',
        default: { cpu: q(d.limits.cpu), memory: q(d.limits.memory) },
        defaultRequest: { cpu: q(d.requests.cpu), memory: q(d.requests.memory) },
        max: { cpu: q(`${maxCpu}m`), memory: q(`${maxMem}Mi`) },
      }],
    },
  });
}
