import { DataClass } from './enums';
import type { ValidationIssue } from './errors';
import { RolloutStrategy } from './releases';
import { Tier } from './tier';

/** One canary step (seed 001's `{ weight, pause_minutes }`). */
export interface CanaryStep {
  /** Share of the pods (and, without traffic routing, of the requests) on the new version, 1–100. */
  readonly weight: number;
  /** Minutes to wait at that weight before the next step; none on the final 100 %. @default 0 */
  readonly pauseMinutes?: number;
}

/** Seed 001's default: 5 % → 30 min → 20 % → 60 min → 50 % → 120 min → 100 %. */
export const DEFAULT_CANARY_STEPS: readonly CanaryStep[] = [
  { weight: 5, pauseMinutes: 30 }, { weight: 20, pauseMinutes: 60 }, { weight: 50, pauseMinutes: 120 }, { weight: 100 },
];

/** How one tier takes a promoted release. */
export interface TierDeliverySettings {
  readonly tier: Tier;
  /**
   * Strategies a promotion into this tier may use.
   * @default - prod: canary, blue_green; preprod and staging: all three; every other tier: immediate
   */
  readonly strategies?: readonly RolloutStrategy[];
  /** Canary steps of this tier's Rollouts; the last must be weight 100. @default DEFAULT_CANARY_STEPS */
  readonly canarySteps?: readonly CanaryStep[];
}

/** A tier fed from a declared source outside the main line (the demo tier from staging). */
export interface PromotionFeed {
  readonly tier: Tier;
  readonly from: Tier;
}

/** The estate's promotion chain: along which tiers a release moves, and how each tier takes it. */
export interface PromotionProps {
  /** The main line, in order. @default [LOCAL, CI, DEV, STAGING, PREPROD, PROD] */
  readonly chain?: readonly Tier[];
  /** Tiers fed from a source. @default [{ tier: Tier.DEMO, from: Tier.STAGING }] */
  readonly feeds?: readonly PromotionFeed[];
  /** Per-tier strategies and canary steps. @default - the built-in defaults of TierDeliverySettings */
  readonly tiers?: readonly TierDeliverySettings[];
}

export const DEFAULT_CHAIN: readonly Tier[] = [Tier.LOCAL, Tier.CI, Tier.DEV, Tier.STAGING, Tier.PREPROD, Tier.PROD];
export const DEFAULT_FEEDS: readonly PromotionFeed[] = [{ tier: Tier.DEMO, from: Tier.STAGING }];

function defaultStrategies(tier: Tier): readonly RolloutStrategy[] {
  if (tier === Tier.PROD) return [RolloutStrategy.CANARY, RolloutStrategy.BLUE_GREEN];
  if (tier === Tier.PREPROD || tier === Tier.STAGING) return RolloutStrategy.ALL;
  return [RolloutStrategy.IMMEDIATE];
}

/** The chain as edges: `from → to`. Deterministic (chain order, then feeds in declared order). */
export class PromotionChain {
  readonly chain: readonly Tier[];
  readonly feeds: readonly PromotionFeed[];
  private readonly settings: readonly TierDeliverySettings[];
  private readonly declared: { readonly chain: boolean; readonly feeds: boolean };

  constructor(props: PromotionProps = {}) {
    this.chain = props.chain ?? DEFAULT_CHAIN;
    this.feeds = props.feeds ?? DEFAULT_FEEDS;
    this.settings = props.tiers ?? [];
    this.declared = { chain: props.chain !== undefined, feeds: props.feeds !== undefined };
  }

  /**
   * The chain as written to the manifest for an estate running `tiers`: a defaulted chain or feed
   * list keeps the tiers in use only (an estate without a demo tier has no demo feed); a declared
   * one is written as declared, and TK143 judges it against the tiers.
   */
  inUse(tiers: readonly Tier[]): { chain: readonly Tier[]; feeds: readonly PromotionFeed[] } {
    const used = new Set(tiers);
    return {
      chain: this.declared.chain ? this.chain : this.chain.filter((t) => used.has(t)),
      feeds: this.declared.feeds ? this.feeds : this.feeds.filter((f) => used.has(f.tier) && used.has(f.from)),
    };
  }

  get edges(): { from: Tier; to: Tier }[] {
    const out: { from: Tier; to: Tier }[] = [];
    for (let i = 1; i < this.chain.length; i++) out.push({ from: this.chain[i - 1], to: this.chain[i] });
    for (const f of this.feeds) out.push({ from: f.from, to: f.tier });
    return out;
  }

  /** The tiers `to` is reached through, in order, when it follows `from` (undefined: it does not). */
  path(from: Tier, to: Tier): Tier[] | undefined {
    const seen = new Set<Tier>();
    const walk = (at: Tier): Tier[] | undefined => {
      if (at === to) return [at];
      if (seen.has(at)) return undefined;
      seen.add(at);
      for (const e of this.edges.filter((x) => x.from === at)) {
        const rest = walk(e.to);
        if (rest) return [at, ...rest];
      }
      return undefined;
    };
    return from === to ? undefined : walk(from);
  }

  strategies(tier: Tier): readonly RolloutStrategy[] {
    return this.settings.find((s) => s.tier === tier)?.strategies ?? defaultStrategies(tier);
  }

  canarySteps(tier: Tier): readonly CanaryStep[] {
    return this.settings.find((s) => s.tier === tier)?.canarySteps ?? DEFAULT_CANARY_STEPS;
  }

