/**
 * Closed sets of the tier model, as enum-like classes: each member carries what the synthesizer
 * and the policy rules need (a strictness rank, whether a human approves).
 */

export class ApplyGate {
  /** Applied by the developer on their own machine; no CI apply. */
  static readonly NONE = new ApplyGate('none', 0, 0, false);
  static readonly AUTOMATIC = new ApplyGate('automatic', 1, 0, false);
  static readonly AUTOMATIC_ON_MERGE = new ApplyGate('automatic-on-merge', 2, 0, false);
  static readonly ONE_APPROVAL = new ApplyGate('one-approval', 3, 1, true);
  static readonly RELEASE_MANAGERS = new ApplyGate('release-managers', 4, 1, true);
  static readonly TWO_APPROVALS = new ApplyGate('two-approvals', 5, 2, true);

  static readonly ALL: readonly ApplyGate[] = [
    ApplyGate.NONE, ApplyGate.AUTOMATIC, ApplyGate.AUTOMATIC_ON_MERGE,
    ApplyGate.ONE_APPROVAL, ApplyGate.RELEASE_MANAGERS, ApplyGate.TWO_APPROVALS,
  ];

  private constructor(
    readonly name: string,
    /** Higher is stricter; a stack is gated by the strictest gate its credential reaches. */
    readonly rank: number,
    readonly requiredReviewers: number,
    readonly human: boolean,
  ) {}

  static of(name: string): ApplyGate | undefined {
    return ApplyGate.ALL.find((g) => g.name === name);
  }

  static strictest(gates: readonly ApplyGate[]): ApplyGate {
    return gates.reduce((a, b) => (b.rank > a.rank ? b : a), ApplyGate.NONE);
  }

  toString(): string {
    return this.name;
  }
}

export class EgressPolicy {
  static readonly DENY = new EgressPolicy('deny', 2);
  static readonly ALLOW_LISTED = new EgressPolicy('allow-listed', 1);
  static readonly PROD_ALLOW_LIST = new EgressPolicy('prod-allow-list', 1);
  static readonly ALL: readonly EgressPolicy[] = [EgressPolicy.DENY, EgressPolicy.ALLOW_LISTED, EgressPolicy.PROD_ALLOW_LIST];

  private constructor(readonly name: string, /** higher is tighter */ readonly rank: number) {}

  static of(name: string): EgressPolicy | undefined {
    return EgressPolicy.ALL.find((e) => e.name === name);
  }

  toString(): string {
    return this.name;
  }
}

/** What data a tier may hold; a seed profile needs its class allowed by the tier. */
export class DataClass {
  static readonly SYNTHETIC = new DataClass('synthetic', 0);
  static readonly SANITIZED = new DataClass('sanitized', 1);
  static readonly LIVE = new DataClass('live', 2);
  static readonly ALL: readonly DataClass[] = [DataClass.SYNTHETIC, DataClass.SANITIZED, DataClass.LIVE];

  private constructor(readonly name: string, /** higher is more sensitive */ readonly sensitivity: number) {}

  static of(name: string): DataClass | undefined {
    return DataClass.ALL.find((d) => d.name === name);
  }

  toString(): string {
    return this.name;
  }
}

export class FlagsDefault {
  static readonly ON = new FlagsDefault('on');
  static readonly TOGGLEABLE = new FlagsDefault('toggleable');
  static readonly AS_PROD = new FlagsDefault('as-prod');
  static readonly OPINIONATED = new FlagsDefault('opinionated');
  static readonly OFF = new FlagsDefault('off');

  private constructor(readonly name: string) {}

  toString(): string {
    return this.name;
  }
}

export class SandboxKind {
  static readonly ENGINEER = new SandboxKind('engineer');
  static readonly TEAM = new SandboxKind('team');
  static readonly BRANCH = new SandboxKind('branch');
  /** The per-app `sandbox` env of the decision record (`erp-sandbox`). */
  static readonly APP = new SandboxKind('app');

  private constructor(readonly name: string) {}

  toString(): string {
    return this.name;
  }
}

/**
 * How a sandbox's reset brings its database back to the seed. RESTORE (the default, the decision
 * record's day-one path): DROP OWNED BY the group, pg_restore, with the sandbox's own credential.
 * TEMPLATE (issue 19, opt-in for size): DROP DATABASE and CREATE DATABASE … TEMPLATE its golden,
 * as a per-sandbox CREATEDB role that owns only the golden and is a member of the sandbox's group
 * (constructs/lifecycle/template-reset.ts). Synth provisions the role and golden; the reset Job's
 * login is not built yet (docs/sandboxes.md, section 9).
 */
export class SandboxReset {
  static readonly RESTORE = new SandboxReset('restore');
  static readonly TEMPLATE = new SandboxReset('template');

  private constructor(readonly name: string) {}

  toString(): string {
    return this.name;
  }
}

/** How a sandbox's database is filled: `synthetic:<version>`, `sanitized:<name>` or `golden` (iso-prod). */
export class SeedProfile {
  static readonly SYNTHETIC_V1 = new SeedProfile('synthetic:v1', DataClass.SYNTHETIC);

  /**
   * The synthetic seed of that version (`synthetic:v2`): the app must declare that version's
   * generator (App.synthetic); only `v1` may be produced outside tierkit.
   */
  static synthetic(version: string): SeedProfile {
    return version === 'v1' ? SeedProfile.SYNTHETIC_V1 : new SeedProfile(`synthetic:${version}`, DataClass.SYNTHETIC);
  }
  /** An iso-prod copy of the prod database: an explicit, reasoned opt-in. */
  static readonly GOLDEN = new SeedProfile('golden', DataClass.LIVE);

  static sanitized(name: string): SeedProfile {
    return new SeedProfile(`sanitized:${name}`, DataClass.SANITIZED);
  }

  private constructor(readonly name: string, readonly dataClass: DataClass) {}

  toString(): string {
    return this.name;
  }
}
