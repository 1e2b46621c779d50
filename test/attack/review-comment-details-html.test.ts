// attack17: the review comment's "Details" blocks print each item's detail lines verbatim inside a
// ```diff fence in a list item (diff/review.ts itemDetails). Only ``` is neutralised: a newline in a
// detail (a tier exception's, a suppression's or an environment's `reason` is free text in estate
// source; synth only asks for 10 characters) ends the list item and with it the fence, and the next
// line is raw Markdown/HTML. A reason ending in "\n<!--" opens an HTML comment that never closes:
// GitHub hides everything after it — the other items' details, the policy check section, the change
// tables and the "### Plans" sha256 table and PR-run outro the review's github-script appends — on a
// PR whose dist is honest and passes check. "\n</details>\n**…**" forges visible text the same way.
import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanDist, freshDir } from '../policies/helpers';

const ROOT = resolvePath(__dirname, '../..');

describe('attack17: a reason with a newline writes raw HTML into the review comment', () => {
  it('keeps every detail line inside its fence (no raw <!-- or </details> from a reason)', () => {
    const head = freshDir('attack17-comment-head');
    cpSync(cleanDist(), head, { recursive: true });
    const path = join(head, 'manifest.json');
    const m = JSON.parse(readFileSync(path, 'utf8'));
    const dev = m.tiers.find((t: any) => t.name === 'dev');
    // What synth writes for environments/estate.ts `reason: 'Dev reaches … mocks.\n<!--'`.
    dev.exceptions[0].reason += '\n</details>\n\n**Nothing else needs attention.**\n<!--';
    writeFileSync(path, JSON.stringify(m, null, 2));
    const out = join(head, '..', `attack17-comment-${process.pid}.md`);
    const r = spawnSync(join(ROOT, 'node_modules/.bin/tsx'), [join(ROOT, 'cli/main.ts'), 'diff', cleanDist(), head, '--now', '2026-11-22T06:00:00Z', '--max-chars', '60000', '--output', out], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const lines = readFileSync(out, 'utf8').split('\n');
    // Secure: the marker is the only HTML comment, and </details> only closes tierkit's own sections.
    expect(lines.filter((l) => l.startsWith('<!--'))).toEqual(['<!-- tierkit-diff -->']);
    expect(lines.filter((l) => l === '</details>').length).toBe(lines.filter((l) => l.startsWith('<details>')).length);
  }, 120_000);
});
