import { ApplyGate, EgressPolicy } from './enums';
import { SecretTtl, Tier, TierDefaults } from './tier';

/** An estate's adjustments to one built-in tier. Tightening is free; loosening needs `reason`. */
export interface TierSettings {
  readonly tier: Tier;
  /** @default - the tier's secret TTLs */
  readonly secretTtl?: SecretTtl;
  /** @default - the tier's apply gate */
  readonly applyGate?: ApplyGate;
  /** @default - the tier's egress policy */
  readonly egress?: EgressPolicy;
  /**
   * CIDRs a namespace of this tier may reach when egress is allow-listed. Each widens the tier's egress: a loosening that
   * needs `reason`, and none may overlap a Postgres server of a stricter tier (TK115). @default - none
   */
  readonly egressAllowList?: readonly string[];
  /** @default - the tier's sandbox maximum (168 hours on most tiers) */
  readonly sandboxMaxTtlHours?: number;
  /** Why a setting is looser than the built-in default. Required for any loosening. @default - none */
  readonly reason?: string;
}

/** A loosening the estate declared on purpose; the manifest carries it to the policy report. */
export interface TierException {
  readonly property: string;
  readonly defaultValue: string;
  readonly value: string;
  readonly reason: string;
}

/** The tier as this estate runs it: defaults, then the estate's settings. */
export interface EffectiveTier {
  readonly tier: Tier;
  readonly config: TierDefaults;
  readonly egressAllowList: readonly string[];
  /** Loosenings (each with `reason`); the validator refuses unreasoned ones. */
  readonly loosenings: readonly Omit<TierException, 'reason'>[];
  readonly reason?: string;
}

export function effectiveTier(tier: Tier, settings?: TierSettings): EffectiveTier {
  const d = tier.defaults;
  const s = settings ?? { tier };
  const config: TierDefaults = {
    ...d,
    secretTtl: s.secretTtl ?? d.secretTtl,
    applyGate: s.applyGate ?? d.applyGate,
    egress: s.egress ?? d.egress,
    sandboxMaxTtlHours: s.sandboxMaxTtlHours ?? d.sandboxMaxTtlHours,
  };
  const loosenings: Omit<TierException, 'reason'>[] = [];
  const looser = (property: string, before: string, after: string, isLooser: boolean) => {
    if (isLooser) loosenings.push({ property, defaultValue: before, value: after });
  };
  looser('secretTtl.defaultSeconds', String(d.secretTtl.defaultSeconds), String(config.secretTtl.defaultSeconds),
    config.secretTtl.defaultSeconds > d.secretTtl.defaultSeconds);
  looser('secretTtl.maxSeconds', String(d.secretTtl.maxSeconds), String(config.secretTtl.maxSeconds),
    config.secretTtl.maxSeconds > d.secretTtl.maxSeconds);
  looser('applyGate', d.applyGate.name, config.applyGate.name, config.applyGate.rank < d.applyGate.rank);
  looser('egress', d.egress.name, config.egress.name, config.egress.rank < d.egress.rank);
  looser('sandboxMaxTtlHours', String(d.sandboxMaxTtlHours), String(config.sandboxMaxTtlHours),
    config.sandboxMaxTtlHours > d.sandboxMaxTtlHours);
  const egressAllowList = [...(s.egressAllowList ?? [])].sort();
  // No built-in tier lists a destination: every CIDR a tier that is not `deny` opens widens its egress.
  looser('egressAllowList', 'none', egressAllowList.join(', '), config.egress !== EgressPolicy.DENY && egressAllowList.length > 0);
  return { tier, config, egressAllowList, loosenings, reason: s.reason };
}
