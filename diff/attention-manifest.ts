import type { ManifestAppEnvironment } from '../constructs/synth/manifest';
import { formatValue } from './attributes';
import type { Context } from './attention-context';
import type { ManifestChange } from './model';

/** Attention items read from the manifest: sandboxes and apply gates. */

function sandboxLine(e: ManifestAppEnvironment): string {
  const s = e.sandbox!;
  return `owner ${s.owner}, kind ${s.kind}, tier ${e.tier}, TTL ${s.ttlHours} h (expires ${s.expiresAt}), seed ${s.seed}, server ${e.server}${s.reason ? `, reason: ${s.reason}` : ''}`;
}

export function manifestAttention(ctx: Context, changes: readonly ManifestChange[]): void {
  for (const m of changes) {
    if (m.section === 'appEnvironments') {
      const was = ctx.base.appEnvironments.find((e) => e.slug === m.key);
      const now = ctx.head.appEnvironments.find((e) => e.slug === m.key);
      const subject = `sandbox ${m.key}`;
      if (now?.sandbox && !was?.sandbox) ctx.items.push({ category: 'sandbox-added', subject, stack: now.stack, tier: now.tier, message: sandboxLine(now), details: [] });
      else if (was?.sandbox && !now?.sandbox) ctx.items.push({ category: 'sandbox-removed', subject, stack: was.stack, tier: was.tier, message: sandboxLine(was), details: [] });
      else if (was?.sandbox && now?.sandbox) {
        const lines = m.changes.filter((c) => c.path.startsWith('sandbox.') || c.path === 'tier' || c.path === 'server')
          .map((c) => `${c.path}: ${formatValue(c.before)} → ${formatValue(c.after)}`);
        if (lines.length > 0) ctx.items.push({ category: 'sandbox-changed', subject, stack: now.stack, tier: now.tier, message: sandboxLine(now), details: lines });
      }
    }
    if (m.section === 'tiers' || m.section === 'stacks' || m.section === 'servers') {
      const lines = m.changes.filter((c) => /^(applyGate|gatingTier|humanGate)/.test(c.path)).map((c) => `${c.path}: ${formatValue(c.before)} → ${formatValue(c.after)}`);
      if (lines.length > 0 && m.action === 'change') {
        ctx.items.push({ category: 'gate-changed', subject: `${m.section.replace(/s$/, '')} ${m.key}`, stack: m.section === 'stacks' ? m.key : undefined, message: 'apply gate changed', details: lines });
      }
    }
  }
}
