import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareStrings } from '../constructs/synth/serialize';

/** Write generated files, or tell which ones on disk differ from them (`--check`). */

export interface Staleness {
  readonly missing: string[];
  readonly different: string[];
}

export function staleFiles(dir: string, files: ReadonlyMap<string, string>): Staleness {
  const missing: string[] = [];
  const different: string[] = [];
  for (const name of [...files.keys()].sort(compareStrings)) {
    const path = join(dir, name);
    if (!existsSync(path)) missing.push(name);
    else if (readFileSync(path, 'utf8') !== files.get(name)) different.push(name);
  }
  return { missing, different };
}

/** Files in `dir` that tierkit generated once but no longer does (a header marks them). */
export function orphanedFiles(dir: string, files: ReadonlyMap<string, string>, marker: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => /\.ya?ml$/.test(n) && !files.has(n))
    .filter((n) => readFileSync(join(dir, n), 'utf8').startsWith(marker))
    .sort(compareStrings);
}

export function writeFiles(dir: string, files: ReadonlyMap<string, string>): string[] {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const [name, content] of [...files].sort(([a], [b]) => compareStrings(a, b))) {
    const path = join(dir, name);
    if (existsSync(path) && readFileSync(path, 'utf8') === content) continue;
    writeFileSync(path, content);
    written.push(name);
  }
  return written;
}
