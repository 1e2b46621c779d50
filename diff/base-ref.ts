import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';

/**
 * Synthesize another git ref of this repository: a temporary `git worktree` (never the user's
 * working tree), synthesized by that ref's own tierkit — the base's library produced the base's
 * artifacts. The worktree is always removed.
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

/**
 * Run the base's own tierkit in its worktree. tierkit's own repository (its CLI sources in the
 * ref) runs them with this checkout's node_modules. An estate repo runs the tierkit its base
 * installs: this checkout's node_modules when the base's lockfile is byte-identical to this one
 * (the same versions, installed from the same integrity hashes), else `npm ci` in the worktree
 * from the base's own lockfile.
 */
function baseSynth(root: string, worktree: string, ref: string, dist: string): { cmd: string; args: string[] } {
  const modules = join(root, 'node_modules');
  if (existsSync(join(worktree, 'cli', 'main.ts'))) {
    if (existsSync(modules) && !existsSync(join(worktree, 'node_modules'))) symlinkSync(modules, join(worktree, 'node_modules'), 'dir');
    const tsx = join(modules, 'tsx', 'dist', 'cli.mjs');
    const [cmd, args] = existsSync(tsx) ? [process.execPath, [tsx]] : ['npx', ['--no-install', 'tsx']];
    return { cmd, args: [...args, 'cli/main.ts', 'synth', '--out', dist, '--quiet'] };
  }
  const lock = (dir: string) => (existsSync(join(dir, 'package-lock.json')) ? readFileSync(join(dir, 'package-lock.json')) : undefined);
  const baseLock = lock(worktree);
  if (!baseLock) throw new BaseRefError(`${ref} has no package-lock.json: its tierkit version is unknown; commit the lockfile, or synthesize the base yourself and run \`tierkit diff <base-dist> <head-dist>\``);
  const headLock = lock(root);
  if (headLock && headLock.equals(baseLock) && existsSync(join(modules, 'tierkit'))) {
    symlinkSync(modules, join(worktree, 'node_modules'), 'dir');
  } else {
    const npm = spawnSync('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: worktree, encoding: 'utf8' });
    if (npm.error || npm.status !== 0) throw new BaseRefError(`npm ci of ${ref} (its own lockfile) failed:\n${npm.error?.message ?? (npm.stderr || npm.stdout).trim()}`);
  }
  const bin = join(worktree, 'node_modules', 'tierkit', 'bin', 'tierkit');
  if (!existsSync(bin)) throw new BaseRefError(`${ref} does not install tierkit (no node_modules/tierkit after installing its lockfile): add tierkit to its package.json`);
  return { cmd: process.execPath, args: [bin, 'synth', '--out', dist, '--quiet'] };
}

/**
 * Where the base's worktree goes: in an estate repo beside the repository (same depth, so a
 * lockfile's relative file: paths — a tierkit tarball next to the repo — resolve there as in the
 * repository), else (tierkit's own sources, or an unwritable parent) under the temp dir.
 */
function worktreeDir(root: string, commit: string, tmp: string): string {
  if (!git(root, ['cat-file', '-e', `${commit}:cli/main.ts`]).ok) {
    try {
      return mkdtempSync(join(dirname(root), `.${basename(root)}-tierkit-base-`));
    } catch {
      // fall through: the temp dir
    }
  }
  return join(tmp, 'worktree');
}

/** Run `fn` with the dist synthesized from `ref`; everything temporary is gone when it returns or throws. */
export async function withBaseRefDist<T>(cwd: string, ref: string, fn: (dist: string, commit: string) => Promise<T> | T): Promise<T> {
  const root = repositoryRoot(cwd);
  const commit = resolveCommit(root, ref);
  const tmp = mkdtempSync(join(tmpdir(), 'tierkit-diff-'));
  const worktree = worktreeDir(root, commit, tmp);
  const dist = join(tmp, 'dist');
  try {
    const add = git(root, ['worktree', 'add', '--detach', '--quiet', worktree, commit]);
    if (!add.ok) throw new BaseRefError(`git worktree add failed for ${ref}: ${add.err}`);
    const sub = relative(root, cwd);
    const { cmd, args } = baseSynth(root, worktree, ref, dist);
    // The estate repo may sit below the git root: synthesize from the same subdirectory.
    const synth = spawnSync(cmd, args, { cwd: sub && !sub.startsWith('..') && existsSync(join(worktree, sub)) ? join(worktree, sub) : worktree, encoding: 'utf8' });
    if (synth.error || synth.status !== 0) {
      const why = synth.error?.message ?? (synth.stderr || synth.stdout).trim();
      throw new BaseRefError(`synth of the base ${ref} (${commit.slice(0, 12)}) failed:\n${why}`);
    }
    return await fn(dist, commit);
  } finally {
    git(root, ['worktree', 'remove', '--force', worktree]);
    rmSync(worktree, { recursive: true, force: true });
    rmSync(tmp, { recursive: true, force: true });
    git(root, ['worktree', 'prune']);
  }
}
