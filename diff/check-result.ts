import type { Manifest } from '../contract/manifest';
import type { CheckReport, Finding } from '../contract/findings';
import { code, prose, text } from './markdown-text';
import type { DetailSection, ReviewItem } from './review-model';

/**
 * The head dist's `tierkit check` result, embedded in the comment. Unsuppressed errors are
 * severity 1 with rule id and fix; a check that could not run, or was not run, is itself a
 * severity-1 item: a comment never implies a verdict nobody reached.
 */
export type CheckOutcome =
  | { readonly report: CheckReport }
  | { readonly error: string };

/** The finding's resource as the diff names it (`<stack>: <address>`), when it points into a stack. */
export function findingSubject(f: Finding, manifests: readonly Manifest[]): string {
  const stack = manifests.flatMap((m) => m.stacks).find((s) => s.artifact === f.file);
  const m = f.pointer ? /^\/resource\/([^/]+)\/([^/]+)/.exec(f.pointer) : null;
  if (stack && m) return `${stack.name}: ${m[1].replace(/~1/g, '/').replace(/~0/g, '~')}.${m[2].replace(/~1/g, '/').replace(/~0/g, '~')}`;
  return `${f.file ?? '(no file)'}${f.pointer ? `#${f.pointer}` : ''}`;
}

function location(f: Finding): string[] {
  return [
    ...(f.file ? [`at ${f.file}${f.pointer ? `#${f.pointer}` : ''}`] : []),
    ...(f.constructPath ? [`construct ${f.constructPath}`] : []),
  ];
}

export function checkItems(outcome: CheckOutcome | undefined, manifests: readonly Manifest[]): ReviewItem[] {
  if (!outcome) {
    return [{ severity: 1, kind: 'check', subject: 'tierkit check', details: [],
      line: '`tierkit check` was not run on the head dist for this comment: nothing here says the change passes the policy rules.' }];
  }
  if ('error' in outcome) {
    return [{ severity: 1, kind: 'check', subject: 'tierkit check', details: [outcome.error],
      line: '`tierkit check` could not judge the head dist: no rule has passed it. The reason is below.' }];
  }
  return outcome.report.findings.filter((f) => f.severity === 'error' && !f.suppressed).map((f) => ({
    severity: 1, kind: f.ruleId, subject: findingSubject(f, manifests), details: location(f), group: `${code(f.ruleId)} ${text(f.ruleName)}`,
    line: `${code(f.ruleId)} ${text(f.ruleName)}: ${prose(f.message)} — **fix:** ${prose(f.fix)}`,
  }));
}

/** One line: the verdict first, as `tierkit check` prints it. */
export function checkVerdict(outcome: CheckOutcome | undefined): string {
  if (!outcome) return '**Policy check: not run**';
  if ('error' in outcome) return '**Policy check: could not run**';
  const s = outcome.report.summary;
  const n = (k: number, w: string) => `${k} ${w}${k === 1 ? '' : 's'}`;
  return `**Policy check ${s.errors > 0 ? 'FAILED' : 'passed'}** (${n(s.errors, 'error')}, ${n(s.warnings, 'warning')}, ${s.suppressed} suppressed)`;
}

/** Warnings, notes, suppressed findings and reasoned exceptions: the rest of the check result. */
export function checkSection(outcome: CheckOutcome | undefined): DetailSection | undefined {
  if (!outcome || 'error' in outcome) return undefined;
  const r = outcome.report;
  const rest = r.findings.filter((f) => f.severity !== 'error' || f.suppressed);
  const finding = (f: Finding) => `- ${f.suppressed ? `suppressed ${f.severity}` : f.severity} ${code(f.ruleId)} ${prose(f.message)}${
    f.suppressed ? ` — accepted: ${text(f.suppressed.reason)}` : ` — fix: ${prose(f.fix)}`}`;
  const exception = (e: CheckReport['exceptions'][number]) => `- [${e.kind}] ${text(e.subject)}: ${text(e.property)} ${
    e.defaultValue !== undefined ? `${text(e.defaultValue)} → ` : '= '}${text(e.value)} — reason: ${text(e.reason)}`;
  const full = [
    `Evaluated at ${code(r.now)} over ${r.rules.length} rules.`,
    '',
    ...(rest.length > 0 ? rest.map(finding) : ['No warning, note or suppressed finding.']),
    ...(r.exceptions.length > 0 ? ['', `Reasoned exceptions (${r.exceptions.length}):`, '', ...r.exceptions.map(exception)] : []),
  ];
  const short = [`Evaluated at ${code(r.now)}: ${rest.length} warning, note or suppressed finding(s), ${r.exceptions.length} reasoned exception(s); the JSON check report lists them.`];
  return { role: 'summary', title: `Policy check of the head dist: ${r.summary.errors} error(s), ${r.summary.warnings} warning(s), ${r.summary.suppressed} suppressed, ${r.exceptions.length} reasoned exception(s)`, full, short };
}
