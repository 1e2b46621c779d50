import { DEFAULT_RATE_LIMIT_INTERVAL_SECONDS, DEFAULT_VAULT_QUOTAS as CONTRACT_DEFAULT_VAULT_QUOTAS } from '../contract/vault-quotas';
import { Tier } from './tier';
import { propTypes, Types } from './prop-types';

/**
 * CPU and memory of one container. Requests are what the scheduler reserves; limits are what the
 * kubelet enforces (CPU throttled, memory OOM-killed). A pod whose every container has
 * requests = limits is Guaranteed: the last to be evicted when a node runs short.
 */
export interface ContainerResources {
  readonly requestsCpuMillis: number;
  readonly requestsMemoryMiB: number;
  readonly limitsCpuMillis: number;
  readonly limitsMemoryMiB: number;
}

/** The app container's resources per tier; prod's are Guaranteed (requests = limits). */
const WORKLOAD_DEFAULTS: Readonly<Record<string, ContainerResources>> = {
  prod: { requestsCpuMillis: 500, requestsMemoryMiB: 512, limitsCpuMillis: 500, limitsMemoryMiB: 512 },
  preprod: { requestsCpuMillis: 250, requestsMemoryMiB: 256, limitsCpuMillis: 500, limitsMemoryMiB: 512 },
  staging: { requestsCpuMillis: 250, requestsMemoryMiB: 256, limitsCpuMillis: 500, limitsMemoryMiB: 512 },
};
const WORKLOAD_DEFAULT_OTHER: ContainerResources = { requestsCpuMillis: 100, requestsMemoryMiB: 128, limitsCpuMillis: 500, limitsMemoryMiB: 256 };

/** The built-in resources of a tier's app containers (an estate overrides them per tier or per app). */
export function defaultWorkloadResources(tier: Tier): ContainerResources {
  return WORKLOAD_DEFAULTS[tier.name] ?? WORKLOAD_DEFAULT_OTHER;
}

/**
 * The resources a container of `tier` gets from `r`: on prod, requests are raised to the limits, so
 * every prod pod is Guaranteed whatever an app or tier setting says.
 */
export function tierResources(tier: Tier, r: ContainerResources): ContainerResources {
  if (!tier.isProd) return r;
  return { requestsCpuMillis: r.limitsCpuMillis, requestsMemoryMiB: r.limitsMemoryMiB, limitsCpuMillis: r.limitsCpuMillis, limitsMemoryMiB: r.limitsMemoryMiB };
}

/** Fixed resources of the lifecycle containers (kubectl scale steps; pg_dump / pg_restore). */
export const SCALE_STEP_RESOURCES: ContainerResources = { requestsCpuMillis: 50, requestsMemoryMiB: 64, limitsCpuMillis: 200, limitsMemoryMiB: 128 };
export const DATABASE_TOOL_RESOURCES: ContainerResources = { requestsCpuMillis: 250, requestsMemoryMiB: 256, limitsCpuMillis: 1000, limitsMemoryMiB: 1024 };
/** The injected Vault agent (set through the injector's annotations; its own defaults are not Guaranteed). */
export const VAULT_AGENT_RESOURCES: ContainerResources = { requestsCpuMillis: 50, requestsMemoryMiB: 64, limitsCpuMillis: 250, limitsMemoryMiB: 128 };

/** Kubernetes quantities of `r` (millicores, mebibytes). */
export function resourceQuantities(r: ContainerResources): { requests: { cpu: string; memory: string }; limits: { cpu: string; memory: string } } {
  return {
    requests: { cpu: `${r.requestsCpuMillis}m`, memory: `${r.requestsMemoryMiB}Mi` },
    limits: { cpu: `${r.limitsCpuMillis}m`, memory: `${r.limitsMemoryMiB}Mi` },
  };
}

/** Issues of a resources prop: positive integers, requests not above limits. */
export function resourcesIssues(r: unknown): { property: string; value: unknown; message: string; fix: string }[] {
  if (typeof r !== 'object' || r === null) return [{ property: '', value: r, message: 'is not a ContainerResources object', fix: 'give requestsCpuMillis, requestsMemoryMiB, limitsCpuMillis and limitsMemoryMiB' }];
  const res = r as Record<string, unknown>;
  const out: { property: string; value: unknown; message: string; fix: string }[] = [];
  for (const key of ['requestsCpuMillis', 'requestsMemoryMiB', 'limitsCpuMillis', 'limitsMemoryMiB']) {
    const v = res[key];
    if (!Number.isInteger(v) || (v as number) <= 0) out.push({ property: key, value: v, message: 'is not a positive integer', fix: `give ${key} as a whole number, e.g. 256` });
  }
  if (out.length > 0) return out;
  if ((res.requestsCpuMillis as number) > (res.limitsCpuMillis as number)) {
    out.push({ property: 'requestsCpuMillis', value: res.requestsCpuMillis, message: `is above limitsCpuMillis (${res.limitsCpuMillis})`, fix: 'request at most the limit' });
  }
  if ((res.requestsMemoryMiB as number) > (res.limitsMemoryMiB as number)) {
    out.push({ property: 'requestsMemoryMiB', value: res.requestsMemoryMiB, message: `is above limitsMemoryMiB (${res.limitsMemoryMiB})`, fix: 'request at most the limit' });
  }
  return out;
}

