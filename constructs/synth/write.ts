import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';

/**
 * The output directory is the user's until proven tierkit's: `synth --out .` in an estate repo
 * must never empty the repo. A directory is tierkit's when it is empty or holds a manifest.json
 * that tierkit wrote; even then only the files that manifest lists are tierkit's.
 */
export class OutDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutDirError';
  }
}

/** The files a previous synth wrote into `dir` (its manifest.json and the artifacts it lists), or undefined when it is no tierkit dist. */
function ownedFiles(dir: string): Set<string> | undefined {
  let manifest: unknown;
  try {
    manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  } catch {
    return undefined;
  }
  const m = manifest as { generator?: { name?: unknown }; artifacts?: unknown };
  if (m?.generator?.name !== 'tierkit' || !Array.isArray(m.artifacts)) return undefined;
  const owned = new Set(['manifest.json']);
  for (const a of m.artifacts) if (typeof a?.path === 'string') owned.add(a.path.split('/').join(sep));
  return owned;
}

/** Relative paths of every entry under `dir` that is not a directory, plus empty directories. */
function entriesOf(dir: string, rel = ''): string[] {
  const out: string[] = [];
  const names = readdirSync(join(dir, rel));
  if (rel !== '' && names.length === 0) return [rel];
  for (const name of names) {
    const child = rel === '' ? name : join(rel, name);
    if (lstatSync(join(dir, child)).isDirectory()) out.push(...entriesOf(dir, child));
    else out.push(child);
  }
  return out;
}

/**
 * Check that `outDir` may receive a dist: missing, empty, or a tierkit dist. Returns the entries
 * of it that are not tierkit's (kept across the rewrite). Throws OutDirError otherwise.
 */
export function assertOutDirOwnable(outDir: string, files?: ReadonlyMap<string, string>): string[] {
  const target = resolve(outDir);
  if (!existsSync(target)) return [];
  if (!lstatSync(target).isDirectory()) {
    throw new OutDirError(`output directory ${target} is not a directory; pass --out <dir> naming a new or empty directory, or a previous tierkit dist`);
  }
  const entries = entriesOf(target);
  if (entries.length === 0) return [];
  const owned = ownedFiles(target);
  if (!owned) {
    throw new OutDirError(`refusing to write to ${target}: it is not empty and holds no manifest.json written by tierkit, so it is not a tierkit dist (tierkit replaces only its own output and never deletes your files); pass --out <dir> naming a new or empty directory, e.g. --out dist`);
  }
  const kept = entries.filter((e) => !owned.has(e));
  if (files) {
    const newDirs = new Set([...files.keys()].flatMap((f) => f.split('/').slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join(sep))));
    const clash = kept.find((k) => files.has(k.split(sep).join('/')) || newDirs.has(k)
      || [...files.keys()].some((f) => k.startsWith(f.split('/').join(sep) + sep)));
    if (clash) {
      throw new OutDirError(`refusing to write to ${target}: ${clash} is not listed in the previous manifest.json (tierkit did not write it) and the new output needs that path; move it out of the dist`);
    }
  }
  return kept;
}

/** A fresh sibling of `target` (never an existing path: a name the user chose is never reused). */
function siblingTemp(target: string, kind: string): string {
  return mkdtempSync(join(dirname(target), `.${basename(target)}.tierkit-${kind}-`));
}

/**
 * Replace tierkit's files in `outDir` with exactly `files`: written into a sibling temp dir, then
 * swapped in with renames, so on any failure before the swap the old dist stays as it was. Files
 * the previous manifest does not list (the user's) are moved into the new dist, never deleted.
 */
export function writeDist(outDir: string, files: ReadonlyMap<string, string>): void {
  const target = resolve(outDir);
  const kept = assertOutDirOwnable(target, files);
  mkdirSync(dirname(target), { recursive: true });
  const staging = siblingTemp(target, 'new');
  // Each directory made once: thousands of files share a few hundred (a recursive mkdir per file was ~0.1 s at 100×).
  const made = new Set<string>();
  try {
    for (const [rel, content] of files) {
      const file = resolve(staging, rel);
      if (!file.startsWith(staging + sep)) throw new Error(`artifact path escapes the output directory: ${rel}`);
      const dir = dirname(file);
      if (!made.has(dir)) {
        mkdirSync(dir, { recursive: true });
        made.add(dir);
      }
      writeFileSync(file, content);
    }
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw err;
  }
  if (!existsSync(target)) {
    renameSync(staging, target);
    return;
  }
  const previousHolder = siblingTemp(target, 'old');
  const previous = join(previousHolder, 'dist');
  renameSync(target, previous);
  renameSync(staging, target);
  for (const k of kept) {
    mkdirSync(dirname(join(target, k)), { recursive: true });
    renameSync(join(previous, k), join(target, k));
  }
  // What is left is tierkit's own previous output; verify before deleting anything.
  const owned = ownedFiles(previous) ?? new Set<string>();
  const leftover = entriesOf(previous).filter((e) => !owned.has(e) && !lstatSync(join(previous, e)).isDirectory());
  if (leftover.length > 0) throw new OutDirError(`the previous dist was kept at ${previous}: it still holds files tierkit did not write (${leftover.join(', ')})`);
  rmSync(previousHolder, { recursive: true, force: true });
}
