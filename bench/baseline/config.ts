/**
 * What a team writing plain cdktf + cdk8s keeps by hand: its naming rules and tier table. This is
 * the baseline's own copy on purpose: it must not import tierkit (the comparison would be moot).
 */
import { ESTATE_SETTINGS, EstateSpec, ServerSpec, TIER_NAMES, TierName } from '../spec';

export interface Env {
  readonly app: string;
  readonly env: string;
  readonly tier: TierName;
  readonly image: string;
  readonly port: number;
  readonly objectPrefix: string;
  readonly sandbox?: { kind: string; owner: string; seed: string; createdAt: string; ttlHours: number };
}

export const slug = (e: { app: string; env: string }) => (e.env === 'prod' ? e.app : `${e.app}-${e.env}`);
export const snake = (e: { app: string; env: string }) => slug(e).replace(/-/g, '_');
export const host = (e: { app: string; env: string }) => `${slug(e)}.${ESTATE_SETTINGS.domain}`;

export const TIERS: Record<TierName, { ttl: [number, number]; egressDeny: boolean; gateRank: number }> = {
  local: { ttl: [3600, 14400], egressDeny: true, gateRank: 0 },
  ci: { ttl: [900, 3600], egressDeny: true, gateRank: 1 },
  dev: { ttl: [3600, 28800], egressDeny: false, gateRank: 2 },
  demo: { ttl: [3600, 14400], egressDeny: true, gateRank: 1 },
  staging: { ttl: [3600, 86400], egressDeny: false, gateRank: 3 },
  preprod: { ttl: [3600, 86400], egressDeny: false, gateRank: 4 },
  prod: { ttl: [3600, 86400], egressDeny: false, gateRank: 5 },
};

export function serverOf(tier: TierName): ServerSpec {
  return ESTATE_SETTINGS.servers.find((s) => s.tiers.includes(tier))!;
}

/** Environments in declaration order: each app's tiers, then its sandboxes. */
export function environments(spec: EstateSpec): Env[] {
  const out: Env[] = [];
  for (const a of spec.apps) {
    for (const tier of a.tiers) out.push({ app: a.name, env: tier, tier, image: a.image, port: a.port, objectPrefix: a.objectPrefix });
    for (const sb of spec.sandboxes.filter((s) => s.app === a.name)) {
      out.push({
        app: a.name, env: sb.env, tier: sb.tier, image: a.image, port: a.port, objectPrefix: a.objectPrefix,
        sandbox: { kind: sb.kind, owner: sb.owner, seed: sb.seed, createdAt: sb.createdAt, ttlHours: sb.ttlHours },
      });
    }
  }
  return out;
}

/** A stack that can touch a server applies behind the strictest gate of any tier on it. */
export function gatingTiers(envs: readonly Env[]): Map<string, TierName> {
  const gating = new Map<string, TierName>();
  for (const e of envs) {
    const server = serverOf(e.tier).id;
    const current = gating.get(server);
    const stricter = !current || TIERS[e.tier].gateRank > TIERS[current].gateRank
      || (TIERS[e.tier].gateRank === TIERS[current].gateRank && TIER_NAMES.indexOf(e.tier) > TIER_NAMES.indexOf(current));
    if (stricter) gating.set(server, e.tier);
  }
  return gating;
}
