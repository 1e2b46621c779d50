import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Synthesize another git ref of this repository: a temporary `git worktree` (never the user's
 * working tree), synthesized by that ref's own CLI — the base's library produced the base's
 * artifacts — with this checkout's node_modules. The worktree is always removed.
 */
export class BaseRefError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BaseRefError';
  }
}

function git(cwd: string, args: string[]): { ok: boolean; out: string; err: string } {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8' });
  if (r.error) throw new BaseRefError(`cannot run git: ${r.error.message}`);
  return { ok: r.status === 0, out: r.stdout.trim(), err: r.stderr.trim() };
}

export function repositoryRoot(cwd: string): string {
  const r = git(cwd, ['rev-parse', '--show-toplevel']);
  if (!r.ok) throw new BaseRefError(`--base-ref needs a git repository, and ${cwd} is not in one`);
  return r.out;
}

export function resolveCommit(root: string, ref: string): string {
  if (ref.startsWith('-')) throw new BaseRefError(`--base-ref "${ref}" is not a git ref`);
  const r = git(root, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  if (!r.ok) throw new BaseRefError(`--base-ref "${ref}" is not a commit in ${root} (fetch it first, e.g. git fetch origin ${ref})`);
  return r.out;
}

/** Run `fn` with the dist synthesized from `ref`; everything temporary is gone when it returns or throws. */
export async function withBaseRefDist<T>(cwd: string, ref: string, fn: (dist: string, commit: string) => Promise<T> | T): Promise<T> {
  const root = repositoryRoot(cwd);
  const commit = resolveCommit(root, ref);
  const tmp = mkdtempSync(join(tmpdir(), 'tierkit-diff-'));
  const worktree = join(tmp, 'worktree');
  const dist = join(tmp, 'dist');
  try {
    const add = git(root, ['worktree', 'add', '--detach', '--quiet', worktree, commit]);
    if (!add.ok) throw new BaseRefError(`git worktree add failed for ${ref}: ${add.err}`);
    const entry = join(worktree, 'cli', 'main.ts');
    if (!existsSync(entry)) {
      throw new BaseRefError(`${ref} has no tierkit CLI (cli/main.ts); synthesize it yourself and run \`tierkit diff <base-dist> <head-dist>\``);
    }
    const modules = join(root, 'node_modules');
    if (existsSync(modules) && !existsSync(join(worktree, 'node_modules'))) symlinkSync(modules, join(worktree, 'node_modules'), 'dir');
    const tsx = join(modules, 'tsx', 'dist', 'cli.mjs');
    const [cmd, args] = existsSync(tsx) ? [process.execPath, [tsx]] : ['npx', ['--no-install', 'tsx']];
    const synth = spawnSync(cmd, [...args, 'cli/main.ts', 'synth', '--out', dist, '--quiet'], { cwd: worktree, encoding: 'utf8' });
    if (synth.error || synth.status !== 0) {
      const why = synth.error?.message ?? (synth.stderr || synth.stdout).trim();
      throw new BaseRefError(`synth of ${ref} (${commit.slice(0, 12)}) failed:\n${why}`);
    }
    return await fn(dist, commit);
  } finally {
    git(root, ['worktree', 'remove', '--force', worktree]);
    rmSync(tmp, { recursive: true, force: true });
    git(root, ['worktree', 'prune']);
  }
}
