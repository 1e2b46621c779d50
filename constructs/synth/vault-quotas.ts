import type { TerraformStack } from '../cdktf';
import { VaultQuotaLeaseCount, VaultQuotaRateLimit } from '../cdktf';
import { AppEnvironment } from '../app-environment';
import { Estate } from '../estate';
import * as naming from '../naming';
import { environmentsOf, gatingTierOfServer } from '../query';
import { DEFAULT_RATE_LIMIT_INTERVAL_SECONDS } from '../runtime';
import type { PolicyRule } from '../statements';
import type { VaultQuotas } from '../runtime';
import type { ManifestVaultQuotas } from '../../contract/vault-quotas';

/**
 * The Vault quotas of one env. The path is the env's creds path exactly — a mount plus a path
 * suffix, which Vault matches as a prefix of the request path (API docs, /sys/quotas/rate-limit
 * and /sys/quotas/lease-count, "path"): a wider path (the whole mount) would count prod's
 * credentials against the sandbox's quota, and let the sandbox starve prod.
 *
 * They live in the tier-platform stack that gates the env and are written by the platform-admin
 * identity, never by the env's own applier: a Vault ACL authorizes a quota by its name
 * (`sys/quotas/rate-limit/<name>`), not by the `path` in the request body, so an identity that
 * may write one quota may point it at prod's creds path.
 */
export interface VaultQuotaConfigs {
  readonly rateLimit: { readonly name: string; readonly path: string; readonly rate: number; readonly interval: number };
  /** Vault Enterprise only (`vault.edition`). */
  readonly leaseCount?: { readonly name: string; readonly path: string; readonly maxLeases: number };
}

/** The env's quotas, or undefined on a tier without them (prod, unless the estate sets them). */
export function vaultQuotaSettings(env: AppEnvironment): VaultQuotaConfigs | undefined {
  const q = env.estate.tier(env.tier).vaultQuotas;
  if (!q) return undefined;
  const c = env.coordinate;
  const path = naming.vaultCredsPath(c, env.estate.naming);
  return {
    rateLimit: { name: naming.vaultRateQuotaName(c), path, rate: q.rateLimitRequests, interval: q.rateLimitIntervalSeconds ?? DEFAULT_RATE_LIMIT_INTERVAL_SECONDS },
    ...(env.estate.vault.edition === 'enterprise' ? { leaseCount: { name: naming.vaultLeaseQuotaName(c), path, maxLeases: q.maxLeases } } : {}),
  };
}

/** A tier's quotas as the manifest records them (the window always written: Vault's own default is 1 s). */
export function manifestVaultQuotas(q: VaultQuotas): ManifestVaultQuotas {
  return { maxLeases: q.maxLeases, rateLimitRequests: q.rateLimitRequests, rateLimitIntervalSeconds: q.rateLimitIntervalSeconds ?? DEFAULT_RATE_LIMIT_INTERVAL_SECONDS };
}

/** Resource ids of an env's quotas in its tier-platform stack (stable: diffs and findings name them). */
const quotaId = (kind: 'rate' | 'lease', env: AppEnvironment) => `vault_${kind}_quota_${naming.slug(env.coordinate).replace(/-/g, '_')}`;

/** Write the quotas of `envs` (the envs a tier gates) into that tier's platform stack. */
export function addVaultQuotas(stack: TerraformStack, envs: readonly AppEnvironment[]): void {
  for (const env of envs) {
    const q = vaultQuotaSettings(env);
    if (!q) continue;
    new VaultQuotaRateLimit(stack, quotaId('rate', env), q.rateLimit);
    if (q.leaseCount) new VaultQuotaLeaseCount(stack, quotaId('lease', env), q.leaseCount);
  }
}

/**
 * What platform-admin needs to apply every env's quotas: create, read, update and delete on each
 * quota by name (POST/GET/DELETE /sys/quotas/{rate-limit,lease-count}/:name, the only endpoints
 * the provider's quota resources call) — literal paths, never `sys/quotas/*`. Only envs gated by a
 * tier with a platform stack (`platformTiers`) have their quotas written.
 */
export function vaultQuotaPolicyRules(estate: Estate, platformTiers: readonly string[]): PolicyRule[] {
  const crud = ['create', 'read', 'update', 'delete'];
  const gating = new Map(estate.servers.map((s) => [s, gatingTierOfServer(estate, s)?.name]));
  return environmentsOf(estate).flatMap((env) => {
    const q = platformTiers.includes(gating.get(env.server!) ?? '') ? vaultQuotaSettings(env) : undefined;
    if (!q) return [];
    return [
      { path: naming.vaultQuotaApiPath('rate-limit', q.rateLimit.name), capabilities: crud },
      ...(q.leaseCount ? [{ path: naming.vaultQuotaApiPath('lease-count', q.leaseCount.name), capabilities: crud }] : []),
    ];
  });
}
