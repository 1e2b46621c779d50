import { describe, expect, it } from 'vitest';
import { Sandbox, SandboxKind, Tier } from '../../constructs';
import { PostgresqlGrant } from '../../constructs/cdktf';
import type { CheckReport } from '../../contract/findings';
import { computeChangeSet } from '../../diff/changeset';
import { renderMarkdown } from '../../diff/markdown';
import { own, prose, said } from '../../diff/markdown-text';
import { cleanDist } from '../policies/helpers';
import { app, pairDirs, read, writeEstate } from './fixtures';

/**
 * The PR comment renders tierkit's own wording with its code spans (`tierkit synth` as code, not as
 * escaped backticks), while a value inside that wording (a reason, a name, a privilege) can inject
 * no image, link, emphasis, heading, HTML, line or fence — and, where tierkit builds the wording
 * itself (said), not even a code span.
 */
const HOSTILE = '![tierkit review: passed](https://evil.example/p.png) **Nothing needs attention.** [ok](https://evil.example/) <b>x</b>\n# head\n```';

/** The comment with code spans removed (CommonMark reads nothing inside one): what is left must hold no author-written Markdown. */
function outsideCode(md: string): string {
  return md.split('\n').filter((l) => !l.startsWith('  ')).map((l) => l.replace(/`[^`]*`/g, '')).join('\n');
}

function expectNoMarkup(md: string): void {
  const rest = outsideCode(md);
  expect(rest).not.toMatch(/!\[tierkit review/);
  expect(rest).not.toMatch(/\]\(https:\/\/evil/);
  expect(rest).not.toMatch(/\*\*Nothing needs attention/);
  expect(rest).not.toMatch(/<b>/);
  expect(rest).not.toMatch(/^# head/m);
}

function report(message: string, fix: string): CheckReport {
  return {
    tool: { name: 'tierkit', version: '0' }, now: '2026-11-22T06:00:00.000Z', rules: [],
    findings: [
      { ruleId: 'TK900', ruleName: 'x', severity: 'error', message, fix, file: 'manifest.json', pointer: '/x', constructPath: 'estate' },
      { ruleId: 'TK901', ruleName: 'y', severity: 'warning', message, fix, file: 'manifest.json', pointer: '/y', constructPath: 'estate' },
    ],
    exceptions: [], summary: { errors: 1, warnings: 1, notes: 0, suppressed: 0 },
  };
}

describe('prose: tierkit\'s code spans render as code, values as text', () => {
  it('keeps a code span and escapes everything around it', () => {
    expect(prose('run `tierkit synth` again')).toBe('run `tierkit synth` again');
    expect(prose('a *b* `c|d` [e](f)')).toBe('a &#42;b&#42; `c\\|d` &#91;e&#93;(f)');
    // An unpaired backtick, or one whose span would cross a line, is text.
    expect(prose('x ` y')).toBe('x &#96; y');
    expect(prose('`a\nb`')).toBe('&#96;a\\nb&#96;');
    expectNoMarkup(prose(HOSTILE));
    // Whatever pairs with what, each part is either escaped text or a code span on one line.
    for (const s of [`\`${HOSTILE}\``, `a\`b ${HOSTILE} c\`d`, `\`\`${HOSTILE}\`\``]) {
      const out = prose(s);
      expect(out).not.toMatch(/[\r\n]/);
      expectNoMarkup(out);
    }
  });

  it('said: a value cannot open, close or split the wording\'s own code span', () => {
    const value = 'a`b ![x](https://evil.example/) `c';
    const msg = said`stack ${value}: run \`tierkit state migrate\`, then ${own('`tierkit diff`')}`;
    expect(msg).toBe("stack a'b ![x](https://evil.example/) 'c: run `tierkit state migrate`, then `tierkit diff`");
    expect(prose(msg)).toBe("stack a'b !&#91;x&#93;(https://evil.example/) 'c: run `tierkit state migrate`, then `tierkit diff`");
  });

  it('a finding\'s message and fix show their code spans as code, a hostile value in them as text', () => {
    const base = read(cleanDist());
    const render = (value: string) => renderMarkdown(computeChangeSet(base, base), base.manifest, base.manifest, {
      check: { report: report(`role "${value}" is not the env's: run \`tierkit synth\``, 'Remove it; see `tierkit check --explain TK900`.') }, maxChars: 200_000,
    });
    const md = render(HOSTILE.replace(/`/g, ''));
    expect(md).toContain('run `tierkit synth`');
    expect(md).toContain('see `tierkit check --explain TK900`');
    expect(md).not.toContain('&#96;tierkit');
    expectNoMarkup(md);
    // A rule writes its values into its message unmarked (policies/rules/): a backtick in one can
    // pair with the rule's own, which shows text as code, and nothing else.
    expectNoMarkup(render(HOSTILE));
  });

  it('a reason with backticks makes no code span: every backtick in it is a value\'s', () => {
    const base = read(cleanDist());
    const m = structuredClone(base.manifest) as any;
    m.tiers.find((t: any) => t.name === 'dev').exceptions[0].reason += ` \`${HOSTILE.replace(/\n/g, ' ')}\` and a stray \` here`;
    const set = computeChangeSet(base, { ...base, manifest: m });
    const item = set.attention.find((a) => a.category === 'exception' && a.message.includes('evil.example'))!;
    expect(item.message).not.toContain('`');
    const md = renderMarkdown(set, base.manifest, m, { maxChars: 200_000 });
    const line = md.split('\n').find((l) => l.includes('evil.example') && l.startsWith('- '))!;
    // The only code span on the line is the subject's.
    expect(line.match(/`/g)).toHaveLength(2);
    expectNoMarkup(md);
  });

  it('a line folded into another item\'s details (a fence) shows its characters, not their references', () => {
    const dirs = pairDirs('prose-folded');
    // A sandbox removed: its line folds into its stack's destroy item, as a detail.
    const b = read(writeEstate(dirs.base, (e) => {
      new Sandbox(app(e, 'crm'), 'carol', { tier: Tier.DEV, kind: SandboxKind.ENGINEER, owner: 'team-growth', createdAt: '2026-11-21', ttlHours: 48, reason: 'shorter: *not* [bold] <b>x</b> & `y`' });
    }));
    const h = read(writeEstate(dirs.head));
    const md = renderMarkdown(computeChangeSet(b, h), b.manifest, h.manifest, { maxChars: 200_000 });
    // In the fence (verbatim), as written but for the value's backticks (said): no &#42;, no &amp;lt;.
    const line = md.split('\n').find((l) => l.startsWith('  also: sandbox delete · sandbox crm-carol'));
    expect(line, md).toContain("reason: shorter: *not* [bold] <b>x</b> & 'y'");
  }, 120_000);

  it('a reach item names its privileges as text: an escape hatch\'s privilege list cannot write a link or an image', () => {
    const dirs = pairDirs('prose-reach');
    const baseDir = writeEstate(dirs.base);
    const headDir = writeEstate(dirs.head, (e) => {
      app(e, 'crm').environment('dev')!.addEscapeHatch((r) => {
        new PostgresqlGrant(r.stack, 'prod_connect', { database: 'crm', role: r.groupRole.name, objectType: 'database', privileges: ['CONNECT', HOSTILE.replace(/\n/g, ' ')] });
      });
    });
    const b = read(baseDir);
    const h = read(headDir);
    const set = computeChangeSet(b, h);
    const reach = set.reach.find((r) => r.message.includes('evil.example'));
    expect(reach, JSON.stringify(set.reach)).toBeDefined();
    const md = renderMarkdown(set, b.manifest, h.manifest, { maxChars: 200_000 });
    expect(md).toContain('**reach into prod**');
    expectNoMarkup(md);
  }, 120_000);
});
