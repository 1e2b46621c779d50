/**
 * The network contract of an app-environment, read from the manifest: which destinations beyond
 * its tier's allow list its pods may reach, and on which port. TK011 judges NetworkPolicies with it
 * and the diff decides with it which new egress is the template — one definition for both.
 */
import { isIP } from 'node:net';
import type { Manifest, ManifestAppEnvironment } from './manifest';
import { builtinTierRank, isLiveTier } from './tiers';

export interface PlatformEndpoint {
  /** For messages: `its Postgres server prod-pg`, `Vault`, `the Kubernetes API (reset and TTL-sweep Job pods)`. */
  readonly what: string;
  readonly cidr: string;
  readonly port: number;
}

/**
 * The env's own Postgres server, Vault, and — only for reset and TTL-sweep Job pods — the Kubernetes API, as the
 * manifest declares them (`servers[].cidr`, `estate.network`). Nothing for a namespace of no env.
 */
export function platformEndpoints(manifest: Manifest, env: ManifestAppEnvironment | undefined, resetPods: boolean): PlatformEndpoint[] {
  if (!env) return [];
  const server = manifest.servers.find((s) => s.id === env.server);
  const network = manifest.estate.network ?? {};
  return [
    ...(server?.cidr ? [{ what: `its Postgres server ${server.id}`, cidr: server.cidr, port: server.port }] : []),
    ...(network.vault ? [{ what: 'Vault', ...network.vault }] : []),
    ...(network.kubernetesApi && resetPods ? [{ what: 'the Kubernetes API (reset and TTL-sweep Job pods)', ...network.kubernetesApi }] : []),
  ];
}

export { cidrWithin, cidrsOverlap } from './cidr';

export interface NetworkPolicyPort {
  readonly protocol?: unknown;
  readonly port?: unknown;
  readonly endPort?: unknown;
}

/** Every port of an egress rule is TCP `port` (a rule without ports opens every port). */
export function onlyPort(ports: readonly NetworkPolicyPort[] | undefined, port: number): boolean {
  const list = ports ?? [];
  return list.length > 0 && list.every((p) => (p.protocol ?? 'TCP') === 'TCP' && Number(p.port) === port && p.endPort === undefined);
}

/** A Postgres server as a destination lower tiers must not reach: where it listens and what it holds. */
export interface GuardedServer {
  readonly id: string;
  /** Its declared `cidr`, else its host when that is an IP address; undefined when neither says where it is. */
  readonly cidr?: string;
  /** The strictest tier with a database on it (declared tiers and the envs placed on it). */
  readonly tier: string;
  /** The rank of `tier` (higher is stricter); an unknown tier counts as the strictest. */
  readonly rank: number;
  /** The tiers the server is declared for (`servers[].tiers`): their own server. */
  readonly declared: readonly string[];
  /** Whether it holds a live-data tier's database. */
  readonly live: boolean;
}

/**
 * The rank of a tier: the manifest's, else the built-in tier's. Unknown is `unknown` — fail closed:
 * the strictest as a destination, the lowest as a source of egress.
 */
export function tierRank(manifest: Manifest, tier: string, unknown = Number.POSITIVE_INFINITY): number {
  return manifest.tiers.find((t) => t.name === tier)?.rank ?? builtinTierRank(tier) ?? unknown;
}

/** An unknown tier's server counts as holding live data (fail closed). */
function liveTier(manifest: Manifest, tier: string): boolean {
  return isLiveTier(manifest.tiers, tier, true);
}

/** Every server of the manifest with the strictest tier it holds: its declared tiers and the tiers of the envs on it. */
export function guardedServers(manifest: Manifest): GuardedServer[] {
  return manifest.servers.map((s) => {
    const tiers = [...s.tiers, ...manifest.appEnvironments.filter((e) => e.server === s.id).map((e) => e.tier)];
    const tier = tiers.reduce((a, b) => (tierRank(manifest, b) > tierRank(manifest, a) ? b : a), tiers[0] ?? '?');
    const ip = isIP(s.host);
    return {
      id: s.id, cidr: s.cidr ?? (ip ? `${s.host}/${ip === 4 ? 32 : 128}` : undefined), tier, rank: tierRank(manifest, tier),
      declared: s.tiers, live: tiers.some((t) => liveTier(manifest, t)),
    };
  });
}

/**
 * Whether pods of tier `from` must not reach server `s`: it holds a stricter tier, and either live
 * data or is not a server declared for `from` (the dev tier's own non-prod server also holds the demo
 * tier; it is dev's to reach, prod's server is not).
 */
export function outOfReach(manifest: Manifest, from: string, s: GuardedServer): boolean {
  return s.rank > tierRank(manifest, from, Number.NEGATIVE_INFINITY) && (s.live || !s.declared.includes(from));
}
