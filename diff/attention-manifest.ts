import type { ManifestAppEnvironment, ManifestTier } from '../contract/manifest';
import { formatValue } from './attributes';
import type { Context } from './attention-context';
import type { ManifestChange } from './model';
import { isProdTier } from './summary';
import { looserQuotas, readManifestVaultQuotas } from '../contract/vault-quotas';
import { said } from './markdown-text';

/**
 * Attention items read from the manifest: sandboxes, apply gates, and the policy findings the
 * estate accepts — suppressions and reasoned exceptions (tier loosenings, env exceptions). A new or
 * changed one is an item; a removed one tightens the estate and is not.
 */

function reason(text: string | undefined): string {
  return text ? formatValue(text, 400) : '(no reason)';
}

function where(ctx: Context, e: ManifestAppEnvironment): string {
  return `${e.slug} (tier ${e.tier}${isProdTier([ctx.head, ctx.base], e.tier) ? ', live data' : ''})`;
}

function suppressionAttention(ctx: Context, was: ManifestAppEnvironment | undefined, now: ManifestAppEnvironment): void {
  const before = was?.suppressions ?? [];
  const same = (a: { ruleId: string; reason: string }, b: { ruleId: string; reason: string }) => a.ruleId === b.ruleId && a.reason === b.reason;
  for (const s of now.suppressions) {
    if (before.some((b) => same(b, s))) continue;
    const old = before.filter((b) => b.ruleId === s.ruleId && !now.suppressions.some((n) => same(n, b)));
    const message = old.length > 0
      ? `suppression of ${s.ruleId} on ${where(ctx, now)}, reason changed: ${old.map((o) => reason(o.reason)).join(', ')} → ${reason(s.reason)}`
      : `new suppression: ${s.ruleId} findings accepted on ${where(ctx, now)}, reason: ${reason(s.reason)}`;
    ctx.items.push({
      category: 'suppression', subject: `${now.slug}: suppression ${s.ruleId}`, stack: now.stack, tier: now.tier, message: said`${message}`,
      details: [...old.map((o) => `- ${o.ruleId}: ${o.reason}`), `+ ${s.ruleId}: ${s.reason}`],
    });
  }
}

function envExceptionAttention(ctx: Context, was: ManifestAppEnvironment | undefined, now: ManifestAppEnvironment): void {
  for (const x of now.exceptions) {
    const old = was?.exceptions.find((b) => b.kind === x.kind);
    if (old && old.value === x.value && old.reason === x.reason) continue;
    const message = old
      ? `exception changed on ${where(ctx, now)}: ${x.kind} ${old.value} → ${x.value}, reason: ${old.reason === x.reason ? reason(x.reason) : `${reason(old.reason)} → ${reason(x.reason)}`}`
      : `new exception on ${where(ctx, now)}: ${x.kind} ${x.value}, reason: ${reason(x.reason)}`;
    ctx.items.push({
      category: 'exception', subject: `${now.slug}: exception ${x.kind}`, stack: now.stack, tier: now.tier, message: said`${message}`,
      details: [...(old ? [`- ${old.kind} ${old.value}: ${old.reason}`] : []), `+ ${x.kind} ${x.value}: ${x.reason}`],
    });
  }
}

function tierExceptionAttention(ctx: Context, was: ManifestTier | undefined, now: ManifestTier): void {
  const prod = isProdTier([ctx.head, ctx.base], now.name) ? ' (live data)' : '';
  for (const x of now.exceptions) {
    const old = was?.exceptions.find((b) => b.property === x.property);
    if (old && old.value === x.value && old.defaultValue === x.defaultValue && old.reason === x.reason) continue;
    const message = old
      ? `tier ${now.name}${prod} loosening changed: ${x.property} ${old.value} → ${x.value} (built-in default ${x.defaultValue}), reason: ${old.reason === x.reason ? reason(x.reason) : `${reason(old.reason)} → ${reason(x.reason)}`}`
      : `tier ${now.name}${prod} loosened: ${x.property} ${x.defaultValue} (built-in default) → ${x.value}, reason: ${reason(x.reason)}`;
    ctx.items.push({
      category: 'exception', subject: `tier ${now.name}: ${x.property}`, tier: now.name, message: said`${message}`,
      details: [...(old ? [`- ${old.property} ${old.value}: ${old.reason}`] : []), `+ ${x.property} ${x.value}: ${x.reason}`],
    });
  }
}

