import type { Env, EstateGraph, Source } from '../../graph/types';

import type { Severity } from '../../../contract/findings';
import { isLiveTier } from '../../../contract/tiers';
export type { Severity };

/** What a rule may read besides the graph. Rules never read the clock or the environment. */
export interface RuleContext {
  /** Evaluation time (`--now`), for TTLs and expiry. */
  readonly now: Date;
  /**
   * Record a case the rule deliberately accepts (with why), so the report shows it next to the
   * estate's own reasoned exceptions instead of passing silently.
   */
  exempt(e: { subject: string; reason: string; source?: Source; env?: Env }): void;
}

export interface RuleFinding {
  readonly message: string;
  readonly source?: Source;
  /** The app-environment the finding belongs to (its suppressions apply). Defaults to the env that owns `source.file`. */
  readonly env?: Env;
  /** A fix specific to this finding; the rule's general fix otherwise. */
  readonly fix?: string;
  /**
   * Set when this finding of a suppressible rule crosses into a tier no suppression may accept
   * (e.g. a lower tier's policy reaching prod): why. The finding stays an error whatever is suppressed.
   */
  readonly unsuppressible?: string;
  /**
   * What the finding's subject reaches beyond its env, by tier (a server, a policy, a CIDR). The
   * engine — the one place that decides — keeps it unsuppressible when any is live-data or stricter.
   */
  readonly reaches?: readonly { readonly tier: string; readonly what: string }[];
}

export interface Rule {
  /** Stable id (`TK001`): reports, suppressions and SARIF refer to it; never reuse one. */
  readonly id: string;
  readonly name: string;
  readonly severity: Severity;
  readonly title: string;
  /** Why the rule exists: what breaks when it is violated. */
  readonly explanation: string;
  readonly fix: string;
  /** Rules guarding the isolation boundary itself cannot be suppressed. */
  readonly suppressible: boolean;
  evaluate(graph: EstateGraph, ctx: RuleContext): RuleFinding[];
}

/** The env of a Terraform stack or Kubernetes namespace, if the manifest knows it. */
export function envOfNamespace(g: EstateGraph, namespace: string | undefined): Env | undefined {
  return namespace ? g.index.byNamespace.get(namespace) : undefined;
}

export function isProd(g: EstateGraph, env: Env | undefined): boolean {
  return env !== undefined && isLiveTier(g.tiers, env.tier);
}

/**
 * Whether a finding of something in tier `from` reaching `what` in tier `to` crosses the line no
 * suppression may accept: `to` holds live data (prod), or is stricter than `from` (docs/design.md,
 * isolation layer 6: a lower tier's policy grants nothing under a prod path). Undefined when a
 * reasoned suppression may accept it.
 */
export function upwardReach(g: EstateGraph, from: string | undefined, to: string, what: string): string | undefined {
  const target = g.tiers.get(to);
  if (isLiveTier(g.tiers, to)) return `it reaches ${what}, of the live-data tier ${to}`;
  const own = from === undefined ? undefined : g.tiers.get(from);
  if (target && from !== to && (!own || target.rank > own.rank)) return `it reaches ${what}, of tier ${to}, stricter than ${from === undefined ? 'a policy of no tier' : `tier ${from}`}`;
  return undefined;
}

/**
 * What reaching `env` means for suppressibility: its own tier, and the tiers gating its stack and
 * its database's server — `erp-sandbox` is tier dev, but its database (a golden copy of prod's data)
 * is on the prod server and its stack applies behind the prod gate, so reaching it reaches prod.
 */
export function envReaches(g: EstateGraph, env: Env, what: string): { tier: string; what: string }[] {
  const out = [{ tier: env.tier, what }];
  const stackGate = g.manifest.stacks.find((s) => s.name === env.stack)?.gatingTier;
  if (stackGate !== undefined) out.push({ tier: stackGate, what: `${what}, whose stack tier ${stackGate} gates` });
  const serverGate = env.server === undefined ? undefined : g.servers.get(env.server)?.gatingTier;
  if (serverGate !== undefined) out.push({ tier: serverGate, what: `${what}, whose database is on a server tier ${serverGate} gates` });
  return out;
}

/** `upwardReach` for reaching `env`: its tier, or a tier gating its stack or its server (`envReaches`). */
export function upwardEnvReach(g: EstateGraph, from: string | undefined, env: Env, what: string): string | undefined {
  for (const r of envReaches(g, env, what)) {
    const why = upwardReach(g, from, r.tier, r.what);
    if (why) return why;
  }
  return undefined;
}

export function describeEnv(env: Env | undefined): string {
  return env ? `${env.slug} (tier ${env.tier})` : 'no declared app-environment';
}
