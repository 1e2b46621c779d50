/**
 * A tier's Vault quotas as the manifest records them (`tiers[].vaultQuotas`), and the built-in ones
 * every non-prod tier gets. Recorded so that `check` judges each rendered quota against what the
 * estate declares (a hand edit of the quota's rate or window is then a finding), and judges the
 * declaration against the built-in quotas (a looser one needs a reasoned tier exception, which
 * `diff` puts before the gate of the server the tier's envs sit on).
 */
export interface ManifestVaultQuotas {
  /** vault_quota_lease_count.max_leases (Vault Enterprise only). */
  readonly maxLeases: number;
  /** vault_quota_rate_limit.rate: requests per `rateLimitIntervalSeconds`. */
  readonly rateLimitRequests: number;
  /** vault_quota_rate_limit.interval, in seconds (always written: Vault's own default is 1 s). */
  readonly rateLimitIntervalSeconds: number;
}

/** Built-in quotas of every non-prod tier's env; prod is never quota'd by default (it must not starve itself). */
export const DEFAULT_VAULT_QUOTAS: ManifestVaultQuotas = { maxLeases: 50, rateLimitRequests: 30, rateLimitIntervalSeconds: 60 };

/** The rate limit's window when the quotas give none. */
export const DEFAULT_RATE_LIMIT_INTERVAL_SECONDS = 60;

/** Requests per second a declaration allows (the comparable measure of a rate limit). */
export const requestsPerSecond = (q: Pick<ManifestVaultQuotas, 'rateLimitRequests' | 'rateLimitIntervalSeconds'>): number =>
  q.rateLimitRequests / q.rateLimitIntervalSeconds;

/** Where `q` is looser than `than`: property names (`vaultQuotas.maxLeases`, `vaultQuotas.rateLimitRequests`). */
export function looserQuotas(q: ManifestVaultQuotas, than: ManifestVaultQuotas): string[] {
  return [
    ...(q.maxLeases > than.maxLeases ? ['vaultQuotas.maxLeases'] : []),
    ...(requestsPerSecond(q) > requestsPerSecond(than) ? ['vaultQuotas.rateLimitRequests'] : []),
  ];
}

const positiveNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;

/**
 * A tier's `vaultQuotas` as read from a manifest that may have been edited by hand: the quotas,
 * `none` when the tier declares none, or why they cannot be read (every field a positive number,
 * integers for the counts, nothing else).
 */
export function readManifestVaultQuotas(value: unknown): { quotas: ManifestVaultQuotas } | { none: true } | { problem: string } {
  if (value === undefined) return { none: true };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { problem: `vaultQuotas is ${JSON.stringify(value)}, not an object` };
  const v = value as Record<string, unknown>;
  const extra = Object.keys(v).filter((k) => !['maxLeases', 'rateLimitRequests', 'rateLimitIntervalSeconds'].includes(k));
  if (extra.length > 0) return { problem: `vaultQuotas has unknown field(s) ${extra.join(', ')}` };
  for (const k of ['maxLeases', 'rateLimitRequests', 'rateLimitIntervalSeconds']) {
    if (!positiveNumber(v[k]) || (k !== 'rateLimitIntervalSeconds' && !Number.isInteger(v[k]))) {
      return { problem: `vaultQuotas.${k} is ${JSON.stringify(v[k] ?? null)}, not a positive ${k === 'rateLimitIntervalSeconds' ? 'number' : 'integer'}` };
    }
  }
  return { quotas: { maxLeases: v.maxLeases as number, rateLimitRequests: v.rateLimitRequests as number, rateLimitIntervalSeconds: v.rateLimitIntervalSeconds as number } };
}
