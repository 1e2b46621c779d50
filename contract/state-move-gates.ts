import type { Manifest, ManifestStack } from './manifest';
import { builtinTierRank, isLiveTier } from './tiers';

/**
 * What `tierkit state migrate` and the PR diff judge about WHERE a stack's state goes (issue 12,
 * attack14). A state key names the gating tier (and, for an app-environment stack, the server): the
 * key decides which applier writes the state and which planner reads it (contract/state-access.ts).
 * So a move is judged from the manifests as a reviewer would, never taken as written:
 *  - each stack's gating tier must be the one its server's entry records (platform stacks: the
 *    estate's strictest), so an edited `gatingTier` cannot name a laxer key;
 *  - a move to another server or to a laxer gating tier is refused: the old server's objects would
 *    be handed to a laxer applier and planner, and no run under the old gate would ever destroy
 *    them. Such a stack is retired (its destroy runs under its old gate) and created anew;
 *  - a move to a stricter gating tier on the same server is allowed, and reported: its state was
 *    written only by the lower tier's applier, which trusts only main's apply workflow, and its first
 *    apply under the stricter gate is a plan the stricter tier's approvers review.
 */

/** The rank of a tier in one manifest (its own rank, else the built-in one); NaN when neither knows it. */
function rankIn(m: Manifest, tier: string): number {
  const own = Array.isArray(m.tiers) ? m.tiers.find((t) => t?.name === tier)?.rank : undefined;
  return typeof own === 'number' ? own : builtinTierRank(tier) ?? Number.NaN;
}

/** Whether tier `a` is stricter than `b` in manifest `m`: live data first, then rank (NaN: never). */
function stricterIn(m: Manifest, a: string, b: string): boolean {
  const la = isLiveTier(m.tiers ?? [], a, true);
  const lb = isLiveTier(m.tiers ?? [], b, true);
  if (la !== lb) return la;
  return rankIn(m, a) > rankIn(m, b);
}

/** The estate's strictest server gating tier (platform stacks apply behind it); undefined when no server records one. */
function strictestServerGate(m: Manifest): string | undefined {
  const gates = (m.servers ?? []).map((s) => s?.gatingTier).filter((t): t is string => typeof t === 'string');
  return gates.reduce<string | undefined>((a, b) => (a === undefined || stricterIn(m, b, a) ? b : a), undefined);
}

/**
 * Every stack whose gating tier is not the one the manifest derives for it: an app-environment
 * stack's server entry records it (and a server holding a live-data env must be gated by a
 * live-data tier); a platform stack's is the estate's strictest server gate. Each is a refusal.
 */
export function stackGateProblems(m: Manifest, side: string): string[] {
  const out: string[] = [];
  const servers = Array.isArray(m.servers) ? m.servers : [];
  const envs = Array.isArray(m.appEnvironments) ? m.appEnvironments : [];
  const strictest = strictestServerGate(m);
  for (const s of Array.isArray(m.stacks) ? m.stacks : []) {
    if (s.kind === 'app-environment') {
      const entries = servers.filter((x) => x?.id === s.server);
      if (entries.length !== 1) { out.push(`stack ${s.name}: the ${side} manifest lists its server ${JSON.stringify(s.server)} ${entries.length} times, not once`); continue; }
      const gate = entries[0].gatingTier;
      if (gate !== s.gatingTier) {
        out.push(`stack ${s.name}: the ${side} manifest says ${JSON.stringify(s.gatingTier)} gates it, but its server ${s.server}'s entry says ${JSON.stringify(gate)}: a stack is gated by its server's gating tier; synthesize the dist again, never edit it`);
        continue;
      }
      const env = envs.filter((e) => e?.stack === s.name);
      if (env.length !== 1 || env[0].server !== s.server) out.push(`stack ${s.name}: the ${side} manifest's app environment entry for it does not name server ${s.server} once`);
      const live = envs.find((e) => e?.server === s.server && isLiveTier(m.tiers ?? [], e.tier, true));
      if (live && !isLiveTier(m.tiers ?? [], gate, true)) out.push(`server ${s.server} holds ${live.slug} of the live-data tier ${live.tier}, but the ${side} manifest gates it by ${gate}`);
    } else if (strictest === undefined || s.gatingTier !== strictest) {
      out.push(`platform stack ${s.name}: the ${side} manifest says ${JSON.stringify(s.gatingTier)} gates it, but platform stacks apply behind the estate's strictest gate (${strictest ?? 'no server records one'})`);
    }
  }
  return [...new Set(out)];
}

export type GateChange =
  | { readonly kind: 'same' }
  | { readonly kind: 'rises'; readonly from: string; readonly to: string }
  | { readonly kind: 'refused'; readonly why: string };

/**
 * How a stack's gate changes between the old and the new manifest. Another server, a laxer tier, or
 * a tier either manifest cannot rank is refused; a rise must be stricter in both manifests.
 */
export function gateChange(from: Manifest, to: Manifest, was: ManifestStack, now: ManifestStack): GateChange {
  const retire = `retire it instead: remove it in one PR (its retiredStacks entry keeps ${was.gatingTier}'s key, and its destroy runs under ${was.gatingTier}'s gate), then add it anew in a later PR`;
  if (was.kind === 'app-environment' && was.server !== now.server) {
    return { kind: 'refused', why: `stack ${now.name} moves from server ${was.server} to ${now.server}: its state describes objects on ${was.server}, which a stack on ${now.server} would never destroy; ${retire}` };
  }
  if (was.gatingTier === now.gatingTier) return { kind: 'same' };
  const rises = [from, to].every((m) => stricterIn(m, now.gatingTier, was.gatingTier) && !Number.isNaN(rankIn(m, now.gatingTier)) && !Number.isNaN(rankIn(m, was.gatingTier)));
  if (rises) return { kind: 'rises', from: was.gatingTier, to: now.gatingTier };
  return { kind: 'refused', why: `stack ${now.name}'s gating tier goes from ${was.gatingTier} to ${now.gatingTier}, not stricter in both dists: its state (written under ${was.gatingTier}'s gate, secrets included) would be handed to ${now.gatingTier}'s applier and planner; ${retire}` };
}
