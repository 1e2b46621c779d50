import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { artifactFiles } from '../contract/read';

/**
 * Artifact files present in both dists with the same bytes. Their resources and objects cannot
 * differ, so the diff never parses them: a one-app change in a large estate reads two files per
 * side instead of thousands. Compared by content, not by the manifest's sha256, so a hand-edited
 * file is never mistaken for unchanged.
 */
export function identicalFiles(baseDir: string, headDir: string): Set<string> {
  const base = resolve(baseDir);
  const head = resolve(headDir);
  const headFiles = new Set(artifactFiles(head));
  const same = new Set<string>();
  for (const rel of artifactFiles(base)) {
    if (headFiles.has(rel) && readFileSync(join(base, rel)).equals(readFileSync(join(head, rel)))) same.add(rel);
  }
  return same;
}
