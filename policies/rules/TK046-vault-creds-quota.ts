import { groupBy } from '../graph/group';
import { EstateGraph, VaultQuota } from '../graph/types';
import { Rule, RuleFinding, describeEnv } from './support/rule';
import { isLiveTier, isReason } from '../../contract/tiers';
import { DEFAULT_VAULT_QUOTAS, ManifestVaultQuotas, looserQuotas, readManifestVaultQuotas, requestsPerSecond } from '../../contract/vault-quotas';
import { envsUnderPath, envsWithSlugText, quotasOfStack } from './support/graph-index';

/**
 * A quota's path as Vault matches it: a mount plus an optional path suffix, compared segment by
 * segment as a prefix of the request path (API docs: /sys/quotas/rate-limit and
 * /sys/quotas/lease-count, "path"); '' is global. Vault strips the slashes around it.
 */
function quotaPath(q: VaultQuota): string | undefined {
  if (q.path === undefined || q.path === null) return '';
  if (typeof q.path !== 'string') return undefined;
  const path = q.path.replace(/^\/+|\/+$/g, '');
  // A trailing '*' matches any suffix; a '*' anywhere else is a shape this rule does not model.
  return path.slice(0, -1).includes('*') ? undefined : path;
}

/** Whether a request to `credsPath` counts against a quota on `path` (a trailing '*' is a string prefix). */
function covers(path: string, credsPath: string): boolean {
  if (path.endsWith('*')) return credsPath.startsWith(path.slice(0, -1));
  return path === '' || credsPath === path || credsPath.startsWith(`${path}/`);
}

/**
 * The env a platform quota is for: named after it (`<slug>-creds-rate`, `<slug>-creds-leases`,
 * constructs/naming.ts) and on its creds path. Never inferred from the path alone: a quota named for
 * a dev env but pointed at prod's creds path would otherwise pass as prod's own and throttle prod.
 */
function platformOwner(g: EstateGraph, q: VaultQuota, path: string) {
  // The first env (in env order) whose slug the name ends in: looked up by the slug the name spells.
  const slug = typeof q.name !== 'string' ? undefined
    : q.name.endsWith('-creds-rate') ? q.name.slice(0, -'-creds-rate'.length)
      : q.name.endsWith('-creds-leases') ? q.name.slice(0, -'-creds-leases'.length) : undefined;
  return slug === undefined ? undefined : envsWithSlugText(g, slug).find((e) => e.names.vaultCredsPath === path);
}

/** A positive, finite number as written (Terraform JSON may carry numbers as strings). */
function positive(v: unknown): boolean {
  const n = typeof v === 'string' && /^\d+(\.\d+)?$/.test(v) ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) && n > 0;
}

const set = (v: unknown) => v !== undefined && v !== null && v !== '';

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : typeof v === 'string' && /^\d+(\.\d+)?$/.test(v) ? Number(v) : undefined);

/**
 * Why the rendered limit is looser than the tier's declared quotas (manifest `tiers[].vaultQuotas`):
 * a hand edit of the rate, the window or max_leases. An absent interval is Vault's default, 1 s
 * (API docs, /sys/quotas/rate-limit, "interval"): 60× looser than a per-minute rate.
 */
function looserThanDeclared(q: VaultQuota, declared: ManifestVaultQuotas): string | undefined {
  const limit = num(q.limit)!;
  if (q.kind === 'lease-count') {
    return limit > declared.maxLeases ? `its max_leases ${limit} is above the tier's declared ${declared.maxLeases}` : undefined;
  }
  const raw = q.attributes.interval;
  const interval = raw === undefined || raw === null || raw === '' ? 1 : num(raw);
  if (interval === undefined || interval <= 0) return `its interval ${JSON.stringify(raw)} cannot be read`;
  return limit / interval > requestsPerSecond(declared)
    ? `its rate ${limit} per ${interval}s is looser than the tier's declared ${declared.rateLimitRequests} per ${declared.rateLimitIntervalSeconds}s`
    : undefined;
}

