// attack17: the review workflow's check step judges the head dist at `now` = the later of main's
// and the HEAD commit's committer time, which it takes from repos.getCommit — i.e. from the git
// commit object the PR author wrote (GIT_COMMITTER_DATE is free text). A head commit dated a year
// ahead moves the evaluation instant a year ahead: TK123 (sandbox created after --now, "never
// suppressible") no longer fires, TK015 only warns about the other sandboxes, and check exits 0.
// The dist is honest (main synthesizes the same bytes, so locate's distSha256 binding holds) and
// nothing after the merge judges it again: a 72 h sandbox "created" next year lives a year.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Sandbox, SandboxKind, Tier } from '../../constructs';
import { synthesize } from '../../constructs/synth/synthesize';
import estate from '../../environments';
import { synthDist } from '../policies/helpers';
import { testTmp } from '../setup/tmpdir';
import { step, workflows, type Workflow } from '../ci/support';

const ROOT = resolvePath(__dirname, '../..');
let review: Workflow;
beforeAll(() => { ({ review } = workflows(synthesize(estate()).manifest)); });

function layout(dist: string): string {
  const dir = testTmp('attack', `review-now-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'npx'), `#!/bin/sh\nshift 2\nexec "${join(ROOT, 'node_modules/.bin/tsx')}" "${join(ROOT, 'cli/main.ts')}" "$@"\n`);
  chmodSync(join(bin, 'npx'), 0o755);
  mkdirSync(join(dir, 'main'));
  spawnSync('git', ['init', '-q', join(dir, 'main')]);
  spawnSync('git', ['-C', join(dir, 'main'), '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '--allow-empty', '-m', 'main'],
    { env: { ...process.env, GIT_AUTHOR_DATE: '2026-11-20T00:00:00Z', GIT_COMMITTER_DATE: '2026-11-20T00:00:00Z' } });
  cpSync(dist, join(dir, 'head/dist'), { recursive: true });
  return dir;
}

function runCheck(dir: string, headAt: string): Record<string, string> {
  const s = step(review.jobs.review, 'check');
  const r = spawnSync('bash', ['-e', '-o', 'pipefail', '-c', s.run], {
    cwd: join(dir, 'main'), encoding: 'utf8',
    env: { PATH: `${join(dir, 'bin')}:${process.env.PATH}`, HOME: process.env.HOME ?? dir, GITHUB_OUTPUT: join(dir, '.out'), HEAD_COMMITTED_AT: headAt },
  });
  expect(r.status, r.stderr).toBe(0);
  const out: Record<string, string> = Object.fromEntries(readFileSync(join(dir, '.out'), 'utf8').trim().split('\n').map((l) => l.split('=') as [string, string]));
  return { ...out, stdout: r.stdout };
}

describe('attack17: a forward-dated head commit moves the review\'s evaluation instant', () => {
  it('refuses a sandbox created a year ahead even when the head commit claims to be from then', () => {
    // The PR: sandboxes/crm/later.json with createdAt next year (a hand edit), committed with
    // GIT_COMMITTER_DATE=2027-11-21T01:00:00Z. The uploaded dist is exactly what the head synthesizes.
    const dist = synthDist((e) => {
      new Sandbox(e.node.tryFindChild('crm') as any, 'later', { tier: Tier.DEV, kind: SandboxKind.ENGINEER, owner: 'arcodange', createdAt: '2027-11-21', ttlHours: 72 });
    }, 'attack17-later');
    // Honest commit time: TK123 refuses it.
    expect(runCheck(layout(dist), '2026-11-22T06:00:00Z').rc).toBe('1');
    // Forward-dated commit: secure behaviour is still a failure (the instant must not be the author's to choose).
    const forged = runCheck(layout(dist), '2027-11-21T01:00:00Z');
    expect(forged.rc, `now=${forged.now}\n${forged.stdout}`).not.toBe('0');
  }, 240_000);
});
