import type { ManifestTier } from './manifest';

/**
 * What tiers mean to every reader of dist/. "Prod" is decided here, by data class, never by the
 * name `'prod'` — a tier holding live data is prod whatever it is called.
 */

/** Reasons (tier loosenings, suppressions, sandbox exceptions, legacy servers) are at least this long. */
export const MIN_REASON_LENGTH = 10;

/** Whether `reason` is a reason: a string of at least MIN_REASON_LENGTH non-blank characters. */
export function isReason(reason: unknown): reason is string {
  return typeof reason === 'string' && reason.trim().length >= MIN_REASON_LENGTH;
}

/** The data class of production data. */
export const LIVE_DATA = 'live';

export interface BuiltinTier {
  readonly name: string;
  /** Higher is stricter. */
  readonly rank: number;
  /** Whether the tier holds live data (prod's). */
  readonly live: boolean;
  /** The data classes it may hold; estates cannot change them (TierSettings has no `data`). */
  readonly data: readonly string[];
}

/**
 * The built-in tiers as the contract knows them (name, rank, whether they hold live data, data
 * classes), for a tier name the manifest does not describe, and for TK017, which holds the
 * manifest's tiers to them. constructs/tier.ts declares the same tiers (a test
 * holds the two equal).
 */
export const BUILTIN_TIERS: readonly BuiltinTier[] = [
  { name: 'local', rank: 0, live: false, data: ['synthetic'] },
  { name: 'ci', rank: 1, live: false, data: ['synthetic'] },
  { name: 'dev', rank: 2, live: false, data: ['synthetic', 'sanitized'] },
  { name: 'demo', rank: 3, live: false, data: ['synthetic'] },
  { name: 'staging', rank: 4, live: false, data: ['sanitized'] },
  { name: 'preprod', rank: 5, live: false, data: ['sanitized'] },
  { name: 'prod', rank: 6, live: true, data: [LIVE_DATA] },
];

type Tiers = readonly Pick<ManifestTier, 'name' | 'data'>[] | ReadonlyMap<string, Pick<ManifestTier, 'name' | 'data'>>;

/**
 * Whether tier `name` holds live data — fail closed, the stricter of two answers: live if the
 * manifest's data classes for it say so, or if it is a built-in tier holding live data (a
 * hand-edited manifest that relabels prod's data cannot make prod a lower tier: estate settings
 * cannot change a tier's data classes, so only an edit of dist/ could). A name neither knows is
 * live only if it is called `prod` (`unknownIsLive` makes every unknown name live, for callers
 * where an unknown destination must count as the strictest).
 */
export function isLiveTier(tiers: Tiers, name: string | undefined, unknownIsLive = false): boolean {
  if (name === undefined) return false;
  const builtin = BUILTIN_TIERS.find((b) => b.name === name);
  if (builtin?.live) return true;
  const t = 'get' in tiers ? tiers.get(name) : tiers.find((x) => x.name === name);
  if (t) return Array.isArray(t.data) && t.data.includes(LIVE_DATA);
  return builtin ? false : unknownIsLive || name === 'prod';
}

/**
 * Whether tier `name` may be granted what only prod may do (hold or write the golden, be the
 * golden's producer) — the strict answer for a permission: live by the manifest AND a built-in
 * live tier. Estates cannot define tiers or change their data classes (constructs/tier.ts), so a
 * live tier under another name exists only in a hand-edited dist/: isLiveTier holds it like prod,
 * and this predicate grants it nothing (a relabel must never widen).
 */
export function isProdTier(tiers: Tiers, name: string | undefined): boolean {
  if (name === undefined || !BUILTIN_TIERS.some((b) => b.name === name && b.live)) return false;
  const t = 'get' in tiers ? tiers.get(name) : tiers.find((x) => x.name === name);
  return t !== undefined && Array.isArray(t.data) && t.data.includes(LIVE_DATA);
}

/** The built-in rank of a tier name, if it is a built-in tier. */
export function builtinTierRank(name: string): number | undefined {
  return BUILTIN_TIERS.find((b) => b.name === name)?.rank;
}

/**
 * The name to give the live-data tier in a message: the manifest's tier holding live data, else
 * the built-in one (prod). Deciding whether a tier is live is isLiveTier's; this only names it.
 */
export function liveTierName(tiers: Tiers): string {
  const all = 'get' in tiers ? [...tiers.values()] : tiers;
  return all.find((t) => Array.isArray(t.data) && t.data.includes(LIVE_DATA))?.name ?? BUILTIN_TIERS.find((b) => b.live)!.name;
}
