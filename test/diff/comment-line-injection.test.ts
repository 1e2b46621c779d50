import { describe, expect, it } from 'vitest';
import type { CheckReport } from '../../contract/findings';
import { computeChangeSet } from '../../diff/changeset';
import { renderMarkdown } from '../../diff/markdown';
import { code, fenced, text } from '../../diff/markdown-text';
import { parsePlanSummaries } from '../../diff/plans';
import { cleanDist } from '../policies/helpers';
import { read } from './fixtures';

/**
 * attack17: free text (a reason, a finding's message, a plan's address) with a line ending ended
 * the list item, table row or fence it was printed in, and the next line was raw HTML for GitHub
 * (an unclosed `<!--` hides the rest of the comment). Each payload goes through every renderer
 * field the author reaches, with \n, \r\n and a bare \r (CommonMark ends a line at all three).
 */
const PAYLOADS = ['\n</details>\n\n**forged-n**\n<!--', '\r\n</details>\r\n**forged-rn**\r\n<!--', '\r</details>\r**forged-r**\r<!--'];
const P = PAYLOADS.join('');

function report(): CheckReport {
  const f = { ruleName: `name${P}`, message: `message${P}`, fix: `fix${P}`, file: `stacks/x.tf.json${P}`, pointer: `/resource${P}`, constructPath: `estate/x${P}` };
  return {
    tool: { name: 'tierkit', version: '0' }, now: '2026-11-22T06:00:00.000Z', rules: [],
    findings: [
      { ...f, ruleId: 'TK900', severity: 'error' },
      { ...f, ruleId: 'TK901', severity: 'warning' },
      { ...f, ruleId: 'TK902', severity: 'error', suppressed: { reason: `accepted${P}` } },
    ],
    exceptions: [{ kind: 'environment', subject: `subject${P}`, property: `prop${P}`, value: `value${P}`, defaultValue: `default${P}`, reason: `reason${P}` }],
    summary: { errors: 1, warnings: 1, notes: 0, suppressed: 1 },
  };
}

/** Lines outside tierkit's own ```diff fences, and the lines inside them. */
function split(md: string): { outside: string[]; inside: string[] } {
  const outside: string[] = [];
  const inside: string[] = [];
  let open = false;
  for (const l of md.split('\n')) {
    if (!open && l === '  ```diff') { open = true; continue; }
    if (open && l === '  ```') { open = false; continue; }
    (open ? inside : outside).push(l);
  }
  expect(open, 'a fence left open').toBe(false);
  return { outside, inside };
}

