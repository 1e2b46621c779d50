import { API_SCALER_JOBS, LABELS } from '../../constructs/naming';
import { cidrWithin, egressAllowed, onlyPort, platformEndpoints } from '../graph/network';
import { EstateGraph, K8sObject } from '../graph/types';
import { Rule, RuleFinding, describeEnv } from './support/rule';
import { isLiveTier, liveTierName } from '../../contract/tiers';

const DNS_PEER = (peer: any) => peer?.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === 'kube-system'
  && peer?.podSelector?.matchLabels?.['k8s-app'] === 'kube-dns';

function selectsAllPods(np: K8sObject): boolean {
  const sel = np.object.spec?.podSelector;
  return sel !== undefined && Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0;
}

function policyTypes(np: K8sObject): string[] {
  const spec = np.object.spec ?? {};
  return spec.policyTypes ?? (spec.egress ? ['Ingress', 'Egress'] : ['Ingress']);
}

/** The tier of a namespace: its env's, else its `tierkit.io/tier` label (hand-written manifests). */
function namespaceTier(g: EstateGraph, ns: string, nsObject?: K8sObject): string | undefined {
  return g.index.byNamespace.get(ns)?.tier ?? nsObject?.object.metadata?.labels?.['tierkit.io/tier'];
}

/**
 * What an egress destination can reach, by tier, so the engine keeps a finding that opens a
 * stricter tier's server (or the one Vault, which holds the live-data tier) unsuppressible; a peer
 * without a CIDR, or a missing default-deny, reaches every server.
 */
function reachOf(g: EstateGraph, cidr: string | undefined): { tier: string; what: string }[] {
  const hits = (c: string | undefined) => cidr === undefined || c === undefined || cidrWithin(cidr, c) || cidrWithin(c, cidr);
  const live = liveTierName(g.tiers);
  const vault = g.manifest.estate.network?.vault;
  return [
    ...[...g.servers.values()].filter((s) => s.gatingTier !== undefined && hits(s.cidr)).map((s) => ({ tier: s.gatingTier!, what: `Postgres server ${s.id}` })),
    ...(vault && hits(vault.cidr) ? [{ tier: live, what: 'Vault' }] : []),
  ];
}

export const rule: Rule = {
  id: 'TK011',
  name: 'egress-default-deny',
  severity: 'error',
  title: 'Every non-prod namespace denies egress by default and allows only DNS, its tier\'s allow list and its own platform endpoints',
  explanation:
    'A non-prod workload must not reach the prod network or the internet on its own: egress is denied by default '
    + '(a NetworkPolicy selecting every pod with policyType Egress and no rule), and opened only for DNS and the '
    + "tier's allow-listed CIDRs, plus, on their port only, the Postgres server holding the env's database, Vault and (reset "
    + 'Job pods only) the Kubernetes API, as the manifest declares them. An allow-all egress policy next to the default-deny silently cancels it.',
  fix: 'Add a default-deny NetworkPolicy (podSelector {}, policyTypes [Egress], no egress rules); remove egress rules to peers outside DNS and the tier allow list.',
  suppressible: true,
  evaluate(g) {
    const out: RuleFinding[] = [];
    const namespaces = new Map<string, K8sObject | undefined>();
    for (const env of g.envs) namespaces.set(env.names.namespace, undefined);
    const policies = new Map<string, K8sObject[]>();
    for (const k of g.kubernetes) {
      if (k.kind === 'Namespace') namespaces.set(k.name, k);
      if (k.kind === 'NetworkPolicy' && k.namespace) policies.set(k.namespace, [...(policies.get(k.namespace) ?? []), k]);
    }
    for (const [ns, nsObject] of namespaces) {
      const tierName = namespaceTier(g, ns, nsObject);
      if (isLiveTier(g.tiers, tierName)) continue;
      // A hand-written namespace without a tier is judged as non-prod (nothing proves it is prod);
      // namespaces tierkit writes without a tier are platform namespaces, not app environments.
      if (tierName === undefined && (!nsObject || nsObject.listed)) continue;
      const env = g.index.byNamespace.get(ns);
      const tier = tierName ? g.tiers.get(tierName) : undefined;
      const nps = policies.get(ns) ?? [];
      const source = nsObject?.source ?? (env ? { file: env.artifacts.find((a) => a.startsWith('k8s/')) ?? env.artifacts[0], pointer: '/0', constructPath: env.constructPath } : undefined);
      if (!nps.some((np) => selectsAllPods(np) && policyTypes(np).includes('Egress') && (np.object.spec?.egress ?? []).length === 0)) {
        out.push({ env, source, reaches: reachOf(g, undefined), message: `namespace "${ns}" (${env ? describeEnv(env) : `tier ${tierName ?? 'unknown'}`}) has no default-deny egress NetworkPolicy` });
      }
      const allowList = tier?.egress === 'deny' ? [] : tier?.egressAllowList ?? [];
      // Beyond the allow list, an env's pods may reach exactly what they need, on its port only:
      // the server holding the env's database, Vault (agent), and the API server (reset and TTL-sweep Job pods).
      const platform = (np: K8sObject) => platformEndpoints(g.manifest, env, API_SCALER_JOBS.includes(np.object.spec?.podSelector?.matchLabels?.[LABELS.job]));
      for (const np of nps) {
        if (!policyTypes(np).includes('Egress')) continue;
        for (const [i, rule] of ((np.object.spec?.egress ?? []) as any[]).entries()) {
          const peers: any[] = rule?.to ?? [];
          if (peers.length === 0) {
            out.push({ env, reaches: reachOf(g, undefined), source: { ...np.source, pointer: `${np.source.pointer}/spec/egress/${i}` }, message: `NetworkPolicy ${ns}/${np.name} allows egress to every destination` });
            continue;
          }
          for (const peer of peers) {
            if (DNS_PEER(peer)) continue;
            const cidr: string | undefined = peer?.ipBlock?.cidr;
            if (cidr && platform(np).some((p) => p.cidr === cidr && onlyPort(rule?.ports, p.port))) continue;
            // Within the allow list: any port where the CIDR is listed port-less, the declared ports where it is a target.
            const listed = cidr && tier && tier.egress !== 'deny' && allowList.some((allowed) => cidrWithin(cidr, allowed))
              ? egressAllowed(tier, cidr, rule?.ports, { portlessAllowed: true }) : undefined;
            if (listed === 'ok') continue;
            if (listed !== undefined) {
              out.push({ env, reaches: reachOf(g, cidr), source: { ...np.source, pointer: `${np.source.pointer}/spec/egress/${i}` }, message: `NetworkPolicy ${ns}/${np.name} allows egress to ${listed}` });
              continue;
            }
            const near = cidr ? platform(np).find((p) => p.cidr === cidr) : undefined;
            out.push({
              env, reaches: reachOf(g, cidr), source: { ...np.source, pointer: `${np.source.pointer}/spec/egress/${i}` },
              message: `NetworkPolicy ${ns}/${np.name} allows egress to ${!cidr ? JSON.stringify(peer)
                : near ? `${cidr} (${near.what}) on ports other than TCP ${near.port}`
                  : `${cidr}, outside the ${tierName} allow list [${allowList.join(', ')}] and the env's own Postgres server, Vault and API endpoints`}`,
            });
          }
        }
      }
    }
    return out;
  },
};
