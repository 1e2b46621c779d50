import { Construct } from 'constructs';
import { SeedProfile } from './enums';
import { Tier } from './tier';
import { claimId } from './duplicates';
import { propTypes, Types } from './prop-types';
import { checkProps, childPath, recordIssues, recordProps } from './props';

/** A sandbox whose lifetime goes past this many hours needs a reason and is flagged for approval in the PR comment. */
export const APPROVAL_TTL_HOURS = 7 * 24;

export interface SandboxTemplateProps {
  /** The tier its sandboxes live on. Never prod. */
  readonly tier: Tier;
  /** TTL of a sandbox that names none. @default 72 */
  readonly defaultTtlHours?: number;
  /**
   * Longest lifetime (hours from createdAt) any sandbox of this template may have, extensions
   * included. Past 7 days a sandbox also needs a reason. @default 336 (14 days)
   */
  readonly maxTtlHours?: number;
  /** Seed profiles its sandboxes may use; the first is the default. @default [SeedProfile.SYNTHETIC_V1] */
  readonly seeds?: readonly SeedProfile[];
  /** Whether its sandboxes may follow the tier's egress allow list; otherwise they reach only the platform (database, Vault). @default false */
  readonly egress?: boolean;
  /** Flag values over the app's defaults, before the sandbox's own. @default - none */
  readonly flags?: Readonly<Record<string, boolean>>;
}

export const SANDBOX_TEMPLATE_PROPS = propTypes<SandboxTemplateProps>()({
  tier: Types.instance(Tier, 'Tier.DEV'), defaultTtlHours: Types.number, maxTtlHours: Types.number,
  seeds: Types.list(Types.instance(SeedProfile, 'SeedProfile.SYNTHETIC_V1')), egress: Types.boolean, flags: Types.record(Types.boolean),
});

/** A named, approved preset for sandboxes (seed 002's `--template feature-default`), declared in the estate. */
export class SandboxTemplate extends Construct {
  readonly templateName: string;
  readonly tier: Tier;
  readonly defaultTtlHours: number;
  readonly maxTtlHours: number;
  readonly seeds: readonly SeedProfile[];
  readonly egress: boolean;
  readonly flags: Readonly<Record<string, boolean>>;

  constructor(scope: Construct, id: string, declared: SandboxTemplateProps) {
    const { props, issues } = checkProps<SandboxTemplateProps>(childPath(scope, id), declared, SANDBOX_TEMPLATE_PROPS, ['tier']);
    super(claimId(scope, id, 'template', 'give each sandbox template its own name'), id);
    recordIssues(this, issues);
    recordProps(this, props, SANDBOX_TEMPLATE_PROPS);
    this.templateName = id;
    this.tier = props.tier;
    this.defaultTtlHours = props.defaultTtlHours ?? 72;
    this.maxTtlHours = props.maxTtlHours ?? 2 * APPROVAL_TTL_HOURS;
    this.seeds = props.seeds ?? [SeedProfile.SYNTHETIC_V1];
    this.egress = props.egress ?? false;
    this.flags = props.flags ?? {};
  }

  allowsSeed(seed: SeedProfile): boolean {
    return this.seeds.some((s) => s.name === seed.name);
  }
}