/**
 * A tier's Vault quotas loosened (or dropped) against the base, whatever the built-in default: the
 * quotas are what keeps its envs from exhausting their server, so the item names the gate of each
 * server they sit on (prod's, for a sandbox on prod's server) — that gate reviews it.
 */
function vaultQuotaAttention(ctx: Context, was: ManifestTier | undefined, now: ManifestTier): void {
  const before = readManifestVaultQuotas(was?.vaultQuotas);
  const after = readManifestVaultQuotas(now.vaultQuotas);
  if (!('quotas' in before)) return;
  const loosened = 'quotas' in after ? looserQuotas(after.quotas, before.quotas) : ['vaultQuotas'];
  if (loosened.length === 0) return;
  const servers = [...new Set(ctx.head.appEnvironments.filter((e) => e.tier === now.name && e.server).map((e) => e.server!))].sort();
  const gates = [...new Set(servers.map((id) => ctx.head.servers.find((s) => s.id === id)?.gatingTier ?? 'prod'))].sort();
  const live = gates.find((g) => isProdTier([ctx.head, ctx.base], g));
  const show = (q: ReturnType<typeof readManifestVaultQuotas>) => ('quotas' in q
    ? `${q.quotas.rateLimitRequests}/${q.quotas.rateLimitIntervalSeconds}s, max ${q.quotas.maxLeases} leases` : 'none');
  ctx.items.push({
    category: 'exception', subject: `tier ${now.name}: vaultQuotas`, tier: live ?? gates[gates.length - 1] ?? now.name,
    message: said`tier ${now.name} Vault quotas loosened: ${show(before)} → ${show(after)}; its envs sit on ${servers.length > 0 ? servers.map((x) => `server ${x}`).join(', ') : 'no server'}`
      + said`${gates.length > 0 ? `, gated by ${gates.join(', ')}: ${live ? `${live}'s gate` : 'that gate'} reviews it` : ''}; reason: ${reason(now.exceptions.find((x) => x.property.startsWith('vaultQuotas'))?.reason)}`,
    details: [`- ${show(before)}`, `+ ${show(after)}`],
  });
}

function sandboxLine(e: ManifestAppEnvironment): string {
  const s = e.sandbox!;
  const origin = `${s.template ? `, template ${s.template}` : ''}${s.file ? `, file ${s.file}${s.managed ? '' : ' (hand-written)'}` : ''}`;
  return `owner ${s.owner}, kind ${s.kind}, tier ${e.tier}, TTL ${s.ttlHours} h (expires ${s.expiresAt}), seed ${s.seed}, server ${e.server}${origin}${s.reason ? `, reason: ${s.reason}` : ''}`;
}

/** Seed 002: a sandbox living past 7 days needs an approval; the comment asks for it whenever a PR creates or lengthens one. */
const APPROVAL_TTL_HOURS = 7 * 24;

function approvalAttention(ctx: Context, was: ManifestAppEnvironment | undefined, now: ManifestAppEnvironment): void {
  const s = now.sandbox!;
  const later = !was?.sandbox || Date.parse(s.expiresAt) > Date.parse(was.sandbox.expiresAt) || was.sandbox.reason !== s.reason;
  if (!(s.ttlHours > APPROVAL_TTL_HOURS) || !later) return;
  const from = was?.sandbox ? `extended from ${was.sandbox.ttlHours} h to ${s.ttlHours} h` : `created with a TTL of ${s.ttlHours} h`;
  ctx.items.push({
    category: 'sandbox-approval', subject: `sandbox ${now.slug}`, stack: now.stack, tier: now.tier,
    message: said`${from}, past 7 days (${APPROVAL_TTL_HOURS} h): a reviewer approves it or asks for a shorter one; reason: ${s.reason ?? '(none)'}`, details: [],
  });
}

/**
 * A server's declared address (cidr, host, port) moves. Nothing ties the cidr to the host the
 * providers and Vault connect to, and every network rule judges reach against the cidr: moving it
 * out of a lower tier's egress is how that egress would stop counting as reach. An item whenever the
 * server holds a tier some other tier is looser than (every server but the loosest tier's alone).
 */
