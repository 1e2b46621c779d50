import { compareStrings } from './order';
/** How bad a finding is (SARIF's levels). */
export type Severity = 'error' | 'warning' | 'note';

/**
 * One finding shape for every report (text, JSON, SARIF, JUnit, PR comments). Locations point at
 * the artifact (file + JSON pointer); the construct path says which declaration wrote it.
 */
export interface Finding {
  readonly ruleId: string;
  readonly ruleName: string;
  readonly severity: Severity;
  readonly message: string;
  readonly fix: string;
  readonly file?: string;
  readonly pointer?: string;
  /** cdktf's path of the resource (`erp-sandbox/vault_role`) or `Kind/namespace/name`. */
  readonly resourcePath?: string;
  /** The app-environment's construct path (`arcodange/erp/sandbox`). */
  readonly constructPath?: string;
  /** Slug of the app-environment the finding belongs to. */
  readonly env?: string;
  /** Set when a declared suppression accepts the finding; it is still reported. */
  readonly suppressed?: { readonly reason: string };
}

/** A loosening the estate declared on purpose, with its reason; every report lists them. */
export interface ReasonedException {
  readonly kind: 'tier' | 'environment' | 'rule-exemption' | 'suppression';
  /** What is excepted: `tier demo`, `env erp-sandbox`, `TK009 stack crm-local …`. */
  readonly subject: string;
  readonly property: string;
  readonly value: string;
  readonly defaultValue?: string;
  readonly reason: string;
  readonly constructPath?: string;
}

export interface RuleSummary {
  readonly id: string;
  readonly name: string;
  readonly title: string;
  readonly severity: Severity;
  readonly explanation: string;
  readonly fix: string;
  readonly suppressible: boolean;
}

export interface CheckReport {
  readonly tool: { readonly name: 'tierkit'; readonly version: string };
  /** Evaluation time, ISO-8601 (given by --now; the report holds no other time). */
  readonly now: string;
  readonly rules: readonly RuleSummary[];
  readonly findings: readonly Finding[];
  readonly exceptions: readonly ReasonedException[];
  readonly summary: {
    readonly errors: number;
    readonly warnings: number;
    readonly notes: number;
    readonly suppressed: number;
  };
}

/** Stable order: rule id, then file, then pointer, then message. */
export function compareFindings(a: Finding, b: Finding): number {
  return compareStrings(a.ruleId, b.ruleId) || compareStrings(a.file ?? '', b.file ?? '')
    || compareStrings(a.pointer ?? '', b.pointer ?? '') || compareStrings(a.message, b.message);
}

/** Findings that fail the check: unsuppressed errors. */
export function failing(report: CheckReport): Finding[] {
  return report.findings.filter((f) => f.severity === 'error' && !f.suppressed);
}