  /**
   * What is wrong with the chain: unknown tiers, a tier reached twice, a cycle, prod reachable
   * other than from a human-gated tier, bad steps. `humanGated` is the estate's effective gate.
   */
  issues(path: string, humanGated: (t: Tier) => boolean): ValidationIssue[] {
    const out: ValidationIssue[] = [];
    const add = (property: string, value: unknown, message: string, fix: string) => out.push({ path, property, value, message, fix });
    const tierFix = `use one of ${Tier.ALL.map((t) => `Tier.${t.name.toUpperCase()}`).join(', ')}`;
    this.chain.forEach((t, i) => { if (!(t instanceof Tier)) add(`promotion.chain[${i}]`, t, 'is not a tier', tierFix); });
    this.feeds.forEach((f, i) => {
      if (!(f?.tier instanceof Tier)) add(`promotion.feeds[${i}].tier`, f?.tier, 'is not a tier', tierFix);
      if (!(f?.from instanceof Tier)) add(`promotion.feeds[${i}].from`, f?.from, 'is not a tier', tierFix);
    });
    if (out.length > 0) return out;
    // Each tier has one source: a tier listed twice (or fed and on the line) would take two releases.
    const targets = new Map<Tier, string>();
    this.edges.forEach((e, i) => {
      const where = i < this.chain.length - 1 ? `promotion.chain[${i + 1}]` : `promotion.feeds[${i - (this.chain.length - 1)}].tier`;
      if (targets.has(e.to)) add(where, e.to.name, `is reached twice (also at ${targets.get(e.to)}): a tier takes its release from one source`, 'list each tier once, on the chain or as one feed');
      else targets.set(e.to, where);
    });
    if (this.chain.length > 0 && targets.has(this.chain[0])) {
      add('promotion.chain[0]', this.chain[0].name, `is the start of the chain but is also reached (at ${targets.get(this.chain[0])})`, 'remove the edge into the first tier');
    }
    const cycle = this.findCycle();
    if (cycle) add('promotion', cycle.map((t) => t.name).join(' → '), 'has a cycle: a release would promote into the tier it came from', 'remove one edge of the cycle');
    for (const e of this.edges) {
      // Prod by data class (contract/tiers.ts), never by name.
      if (e.to.defaults.data.includes(DataClass.LIVE) && !humanGated(e.from)) {
        add('promotion', `${e.from.name} → ${e.to.name}`, `reaches ${e.to.name} from ${e.from.name}, whose apply gate has no human approval`, `promote into ${e.to.name} (a tier holding live data) only from a human-gated tier (staging, preprod, or one whose applyGate needs approval)`);
      }
    }
    this.settings.forEach((s, i) => {
      const at = `promotion.tiers[${i}]`;
      if (!(s?.tier instanceof Tier)) { add(`${at}.tier`, s?.tier, 'is not a tier', tierFix); return; }
      (s.strategies ?? []).forEach((st, j) => {
        if (!(st instanceof RolloutStrategy)) add(`${at}.strategies[${j}]`, st, 'is not a rollout strategy', 'use RolloutStrategy.IMMEDIATE, CANARY or BLUE_GREEN');
      });
      if (s.strategies !== undefined && s.strategies.length === 0) add(`${at}.strategies`, [], 'allows no strategy: nothing could be promoted into the tier', 'list at least one strategy, or leave it out for the default');
      if (s.canarySteps !== undefined) out.push(...canaryStepsIssues(s.canarySteps).map((x) => ({ ...x, path, property: `${at}.canarySteps${x.property}` })));
    });
    return out;
  }

  private findCycle(): Tier[] | undefined {
    const state = new Map<Tier, 'open' | 'done'>();
    const stack: Tier[] = [];
    const visit = (t: Tier): Tier[] | undefined => {
      if (state.get(t) === 'open') return [...stack.slice(stack.indexOf(t)), t];
      if (state.get(t) === 'done') return undefined;
      state.set(t, 'open');
      stack.push(t);
      for (const e of this.edges.filter((x) => x.from === t)) {
        const c = visit(e.to);
        if (c) return c;
      }
      stack.pop();
      state.set(t, 'done');
      return undefined;
    };
    for (const e of this.edges) {
      const c = visit(e.from);
      if (c) return c;
    }
    return undefined;
  }
}

/** Weights strictly rising from 1 to a final 100 (without a pause), whole-minute pauses. */
export function canaryStepsIssues(steps: readonly CanaryStep[]): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  const add = (property: string, value: unknown, message: string, fix: string) => out.push({ path: '', property, value, message, fix });
  if (!Array.isArray(steps) || steps.length === 0) {
    add('', steps, 'is not a non-empty list of steps', 'e.g. [{ weight: 10, pauseMinutes: 30 }, { weight: 100 }]');
    return out;
  }
  let last = 0;
  steps.forEach((s, i) => {
    if (!Number.isInteger(s?.weight) || s.weight < 1 || s.weight > 100 || s.weight <= last) {
      add(`[${i}].weight`, s?.weight, `is not a whole percentage above the previous step's (${last}) and at most 100`, 'give rising weights, e.g. 5, 20, 50, 100');
    } else last = s.weight;
    if (s?.pauseMinutes !== undefined && (!Number.isInteger(s.pauseMinutes) || s.pauseMinutes < 0 || s.pauseMinutes > 7 * 24 * 60)) {
      add(`[${i}].pauseMinutes`, s.pauseMinutes, 'is not a whole number of minutes from 0 to 10080 (a week)', 'e.g. 30');
    }
  });
  const final = steps[steps.length - 1];
  if (final?.weight !== 100) add(`[${steps.length - 1}].weight`, final?.weight, 'is not 100: the rollout would never finish on the new version', 'end with { weight: 100 }');
  else if ((final.pauseMinutes ?? 0) > 0) add(`[${steps.length - 1}].pauseMinutes`, final.pauseMinutes, 'pauses after the final step, where nothing is left to wait for', 'leave pauseMinutes out of the last step');
  return out;
}