/** Why `q` does not hold its env's credentials to a quota, or undefined when it does. */
function weakness(q: VaultQuota, credsPath: string, declared: ManifestVaultQuotas): string | undefined {
  const path = quotaPath(q);
  if (path === undefined) return `its path ${JSON.stringify(q.path)} cannot be read`;
  if (path !== credsPath) return `its path "${path}" is not the env's creds path "${credsPath}"`;
  if (!positive(q.limit)) return `its ${q.kind === 'lease-count' ? 'max_leases' : 'rate'} is ${JSON.stringify(q.limit ?? null)} (0 or none means no quota)`;
  const looser = looserThanDeclared(q, declared);
  if (looser) return looser;
  // A namespace moves the quota off the root namespace the creds path is in; a role narrows it to
  // one auth role's logins; group_by splits the bucket per client (every pod its own rate).
  for (const attr of ['namespace', 'role']) if (set(q.attributes[attr])) return `it sets ${attr} ${JSON.stringify(q.attributes[attr])}`;
  const groupByValue = q.attributes.group_by;
  if (set(groupByValue) && groupByValue !== 'none') return `it sets group_by ${JSON.stringify(groupByValue)}: one bucket per client, not per env`;
  return undefined;
}

/**
 * The quotas the env's tier declares (manifest `tiers[].vaultQuotas`), or why they cannot stand:
 * unreadable, absent, or looser than the built-in ones without a reasoned tier exception recording
 * that very value (the exception is what `diff` puts before the server's gate).
 */
function declaredQuotas(g: EstateGraph, tierName: string): { quotas: ManifestVaultQuotas } | { problem: string } {
  const tier = g.tiers.get(tierName);
  const read = readManifestVaultQuotas((tier as { vaultQuotas?: unknown } | undefined)?.vaultQuotas);
  if ('problem' in read) return { problem: `the manifest's tier ${tierName}: ${read.problem}` };
  if ('none' in read) return { problem: `the manifest's tier ${tierName} declares no vaultQuotas` };
  const q = read.quotas;
  const expected: Record<string, string> = {
    'vaultQuotas.maxLeases': String(q.maxLeases),
    'vaultQuotas.rateLimitRequests': `${q.rateLimitRequests}/${q.rateLimitIntervalSeconds}s`,
  };
  for (const property of looserQuotas(q, DEFAULT_VAULT_QUOTAS)) {
    const x = (Array.isArray(tier?.exceptions) ? tier!.exceptions : []).find((e) => e?.property === property);
    if (!x || x.value !== expected[property] || !isReason(x.reason)) {
      return { problem: `the manifest's tier ${tierName} declares ${property} ${expected[property]}, looser than the built-in ${property === 'vaultQuotas.maxLeases' ? DEFAULT_VAULT_QUOTAS.maxLeases : `${DEFAULT_VAULT_QUOTAS.rateLimitRequests}/${DEFAULT_VAULT_QUOTAS.rateLimitIntervalSeconds}s`}, without a reasoned tier exception for that value` };
    }
  }
  return { quotas: q };
}

