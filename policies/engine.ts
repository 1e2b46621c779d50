import { compareStrings } from '../contract/order';
import { MIN_REASON_LENGTH, isReason } from '../contract/tiers';
import { DistReadError, readDist } from '../contract/read';
import { buildGraph } from './graph/build';
import { loadSqlParser } from './graph/sql';
import type { Env, EstateGraph } from './graph/types';
import { CheckReport, Finding, ReasonedException, RuleSummary, compareFindings } from './report/finding';
import { RULES } from './rules';
import { upwardReach } from './rules/rule';
import type { Rule, RuleContext, RuleFinding } from './rules/rule';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const VERSION: string = require('../package.json').version;

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

function engineRule(id: string): RuleSummary {
  return ENGINE_RULES.find((r) => r.id === id)!;
}

export interface CheckOptions {
  /** Evaluation time (TTL expiry). Callers pass it; rules never read the clock. */
  readonly now: Date;
  /** @default RULES */
  readonly rules?: readonly Rule[];
}

function summaryOf(r: Rule): RuleSummary {
  return { id: r.id, name: r.name, title: r.title, severity: r.severity, explanation: r.explanation, fix: r.fix, suppressible: r.suppressible };
}

function withReason(why: string | undefined): { unsuppressible?: string } {
  return why === undefined ? {} : { unsuppressible: why };
}

function hasReason(reason: unknown): boolean {
  return isReason(reason);
}

/** Every reasoned exception the manifest declares: tier loosenings and per-env exceptions. */
function declaredExceptions(g: EstateGraph): ReasonedException[] {
  const out: ReasonedException[] = [];
  for (const t of g.tiers.values()) {
    for (const e of t.exceptions ?? []) {
      out.push({ kind: 'tier', subject: `tier ${t.name}`, property: e.property, value: e.value, defaultValue: e.defaultValue, reason: e.reason });
    }
  }
  for (const env of g.envs) {
    for (const e of env.exceptions ?? []) {
      out.push({ kind: 'environment', subject: `env ${env.slug}`, property: e.kind, value: e.value, reason: e.reason, constructPath: env.constructPath });
    }
  }
  return out;
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

/** Evaluate the rule pack over a built graph. The SQL parser must be loaded (see `checkDist`). */
export function evaluateGraph(g: EstateGraph, options: CheckOptions): CheckReport {
  const rules = options.rules ?? RULES;
  const envByArtifact = new Map<string, Env>();
  for (const env of g.envs) for (const a of env.artifacts ?? []) envByArtifact.set(a, env);
  const exceptions = declaredExceptions(g);
  const raw: (Finding & { envRef?: Env; unsuppressible?: string })[] = [];

  for (const rule of rules) {
    const ctx: RuleContext = {
      now: options.now,
      exempt: (e) => exceptions.push({
        kind: 'rule-exemption', subject: `${rule.id} ${e.subject}`, property: rule.name, value: e.source?.file ?? '',
        reason: e.reason, constructPath: e.env?.constructPath ?? e.source?.constructPath,
      }),
    };
    try {
      for (const f of rule.evaluate(g, ctx)) {
        const env = f.env ?? (f.source ? envByArtifact.get(f.source.file) : undefined);
        raw.push({
          ruleId: rule.id, ruleName: rule.name, severity: rule.severity, message: f.message, fix: f.fix ?? rule.fix,
          file: f.source?.file, pointer: f.source?.pointer, resourcePath: f.source?.resourcePath,
          constructPath: f.source?.constructPath ?? env?.constructPath, env: env?.slug, envRef: env,
          ...withReason(unsuppressibleReason(g, f, env)),
        });
      }
    } catch (err) {
      // A rule that cannot judge the estate has not passed it.
      raw.push({
        ruleId: rule.id, ruleName: rule.name, severity: 'error', fix: 'report this as a tierkit bug, with the dist/ that triggers it',
        message: `rule ${rule.id} failed while evaluating: ${(err as Error)?.message ?? String(err)}`,
      });
    }
  }

  const findings: Finding[] = [];
  const byId = new Map(rules.map((r) => [r.id, r]));
  const known = new Set([...byId.keys(), ...ENGINE_RULES.map((r) => r.id)]);
  g.envs.forEach((env, i) => {
    const source = { file: 'manifest.json', constructPath: env.constructPath };
    (env.suppressions ?? []).forEach((s, j) => {
      const pointer = `/appEnvironments/${i}/suppressions/${j}`;
      const rule = byId.get(s.ruleId);
      const base = { ...source, pointer, env: env.slug };
      if (!hasReason(s.reason)) {
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
  for (const e of exceptions) {
    if ((e.kind === 'tier' || e.kind === 'environment') && !hasReason(e.reason)) {
      findings.push({ ruleId: 'TK102', ruleName: 'exception-unreasoned', severity: 'error', fix: engineRule('TK102').fix, file: 'manifest.json',
        constructPath: e.constructPath, message: `${e.subject}: ${e.property} = ${e.value} is declared without a reason` });
    }
  }
  for (const { envRef, unsuppressible, ...f } of raw) {
    void envRef;
    void unsuppressible;
    findings.push(f);
  }
  findings.sort(compareFindings);
  exceptions.sort((a, b) => compareStrings(a.kind, b.kind) || compareStrings(a.subject, b.subject) || compareStrings(a.property, b.property));
  const count = (sev: string) => findings.filter((f) => f.severity === sev && !f.suppressed).length;
  return {
    tool: { name: 'tierkit', version: VERSION },
    now: options.now.toISOString(),
    rules: [...rules.map(summaryOf), ...ENGINE_RULES].sort((a, b) => compareStrings(a.id, b.id)),
    findings,
    exceptions,
    summary: { errors: count('error'), warnings: count('warning'), notes: count('note'), suppressed: findings.filter((f) => f.suppressed).length },
  };
}

/**
 * A dist/ the strict reader cannot read at all (no manifest, another schema version, an artifact
 * that does not parse): one unsuppressible TK020 error, so `check` exits 1 with a report in every
 * format instead of crashing. Problems it can read past are TK020 findings beside the other rules'.
 */
function unreadableReport(err: DistReadError, options: CheckOptions): CheckReport {
  const rules = options.rules ?? RULES;
  const integrity = RULES.find((r) => r.id === 'TK020')!;
  return {
    tool: { name: 'tierkit', version: VERSION },
    now: options.now.toISOString(),
    rules: [...rules.map(summaryOf), ...ENGINE_RULES].sort((a, b) => compareStrings(a.id, b.id)),
    findings: [{
      ruleId: integrity.id, ruleName: integrity.name, severity: 'error', file: err.file, pointer: err.pointer,
      message: `dist/ cannot be read, so nothing in it can be judged: ${err.file}${err.pointer ? ` at ${err.pointer}` : ''} ${err.reason}`,
      fix: integrity.fix,
    }],
    exceptions: [],
    summary: { errors: 1, warnings: 0, notes: 0, suppressed: 0 },
  };
}

/** Read a dist/, build the graph, and evaluate the rule pack. */
export async function checkDist(distDir: string, options: CheckOptions): Promise<CheckReport> {
  await loadSqlParser();
  let dist;
  try {
    dist = readDist(distDir);
  } catch (err) {
    if (err instanceof DistReadError) return unreadableReport(err, options);
    throw err;
  }
  return evaluateGraph(buildGraph(dist), options);
}
