import type { ManifestEndpoint } from '../constructs/synth/manifest';
import { formatValue } from './attributes';
import { Context, after, push } from './attention-context';
import type { KubernetesChange } from './model';

/**
 * NetworkPolicies. A changed or removed one is always an item. A new one is an item when it opens
 * traffic beyond the template: a peer CIDR outside the tier's egress allow list — unless it is a
 * platform endpoint the manifest declares for the namespace's env (its own Postgres server, Vault,
 * and for reset Job pods the Kubernetes API), on that endpoint's port only — or any namespace.
 */

interface Endpoint extends ManifestEndpoint {
  readonly what: string;
  /** The API server is the reset Job's only: other pods never reach it. */
  readonly resetOnly?: boolean;
}

const RESET_SELECTOR = 'spec.podSelector.matchLabels["tierkit.io/job"]';

function endpoints(ctx: Context, np: KubernetesChange): Endpoint[] {
  const env = ctx.head.appEnvironments.find((e) => e.names.namespace === np.namespace);
  const server = env && ctx.head.servers.find((s) => s.id === env.server);
  const network = ctx.head.estate.network ?? {};
  return [
    ...(server?.cidr ? [{ what: `its Postgres server ${server.id}`, cidr: server.cidr, port: server.port }] : []),
    ...(env && network.vault ? [{ what: 'Vault', ...network.vault }] : []),
    ...(env && network.kubernetesApi ? [{ what: 'the Kubernetes API', ...network.kubernetesApi, resetOnly: true }] : []),
  ];
}

function peersAllowAll(ctx: Context, np: KubernetesChange, allowList: readonly string[]): string[] {
  const declared = endpoints(ctx, np);
  const resetPods = after(np, RESET_SELECTOR) === 'reset';
  const problems: string[] = [];
  for (const c of np.changes) {
    const peer = /^spec\.(egress|ingress)\[(\d+)\]\.(to|from)\[\d+\]\.ipBlock\.cidr$/.exec(c.path);
    if (peer && !allowList.includes(String(c.after))) {
      const rule = `spec.${peer[1]}[${peer[2]}]`;
      const ports = np.changes.filter((p) => p.path.startsWith(`${rule}.ports[`) && p.path.endsWith('].port')).map((p) => p.after);
      const endpoint = peer[1] === 'egress' ? declared.find((e) => e.cidr === c.after) : undefined;
      if (!endpoint) problems.push(`${c.path}: ${formatValue(c.after)} (outside the tier's egress allow list)`);
      else if (endpoint.resetOnly && !resetPods) problems.push(`${c.path}: ${formatValue(c.after)} (${endpoint.what}, for reset Job pods only) from other pods`);
      else if (ports.length === 0 || ports.some((p) => p !== endpoint.port)) {
        problems.push(`${c.path}: ${formatValue(c.after)} (${endpoint.what}) on ports ${ports.length > 0 ? formatValue(ports) : 'all'}, not ${endpoint.port} only`);
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
