/**
 * The estate's promotion chain as dist/manifest.json carries it (`estate.promotion`): the main line
 * of tiers in order and the tiers fed from a declared source (demo from staging). Which tiers a
 * human gates is not repeated here: the manifest's tiers (`applyGate.human`) are the one source,
 * so a hand-edited chain cannot claim a gate its tier does not have. TK143 judges the chain;
 * `diff` re-verifies a promotion record's chain_ok against it. Read strictly: what cannot be read
 * is a problem, never an empty chain.
 */
import type { Manifest } from './manifest';
import { isLiveTier } from './tiers';

export interface ManifestPromotionFeed {
  readonly tier: string;
  readonly from: string;
}

export interface ManifestPromotion {
  /** The main line, in order. */
  readonly chain: readonly string[];
  /** Tiers fed from a source outside the main line, in declared order. */
  readonly feeds: readonly ManifestPromotionFeed[];
}

export interface ChainEdge {
  readonly from: string;
  readonly to: string;
  /** RFC 6901 pointer into manifest.json of the edge's target. */
  readonly pointer: string;
}

const isName = (v: unknown): v is string => typeof v === 'string' && /^[a-z][a-z0-9-]*$/.test(v);

/** The chain of a manifest, or why it cannot be read (absent, wrong shape, unknown fields). */
export function readPromotionChain(m: Manifest): { chain: ManifestPromotion } | { error: string; pointer: string } {
  const p = (m.estate as { promotion?: unknown } | undefined)?.promotion as Record<string, unknown> | undefined;
  const ptr = '/estate/promotion';
  if (p === undefined) return { error: 'declares no promotion chain (estate.promotion): whether a release can reach prod without a human gate is unknown', pointer: ptr };
  if (p === null || typeof p !== 'object' || Array.isArray(p)) return { error: `is ${JSON.stringify(p)}, not an object { chain, feeds }`, pointer: ptr };
  const unknown = Object.keys(p).filter((k) => k !== 'chain' && k !== 'feeds').sort();
  if (unknown.length > 0) return { error: `has unknown field(s) ${unknown.join(', ')} (tierkit writes chain and feeds only)`, pointer: `${ptr}/${unknown[0]}` };
  if (!Array.isArray(p.chain) || p.chain.length === 0) return { error: 'chain is not a non-empty list of tier names', pointer: `${ptr}/chain` };
  const bad = p.chain.findIndex((t) => !isName(t));
  if (bad >= 0) return { error: `chain[${bad}] is ${JSON.stringify(p.chain[bad])}, not a tier name`, pointer: `${ptr}/chain/${bad}` };
  if (!Array.isArray(p.feeds)) return { error: 'feeds is not a list', pointer: `${ptr}/feeds` };
  for (let i = 0; i < p.feeds.length; i++) {
    const f = p.feeds[i] as Record<string, unknown> | null;
    const keys = f && typeof f === 'object' && !Array.isArray(f) ? Object.keys(f).sort().join(',') : '';
    if (keys !== 'from,tier' || !isName(f!.tier) || !isName(f!.from)) return { error: `feeds[${i}] is ${JSON.stringify(f)}, not { tier, from } with tier names`, pointer: `${ptr}/feeds/${i}` };
  }
  return { chain: { chain: p.chain as string[], feeds: p.feeds as ManifestPromotionFeed[] } };
}

/** The chain as edges: the main line in order, then the feeds in declared order. */
export function chainEdges(c: ManifestPromotion): ChainEdge[] {
  const out: ChainEdge[] = [];
  for (let i = 1; i < c.chain.length; i++) out.push({ from: c.chain[i - 1], to: c.chain[i], pointer: `/estate/promotion/chain/${i}` });
  c.feeds.forEach((f, i) => out.push({ from: f.from, to: f.tier, pointer: `/estate/promotion/feeds/${i}` }));
  return out;
}

