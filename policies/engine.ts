import { compareStrings } from '../contract/order';
import { isReason } from '../contract/tiers';
import { DistContents, DistReadError } from '../contract/read';
import { readDistInParallel } from '../contract/read-parallel';
import { buildGraph } from './graph/build';
import { loadSqlParser } from './graph/sql';
import type { Env, EstateGraph } from './graph/types';
import { CheckReport, ReasonedException, RuleSummary, compareFindings } from './report/finding';
import { RULES } from './rules';
import type { Rule, RuleContext } from './rules/support/rule';
import { ENGINE_RULES, RawFinding, engineRule, matchSuppressions, unsuppressibleReason } from './suppressions';

// Suppression matching lives in suppressions.ts; re-exported where callers found it.
export { ENGINE_RULES, unsuppressibleReason };

// eslint-disable-next-line @typescript-eslint/no-require-imports
const VERSION: string = require('../package.json').version;

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

/** Evaluate the rule pack over a built graph. The SQL parser must be loaded (see `checkDist`). */
export function evaluateGraph(g: EstateGraph, options: CheckOptions): CheckReport {
  const rules = options.rules ?? RULES;
  const envByArtifact = new Map<string, Env>();
  for (const env of g.envs) for (const a of env.artifacts ?? []) envByArtifact.set(a, env);
  const exceptions = declaredExceptions(g);
  const raw: RawFinding[] = [];

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

  const findings = matchSuppressions(g, raw, rules, exceptions);
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

/** A dist/ as read for a check: its contents in memory, or why it cannot be read at all. */
export type LoadedDist = { readonly contents: DistContents } | { readonly unreadable: DistReadError };

/**
 * Read a dist/ into memory (and load the SQL parser) for `evaluateDist`. `check` calls it before
 * any of the repo's own rules run: the built-in rules judge the dist as it was then, whatever a
 * user rule later writes to disk.
 */
export async function loadDist(distDir: string): Promise<LoadedDist> {
  await loadSqlParser();
  try {
    // The same contents as readDist: the second core only checks the fast YAML reader's work.
    return { contents: await readDistInParallel(distDir) };
  } catch (err) {
    if (err instanceof DistReadError) return { unreadable: err };
    throw err;
  }
}

/** Build the graph of a loaded dist/ and evaluate the rule pack. */
export function evaluateDist(loaded: LoadedDist, options: CheckOptions): CheckReport {
  return 'unreadable' in loaded ? unreadableReport(loaded.unreadable, options) : evaluateGraph(buildGraph(loaded.contents), options);
}

/** Read a dist/, build the graph, and evaluate the rule pack. */
export async function checkDist(distDir: string, options: CheckOptions): Promise<CheckReport> {
  return evaluateDist(await loadDist(distDir), options);
}
