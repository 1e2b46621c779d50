import type { Manifest } from '../../contract/manifest';
import { GuardedServer, cidrWithin, cidrsOverlap, guardedServers, onlyPort, outOfReach } from '../graph/network';
import type { Env, EstateGraph, Source } from '../graph/types';
import { Rule, RuleFinding, describeEnv } from './support/rule';

/** A block some pods may reach, from the manifest: who reaches it (their tiers). */
interface Reach {
  readonly what: string;
  readonly cidr: string;
  readonly tiers: readonly string[];
  readonly pointer: string;
  /** The server whose own endpoint this is (it may of course cover itself). */
  readonly self?: string;
}

/** `covers` for a possible overlap: a block tierkit cannot parse is not proven apart. */
function covers(a: string, b: string): boolean {
  return cidrsOverlap(a, b) !== false;
}

function reaches(m: Manifest): Reach[] {
  const out: Reach[] = [];
  const envTiers = [...new Set(m.appEnvironments.map((e) => e.tier))];
  m.tiers.forEach((t, i) => {
    if (t.egress === 'deny') return;
    t.egressAllowList.forEach((cidr, j) => out.push({ what: `tier ${t.name}'s egress allow list`, cidr, tiers: [t.name], pointer: `/tiers/${i}/egressAllowList/${j}` }));
  });
  m.servers.forEach((s, i) => {
    if (!s.cidr) return;
    const tiers = [...new Set(m.appEnvironments.filter((e) => e.server === s.id).map((e) => e.tier))];
    out.push({ what: `server ${s.id}'s cidr (reached by the pods of its envs)`, cidr: s.cidr, tiers, pointer: `/servers/${i}/cidr`, self: s.id });
  });
  const net = m.estate.network ?? {};
  if (net.vault) out.push({ what: "Vault's cidr (reached by every env's pods)", cidr: net.vault.cidr, tiers: envTiers, pointer: '/estate/network/vault/cidr' });
  if (net.kubernetesApi) out.push({ what: "the Kubernetes API's cidr (reached by reset Job pods)", cidr: net.kubernetesApi.cidr, tiers: envTiers, pointer: '/estate/network/kubernetesApi/cidr' });
  return out;
}

const serverText = (s: GuardedServer) => `Postgres server ${s.id} (${s.cidr}), which holds tier ${s.tier}`;

/** NetworkPolicy peers of an env's namespace that reach a stricter tier's server (other than the env's own server endpoint). */
function policyFindings(g: EstateGraph, servers: GuardedServer[]): RuleFinding[] {
  const out: RuleFinding[] = [];
  for (const k of g.kubernetes) {
    if (k.kind !== 'NetworkPolicy' || !k.namespace) continue;
    const env: Env | undefined = g.index.byNamespace.get(k.namespace);
    if (!env) continue;
    const own = g.manifest.servers.find((s) => s.id === env.server);
    ((k.object.spec?.egress ?? []) as any[]).forEach((rule, i) => {
      const peers: any[] = Array.isArray(rule?.to) && rule.to.length > 0 ? rule.to : [{ ipBlock: { cidr: '0.0.0.0/0' } }, { ipBlock: { cidr: '::/0' } }];
      for (const s of servers) {
        if (!s.cidr || !outOfReach(g.manifest, env.tier, s)) continue;
        const hit = peers.find((p) => {
          const cidr = p?.ipBlock?.cidr;
          if (typeof cidr !== 'string' || !covers(cidr, s.cidr!)) return false;
          if (((p.ipBlock.except ?? []) as unknown[]).some((x) => typeof x === 'string' && cidrWithin(s.cidr!, x))) return false;
          // The env's own database server, exactly and on its port only: what tierkit writes (erp-sandbox → prod-pg).
          return !(own && s.id === own.id && cidr === own.cidr && onlyPort(rule?.ports, own.port));
        });
        if (hit) {
          out.push({
            env, source: { ...k.source, pointer: `${k.source.pointer}/spec/egress/${i}` },
            message: `NetworkPolicy ${k.namespace}/${k.name} (${describeEnv(env)}) allows egress to ${hit.ipBlock.cidr}, covering ${serverText(s)}`,
          });
        }
      }
    });
  }
  return out;
}

export const rule: Rule = {
  id: 'TK115',
  name: 'network-reach-stricter-server',
  severity: 'error',
  title: "No egress a lower tier's pods get — allow list, server cidr, Vault or API cidr, NetworkPolicy — covers a stricter tier's Postgres server",
  explanation:
    "Egress is part of the isolation boundary: a dev allow list of 10.0.0.0/8, a non-prod server or Vault declared with a cidr that "
    + "also covers the prod server, or a NetworkPolicy peer doing the same, lets lower-tier pods open connections to a stricter tier's "
    + "database (only credentials then stand between them). Blocks that cannot be parsed count as covering; an IPv4-mapped IPv6 "
    + "block counts as the IPv4 block it maps. A tier's own declared server may hold stricter non-live tiers "
    + "(dev's non-prod server holds demo too); the one allowed path to any other is an env's own server endpoint, exactly and "
    + "on its port (erp-sandbox's database lives on the prod server). A server with neither a cidr nor an IP host cannot be judged: declare its cidr.",
  fix: "Narrow the block so it leaves the stricter tier's servers out (list the lower tier's own networks), or give the server its own, separate cidr.",
  suppressible: false,
  evaluate(g) {
    const m = g.manifest;
    const servers = guardedServers(m);
    const out: RuleFinding[] = [];
    for (const r of reaches(m)) {
      for (const s of servers) {
        const lower = r.tiers.filter((t) => outOfReach(m, t, s));
        if (lower.length === 0 || !s.cidr || s.id === r.self || !covers(r.cidr, s.cidr)) continue;
        const source: Source = { file: 'manifest.json', pointer: r.pointer };
        out.push({ source, message: `${r.what} ${r.cidr} covers ${serverText(s)}, out of reach of tier ${lower.join(', ')}` });
      }
    }
    return [...out, ...policyFindings(g, servers)];
  },
};
