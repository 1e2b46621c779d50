import type { Manifest, ManifestStack } from '../contract/manifest';
import { compareStrings } from '../contract/order';
import type { AffectedStack, ChangeAction, Counts, ManifestChange, ResourceChange, TierSummary } from './model';
import { isLiveTier } from '../contract/tiers';

/** Per-tier counts and the affected Terraform stacks (the CI plan matrix). */

const zero = (): Counts => ({ add: 0, change: 0, destroy: 0 });

/** A tier holding live data is prod, whatever it is called. */
export function isProdTier(manifests: readonly Manifest[], tier: string | undefined): boolean {
  const m = manifests.find((x) => x.tiers.some((t) => t.name === tier));
  return isLiveTier(m?.tiers ?? [], tier);
}

export function tierRank(manifests: readonly Manifest[], tier: string): number {
  for (const m of manifests) {
    const t = m.tiers.find((x) => x.name === tier);
    if (t) return t.rank;
  }
  return Number.MAX_SAFE_INTEGER;
}

/** Tiers in the order of strictness the manifest gives them; unknown ones (unlisted files) last. */
export function sortTiers(manifests: readonly Manifest[], tiers: Iterable<string>): string[] {
  return [...new Set(tiers)].sort((a, b) => tierRank(manifests, a) - tierRank(manifests, b) || compareStrings(a, b));
}

export const UNLISTED = '(unlisted)';

export function affectedStacks(base: Manifest, head: Manifest, resources: readonly ResourceChange[], manifest: readonly ManifestChange[]): AffectedStack[] {
  const counts = new Map<string, Counts>();
  for (const r of resources) {
    if (r.kind !== 'terraform') continue;
    const c = counts.get(r.stack) ?? zero();
    // Stack settings (provider, backend) are not resources, but they do make the stack affected.
    if (r.address.includes('.')) c[r.action]++;
    counts.set(r.stack, c);
  }
  // A stack whose gate moved is affected even if no resource did: its plan goes to a new environment.
  for (const m of manifest) if (m.section === 'stacks' && !counts.has(m.key)) counts.set(m.key, zero());
  const out: AffectedStack[] = [];
  for (const name of [...counts.keys()].sort(compareStrings)) {
    const h = head.stacks.find((s) => s.name === name);
    const b = base.stacks.find((s) => s.name === name);
    const s: ManifestStack | undefined = h ?? b;
    const action: ChangeAction = h && b ? 'change' : h ? 'add' : b ? 'destroy' : 'change';
    out.push({
      name, action,
      tier: s?.tier ?? UNLISTED,
      // An unlisted (hand-written) stack has no declared gate: treat it as the strictest there is.
      gatingTier: s?.gatingTier ?? strictestTier(head),
      applyGate: s?.applyGate ?? 'unknown',
      humanGate: s?.humanGate ?? true,
      server: s?.server,
      artifact: s?.artifact ?? `terraform/${name}/cdk.tf.json`,
      resources: counts.get(name)!,
    });
  }
  return out;
}

function strictestTier(m: Manifest): string {
  return [...m.tiers].sort((a, b) => b.rank - a.rank)[0]?.name ?? 'prod';
}

export function tierSummaries(base: Manifest, head: Manifest, resources: readonly ResourceChange[], stacks: readonly AffectedStack[]): TierSummary[] {
  const rows = new Map<string, { stacks: Counts; resources: Counts; kubernetes: Counts }>();
  const row = (tier: string) => {
    let r = rows.get(tier);
    if (!r) rows.set(tier, (r = { stacks: zero(), resources: zero(), kubernetes: zero() }));
    return r;
  };
  for (const s of stacks) row(s.tier).stacks[s.action]++;
  for (const r of resources) {
    if (r.kind === 'terraform' && !r.address.includes('.')) continue;
    const target = row(r.tier ?? UNLISTED);
    (r.kind === 'terraform' ? target.resources : target.kubernetes)[r.action]++;
  }
  return sortTiers([head, base], rows.keys()).map((tier) => ({ tier, ...rows.get(tier)! }));
}