/** The tiers `to` is reached through from `from`, both included (undefined: it does not follow). */
export function chainPath(c: ManifestPromotion, from: string, to: string): string[] | undefined {
  if (from === to) return undefined;
  const edges = chainEdges(c);
  const seen = new Set<string>();
  const walk = (at: string): string[] | undefined => {
    if (at === to) return [at];
    if (seen.has(at)) return undefined;
    seen.add(at);
    for (const e of edges.filter((x) => x.from === at)) {
      const rest = walk(e.to);
      if (rest) return [at, ...rest];
    }
    return undefined;
  };
  return walk(from);
}

export interface ChainProblem {
  readonly pointer: string;
  readonly message: string;
  readonly fix: string;
}

/**
 * What is wrong with the chain against the estate's tiers: a tier the estate does not have, a tier
 * that hosts app-environments but is on no edge, a tier reached twice or the start reached, a
 * cycle, a live-data tier (prod) reached from a tier whose apply gate needs no human.
 */
export function chainProblems(c: ManifestPromotion, m: Manifest): ChainProblem[] {
  const out: ChainProblem[] = [];
  const tiers = new Map((m.tiers ?? []).map((t) => [t.name, t]));
  const edges = chainEdges(c);
  const named = [...c.chain.map((t, i) => ({ t, pointer: `/estate/promotion/chain/${i}` })),
    ...c.feeds.flatMap((f, i) => [{ t: f.tier, pointer: `/estate/promotion/feeds/${i}/tier` }, { t: f.from, pointer: `/estate/promotion/feeds/${i}/from` }])];
  for (const n of named) {
    if (!tiers.has(n.t)) out.push({ pointer: n.pointer, message: `names tier ${n.t}, which the estate does not have (tiers: ${[...tiers.keys()].join(', ')})`, fix: 'promote only along tiers the estate declares (Estate prop promotion)' });
  }
  const onChain = new Set(named.map((n) => n.t));
  const hosting = [...new Set((m.appEnvironments ?? []).filter((e) => e.kind === 'tier').map((e) => e.tier))].sort();
  for (const t of hosting) {
    if (!onChain.has(t)) out.push({ pointer: '/estate/promotion', message: `leaves out tier ${t}, which hosts app-environments: no release can be promoted into or out of it`, fix: `add Tier.${t.toUpperCase()} to the chain, or feed it from a tier (promotion.feeds)` });
  }
  const reached = new Map<string, string>();
  for (const e of edges) {
    if (reached.has(e.to)) out.push({ pointer: e.pointer, message: `reaches tier ${e.to} a second time (also at ${reached.get(e.to)}): a tier takes its release from one source`, fix: 'list each tier once, on the chain or as one feed' });
    else reached.set(e.to, e.pointer);
  }
  if (reached.has(c.chain[0])) out.push({ pointer: '/estate/promotion/chain/0', message: `starts at ${c.chain[0]}, which is also reached (at ${reached.get(c.chain[0])})`, fix: 'remove the edge into the first tier' });
  const cycle = findCycle(edges);
  if (cycle) out.push({ pointer: '/estate/promotion', message: `has a cycle ${cycle.join(' → ')}: a release would promote into the tier it came from`, fix: 'remove one edge of the cycle' });
  for (const e of edges) {
    const src = tiers.get(e.from);
    // Prod by data class (tiers.ts), never by name: a live tier under another name is held the same.
    if (isLiveTier(tiers, e.to) && src && src.applyGate?.human !== true) {
      out.push({ pointer: e.pointer, message: `reaches ${e.to} from ${e.from}, whose apply gate (${src.applyGate?.name ?? 'none'}) needs no human approval`, fix: `promote into ${e.to} (a tier holding live data) only from a human-gated tier (staging, preprod, or one whose applyGate needs approval)` });
    }
  }
  return out;
}

function findCycle(edges: readonly ChainEdge[]): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (t: string): string[] | undefined => {
    if (state.get(t) === 'open') return [...stack.slice(stack.indexOf(t)), t];
    if (state.get(t) === 'done') return undefined;
    state.set(t, 'open');
    stack.push(t);
    for (const e of edges.filter((x) => x.from === t)) {
      const c = visit(e.to);
      if (c) return c;
    }
    stack.pop();
    state.set(t, 'done');
    return undefined;
  };
  for (const e of edges) {
    const c = visit(e.from);
    if (c) return c;
  }
  return undefined;
}
