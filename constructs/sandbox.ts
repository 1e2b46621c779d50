import type { App } from './app';
import { AppEnvironment } from './app-environment';
import { SandboxKind, SandboxReset, SeedProfile } from './enums';
import { PostgresServer } from './postgres-server';
import { Tier } from './tier';
import { SandboxTemplate } from './sandbox-template';
import { propTypes, Types } from './prop-types';
import { checkProps, childPath, recordIssues, recordProps } from './props';

/** Where a data-file sandbox is declared: the file (relative, `sandboxes/shop/bob.json`) and whether tierkit wrote it. */
export interface SandboxFileOrigin {
  readonly file: string;
  readonly managed: boolean;
}

export interface SandboxProps {
  /** The tier whose defaults (secrets, egress, data policy, TTL limits) the sandbox follows. Never prod. */
  readonly tier: Tier;
  readonly kind: SandboxKind;
  /** Who answers for it: an engineer, a team or a branch's author. Quotas count per owner. */
  readonly owner: string;
  /** When the sandbox was declared, as an ISO-8601 date or date-time (UTC); its TTL counts from here. */
  readonly createdAt: string;
  /** @default - the tier's sandbox default (72 hours on most tiers) */
  readonly ttlHours?: number;
  /** @default SeedProfile.SYNTHETIC_V1 */
  readonly seed?: SeedProfile;
  /**
   * Why this sandbox needs more than its tier allows: a `golden` (iso-prod) seed, a TTL over the
   * tier's maximum. At least 10 characters. @default - none
   */
  readonly reason?: string;
  /** Feature flag values, over the app's defaults. @default - the app's defaults */
  readonly flags?: Readonly<Record<string, boolean>>;
  /** @default - the server that hosts `tier` */
  readonly server?: PostgresServer;
  /** The approved preset it is made from: its TTL limits, seeds, egress and flags apply. @default - none (the tier's limits only) */
  readonly template?: SandboxTemplate;
  /** Whether it follows its tier's egress allow list; only a template with `egress: true` allows it. @default - the template's (true without a template: the tier's) */
  readonly egress?: boolean;
  /**
   * SandboxReset.TEMPLATE: the sandbox's stack gets its template role (NOLOGIN CREATEDB, member of
   * its group) and closed golden database, judged by TK128, TK129 and TK137, for the template reset
   * (lifecycle/template-reset.ts). Its reset CronJob still runs the pg_restore reset until the Job's
   * login is built (docs/sandboxes.md, section 9).
   * @default SandboxReset.RESTORE (DROP OWNED BY + pg_restore, with the sandbox's own credential)
   */
  readonly reset?: SandboxReset;
}

export const SANDBOX_PROPS = propTypes<SandboxProps>()({
  tier: Types.instance(Tier, 'Tier.DEV'), kind: Types.instance(SandboxKind, 'SandboxKind.ENGINEER'), owner: Types.string, createdAt: Types.string,
  ttlHours: Types.number, seed: Types.instance(SeedProfile, 'SeedProfile.SYNTHETIC_V1'), reason: Types.string, flags: Types.record(Types.boolean),
  server: Types.instance(PostgresServer, "estate.servers.find((s) => s.serverId === 'nonprod-pg')"),
  template: Types.instance(SandboxTemplate, "new SandboxTemplate(estate, 'feature-default', { tier: Tier.DEV })"), egress: Types.boolean,
  reset: Types.instance(SandboxReset, 'SandboxReset.TEMPLATE'),
});

/** A disposable environment of one app: per engineer, team, branch, or the app's `sandbox` env. */
export class Sandbox extends AppEnvironment {
  readonly kind: SandboxKind;
  readonly owner: string;
  readonly createdAt: string;
  readonly declaredTtlHours?: number;
  readonly seed: SeedProfile;
  readonly reason?: string;
  readonly flagOverrides: Readonly<Record<string, boolean>>;
  readonly template?: SandboxTemplate;
  readonly requestedEgress?: boolean;
  readonly reset: SandboxReset;
  /** Set by `loadSandboxFiles`: the data file that declares it (`sandboxes/<app>/<name>.json`). */
  declaredIn?: SandboxFileOrigin;

  constructor(scope: App, id: string, declared: SandboxProps) {
    const { props, issues } = checkProps<SandboxProps>(childPath(scope, id), declared, SANDBOX_PROPS, ['tier', 'kind', 'owner', 'createdAt']);
    super(scope, id, { tier: props.tier, server: props.server });
    recordIssues(this, issues);
    recordProps(this, props, SANDBOX_PROPS);
    this.kind = props.kind;
    this.owner = props.owner;
    this.createdAt = props.createdAt;
    this.declaredTtlHours = props.ttlHours;
    this.template = props.template;
    this.seed = props.seed ?? props.template?.seeds[0] ?? SeedProfile.SYNTHETIC_V1;
    this.reason = props.reason;
    this.flagOverrides = { ...props.template?.flags, ...props.flags };
    this.requestedEgress = props.egress;
    this.reset = props.reset ?? SandboxReset.RESTORE;
  }

  /** Egress beyond the platform's destinations: only when its template allows it (no template: the tier's). */
  override get egressAllowed(): boolean {
    return this.requestedEgress ?? (this.template ? this.template.egress : true);
  }

  override get isSandbox(): boolean {
    return true;
  }

  override get resetSeedName(): string {
    return this.seed.name;
  }

  get ttlHours(): number {
    return this.declaredTtlHours ?? this.template?.defaultTtlHours ?? this.estate.tier(this.tier).config.sandboxDefaultTtlHours;
  }

  /** ISO-8601 instant after which the sandbox is expired; undefined on invalid input. */
  get expiresAt(): string | undefined {
    const created = Date.parse(this.createdAt);
    if (Number.isNaN(created) || !(this.ttlHours > 0)) return undefined;
    return new Date(created + this.ttlHours * 3_600_000).toISOString();
  }
}
