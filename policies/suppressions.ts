import { MIN_REASON_LENGTH, isReason } from '../contract/tiers';
import type { Env, EstateGraph } from './graph/types';
import type { Finding, ReasonedException, RuleSummary } from './report/finding';
import { upwardReach } from './rules/support/rule';
import type { Rule, RuleFinding } from './rules/support/rule';

/**
 * Suppressions: which may be declared, which finding each accepts, and the engine's findings
 * about the suppressions themselves (TK100–TK103). The engine calls `matchSuppressions` once,
 * after every rule ran.
 */

/** Findings about the suppressions and exceptions themselves; the engine raises them. */
export const ENGINE_RULES: readonly RuleSummary[] = [
  {
    id: 'TK100', name: 'suppression-not-allowed', severity: 'error', suppressible: false,
    title: 'A suppression names a rule that cannot be suppressed',
    explanation: 'The rules marked unsuppressible in docs/policies.md (TK001–TK005, TK009, TK010, TK014, TK020, TK022, TK030, TK038–TK040, TK058, TK070–TK072 and later ones) guard the isolation boundary itself; accepting a violation of one means there is no boundary. '
      + 'Nor can any suppression, whatever the rule, accept a finding whose subject reaches a live-data (prod) tier or a stricter tier than the env\'s own: '
      + 'an env of such a tier, an env whose stack is gated by one (its database is on that tier\'s server), or a policy, role or egress the rule shows reaching one.',
    fix: 'Remove the suppression and fix the finding.',
  },
  {
    id: 'TK101', name: 'suppression-unused', severity: 'warning', suppressible: false,
    title: 'A suppression matches no finding',
    explanation: 'A stale suppression would silently accept the next, unrelated violation of that rule on the env.',
    fix: 'Remove the suppression (or correct its rule id).',
  },
  {
    id: 'TK103', name: 'suppression-unknown-rule', severity: 'error', suppressible: false,
    title: 'A suppression names no tierkit rule',
    explanation: 'A mistyped rule id (`TK06`) suppresses nothing, while its author believes a finding is accepted — or, once a rule with that id exists, accepts something nobody reviewed.',
    fix: 'Correct the rule id (docs/policies.md lists them), or remove the suppression.',
  },
  {
    id: 'TK102', name: 'exception-unreasoned', severity: 'error', suppressible: false,
    title: 'A declared exception or suppression has no reason',
    explanation: `Every loosening must say why (at least ${MIN_REASON_LENGTH} characters), so a reviewer can judge it.`,
    fix: 'Give the reason on the tier settings, the sandbox, or addSuppression().',
  },
];

export function engineRule(id: string): RuleSummary {
  return ENGINE_RULES.find((r) => r.id === id)!;
}

/**
 * The one place that decides whether a finding may be suppressed at all, for every rule: never when
 * its subject reaches a live-data tier or a tier stricter than its env's — what the rule says it
 * reaches, the env itself, or the tier gating the env's stack (the server its database is on).
 */
export function unsuppressibleReason(g: EstateGraph, f: RuleFinding, env: Env | undefined): string | undefined {
  if (f.unsuppressible) return f.unsuppressible;
  const from = env?.tier;
  for (const r of f.reaches ?? []) {
    const why = upwardReach(g, from, r.tier, r.what);
    if (why) return why;
  }
  if (!env) return undefined;
  const own = upwardReach(g, from, env.tier, `env ${env.slug}`);
  if (own) return own;
  // The stack's gate and the server's, so that neither entry alone can lower the bar.
  const gates = [g.manifest.stacks.find((s) => s.name === env.stack)?.gatingTier, env.server === undefined ? undefined : g.servers.get(env.server)?.gatingTier];
  for (const gate of gates) {
    const why = gate === undefined ? undefined : upwardReach(g, from, gate, `the server of ${env.slug}'s database, whose stacks tier ${gate} gates`);
    if (why) return why;
  }
  return undefined;
}

/** A rule's finding before suppressions: its env, and why it cannot be suppressed (if it cannot). */
export type RawFinding = Finding & { envRef?: Env; unsuppressible?: string };

/**
 * Match every declared suppression (`appEnvironments[].suppressions` of the manifest) to the raw
 * findings of its rule on its env: each accepted finding is marked suppressed (in place, in
 * `raw`) and recorded as a reasoned exception; the findings about the suppressions themselves are
 * returned — no reason (TK102), an unsuppressible rule or finding (TK100), an unknown rule
 * (TK103), nothing to accept (TK101).
 */
export function matchSuppressions(g: EstateGraph, raw: RawFinding[], rules: readonly Rule[], exceptions: ReasonedException[]): Finding[] {
  const findings: Finding[] = [];
  const byId = new Map(rules.map((r) => [r.id, r]));
  const known = new Set([...byId.keys(), ...ENGINE_RULES.map((r) => r.id)]);
  g.envs.forEach((env, i) => {
    const source = { file: 'manifest.json', constructPath: env.constructPath };
    (env.suppressions ?? []).forEach((s, j) => {
      const pointer = `/appEnvironments/${i}/suppressions/${j}`;
      const rule = byId.get(s.ruleId);
      const base = { ...source, pointer, env: env.slug };
      if (!isReason(s.reason)) {
        findings.push({ ...base, ruleId: 'TK102', ruleName: 'exception-unreasoned', severity: 'error', fix: engineRule('TK102').fix,
          message: `suppression of ${s.ruleId} on ${env.slug} has no reason (at least ${MIN_REASON_LENGTH} characters)` });
        return;
      }
      if (rule && !rule.suppressible) {
        findings.push({ ...base, ruleId: 'TK100', ruleName: 'suppression-not-allowed', severity: 'error', fix: engineRule('TK100').fix,
          message: `${env.slug} suppresses ${s.ruleId} (${rule.name}), which cannot be suppressed; its findings stay errors` });
        return;
      }
      const candidates = raw.filter((f) => f.ruleId === s.ruleId && f.envRef === env && !f.suppressed);
      const matched = candidates.filter((f) => !f.unsuppressible);
      for (const f of candidates.filter((x) => x.unsuppressible)) {
        findings.push({ ...base, ruleId: 'TK100', ruleName: 'suppression-not-allowed', severity: 'error', fix: engineRule('TK100').fix,
          message: `${env.slug} suppresses ${s.ruleId}, which cannot accept this finding because ${f.unsuppressible}; it stays an error: ${f.message}` });
      }
      if (!known.has(s.ruleId)) {
        findings.push({ ...base, ruleId: 'TK103', ruleName: 'suppression-unknown-rule', severity: 'error', fix: engineRule('TK103').fix,
          message: `${env.slug} suppresses "${s.ruleId}", which is no tierkit rule` });
        return;
      }
      if (matched.length === 0) {
        if (candidates.length > 0) return;
        findings.push({ ...base, ruleId: 'TK101', ruleName: 'suppression-unused', severity: 'warning', fix: engineRule('TK101').fix,
          message: `${env.slug} suppresses ${s.ruleId}, but the rule finds nothing there` });
        return;
      }
      for (const f of matched) Object.assign(f, { suppressed: { reason: s.reason } });
      exceptions.push({ kind: 'suppression', subject: `env ${env.slug}`, property: s.ruleId, value: `${matched.length} finding${matched.length === 1 ? '' : 's'}`, reason: s.reason, constructPath: env.constructPath });
    });
  });
  return findings;
}