/**
 * What a non-prod env may take of its PostgreSQL server. `connectionLimit` and
 * `userConnectionLimit` are enforced by the server (a superuser excepted); the two timeouts are
 * per-user defaults a session can override with SET — they end forgotten sessions, they do not
 * stop a determined one.
 */
export interface DatabaseCaps {
  /** Most connections to the env's database at once, every non-superuser role together (Vault's pool included). */
  readonly connectionLimit: number;
  /** Most connections of one dynamic credential (CONNECTION LIMIT in Vault's creation statements). */
  readonly userConnectionLimit: number;
  /** Default statement_timeout of a dynamic credential, in seconds (a session may SET it). */
  readonly statementTimeoutSeconds: number;
  /** Default idle_in_transaction_session_timeout of a dynamic credential, in seconds (a session may SET it). */
  readonly idleInTransactionTimeoutSeconds: number;
  /**
   * Most temporary-file space one session of a dynamic credential may use, in kilobytes
   * (temp_file_limit: sorts, hashes and temp tables that spill to the server's disk). Enforced —
   * a superuser-only setting the credential cannot SET — but only written on a server that
   * declares `PostgresServer.tempFileLimitRole` (its Vault connection users may set it there).
   * @default 1048576 (1 GiB)
   */
  readonly tempFileLimitKilobytes?: number;
}

/** Built-in caps of every non-prod tier; prod is never capped by default (it must not starve itself). */
export const DEFAULT_DATABASE_CAPS: DatabaseCaps = { connectionLimit: 20, userConnectionLimit: 10, statementTimeoutSeconds: 300, idleInTransactionTimeoutSeconds: 300 };

/** temp_file_limit of a dynamic credential when the tier's caps give none (1 GiB). */
export const DEFAULT_TEMP_FILE_LIMIT_KILOBYTES = 1048576;

export function databaseCapsIssues(c: unknown): { property: string; value: unknown; message: string; fix: string }[] {
  if (typeof c !== 'object' || c === null) return [{ property: '', value: c, message: 'is not a DatabaseCaps object', fix: 'give connectionLimit, userConnectionLimit, statementTimeoutSeconds and idleInTransactionTimeoutSeconds' }];
  const caps = c as Record<string, unknown>;
  const out = ['connectionLimit', 'userConnectionLimit', 'statementTimeoutSeconds', 'idleInTransactionTimeoutSeconds']
    .filter((k) => !Number.isInteger(caps[k]) || (caps[k] as number) < 1)
    .map((k) => ({ property: k, value: caps[k], message: 'is not a positive integer (-1 or 0 would mean no cap)', fix: `give ${k} as a whole number, e.g. 20` }));
  const tfl = caps.tempFileLimitKilobytes;
  if (tfl !== undefined && (!Number.isInteger(tfl) || (tfl as number) < 1)) {
    out.push({ property: 'tempFileLimitKilobytes', value: tfl, message: 'is not a positive integer (-1 would mean no limit)', fix: 'give the kilobytes of temporary files one session may write, e.g. 1048576 (1 GiB)' });
  }
  if (out.length === 0 && (caps.userConnectionLimit as number) > (caps.connectionLimit as number)) {
    out.push({ property: 'userConnectionLimit', value: caps.userConnectionLimit, message: `is above connectionLimit (${caps.connectionLimit})`, fix: 'give one credential at most the database\'s connections' });
  }
  return out;
}

/** A node taint the pool carries: only pods that tolerate it schedule there. */
export interface NodeTaint {
  readonly key: string;
  readonly value: string;
  readonly effect: 'NoSchedule' | 'NoExecute';
}

/**
 * Nodes reserved for one tier: its pods select them (nodeSelector) and tolerate their taint.
 * The taint keeps other tiers' pods off as tierkit writes them; against a pod author who adds
 * the toleration, only admission (PodTolerationRestriction / PodNodeSelector, or a policy engine)
 * or a separate cluster holds.
 */
export interface NodePool {
  /** Node labels the tier's pods select. */
  readonly nodeSelector: Readonly<Record<string, string>>;
  /** @default - none: the pool is not tainted, so any pod without a selector may land on it */
  readonly taint?: NodeTaint;
}

