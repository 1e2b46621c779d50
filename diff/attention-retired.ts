import type { ManifestRetiredStack } from '../contract/manifest';
import { manifestStackStateKey } from '../contract/state-access';
import { gateChange } from '../contract/state-move-gates';
import type { Context } from './attention-context';
import { own, said } from './markdown-text';

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
      message: said`removed without a retiredStacks entry: after the merge no state identity keeps its key and the apply refuses its destroy (then only a hand destroy is left); add { stack: '${s.name}', tier: Tier.${tier.toUpperCase()}${s.server ? `, server: '${s.server}'` : ''}, reason } to the estate prop retiredStacks`,
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
      message: said`state key kept for the ${r.kind === 'platform' ? 'platform-admin identity' : `applier of tier ${r.gatingTier}`} until its destroy ran (${entryText(r)}; reason: ${r.reason})${problems.length > 0 ? ` — ${problems.join('; ')}` : ''}`,
      details: was ? [`- ${entryText(was)}`, `+ ${entryText(r)}`] : [`+ ${entryText(r)}`],
    });
  }
}

/**
 * A stack both sides have whose state key differs (state key layout 1 → 2, or its server's gating
 * tier changed: layout 2 keys name it). Terraform's state does not follow a key: planned and applied
 * as is, the stack would be created again beside its live objects. The item names the move and the
 * command that performs it (docs/pr-flow.md, "Moving state keys").
 */
export function stateKeyAttention(ctx: Context): void {
  const a = ctx.base.estate.backend;
  const b = ctx.head.estate.backend;
  if (!a || a.type !== 's3' || !b || b.type !== 's3') return;
  const base = new Map(ctx.base.stacks.map((s) => [s.name, s]));
  for (const s of ctx.head.stacks) {
    const was = base.get(s.name);
    if (!was) continue;
    const from = manifestStackStateKey(a, was);
    const to = manifestStackStateKey(b, s);
    if (from === to && a.bucket === b.bucket) continue;
    // Another server or a laxer gate is never migrated (contract/state-move-gates.ts): say so here.
    const gate = gateChange(ctx.base, ctx.head, was, s);
    const moved = `its Terraform state key moves from ${from ?? '(none formed)'} to ${to ?? '(none formed)'}${a.bucket === b.bucket ? '' : ` (bucket ${a.bucket} → ${b.bucket})`}: state does not follow a key, so a plan against the new one would create the stack again`;
    const migrate = own('pause applies and run `tierkit state migrate --from <base dist> --dist <head dist>` before this is applied');
    ctx.items.push({
      // Its own subject: folded into the stack's line, the move would hide among that line's details.
      category: 'state-key-moved', subject: `state key of stack ${s.name}`, stack: s.name, tier: s.gatingTier,
      message: gate.kind === 'refused'
        ? said`${moved}; \`tierkit state migrate\` refuses this move, do not migrate: ${gate.why}`
        : gate.kind === 'rises'
          ? said`${moved}; its gate rises from ${gate.from} to ${gate.to}, so state written by ${gate.from}'s applier becomes ${gate.to}'s: ${migrate}, and review its first ${gate.to} plan for objects the config does not declare`
          : said`${moved}; ${migrate}`,
      details: [`- ${from ?? '(none)'}`, `+ ${to ?? '(none)'}`],
    });
  }
}
