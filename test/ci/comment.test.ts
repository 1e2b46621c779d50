import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { GITHUB_COMMENT_LIMIT } from '../../diff';
import { synthesize } from '../../constructs/synth/synthesize';
import estate from '../../environments';
import { runGithubScript, step, Workflow, workflows } from './support';

/**
 * GitHub refuses a comment over 65,535 characters. The diff is rendered to at most 60,000; the
 * plan table the comment job appends (one row per planned stack) and the notes must fit in what
 * is left, whatever the number of plans — and even a diff over its budget must not break the comment.
 */

const MARKER = '<!-- tierkit-diff -->';
let review: Workflow;

beforeAll(() => {
  review = workflows(synthesize(estate()).manifest).review;
});

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/** A rendered diff of exactly `n` characters, made of lines (some inside a code fence). */
function diffOf(n: number, openFence = false): string {
  const head = `${MARKER}\n## tierkit diff — arcodange\n\n`;
  const line = '- **sandbox crm-x** — owner x, kind engineer, tier dev, TTL 48 h, seed synthetic:v1\n';
  let body = head + (openFence ? '```diff\n' : '');
  while (body.length + line.length <= n) body += line;
  return body + 'x'.repeat(n - body.length);
}

function post(comment: string, stacks: string[], env: Record<string, string> = {}) {
  const files: Record<string, string> = {
    'tierkit-diff/comment.md': comment,
    'tierkit-diff/plan-matrix.json': JSON.stringify(stacks.map((s) => ({ stack: s, action: 'change', gatingTier: 'dev' }))),
    'dist/manifest.json': '{}\n',
  };
  for (const s of stacks) files[`plans/tierkit-plan-${s}/tfplan.sha256`] = `${sha(s)}  tfplan\n`;
  const s = step(review.jobs.post, 'Post the sticky comment');
  const r = runGithubScript(s, files, { PLAN_RESULTS: 'PR run success', PR_NUMBER: '7', ...env });
  expect(r.status, r.stderr).toBe(0);
  expect(r.posted).toHaveLength(1);
  const body = (r.posted[0].create ?? r.posted[0].update)!.body;
  return { body, dir: r.dir, posted: r.posted[0] };
}

/** 1,000 stacks with long names: a table of ~110 characters a row, far over what is left. */
const MANY = Array.from({ length: 1000 }, (_, i) => `billing-engineer-sandbox-number-${String(i).padStart(4, '0')}`);

describe('the sticky comment stays under GitHub\'s limit', () => {
  it('a few plans: the whole diff and the whole plan table', () => {
    const { body } = post(diffOf(2_000), ['crm-dev', 'erp']);
    expect(body.startsWith(MARKER)).toBe(true);
    expect(body).toContain(diffOf(2_000));
    expect(body).toContain(`| crm-dev | \`${sha('crm-dev')}\` |`);
    expect(body).toContain(`| erp | \`${sha('erp')}\` |`);
    expect(body).not.toContain('plans not listed');
  });

  it('a plan directory named with a line ending, a pipe or a tag stays one table cell (attack17: names come from the PR run)', () => {
    const evil = 'x\r\n<!--|`<details>\\&amp;';
    const { body } = post(diffOf(2_000), ['crm-dev', evil]);
    expect(body).toContain('| x&#13;&#10;&#60;&#33;--&#124;&#96;&#60;details&#62;&#92;&#38;amp&#59; | `');
    expect(body).not.toContain('\r');
    expect(body.split('\n').filter((l) => l.includes('<!--'))).toEqual([MARKER]);
  });

  it('a plan directory named with an @, a link, emphasis or a heading mentions nobody and renders as the name (h10)', () => {
    // An artifact name may hold @ [ ] ( ) _ ~ # $ ! (GitHub refuses only " : < > | * ? \\ / and line endings).
    const evil = '@acme[x](y)_z_~~s~~#$!😀';
    const { body } = post(diffOf(2_000), ['crm-dev', evil]);
    const row = body.split('\n').find((l) => l.includes(sha(evil)))!;
    expect(row).toBe(`| <code>@</code>acme&#91;x&#93;&#40;y&#41;&#95;z&#95;&#126;&#126;s&#126;&#126;&#35;&#36;&#33;&#128512; | \`${sha(evil)}\` |`);
    // No character GitHub reads as Markdown or a mention is left outside an entity or the code element.
    expect(row.replace(/<code>@<\/code>|&#\d+;/g, '')).toMatch(/^\| acmexyzs \| `[0-9a-f]{64}` \|$/);
  });

  it('a diff at its 60,000-character budget and 1,000 plans: the table is cut, the count and the artifact are given', () => {
    const diff = diffOf(60_000);
    const { body, dir } = post(diff, MANY);
    expect(body.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
    expect(body.startsWith(diff)).toBe(true);
    const listed = MANY.filter((s) => body.includes(`| ${s} | \`${sha(s)}\` |`)).length;
    expect(listed).toBeGreaterThan(10);
    expect(body).toContain(`… ${MANY.length - listed} of ${MANY.length} plans not listed (comment size limit)`);
    expect(body).toContain('the `tierkit-review` artifact of run 1234 (plans/*/tfplan.sha256)');
    expect(body.length).toBeGreaterThan(GITHUB_COMMENT_LIMIT - 200); // it uses the room it has
    // The review posts; it writes no plan index (the apply's locate reads the PR run's).
    expect(existsSync(join(dir, 'tierkit-plans.json'))).toBe(false);
  });

  it('a diff over its budget (inside an open code fence): cut at a line, fence closed, pointed to the artifact', () => {
    const { body } = post(diffOf(70_000, true), MANY);
    expect(body.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
    expect(body.startsWith(MARKER)).toBe(true);
    expect(body).toContain('… cut here to fit the comment size limit: the `tierkit-review` artifact of run');
    expect((body.split('```').length - 1) % 2).toBe(0);
    expect(body).toContain(`… ${MANY.length} of ${MANY.length} plans not listed`);
    expect(body).toContain('PR run success.');
  });

  it('no plans is bounded too, and updates the one existing comment; a PR number that is not one posts nothing', () => {
    const existing = JSON.stringify([{ id: 42, user: { type: 'Bot' }, body: `${MARKER}\nold` }]);
    const { body, posted } = post(diffOf(GITHUB_COMMENT_LIMIT + 10), [], { TEST_COMMENTS: existing });
    expect(body.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
    expect(body).toContain('No stack to plan.');
    expect(posted.update).toMatchObject({ comment_id: 42 });
    for (const n of ['', '0', '7; rm -rf /', 'x']) {
      const r = runGithubScript(step(review.jobs.post, 'Post the sticky comment'), { 'tierkit-diff/comment.md': `${MARKER}\n` }, { PLAN_RESULTS: 'PR run success', PR_NUMBER: n });
      expect(r.status).not.toBe(0);
      expect(r.posted).toEqual([]);
    }
  });
});
