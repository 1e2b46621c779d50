import { ApplyGate, DataClass, EgressPolicy, FlagsDefault } from './enums';

export interface SecretTtl {
  /** Default lease of a dynamic credential, in seconds. */
  readonly defaultSeconds: number;
  /** Longest lease a dynamic credential may be renewed to, in seconds. */
  readonly maxSeconds: number;
}

/** The defaults of one tier (docs/design.md, Tiers). */
export interface TierDefaults {
  /** Data classes this tier may hold; a seed outside them needs a reasoned exception. */
  readonly data: readonly DataClass[];
  readonly secretTtl: SecretTtl;
  readonly egress: EgressPolicy;
  readonly applyGate: ApplyGate;
  readonly flagsDefault: FlagsDefault;
  /** Sandboxes in this tier: default TTL in hours. */
  readonly sandboxDefaultTtlHours: number;
  /** Sandboxes in this tier: longest TTL in hours without a reason. */
  readonly sandboxMaxTtlHours: number;
  /** Whether sandboxes may live in this tier at all. */
  readonly allowsSandboxes: boolean;
  /** Cron schedule of the automatic data reset, if the tier has one. */
  readonly resetSchedule?: string;
}

const HOUR = 3600;

/**
 * The seven built-in tiers. An estate may tighten a tier's defaults (`TierSettings`); loosening
 * one needs an explicit reason, which the artifacts carry and the policy report shows.
 */
export class Tier {
  static readonly LOCAL = new Tier('local', 0, {
    data: [DataClass.SYNTHETIC], secretTtl: { defaultSeconds: 1 * HOUR, maxSeconds: 4 * HOUR },
    egress: EgressPolicy.DENY, applyGate: ApplyGate.NONE, flagsDefault: FlagsDefault.ON,
    sandboxDefaultTtlHours: 72, sandboxMaxTtlHours: 168, allowsSandboxes: true,
  });
  static readonly CI = new Tier('ci', 1, {
    data: [DataClass.SYNTHETIC], secretTtl: { defaultSeconds: HOUR / 4, maxSeconds: 1 * HOUR },
    egress: EgressPolicy.DENY, applyGate: ApplyGate.AUTOMATIC, flagsDefault: FlagsDefault.ON,
    sandboxDefaultTtlHours: 24, sandboxMaxTtlHours: 72, allowsSandboxes: true,
  });
  static readonly DEV = new Tier('dev', 2, {
    data: [DataClass.SYNTHETIC, DataClass.SANITIZED], secretTtl: { defaultSeconds: 1 * HOUR, maxSeconds: 8 * HOUR },
    egress: EgressPolicy.ALLOW_LISTED, applyGate: ApplyGate.AUTOMATIC_ON_MERGE, flagsDefault: FlagsDefault.TOGGLEABLE,
    sandboxDefaultTtlHours: 72, sandboxMaxTtlHours: 168, allowsSandboxes: true,
  });
  static readonly DEMO = new Tier('demo', 3, {
    data: [DataClass.SYNTHETIC], secretTtl: { defaultSeconds: 1 * HOUR, maxSeconds: 4 * HOUR },
    egress: EgressPolicy.DENY, applyGate: ApplyGate.AUTOMATIC, flagsDefault: FlagsDefault.OPINIONATED,
    sandboxDefaultTtlHours: 72, sandboxMaxTtlHours: 168, allowsSandboxes: true, resetSchedule: '0 * * * *',
  });
  static readonly STAGING = new Tier('staging', 4, {
    data: [DataClass.SANITIZED], secretTtl: { defaultSeconds: 1 * HOUR, maxSeconds: 24 * HOUR },
    egress: EgressPolicy.ALLOW_LISTED, applyGate: ApplyGate.ONE_APPROVAL, flagsDefault: FlagsDefault.AS_PROD,
    sandboxDefaultTtlHours: 72, sandboxMaxTtlHours: 168, allowsSandboxes: true,
  });
  static readonly PREPROD = new Tier('preprod', 5, {
    data: [DataClass.SANITIZED], secretTtl: { defaultSeconds: 1 * HOUR, maxSeconds: 24 * HOUR },
    egress: EgressPolicy.ALLOW_LISTED, applyGate: ApplyGate.RELEASE_MANAGERS, flagsDefault: FlagsDefault.AS_PROD,
    sandboxDefaultTtlHours: 72, sandboxMaxTtlHours: 168, allowsSandboxes: true,
  });
  static readonly PROD = new Tier('prod', 6, {
    data: [DataClass.LIVE], secretTtl: { defaultSeconds: 1 * HOUR, maxSeconds: 24 * HOUR },
    egress: EgressPolicy.PROD_ALLOW_LIST, applyGate: ApplyGate.TWO_APPROVALS, flagsDefault: FlagsDefault.OFF,
    sandboxDefaultTtlHours: 0, sandboxMaxTtlHours: 0, allowsSandboxes: false,
  });

  /** In order of strictness. */
  static readonly ALL: readonly Tier[] = [
    Tier.LOCAL, Tier.CI, Tier.DEV, Tier.DEMO, Tier.STAGING, Tier.PREPROD, Tier.PROD,
  ];

  private constructor(
    readonly name: string,
    /** Higher is stricter; also the order tiers appear in reports. */
    readonly rank: number,
    readonly defaults: TierDefaults,
  ) {}

  static of(name: string): Tier | undefined {
    return Tier.ALL.find((t) => t.name === name);
  }

  get isProd(): boolean {
    return this === Tier.PROD;
  }

  toString(): string {
    return this.name;
  }
}