export function nodePoolIssues(p: unknown): { property: string; value: unknown; message: string; fix: string }[] {
  const pool = p as NodePool | undefined;
  const labels = pool && typeof pool === 'object' ? pool.nodeSelector : undefined;
  const out: { property: string; value: unknown; message: string; fix: string }[] = [];
  if (!labels || typeof labels !== 'object' || Object.keys(labels).length === 0
    || Object.entries(labels).some(([k, v]) => !/^([a-z0-9.-]+\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(k) || typeof v !== 'string' || !/^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/.test(v))) {
    out.push({ property: 'nodeSelector', value: labels, message: 'is not a non-empty map of Kubernetes node labels', fix: 'e.g. { "tierkit.io/pool": "prod" }' });
  }
  const t = pool?.taint;
  if (t !== undefined && (typeof t !== 'object' || typeof t.key !== 'string' || typeof t.value !== 'string' || !['NoSchedule', 'NoExecute'].includes(t.effect))) {
    out.push({ property: 'taint', value: t, message: 'is not a node taint', fix: 'e.g. { key: "tierkit.io/pool", value: "prod", effect: "NoSchedule" }' });
  }
  return out;
}

export const CONTAINER_RESOURCES = Types.shape('ContainerResources', propTypes<ContainerResources>()({
  requestsCpuMillis: Types.integer, requestsMemoryMiB: Types.integer, limitsCpuMillis: Types.integer, limitsMemoryMiB: Types.integer,
}), ['requestsCpuMillis', 'requestsMemoryMiB', 'limitsCpuMillis', 'limitsMemoryMiB']);

export const DATABASE_CAPS = Types.shape('DatabaseCaps', propTypes<DatabaseCaps>()({
  connectionLimit: Types.integer, userConnectionLimit: Types.integer, statementTimeoutSeconds: Types.integer, idleInTransactionTimeoutSeconds: Types.integer,
  tempFileLimitKilobytes: Types.integer,
}), ['connectionLimit', 'userConnectionLimit', 'statementTimeoutSeconds', 'idleInTransactionTimeoutSeconds']);

export const NODE_POOL = Types.shape('NodePool', propTypes<NodePool>()({
  nodeSelector: Types.record(Types.string),
  taint: Types.shape('NodeTaint', propTypes<NodeTaint>()({ key: Types.string, value: Types.string, effect: Types.oneOf(['NoSchedule', 'NoExecute']) }), ['key', 'value', 'effect']),
}), ['nodeSelector']);

/**
 * Vault quotas on one env's database credentials path (`<mount>/creds/<role>`, a mount plus path
 * suffix: Vault API docs, /sys/quotas/lease-count and /sys/quotas/rate-limit, "path"). The
 * lease-count quota is a wall on how many credentials (and so PostgreSQL roles) the env may hold
 * at once — Vault Enterprise only; the rate-limit quota (every edition) bounds how fast they are
 * issued, so with the tier's max TTL it bounds them too: rate × maxTtl / interval.
 */
export interface VaultQuotas {
  /** Most live leases under the env's creds path at once (vault_quota_lease_count.max_leases; Enterprise only). */
  readonly maxLeases: number;
  /** Requests to the env's creds path allowed per `rateLimitIntervalSeconds` (vault_quota_rate_limit.rate). */
  readonly rateLimitRequests: number;
  /** The rate limit's window, in seconds (vault_quota_rate_limit.interval). @default 60 */
  readonly rateLimitIntervalSeconds?: number;
}

/** Built-in quotas (contract/vault-quotas.ts: the manifest records them and `check` reads the same values). */
export const DEFAULT_VAULT_QUOTAS: VaultQuotas = CONTRACT_DEFAULT_VAULT_QUOTAS;
export { DEFAULT_RATE_LIMIT_INTERVAL_SECONDS };

export function vaultQuotasIssues(q: unknown): { property: string; value: unknown; message: string; fix: string }[] {
  if (typeof q !== 'object' || q === null) return [{ property: '', value: q, message: 'is not a VaultQuotas object', fix: 'give maxLeases and rateLimitRequests, e.g. { maxLeases: 50, rateLimitRequests: 30 }' }];
  const quotas = q as Record<string, unknown>;
  const out: { property: string; value: unknown; message: string; fix: string }[] = [];
  // Vault reads max_leases 0 and rate 0 as "no quota" (the provider's zero value): refuse them.
  for (const [key, fix] of [['maxLeases', 'give the most credentials the env may hold at once, e.g. 50'], ['rateLimitRequests', 'give the requests allowed per interval, e.g. 30']] as const) {
    const v = quotas[key];
    if (!Number.isInteger(v) || (v as number) < 1) out.push({ property: key, value: v, message: 'is not a positive integer (0 would mean no quota)', fix });
  }
  const interval = quotas.rateLimitIntervalSeconds;
  if (interval !== undefined && (!Number.isInteger(interval) || (interval as number) < 1 || (interval as number) > 3600)) {
    out.push({ property: 'rateLimitIntervalSeconds', value: interval, message: 'is not a whole number of seconds between 1 and 3600', fix: 'give e.g. 60 (or leave it out for the default)' });
  }
  return out;
}

export const VAULT_QUOTAS = Types.shape('VaultQuotas', propTypes<VaultQuotas>()({
  maxLeases: Types.integer, rateLimitRequests: Types.integer, rateLimitIntervalSeconds: Types.integer,
}), ['maxLeases', 'rateLimitRequests']);
