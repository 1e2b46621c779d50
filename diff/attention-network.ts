import { API_SCALER_JOBS, LABELS } from '../constructs/naming';
import { NetworkPolicyPort, cidrWithin, onlyPort, platformEndpoints } from '../contract/network';
import { formatValue } from './attributes';
import { Context, after, push } from './attention-context';
import type { KubernetesChange } from './model';

/**
 * NetworkPolicies and Services. A changed or removed NetworkPolicy is always an item. A new one is an
 * item when it opens traffic beyond the template: a peer CIDR outside the tier's egress allow list —
 * unless it is a platform endpoint the manifest declares for the namespace's env (its own Postgres
 * server, Vault, and for reset and TTL-sweep Job pods the Kubernetes API), on that endpoint's port
 * only — or a rule read whole says so (`ruleProblems`). A Service exposed beyond its cluster IP, and
 * any Endpoints or EndpointSlice, is an item.
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
  }
  return [...problems, ...ruleProblems(ctx, np, env?.names.namespace)];
}

/** An added object, rebuilt from its leaf changes (every leaf of an added object is `after`). */
export function rebuild(r: KubernetesChange): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const c of r.changes) {
    const keys = [...c.path.matchAll(/(?:^|\.)([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]|(?:^|\[)("(?:[^"\\]|\\.)*")\]?/g)]
      .map((m) => (m[2] !== undefined ? Number(m[2]) : m[1] ?? JSON.parse(m[3])));
    let node: any = root;
    keys.forEach((k, i) => {
      if (i === keys.length - 1) node[k] = c.after;
      else node = node[k] ??= typeof keys[i + 1] === 'number' ? [] : {};
    });
  }
  return root;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const labelled = (sel: unknown) => isObject(sel) && (Object.keys(sel.matchLabels as object ?? {}).length > 0 || (Array.isArray(sel.matchExpressions) && sel.matchExpressions.length > 0));
const NAME_LABEL = 'kubernetes.io/metadata.name';

/**
 * The rules of an added NetworkPolicy, read whole: a rule without peers admits every pod of every
 * namespace and every address; a namespace selector admits what its labels match — only
 * `kubernetes.io/metadata.name` (set by the API server) names one namespace, and a declared env's
 * namespace other than the policy's own is another env; a field this reader does not know is an
 * item too. Accepted: pods of the own namespace, and labelled pods of one named namespace no env
 * declares (the platform's: kube-dns, the ingress controller).
 */
function ruleProblems(ctx: Context, np: KubernetesChange, own: string | undefined): string[] {
  const spec = rebuild(np).spec;
  if (!isObject(spec)) return ['spec: not an object: tierkit cannot read what it admits'];
  const problems = Object.keys(spec).filter((k) => !['podSelector', 'policyTypes', 'ingress', 'egress'].includes(k)).map((k) => `spec.${k}: a field tierkit does not read`);
  const envs = [...ctx.head.appEnvironments, ...ctx.base.appEnvironments];
  for (const [dir, peersKey] of [['ingress', 'from'], ['egress', 'to']] as const) {
    const rules = spec[dir];
    if (rules === undefined) continue;
    if (!Array.isArray(rules)) { problems.push(`spec.${dir}: not a list`); continue; }
    rules.forEach((rule, i) => {
      const at = `spec.${dir}[${i}]`;
      if (!isObject(rule)) { problems.push(`${at}: not an object`); return; }
      for (const k of Object.keys(rule)) if (k !== peersKey && k !== 'ports') problems.push(`${at}.${k}: a field tierkit does not read`);
      const peers = rule[peersKey];
      if (!Array.isArray(peers) || peers.length === 0) {
        problems.push(`${at}: no ${peersKey}: every pod of every namespace, and every address${rule.ports === undefined ? ', on every port' : ''}`);
        return;
      }
      peers.forEach((peer, j) => {
        const p = `${at}.${peersKey}[${j}]`;
        if (!isObject(peer)) { problems.push(`${p}: not an object`); return; }
        for (const k of Object.keys(peer)) if (!['ipBlock', 'namespaceSelector', 'podSelector'].includes(k)) problems.push(`${p}.${k}: a field tierkit does not read`);
        if (peer.ipBlock !== undefined || peer.namespaceSelector === undefined) return; // ipBlock: judged above; podSelector alone: the own namespace
        const sel = peer.namespaceSelector;
        if (!labelled(sel)) { problems.push(`${p}.namespaceSelector: any namespace`); return; }
        const labels = (isObject(sel) && isObject(sel.matchLabels) ? sel.matchLabels : {}) as Record<string, unknown>;
        const named = Object.keys(labels).length === 1 && !(isObject(sel) && Array.isArray(sel.matchExpressions) && sel.matchExpressions.length > 0) ? labels[NAME_LABEL] : undefined;
        if (typeof named !== 'string') { problems.push(`${p}.namespaceSelector: namespaces by label ${formatValue(sel)}: any namespace labelled so`); return; }
        const other = named !== own ? envs.find((e) => e.names.namespace === named) : undefined;
        if (other) problems.push(`${p}.namespaceSelector: namespace ${formatValue(named)} of env ${other.slug} (tier ${other.tier})`);
        else if (named !== own && !labelled(peer.podSelector)) problems.push(`${p}: every pod of namespace ${formatValue(named)}`);
        else if (named !== own && !(Array.isArray(rule.ports) && rule.ports.length > 0)) problems.push(`${p}: pods of namespace ${formatValue(named)} on every port`);
      });
    });
  }
  return problems;
}

/** Service fields that route traffic beyond the cluster's own virtual IP (CVE-2020-8554 for externalIPs). */
const SERVICE_FIELDS: Readonly<Record<string, string>> = {
  'spec.externalIPs': 'kube-proxy sends every pod\'s traffic for these addresses to this Service\'s pods',
  'spec.type': 'a type other than ClusterIP is reachable from outside the cluster (NodePort, LoadBalancer) or resolves elsewhere (ExternalName)',
  'spec.externalName': 'the Service name resolves to this host',
  'spec.loadBalancerIP': 'the load balancer\'s address', 'spec.loadBalancerSourceRanges': 'who may reach the load balancer',
};

/**
 * A Service added or changed with a field that exposes it, and Endpoints or EndpointSlices (which
 * point a Service anywhere, past its selector): items, since no NetworkPolicy governs them.
 */
function serviceAttention(ctx: Context, r: KubernetesChange): void {
  if (r.action === 'destroy') return;
  if (r.objectKind === 'Endpoints' || r.objectKind === 'EndpointSlice') {
    push(ctx, 'service', r, `${r.action === 'add' ? 'new' : 'changed'} ${r.objectKind}: it routes a Service to the addresses it lists, whatever the Service selects`, r.changes.map((c) => `${c.path}: ${formatValue(c.before)} → ${formatValue(c.after)}`));
    return;
  }
  const fieldOf = (path: string) => Object.keys(SERVICE_FIELDS).find((k) => path === k || path.startsWith(`${k}[`) || path.startsWith(`${k}.`));
  const lines = r.changes.flatMap((c) => {
    const field = fieldOf(c.path);
    // An explicit `type: ClusterIP` on a new Service is the default, written out.
    if (!field || (field === 'spec.type' && c.before === undefined && c.after === 'ClusterIP')) return [];
    return [`${c.path}: ${formatValue(c.before)} → ${formatValue(c.after)} (${SERVICE_FIELDS[field]})`];
  });
  if (lines.length > 0) push(ctx, 'service', r, `${r.action === 'add' ? 'new' : 'changed'} Service exposed beyond its cluster IP`, lines);
}

export function kubernetesAttention(ctx: Context, r: KubernetesChange): void {
  if (r.objectKind === 'Service' || r.objectKind === 'Endpoints' || r.objectKind === 'EndpointSlice') serviceAttention(ctx, r);
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
