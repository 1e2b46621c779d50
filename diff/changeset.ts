import type { DistContents } from '../contract/read';
import { attentionItems } from './attention';
import { ciAttention } from './attention-ci';
import { unresolvedAttention } from './attention-unresolved';
import type { AttributeLookup } from './attention-context';
import { compareDists } from './compare';
import type { ChangeSet, FailOn } from './model';
import { reachItems } from './reach';
import { affectedStacks, isProdTier, tierSummaries } from './summary';

/** The full semantic change set from `base` to `head`. Pure and deterministic. */
export function computeChangeSet(base: DistContents, head: DistContents): ChangeSet {
  const { resources, manifest } = compareDists(base, head);
  const stacks = affectedStacks(base.manifest, head.manifest, resources, manifest);
  const lookup = attributeLookup(base, head);
  const ci = ciAttention(base, head);
  return {
    schemaVersion: 1,
    identical: resources.length === 0 && manifest.length === 0 && ci.length === 0,
    estate: head.manifest.estate?.name ?? base.manifest.estate?.name ?? '',
    summary: tierSummaries(base.manifest, head.manifest, resources, stacks),
    affectedStacks: stacks,
    attention: [...unresolvedAttention(base, head), ...ci, ...attentionItems(base.manifest, head.manifest, resources, manifest, stacks, lookup)],
    reach: reachItems([head.manifest, base.manifest], resources, lookup),
    manifest,
    resources,
  };
}

/** Full resource attributes by (side, stack, address); each side is indexed on first use. */
function attributeLookup(base: DistContents, head: DistContents): AttributeLookup {
  const index = new Map<'base' | 'head', Map<string, Readonly<Record<string, unknown>>>>();
  return (side, stack, address) => {
    let byKey = index.get(side);
    if (!byKey) {
      byKey = new Map((side === 'base' ? base : head).stacks.flatMap((s) => s.resources.map((r) => [`${s.name}/${r.address}`, r.attributes] as const)));
      index.set(side, byKey);
    }
    return byKey.get(`${stack}/${address}`);
  };
}

/** Which `--fail-on` conditions hold, in the order given (empty: exit 0). */
export function failures(set: ChangeSet, conditions: readonly FailOn[], prodTiers: (tier: string) => boolean): string[] {
  const out: string[] = [];
  for (const c of conditions) {
    if (c === 'any' && !set.identical) out.push('the dists differ');
    if (c === 'destroy') {
      const n = set.resources.filter((r) => r.action === 'destroy').length;
      if (n > 0) out.push(`${n} resource(s) or object(s) destroyed`);
    }
    if (c === 'prod') {
      const stacks = set.affectedStacks.filter((s) => prodTiers(s.gatingTier)).map((s) => s.name);
      const objects = set.resources.filter((r) => r.kind === 'kubernetes' && r.tier && prodTiers(r.tier)).length;
      if (stacks.length > 0) out.push(`prod-gated stack(s) affected: ${stacks.join(', ')}`);
      if (objects > 0) out.push(`${objects} Kubernetes object(s) in a prod tier change`);
    }
    if (c === 'attention' && set.attention.length > 0) out.push(`${set.attention.length} item(s) need attention`);
  }
  return out;
}

export function prodTierPredicate(base: DistContents, head: DistContents): (tier: string) => boolean {
  return (tier) => isProdTier([head.manifest, base.manifest], tier);
}