function serverAddressAttention(ctx: Context, m: ManifestChange): void {
  const lines = m.changes.filter((c) => /^(cidr|host|port)$/.test(c.path)).map((c) => `${c.path}: ${formatValue(c.before)} → ${formatValue(c.after)}`);
  if (lines.length === 0) return;
  const rank = (t: string) => ctx.head.tiers.find((x) => x.name === t)?.rank ?? ctx.base.tiers.find((x) => x.name === t)?.rank ?? Infinity;
  const loosest = Math.min(...[...ctx.head.tiers, ...ctx.base.tiers].map((t) => t.rank));
  const tiers = [...new Set([ctx.head, ctx.base].flatMap((x) => x.servers.filter((s) => s.id === m.key).flatMap((s) => s.tiers)))];
  if (!tiers.some((t) => rank(t) > loosest)) return;
  const top = [...tiers].sort((a, b) => rank(b) - rank(a))[0];
  ctx.items.push({
    category: 'server-address', subject: `server ${m.key}`, tier: top,
    message: said`server ${m.key} (holds ${tiers.join(', ')}${isProdTier([ctx.head, ctx.base], top) ? ', live data' : ''}) declares another address: ${lines.join('; ')}; network rules judge egress against the new one, while nothing ties it to where the server answers`,
    details: lines,
  });
}

export function manifestAttention(ctx: Context, changes: readonly ManifestChange[]): void {
  for (const m of changes) {
    if (m.section === 'appEnvironments') {
      const was = ctx.base.appEnvironments.find((e) => e.slug === m.key);
      const now = ctx.head.appEnvironments.find((e) => e.slug === m.key);
      const subject = `sandbox ${m.key}`;
      if (now) {
        suppressionAttention(ctx, was, now);
        envExceptionAttention(ctx, was, now);
      }
      if (now?.sandbox) approvalAttention(ctx, was, now);
      if (now?.sandbox && !was?.sandbox) ctx.items.push({ category: 'sandbox-added', subject, stack: now.stack, tier: now.tier, message: said`${sandboxLine(now)}`, details: [] });
      else if (was?.sandbox && !now?.sandbox) ctx.items.push({ category: 'sandbox-removed', subject, stack: was.stack, tier: was.tier, message: said`${sandboxLine(was)}`, details: [] });
      else if (was?.sandbox && now?.sandbox) {
        const lines = m.changes.filter((c) => c.path.startsWith('sandbox.') || c.path === 'tier' || c.path === 'server')
          .map((c) => `${c.path}: ${formatValue(c.before)} → ${formatValue(c.after)}`);
        // Later expiry is an extension, however it was made (a longer TTL or a later createdAt).
        const extended = Date.parse(now.sandbox.expiresAt) > Date.parse(was.sandbox.expiresAt);
        if (lines.length > 0) ctx.items.push({ category: extended ? 'sandbox-extended' : 'sandbox-changed', subject, stack: now.stack, tier: now.tier, message: said`${sandboxLine(now)}`, details: lines });
      }
    }
    if (m.section === 'estate') {
      // The seed store receives prod's scrubbed golden at every dump: moving it is the human gate's call.
      const lines = m.changes.filter((c) => c.path === 'seedStore' || c.path.startsWith('seedStore.'))
        .map((c) => `${c.path}: ${formatValue(c.before)} → ${formatValue(c.after)}`);
      const was = ctx.base.estate.seedStore;
      const now = ctx.head.estate.seedStore;
      if (lines.length > 0) {
        ctx.items.push({
          category: 'seed-store', subject: 'estate seed store', tier: ctx.head.tiers.find((t) => isProdTier([ctx.head, ctx.base], t.name))?.name,
          message: said`seed store ${was ? `${was.server}:${was.exportRoot}` : '(none)'} → ${now ? `${now.server}:${now.exportRoot}` : '(none)'}: every seed, prod's scrubbed golden included, is written to and read from there; reason: ${reason(now?.reason)}`,
          details: lines,
        });
      }
    }
    if (m.section === 'tiers') {
      const now = ctx.head.tiers.find((t) => t.name === m.key);
      if (now) tierExceptionAttention(ctx, ctx.base.tiers.find((t) => t.name === m.key), now);
      if (now) vaultQuotaAttention(ctx, ctx.base.tiers.find((t) => t.name === m.key), now);
    }
    if (m.section === 'servers' && m.action === 'change') serverAddressAttention(ctx, m);
    if (m.section === 'tiers' || m.section === 'stacks' || m.section === 'servers') {
      const lines = m.changes.filter((c) => /^(applyGate|gatingTier|humanGate)/.test(c.path)).map((c) => `${c.path}: ${formatValue(c.before)} → ${formatValue(c.after)}`);
      if (lines.length > 0 && m.action === 'change') {
        ctx.items.push({ category: 'gate-changed', subject: `${m.section.replace(/s$/, '')} ${m.key}`, stack: m.section === 'stacks' ? m.key : undefined, message: 'apply gate changed', details: lines });
      }
    }
  }
}
