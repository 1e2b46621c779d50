import type { CheckReport, Finding } from './finding';

function location(f: Finding): string {
  return [f.file && `${f.file}${f.pointer ? `#${f.pointer}` : ''}`, f.constructPath && `construct ${f.constructPath}`,
    f.resourcePath && `resource ${f.resourcePath}`].filter(Boolean).join(' · ');
}

/** Human report: grouped by rule, each finding with its location, construct path and fix. */
export function renderText(report: CheckReport): string {
  const lines: string[] = [];
  const rules = new Map(report.rules.map((r) => [r.id, r]));
  const byRule = new Map<string, Finding[]>();
  for (const f of report.findings) byRule.set(f.ruleId, [...(byRule.get(f.ruleId) ?? []), f]);
  for (const [id, findings] of byRule) {
    const rule = rules.get(id);
    lines.push(`${id} ${rule?.name ?? ''} — ${rule?.title ?? ''}`);
    for (const f of findings) {
      const tag = f.suppressed ? `suppressed ${f.severity}` : f.severity;
      lines.push(`  ${tag.toUpperCase()}: ${f.message}`);
      const loc = location(f);
      if (loc) lines.push(`    at ${loc}`);
      if (f.suppressed) lines.push(`    suppressed: ${f.suppressed.reason}`);
      else lines.push(`    fix: ${f.fix}`);
    }
    lines.push('');
  }
  if (report.exceptions.length > 0) {
    lines.push('Reasoned exceptions');
    for (const e of report.exceptions) {
      const change = e.defaultValue !== undefined ? `${e.property}: ${e.defaultValue} → ${e.value}` : `${e.property} = ${e.value}`;
      lines.push(`  [${e.kind}] ${e.subject}: ${change}`);
      lines.push(`    reason: ${e.reason}`);
    }
    lines.push('');
  }
  const s = report.summary;
  const verdict = s.errors > 0 ? 'FAILED' : 'passed';
  lines.push(`tierkit check ${verdict}: ${s.errors} error${s.errors === 1 ? '' : 's'}, ${s.warnings} warning${s.warnings === 1 ? '' : 's'}, ${s.suppressed} suppressed, ${report.exceptions.length} reasoned exception${report.exceptions.length === 1 ? '' : 's'} (${report.rules.length} rules, evaluated at ${report.now})`);
  return lines.join('\n');
}
