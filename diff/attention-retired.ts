import type { ManifestRetiredStack } from '../contract/manifest';
import type { Context } from './attention-context';

/**
 * Retired stacks (estate `retiredStacks`): a removed stack's state key stays with its gating tier's
 * applier until the destroy ran (contract/state-access.ts). The reviewer sees, before the merge:
 * a stack this pull request removes that head does not retire (the apply's `locate` would refuse
 * its destroy: no identity keeps its key), and every entry head adds or changes — named against
 * what base says the stack was, since a kept key is a grant on state written under base's gate.
 */

function entryText(r: ManifestRetiredStack): string {
  return `${r.kind} of tier ${r.gatingTier}${r.server ? ` on server ${r.server}` : ''}`;
}

export function retiredStackAttention(ctx: Context): void {
  const rank = (tier: string | undefined) => ctx.base.tiers.find((t) => t.name === tier)?.rank ?? ctx.head.tiers.find((t) => t.name === tier)?.rank;
  const headRetired = new Map((ctx.head.estate.retiredStacks ?? []).map((r) => [r.stack, r]));
  const baseRetired = new Map((ctx.base.estate.retiredStacks ?? []).map((r) => [r.stack, r]));
  const headStacks = new Set(ctx.head.stacks.map((s) => s.name));
  for (const s of ctx.base.stacks) {
    if (s.applyGate === 'none' || headStacks.has(s.name) || headRetired.has(s.name)) continue;
    const tier = s.gatingTier;
    ctx.items.push({
      category: 'retired-stack-problem', subject: `stack ${s.name}`, stack: s.name, tier,
      message: `removed without a retiredStacks entry: after the merge no state identity keeps its key and the apply refuses its destroy (then only a hand destroy is left); add { stack: '${s.name}', tier: Tier.${tier.toUpperCase()}${s.server ? `, server: '${s.server}'` : ''}, reason } to the estate prop retiredStacks`,
      details: [],
    });
  }
  for (const r of headRetired.values()) {
    const was = baseRetired.get(r.stack);
    if (was && was.gatingTier === r.gatingTier && was.kind === r.kind && (was.server ?? '') === (r.server ?? '')) continue;
    const live = ctx.base.stacks.find((s) => s.name === r.stack);
    const problems: string[] = [];
    if (was) problems.push(`base retired it as ${entryText(was)}`);
    else if (live) {
      const kind = live.kind === 'app-environment' ? 'app-environment' : 'platform';
      if ((rank(r.gatingTier) ?? -1) < (rank(live.gatingTier) ?? Infinity)) problems.push(`base gated it by ${live.gatingTier}: a laxer tier's applier would keep its state`);
      if (kind !== r.kind || (live.server ?? '') !== (r.server ?? '')) problems.push(`base had it as ${kind}${live.server ? ` on server ${live.server}` : ''}`);
    } else problems.push('base has no such stack: its key may hold the state of a stack removed long ago');
    ctx.items.push({
      category: problems.length > 0 ? 'retired-stack-problem' : 'retired-stack', subject: `stack ${r.stack}`, stack: r.stack, tier: r.gatingTier,
      message: `state key kept for the ${r.kind === 'platform' ? 'platform-admin identity' : `applier of tier ${r.gatingTier}`} until its destroy ran (${entryText(r)}; reason: ${r.reason})${problems.length > 0 ? ` — ${problems.join('; ')}` : ''}`,
      details: was ? [`- ${entryText(was)}`, `+ ${entryText(r)}`] : [`+ ${entryText(r)}`],
    });
  }
}
