import { propTypes, Types } from './prop-types';
import { Tier } from './tier';

/** A removed stack whose state its gating tier's applier keeps until the destroy ran (estate `retiredStacks`). */
export interface RetiredStack {
  /** The stack's name as it was synthesized (`dist/terraform/<stack>`; state key `naming.stackStateKey` of the tier and server the entry names). */
  readonly stack: string;
  /** The tier that gated it when it was removed: its applier keeps the state key. */
  readonly tier: Tier;
  /**
   * The id of the PostgreSQL server an app-environment stack reached: the destroy logs in with its
   * admin credential, and the tier must be at least as strict as the server's gating tier.
   * @default - none: a platform stack, whose key platform-admin keeps
   */
  readonly server?: string;
  /** Why it is retired and what is left to do (e.g. "shop decommissioned, PR #412; destroy pending"). */
  readonly reason: string;
}

/** A retired stack as the estate resolved it. */
export interface ResolvedRetiredStack {
  readonly stack: string;
  readonly tier: Tier;
  readonly server?: string;
  readonly reason: string;
}

export const RETIRED_STACK = propTypes<RetiredStack>()({ stack: Types.string, tier: Types.instance(Tier, 'Tier.PROD'), server: Types.string, reason: Types.string });
