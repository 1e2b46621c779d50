/**
 * The network contract of an app-environment, read from the manifest: which destinations beyond
 * its tier's allow list its pods may reach, and on which port. TK011 judges NetworkPolicies with it
 * and the diff decides with it which new egress is the template — one definition for both.
 */
import { isIP } from 'node:net';
import type { Manifest, ManifestAppEnvironment, ManifestTier } from './manifest';
import { cidrWithin } from './cidr';
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

/**
 * What a tier's allow list lets an egress rule reach on `cidr`: `ok`, or why not. A CIDR inside a
 * port-less `egressAllowList` entry may be reached on any port (non-live tiers only: TK048); one
 * inside only `egressTargets` must name ports, each declared for a target holding it. Ports are
 * read as Kubernetes does: protocol TCP by default; a named port, a range or no port at all is
 * every port, so it is never within a declaration.
 */
export function egressAllowed(
  tier: Pick<ManifestTier, 'egressAllowList' | 'egressTargets'>, cidr: string, ports: unknown, opts: { readonly portlessAllowed: boolean },
): 'ok' | string {
  const targets = (tier.egressTargets ?? []).filter((t) => cidrWithin(cidr, t.cidr));
  const targeted = new Set((tier.egressTargets ?? []).map((t) => t.cidr));
  const portless = (tier.egressAllowList ?? []).filter((c) => !targeted.has(c) && cidrWithin(cidr, c));
  if (opts.portlessAllowed && portless.length > 0) return 'ok';
  const list: any[] = Array.isArray(ports) ? ports : [];
  if (list.length === 0) return `${cidr} with no ports: every port`;
  const allowed = new Set(targets.flatMap((t) => t.ports.map((p) => `${p.protocol}/${p.port}`)));
  const named: string[] = [];
  for (const p of list) {
    if (p?.endPort !== undefined) return `${cidr} on the port range ${JSON.stringify(p.port)}–${JSON.stringify(p.endPort)}`;
    const n = typeof p?.port === 'number' ? p.port : typeof p?.port === 'string' && /^\d+$/.test(p.port) ? Number(p.port) : undefined;
    if (n === undefined) return `${cidr} on the port ${JSON.stringify(p?.port ?? null)} (named or absent: every port)`;
    named.push(`${p?.protocol ?? 'TCP'}/${n}`);
  }
  const extra = named.filter((p) => !allowed.has(p));
  if (extra.length === 0) return 'ok';
  return `${cidr} on ${extra.join(', ')}, ${targets.length === 0 ? 'a network no egress target of the tier declares with ports' : `not among its declared ports [${[...allowed].join(', ')}]`}`;
}
