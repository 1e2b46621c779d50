import { API_SCALER_JOBS, LABELS } from '../constructs/naming';
import { NetworkPolicyPort, cidrWithin, onlyPort, platformEndpoints } from '../contract/network';
import { formatValue } from './attributes';
import { Context, after, push } from './attention-context';
import type { KubernetesChange } from './model';

/**
 * NetworkPolicies. A changed or removed one is always an item. A new one is an item when it opens
 * traffic beyond the template: a peer CIDR outside the tier's egress allow list — unless it is a
 * platform endpoint the manifest declares for the namespace's env (its own Postgres server, Vault,
 * and for reset and TTL-sweep Job pods the Kubernetes API), on that endpoint's port only — or any namespace.
 */

const RESET_SELECTOR = `spec.podSelector.matchLabels["${LABELS.job}"]`;

/** The ports of one rule of an added NetworkPolicy, rebuilt from its leaf changes. */
function rulePorts(np: KubernetesChange, rule: string): NetworkPolicyPort[] {
  const ports = new Map<string, Record<string, unknown>>();
  for (const c of np.changes) {
    const m = new RegExp(`^${rule.replace(/[.[\]]/g, '\\$&')}\\.ports\\[(\\d+)\\]\\.(protocol|port|endPort)$`).exec(c.path);
    if (m) ports.set(m[1], { ...(ports.get(m[1]) ?? {}), [m[2]]: c.after });
  }
  return [...ports.values()];
}

function peersAllowAll(ctx: Context, np: KubernetesChange, allowList: readonly string[]): string[] {
  const env = ctx.head.appEnvironments.find((e) => e.names.namespace === np.namespace);
  const resetPods = API_SCALER_JOBS.includes(String(after(np, RESET_SELECTOR)));
  const declared = platformEndpoints(ctx.head, env, resetPods);
  const apiForOthers = !resetPods ? platformEndpoints(ctx.head, env, true).find((e) => !declared.some((d) => d.cidr === e.cidr)) : undefined;
  const problems: string[] = [];
  for (const c of np.changes) {
    const peer = /^spec\.(egress|ingress)\[(\d+)\]\.(to|from)\[\d+\]\.ipBlock\.cidr$/.exec(c.path);
    if (peer && !allowList.some((allowed) => cidrWithin(String(c.after), allowed))) {
      const rule = `spec.${peer[1]}[${peer[2]}]`;
      const ports = rulePorts(np, rule);
      const endpoint = peer[1] === 'egress' ? declared.find((e) => e.cidr === c.after) : undefined;
      if (!endpoint && apiForOthers && apiForOthers.cidr === c.after) problems.push(`${c.path}: ${formatValue(c.after)} (${apiForOthers.what}) from other pods`);
      else if (!endpoint) problems.push(`${c.path}: ${formatValue(c.after)} (outside the tier's egress allow list)`);
      else if (!onlyPort(ports, endpoint.port)) {
        problems.push(`${c.path}: ${formatValue(c.after)} (${endpoint.what}) on ports ${ports.length > 0 ? formatValue(ports) : 'all'}, not TCP ${endpoint.port} only`);
      }
    }
    if (/^spec\.(egress|ingress)\[\d+\]\.(to|from)\[\d+\]\.namespaceSelector$/.test(c.path)) problems.push(`${c.path}: any namespace`);
  }
  return problems;
}

export function kubernetesAttention(ctx: Context, r: KubernetesChange): void {
  if (r.objectKind !== 'NetworkPolicy') return;
  if (r.action === 'add') {
    const tier = ctx.head.tiers.find((t) => t.name === r.tier);
    const problems = peersAllowAll(ctx, r, tier?.egressAllowList ?? []);
    if (problems.length > 0) push(ctx, 'network-policy', r, 'new NetworkPolicy opens traffic', problems);
    return;
  }
  push(ctx, 'network-policy', r, r.action === 'destroy' ? 'NetworkPolicy removed: traffic it denied may now flow' : 'NetworkPolicy changed',
    r.changes.map((c) => `${c.path}: ${formatValue(c.before)} → ${formatValue(c.after)}`));
}
