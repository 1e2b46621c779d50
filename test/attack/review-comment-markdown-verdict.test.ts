// attack19: diff/markdown-text.ts `text()` escapes & < > | and line endings, but not Markdown's own
// inline syntax. A tier exception's `reason` (free text in estate source; synth asks for 10
// characters, check accepts it) reaches the sticky comment through text(i.message): `![…](url)` is
// rendered as an image (a green "tierkit review: passed" badge from any host, fetched through
// GitHub's camo), `[…](url)` as a link, `**…**` as bold text the reviewer reads as tierkit's verdict.
import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanDist, freshDir } from '../policies/helpers';

const ROOT = resolvePath(__dirname, '../..');

describe('attack19: a reason renders Markdown images, links and bold in the review comment', () => {
  it('shows no author-written image, link or bold outside code', () => {
    const head = freshDir('attack19-comment-head');
    cpSync(cleanDist(), head, { recursive: true });
    const path = join(head, 'manifest.json');
    const m = JSON.parse(readFileSync(path, 'utf8'));
    const dev = m.tiers.find((t: any) => t.name === 'dev');
    // What synth writes for environments/estate.ts `reason: '… ![tierkit review: passed](https://img.shields.io/badge/tierkit%20review-passed-brightgreen) **Nothing needs attention.** [policy check: 0 errors](https://evil.example/)'`.
    dev.exceptions[0].reason += ' ![tierkit review: passed](https://img.shields.io/badge/tierkit%20review-passed-brightgreen) **Nothing needs attention.** [policy check: 0 errors](https://evil.example/)';
    writeFileSync(path, JSON.stringify(m, null, 2));
    const check = spawnSync(join(ROOT, 'node_modules/.bin/tsx'), [join(ROOT, 'cli/main.ts'), 'check', head, '--now', '2026-11-22T06:00:00Z'], { encoding: 'utf8' });
    expect(check.status, check.stdout + check.stderr).toBe(0); // check accepts the reason
    const out = join(head, '..', `attack19-comment-${process.pid}.md`);
    const r = spawnSync(join(ROOT, 'node_modules/.bin/tsx'), [join(ROOT, 'cli/main.ts'), 'diff', cleanDist(), head, '--now', '2026-11-22T06:00:00Z', '--max-chars', '60000', '--output', out], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    // Outside inline code spans and fences, no raw image/link/bold from the reason survives.
    const prose = readFileSync(out, 'utf8').split('\n').filter((l) => !l.startsWith('  ')).map((l) => l.replace(/`[^`]*`/g, '')).join('\n');
    expect(prose).not.toMatch(/!\[tierkit review: passed\]\(https:/);
    expect(prose).not.toMatch(/\[policy check: 0 errors\]\(https:/);
    expect(prose).not.toMatch(/\*\*Nothing needs attention\.\*\*/);
  }, 180_000);
});