export const rule: Rule = {
  id: 'TK046',
  name: 'vault-creds-quota',
  severity: 'error',
  title: 'A lower tier\'s env on a server holding live data has Vault quotas on its own creds path, and on nobody else\'s',
  explanation:
    'Each Vault credential of a lower tier\'s env is a PostgreSQL role on its server: on prod\'s server, an env that may '
    + 'request credentials without bound fills pg_authid and the server\'s connection slots prod needs. A lease-count quota '
    + '(Vault Enterprise) caps how many it holds at once; a rate-limit quota (every edition) caps how fast they are issued. '
    + 'Vault matches a quota\'s path as a prefix of the request path, so the quota must be on the env\'s creds path exactly: '
    + 'a wider one (the mount, or global) counts other envs\' requests — prod\'s — against it, and lets the sandbox starve them.',
  fix: 'Keep the vault_quota_rate_limit (and, on Vault Enterprise, vault_quota_lease_count) tierkit writes on the env\'s creds path '
    + '(TierSettings.vaultQuotas); remove any quota on another env\'s path or a wider one.',
  suppressible: true,
  evaluate(g: EstateGraph) {
    const out: RuleFinding[] = [];
    const live = (tier: string | undefined) => tier !== undefined && isLiveTier(g.tiers, tier);
    // Absent (a dist from before quotas) reads as Enterprise: the stricter requirement.
    const enterprise = g.manifest.estate.vault.edition !== 'community';
    // Only the platform's quotas count: a quota in the env's own stack would be written by the env's
    // applier, and a Vault ACL grants a quota by name, not by the path it is put on.
    const platformKinds = new Set(['tier-platform', 'shared-platform']);
    const platformQuota = (q: VaultQuota) => q.stack.manifest !== undefined && platformKinds.has(q.stack.manifest.kind);
    const byPath = groupBy(g.vaultQuotas.filter(platformQuota), (q) => quotaPath(q) ?? '\u0000');
    for (const env of g.envs) {
      if (live(env.tier)) continue;
      const server = env.server === undefined ? undefined : g.servers.get(env.server);
      if (!server || !(live(server.gatingTier) || server.tiers.some(live))) continue;
      const reaches = [{ tier: server.gatingTier ?? 'prod', what: `server ${server.id}, which holds live data` }];
      const own = [...(byPath.get(env.names.vaultCredsPath) ?? []), ...quotasOfStack(g, env.stack)];
      const declared = declaredQuotas(g, env.tier);
      if ('problem' in declared) {
        out.push({ env, reaches, source: { file: 'manifest.json', pointer: '/tiers' }, message: `${describeEnv(env)}: ${declared.problem}: its quotas cannot be judged` });
      }
      // A declaration that cannot stand is replaced by the built-in quotas: the quota is still judged.
      const quotas = 'quotas' in declared ? declared.quotas : DEFAULT_VAULT_QUOTAS;
      for (const kind of enterprise ? ['rate-limit', 'lease-count'] as const : ['rate-limit'] as const) {
        const candidates = own.filter((q) => q.kind === kind);
        if (candidates.some((q) => platformQuota(q) && weakness(q, env.names.vaultCredsPath, quotas) === undefined)) continue;
        const type = kind === 'lease-count' ? 'vault_quota_lease_count' : 'vault_quota_rate_limit';
        if (candidates.length === 0) {
          out.push({ env, reaches, source: { file: env.artifacts[0], pointer: '', constructPath: env.constructPath },
            message: `${describeEnv(env)}: no ${type} of the platform on its creds path "${env.names.vaultCredsPath}"` });
        }
        for (const q of candidates) {
          const why = platformQuota(q) ? weakness(q, env.names.vaultCredsPath, quotas)
            : `it is in the env's own stack ${q.stack.name}, whose applier would write it (the platform's tier stack holds quotas)`;
          out.push({ env, reaches, source: q.source, message: `${describeEnv(env)}: ${type} "${q.name}" (stack ${q.stack.name}) does not cap its credentials: ${why}` });
        }
      }
    }
    // Any quota that counts another env's credential requests: a lower tier's quota on prod's path
    // (or the mount's, or a global one) lets it deny prod its credentials.
    for (const q of g.vaultQuotas) {
      const path = quotaPath(q);
      if (path === undefined) {
        // What it counts cannot be known: it may be prod's path (fail closed).
        out.push({ env: q.stack.env, source: q.source, reaches: [{ tier: 'prod', what: 'any env\'s credentials' }],
          message: `stack ${q.stack.name}: ${q.kind} quota "${q.name}" has a path that cannot be read: ${JSON.stringify(q.path)}` });
        continue;
      }
      // A platform quota belongs to the env it is named for, on that env's creds path; any other quota to its stack's env.
      const owner = q.stack.env ?? (platformQuota(q) ? platformOwner(g, q, path) : undefined);
      const under = path === '' || path.endsWith('*') ? undefined : envsUnderPath(g, path);
      const others = under ? under.filter((e) => e !== owner) : g.envs.filter((e) => e !== owner && covers(path, e.names.vaultCredsPath));
      if (others.length === 0) continue;
      const shown = others.slice(0, 3).map((e) => e.slug).join(', ') + (others.length > 3 ? `, … (${others.length})` : '');
      out.push({
        env: q.stack.env, source: q.source,
        reaches: others.map((e) => ({ tier: e.tier, what: `the credentials of ${e.slug}` })),
        message: `stack ${q.stack.name}: ${q.kind} quota "${q.name}" on "${path || '(global)'}" counts the credential requests of ${shown}`,
      });
    }
    return out;
  },
};
