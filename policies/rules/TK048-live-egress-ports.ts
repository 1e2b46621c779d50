import { API_SCALER_JOBS, LABELS } from '../../constructs/naming';
import { egressAllowed, onlyPort, platformEndpoints } from '../graph/network';
import { EstateGraph, K8sObject } from '../graph/types';
import { Rule, RuleFinding, describeEnv } from './support/rule';
import { isLiveTier } from '../../contract/tiers';

const DNS_PEER = (peer: any) => peer?.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === 'kube-system'
  && peer?.podSelector?.matchLabels?.['k8s-app'] === 'kube-dns';

export const rule: Rule = {
  id: 'TK048',
  name: 'live-egress-ports',
  severity: 'error',
  title: 'A live-data tier\'s egress beyond DNS and its platform endpoints goes to declared targets, on their declared ports only',
  explanation:
    'An egress rule without ports opens every port of its destination: a prod pod allowed to reach "the payment relay network" '
    + 'could then reach every service there (SSH, databases, admin consoles), which is what an attacker in the pod needs to move '
    + 'sideways or exfiltrate. On a tier holding live data every egress rule beyond DNS and the env\'s own Postgres server, Vault '
    + 'and API endpoints must name its ports, each declared for that network in the manifest (TierSettings.egressTargets).',
  fix: 'Declare the destination with its ports (TierSettings.egressTargets: { cidr, ports: [{ protocol: "TCP", port: 443 }] }) instead of a port-less egressAllowList entry; remove hand-written port-less rules.',
  suppressible: false,
  evaluate(g: EstateGraph) {
    const out: RuleFinding[] = [];
    const policies: K8sObject[] = g.kubernetes.filter((k) => k.kind === 'NetworkPolicy' && k.namespace !== undefined);
    const nsTier = new Map<string, string | undefined>();
    for (const k of g.kubernetes) if (k.kind === 'Namespace') nsTier.set(k.name, k.object.metadata?.labels?.['tierkit.io/tier']);
    for (const np of policies) {
      const ns = np.namespace!;
      const env = g.index.byNamespace.get(ns);
      const tierName = env?.tier ?? nsTier.get(ns);
      if (!isLiveTier(g.tiers, tierName)) continue;
      const spec = np.object.spec ?? {};
      const types: string[] = spec.policyTypes ?? (spec.egress ? ['Ingress', 'Egress'] : ['Ingress']);
      if (!types.includes('Egress')) continue;
      const tier = g.tiers.get(tierName!);
      const platform = platformEndpoints(g.manifest, env, API_SCALER_JOBS.includes(spec.podSelector?.matchLabels?.[LABELS.job]));
      const where = `NetworkPolicy ${ns}/${np.name} (${env ? describeEnv(env) : `tier ${tierName}`})`;
      for (const [i, egressRule] of ((spec.egress ?? []) as any[]).entries()) {
        const source = { ...np.source, pointer: `${np.source.pointer}/spec/egress/${i}` };
        const peers: any[] = Array.isArray(egressRule?.to) ? egressRule.to : [];
        if (peers.length === 0) {
          out.push({ env, source, message: `${where} allows egress to every destination` });
          continue;
        }
        for (const peer of peers) {
          if (DNS_PEER(peer)) continue;
          const cidr: string | undefined = typeof peer?.ipBlock?.cidr === 'string' ? peer.ipBlock.cidr : undefined;
          if (cidr && platform.some((p) => p.cidr === cidr && onlyPort(egressRule?.ports, p.port))) continue;
          if (!cidr) {
            out.push({ env, source, message: `${where} allows egress to ${JSON.stringify(peer)}: only declared networks (egressTargets) are judged by port` });
            continue;
          }
          const verdict = tier ? egressAllowed(tier, cidr, egressRule?.ports, { portlessAllowed: false }) : `${cidr}: tier ${tierName} is not in the manifest`;
          if (verdict !== 'ok') out.push({ env, source, message: `${where} allows egress to ${verdict}` });
        }
      }
    }
    return out;
  },
};
