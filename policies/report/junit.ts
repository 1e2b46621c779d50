import type { CheckReport, Finding } from './finding';

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
    // XML 1.0 forbids most control characters even escaped.
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');
}

function where(f: Finding): string {
  return [f.file && `${f.file}${f.pointer ? `#${f.pointer}` : ''}`, f.constructPath].filter(Boolean).join(' ');
}

/**
 * JUnit XML: one testsuite per rule, one testcase per rule with no finding (passed) or per finding
 * (failure for unsuppressed errors, skipped for suppressed ones, passed with system-out for warnings).
 */
export function renderJunit(report: CheckReport): string {
  const byRule = new Map<string, Finding[]>();
  for (const f of report.findings) byRule.set(f.ruleId, [...(byRule.get(f.ruleId) ?? []), f]);
  const suites: string[] = [];
  let tests = 0;
  let failures = 0;
  let skipped = 0;
  for (const rule of report.rules) {
    const findings = byRule.get(rule.id) ?? [];
    const cases: string[] = [];
    let sFail = 0;
    let sSkip = 0;
    if (findings.length === 0) {
      cases.push(`    <testcase classname="tierkit.${rule.id}" name="${esc(`${rule.id} ${rule.name}`)}"/>`);
    }
    for (const f of findings) {
      const name = esc(`${rule.id} ${f.env ?? f.file ?? ''} ${where(f)}`.trim());
      const head = `    <testcase classname="tierkit.${rule.id}" name="${name}">`;
      if (f.suppressed) {
        sSkip++;
        cases.push(`${head}\n      <skipped message="${esc(`suppressed: ${f.suppressed.reason}`)}"/>\n    </testcase>`);
      } else if (f.severity === 'error') {
        sFail++;
        cases.push(`${head}\n      <failure message="${esc(f.message)}" type="${rule.id}">${esc(`${f.message}\nat ${where(f)}\nfix: ${f.fix}`)}</failure>\n    </testcase>`);
      } else {
        cases.push(`${head}\n      <system-out>${esc(`${f.severity}: ${f.message}\nfix: ${f.fix}`)}</system-out>\n    </testcase>`);
      }
    }
    tests += cases.length;
    failures += sFail;
    skipped += sSkip;
    suites.push(`  <testsuite name="${esc(`${rule.id} ${rule.name}`)}" tests="${cases.length}" failures="${sFail}" errors="0" skipped="${sSkip}">\n${cases.join('\n')}\n  </testsuite>`);
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="tierkit check" tests="${tests}" failures="${failures}" errors="0" skipped="${skipped}">\n${suites.join('\n')}\n</testsuites>\n`;
}
