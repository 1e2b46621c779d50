import { isLiveTier, isReason } from '../../contract/tiers';
import { EstateGraph } from '../graph/types';
import { tierServer } from './support/k8s-scope';
import { Rule, RuleFinding } from './support/rule';

/**
 * An API server URL as Kubernetes clients reach it: scheme, host without case or trailing dot,
 * port (443 when absent), path without trailing slashes. Two spellings of prod's cluster are one.
 */
export function clusterKey(server: string): string {
  try {
    const u = new URL(server);
    return `${u.protocol}//${u.hostname.toLowerCase().replace(/\.+$/, '')}:${u.port || (u.protocol === 'http:' ? '80' : '443')}${u.pathname.replace(/\/+$/, '')}`;
  } catch {
    return `unparsable:${server}`;
  }
}

export const rule: Rule = {
  id: 'TK044',
  name: 'tier-cluster-sharing',
  severity: 'error',
  title: 'Tiers of different strictness deploy to one cluster only where the estate declares that cluster shared, with a reason',
  explanation:
    'Each tier\'s Applications deploy to its `argocdDestinationServer` (else the estate\'s). The manifest says which, and '
    + 'TK111 holds every Application to it — so a lower tier given prod\'s API server deploys into prod\'s cluster as '
    + 'reviewed. Sharing a cluster shares its nodes, admission and cluster-scoped objects: tiers of different rank (or a '
    + 'live-data tier with any other) may share one only where `sharedClusters` declares that server with every tier on it '
    + 'and why. The declaration is an estate change a reviewer sees, listed in the report; a new tier slipped onto a '
    + 'stricter tier\'s cluster is not covered by an old declaration.',
  fix: 'Give the stricter tier its own cluster (TierSettings.argocdDestinationServer), or declare the cluster in Estate sharedClusters with every tier on it and a reason.',
  suppressible: false,
  evaluate(g: EstateGraph, ctx) {
    const out: RuleFinding[] = [];
    const live = (t: string) => isLiveTier(g.tiers, t);
    const groups = new Map<string, { servers: Set<string>; tiers: string[] }>();
    for (const t of g.manifest.tiers) {
      const server = tierServer(g, t.name);
      const key = clusterKey(String(server));
      const group = groups.get(key) ?? { servers: new Set<string>(), tiers: [] };
      group.servers.add(String(server));
      group.tiers.push(t.name);
      groups.set(key, group);
    }
    const declared = g.manifest.estate.sharedClusters ?? [];
    for (const [key, { servers, tiers }] of [...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (tiers.length < 2) continue;
      const ranks = new Set(tiers.map((t) => g.tiers.get(t)?.rank ?? -1));
      if (ranks.size < 2 && !tiers.some(live)) continue;
      const sorted = [...tiers].sort((a, b) => (g.tiers.get(a)?.rank ?? 0) - (g.tiers.get(b)?.rank ?? 0));
      const shown = [...servers].sort().join(' / ');
      const match = declared.find((d) => typeof d?.server === 'string' && clusterKey(d.server) === key
        && Array.isArray(d.tiers) && tiers.every((t) => d.tiers.includes(t)) && isReason(d.reason));
      if (match) {
        ctx.exempt({ subject: `cluster ${shown} shared by tiers ${sorted.join(', ')}`, reason: match.reason,
          source: { file: 'manifest.json', pointer: `/estate/sharedClusters/${declared.indexOf(match)}` } });
        continue;
      }
      const partial = declared.find((d) => typeof d?.server === 'string' && clusterKey(d.server) === key);
      const missing = partial && Array.isArray(partial.tiers) ? tiers.filter((t) => !partial.tiers.includes(t)) : [];
      out.push({
        source: { file: 'manifest.json', pointer: '/tiers' },
        message: `tiers ${sorted.join(', ')} deploy to one cluster ${shown}`
          + (partial ? `, but its sharedClusters entry does not list ${missing.length ? missing.join(', ') : 'a reason'}` : ', which the estate does not declare shared')
          + `: the lower tiers share ${sorted[sorted.length - 1]}'s nodes, admission and cluster-scoped objects`,
        fix: `give tier ${sorted[sorted.length - 1]} its own argocdDestinationServer, or declare sharedClusters: [{ server: "${[...servers][0]}", tiers: [${sorted.map((t) => `Tier.${t.toUpperCase()}`).join(', ')}], reason: "…" }]`,
      });
    }
    return out;
  },
};