function expectNoBreakout(md: string): void {
  expect(md).not.toContain('\r');
  const { outside: lines, inside } = split(md);
  // Code spans are literal for GitHub (code() leaves no backtick inside one): what is left is Markdown/HTML.
  const outside = lines.map((l) => l.replace(/`[^`]*`/g, '`…`'));
  expect(outside.filter((l) => l.includes('<!--'))).toEqual(['<!-- tierkit-diff -->']);
  expect(outside.filter((l) => l.includes('</details>')).every((l) => l === '</details>')).toBe(true);
  expect(outside.filter((l) => l === '</details>').length).toBe(outside.filter((l) => l.startsWith('<details>')).length);
  // A visible line ending: `\n`, or `&#92;n` once text() writes the backslash of a JSON-quoted value as a reference.
  expect(outside.filter((l) => /forged/.test(l) && !/(\\|&#92;)[nr]/.test(l))).toEqual([]);
  // Inside a fence every line keeps the list item's indent, so none can end the item (and the fence).
  expect(inside.filter((l) => !l.startsWith('  '))).toEqual([]);
}

describe('free text cannot end its line in the review comment', () => {
  it('text, code and fenced map every line ending to a visible escape', () => {
    for (const f of [text, code, fenced]) {
      const out = f(P);
      expect(out).not.toMatch(/[\r\n]/);
      expect(out).toContain('\\r\\n');
    }
    expect(text('<!--&')).toBe('&lt;!--&amp;');
    // In a fence nothing is HTML: shown verbatim, but no run of backticks closes it.
    expect(fenced('a ``` <!-- b')).toBe("a ''' <!-- b");
  });

  it('reasons, messages, suppressions, exceptions and plans stay on their own line', () => {
    const base = read(cleanDist());
    const m = structuredClone(base.manifest) as any;
    m.tiers.find((t: any) => t.name === 'dev').exceptions[0].reason += P;
    const erp = m.appEnvironments.find((e: any) => e.slug === 'erp-sandbox');
    erp.exceptions[0].reason += P;
    erp.sandbox.reason += P;
    m.appEnvironments.find((e: any) => e.slug === 'crm-alice').suppressions.push({ ruleId: 'TK015', reason: `why${P}` });
    const head = { ...base, manifest: m };
    const set = computeChangeSet(base, head);
    const plans = parsePlanSummaries(JSON.stringify({ schemaVersion: 1, plans: [{ stack: `crm${P}`, create: [`x.y${P}`], update: [], delete: [], replace: [] }] }), 'p.json');
    const md = renderMarkdown(set, base.manifest, m, { check: { report: report() }, plans, maxChars: 200_000 });
    expectNoBreakout(md);
    // Every payload reached the comment, escaped: as text (outside fences) and verbatim in the details.
    const { outside, inside } = split(md);
    for (const field of ['name', 'message', 'fix', 'accepted', 'subject', 'reason', 'crm']) {
      // text() also writes inline Markdown (`**`) as references: the payload is shown, never bold.
      expect(outside.some((l) => l.includes(`${field}\\n&lt;/details&gt;\\n\\n&#42;&#42;forged-n&#42;&#42;\\n&lt;!--`)), field).toBe(true);
    }
    // In code spans (literal for GitHub) only the line endings are escaped.
    expect(outside.some((l) => l.includes('`x.y\\n</details>\\n\\n**forged-n**\\n<!--\\r\\n'))).toBe(true);
    expect(inside.filter((l) => l.includes('\\n</details>\\n\\n**forged-n**\\n<!--\\r\\n</details>')).length).toBeGreaterThanOrEqual(4);
  });

  it('a check that could not run shows its error in the fence, on one line', () => {
    const base = read(cleanDist());
    const md = renderMarkdown(computeChangeSet(base, base), base.manifest, base.manifest, { check: { error: `manifest.json: bad${P}` } });
    expectNoBreakout(md);
    expect(md).toContain('manifest.json: bad\\n</details>');
  });
});

/**
 * GitHub links and notifies `@user` / `@org/team` in a comment's rendered text, and a numeric
 * reference is decoded before its mention filter reads the text; only text inside `code`, `pre`
 * or `a` is skipped. A value's `@` must therefore reach the comment inside `<code>`.
 */
describe('a value cannot @-mention anyone in the comment', () => {
  // What the mention filter would see: the comment's text outside code spans, fences and <code>.
  const outsideCode = (md: string) => md.replace(/^ *```[\s\S]*?^ *```/gm, '').replace(/<code>[^<]*<\/code>/g, '').replace(/`[^`\n]*`/g, '');

  it('text() writes every @ as <code>@</code>, never a bare @ or a reference GitHub would decode', () => {
    expect(text('ping @arcodange/admins and @alice')).toBe('ping <code>@</code>arcodange/admins and <code>@</code>alice');
    expect(text('@x')).not.toMatch(/&#64;|^@/);
  });

  it('a reason and a finding naming @-handles render with no @ outside code; a fence still shows it verbatim', () => {
    const f = { ruleName: 'n', message: 'paged @security-team', fix: 'ask @alice', file: 'f', pointer: '/p', constructPath: 'e/x' };
    const r: CheckReport = {
      ...report(),
      findings: [{ ...f, ruleId: 'TK900', severity: 'error' }, { ...f, ruleId: 'TK902', severity: 'error', suppressed: { reason: 'approved by @cto today' } }],
      exceptions: [{ kind: 'environment', subject: 's', property: 'p', value: '@ops', defaultValue: 'd', reason: 'signed off by @arcodange/platform' }],
    };
    const base = read(cleanDist());
    const m = JSON.parse(JSON.stringify(base.manifest));
    m.appEnvironments.find((e: any) => e.slug === 'erp-sandbox').exceptions[0].reason += ' @erp-owners';
    const md = renderMarkdown(computeChangeSet(base, { ...base, manifest: m }), base.manifest, m, { check: { report: r }, maxChars: 200_000 });
    for (const handle of ['security-team', 'alice', 'cto', 'ops', 'arcodange/platform', 'erp-owners']) expect(md).toContain(`<code>@</code>${handle}`);
    expect(outsideCode(md)).not.toMatch(/@/);
    // Inside the details' fence (no mention is read there) the reason shows as written.
    expect(md).toContain('reset from golden @erp-owners');
  });
});
