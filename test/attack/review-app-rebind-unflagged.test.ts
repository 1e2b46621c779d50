// attack19: a PR that re-binds main's required `tierkit review` check to another GitHub App
// (estate prop `ci.reviewAppId`) changes dist/ci/rulesets/tierkit-main.json (`integration_id`, the
// ruleset the operator applies) and dist/ci/review.json (the App whose token the post job mints).
// TK018/TK019 judge the head dist only for consistency, so check passes; and `tierkit diff` has no
// item for any `estate.ci` change: the sticky comment says "Nothing needs attention: no policy
// failure, privilege, network, gate or destroy change." The one control that makes the required
// status unforgeable by a branch (docs/pr-flow.md threat rows, TK019) is moved to an App of the
// author's choosing (one they administer, or any App installed on the repo with statuses: write)
// with no reviewer prompt. Secure: the comment names the review App change (severity ≤ 2).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanDist, synthDist } from '../policies/helpers';

const ROOT = resolvePath(__dirname, '../..');

describe('attack19: re-binding the required review check to another App is not flagged', () => {
  it('names the ci.reviewAppId change in the review comment', () => {
    const head = synthDist((estate) => {
      const ci = (estate as any).ci;
      (estate as any).ci = { ...ci, reviewAppId: 2222222 };
    }, 'attack19-review-app');
    const m = JSON.parse(readFileSync(join(head, 'manifest.json'), 'utf8'));
    expect(m.estate.ci.reviewAppId).toBe(2222222);
    expect(readFileSync(join(head, 'ci/rulesets/tierkit-main.json'), 'utf8')).toContain('2222222');
    const check = spawnSync(join(ROOT, 'node_modules/.bin/tsx'), [join(ROOT, 'cli/main.ts'), 'check', head, '--now', '2026-11-22T06:00:00Z'], { encoding: 'utf8' });
    expect(check.status, check.stdout + check.stderr).toBe(0); // TK018/TK019: consistent, so accepted
    const out = join(head, '..', `attack19-review-app-${process.pid}.md`);
    const r = spawnSync(join(ROOT, 'node_modules/.bin/tsx'), [join(ROOT, 'cli/main.ts'), 'diff', cleanDist(), head, '--now', '2026-11-22T06:00:00Z', '--max-chars', '60000', '--output', out], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const comment = readFileSync(out, 'utf8');
    expect(comment).not.toContain('Nothing needs attention');
    expect(comment).toMatch(/review App|reviewAppId/);
    expect(comment).toContain('2222222');
  }, 180_000);
});
