import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DistProblem } from '../../contract/problems';
import { readRegularFile } from '../../contract/read';

/**
 * What is under a dist/ directory, entry by entry, as lstat sees it: a regular file by the sha256 of
 * its bytes (read without following a link), a directory as such, anything else (a symbolic link, whose
 * target's bytes could change while the link does not: attack11) as "not a regular file" — which the
 * reader refuses too (contract/read.ts notRegularProblems). `check` takes it before the repo's own rules run and again
 * after: they run as a process with the check's file-system rights, and a rule (or a package it
 * loads) that rewrote dist/ and its manifest hashes would have the built-in rules judge one dist
 * while CI uploads and applies another.
 */
export type DistFingerprint = ReadonlyMap<string, string>;

export function distFingerprint(distDir: string): DistFingerprint {
  const dir = resolve(distDir);
  const out = new Map<string, string>();
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(dir, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[];
  } catch (err) {
    out.set('', `unreadable (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    return out;
  }
  for (const e of entries) {
    const full = join(e.parentPath ?? (e as any).path, e.name);
    const rel = full.slice(dir.length + 1).split('\\').join('/');
    try {
      out.set(rel, e.isDirectory() ? 'directory'
        : e.isFile() ? `sha256 ${createHash('sha256').update(readRegularFile(full)).digest('hex')}` : 'not a regular file');
    } catch (err) {
      // Gone between the listing and the read, or unreadable: a state of its own, never "unchanged".
      out.set(rel, `unreadable (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  }
  return out;
}

/** Every entry that differs between two fingerprints of one dist/, as strict-reader problems (TK020), sorted. */
export function distChanges(before: DistFingerprint, after: DistFingerprint, during: string): DistProblem[] {
  const out: DistProblem[] = [];
  for (const rel of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    const was = before.get(rel);
    const is = after.get(rel);
    if (was === is) continue;
    const what = was === undefined ? `was created (${is})` : is === undefined ? `was deleted (it was: ${was})` : `changed (${was} before, ${is} after)`;
    out.push({
      file: rel === '' ? '.' : rel, pointer: '',
      reason: `${what} while ${during} ran: the built-in rules judged dist/ as it was before, but what CI uploads and applies is what is there now`,
      fix: 'a rule in policies/ (or a module it loads) writes to dist/: remove that; a rule only reads the estate graph it is given',
    });
  }
  return out;
}

/**
 * One sha256 for a fingerprint: each entry's path and state, sorted by path. `check --digest-out`
 * writes it for dist/ as it was before any of the repo's code ran in check, and `check --verify-digest`
 * recomputes it where CI uploads dist/: the verdict binds to those bytes, whatever runs later.
 */
export function fingerprintDigest(fingerprint: DistFingerprint): string {
  const h = createHash('sha256');
  for (const rel of [...fingerprint.keys()].sort()) h.update(`${JSON.stringify(rel)} ${JSON.stringify(fingerprint.get(rel))}\n`);
  return h.digest('hex');
}
