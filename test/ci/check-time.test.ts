import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { synthesize } from '../../constructs/synth/synthesize';
import estate from '../../environments';
import { tierkit } from '../diff/cli';
import { writeEstate } from '../diff/fixtures';
import { testTmp } from '../setup/tmpdir';
import { runStep, step, Workflow, workflows } from './support';

/**
 * `tierkit check` judges sandbox expiry at `--now`. Without it CI used the wall clock, so the same
 * commit went red once the example sandboxes expired. The PR workflow passes the later of the head
 * and base commits' committer times: reproducible, and a back-dated head cannot revive a sandbox.
 */

let pr: Workflow;

beforeAll(() => {
  pr = workflows(synthesize(estate()).manifest).pr;
});

/** A git repository with a base commit and a head commit at the given committer dates; returns their shas. */
function repo(dir: string, baseDate: string, headDate: string): { base: string; head: string } {
  const git = (args: string[], date?: string) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.org', '-c', 'commit.gpgsign=false', ...args], {
    cwd: dir, encoding: 'utf8', env: { ...process.env, ...(date ? { GIT_COMMITTER_DATE: date, GIT_AUTHOR_DATE: date } : {}) },
  }).trim();
  git(['init', '-q']);
  git(['commit', '-q', '--allow-empty', '-m', 'base'], baseDate);
  const base = git(['rev-parse', 'HEAD']);
  git(['commit', '-q', '--allow-empty', '-m', 'head'], headDate);
  return { base, head: git(['rev-parse', 'HEAD']) };
}

/** Run the generated check step with `npx` replaced by a recorder; returns the arguments tierkit got. */
function checkArgs(baseDate: string, headDate: string): string[] {
  const bin = testTmp('ci', `npx-shim-${process.pid}`);
  writeFileSync(join(bin, 'npx'), '#!/bin/sh\nprintf "%s\\n" "$@" > npx-args.txt\n');
  chmodSync(join(bin, 'npx'), 0o755);
  let shas = { base: '', head: '' };
  const r = runStep(step(pr.jobs.diff, 'check'), {}, {
    'github.event.pull_request.head.sha': 'HEAD', 'github.event.pull_request.base.sha': 'HEAD~1',
  }, { path: bin, setup: (dir) => { shas = repo(dir, baseDate, headDate); } });
  expect(r.status, r.stderr).toBe(0);
  expect(shas.head).toMatch(/^[0-9a-f]{40}$/);
  return readFileSync(join(r.dir, 'npx-args.txt'), 'utf8').trim().split('\n');
}

const nowOf = (args: string[]) => args[args.indexOf('--now') + 1];

describe('tierkit check in CI evaluates at the commits\' time', () => {
  it('passes --now: the head\'s committer time when it is the later one', () => {
    const args = checkArgs('2026-11-20T10:00:00+02:00', '2026-11-21T08:15:00+01:00');
    expect(args.slice(0, 6)).toEqual(['--no-install', 'tierkit', 'check', 'dist', '--format', 'sarif']);
    expect(nowOf(args)).toBe('2026-11-21T08:15:00+01:00');
  });

  it('a head commit back-dated before its base is judged at the base\'s time', () => {
    expect(nowOf(checkArgs('2026-11-20T10:00:00+02:00', '2025-01-01T00:00:00+00:00'))).toBe('2026-11-20T10:00:00+02:00');
  });

  it('tierkit check accepts git\'s committer-time format as --now and evaluates at that instant', () => {
    const dist = writeEstate(testTmp('ci', `check-now-${process.pid}`, 'dist'));
    mkdirSync(dist, { recursive: true });
    const r = tierkit(['check', dist, '--now', '2026-11-21T12:00:00+02:00']);
    expect(r.status, r.stderr).not.toBe(2); // not a usage error: 0 or 1 is the policy verdict
    expect(r.stdout + r.stderr).toContain('evaluated at 2026-11-21T10:00:00.000Z');
  });
});
