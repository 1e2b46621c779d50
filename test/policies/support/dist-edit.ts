import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Manifest } from '../../../contract/manifest';
import { canonicalJson } from '../../../constructs/synth/serialize';

/**
 * Hand edits of a synthesized dist/, as an adversarial PR author makes them. `rehashManifest`
 * rewrites manifest.json's sha256s after an edit, so a test proves the edit is caught by the rule
 * that judges its content — not merely by the integrity check (TK020), which an author who
 * rewrites the hashes too gets past.
 */

/** Recompute every listed artifact's sha256 in dir/manifest.json (the way synth writes it). */
export function rehashManifest(dir: string): void {
  const path = join(dir, 'manifest.json');
  const manifest = JSON.parse(readFileSync(path, 'utf8')) as Manifest & { artifacts: { path: string; sha256: string }[] };
  for (const a of manifest.artifacts) {
    try {
      a.sha256 = createHash('sha256').update(readFileSync(join(dir, a.path))).digest('hex');
    } catch { /* a deleted artifact keeps its hash: the reader reports it missing */ }
  }
  writeFileSync(path, canonicalJson(manifest));
}

/** A copy of `src` (a dist dir) at `dest`. */
export function copyDist(src: string, dest: string): string {
  cpSync(src, dest, { recursive: true });
  return dest;
}

/** Edit one JSON file of a dist in place (the edit may mutate or return a replacement); rehash unless told not to. */
export function editJson(dir: string, rel: string, edit: (json: any) => any, options: { rehash?: boolean } = {}): void {
  const path = join(dir, rel);
  const json = JSON.parse(readFileSync(path, 'utf8'));
  const out = edit(json) ?? json;
  writeFileSync(path, `${JSON.stringify(out, null, 2)}\n`);
  if (options.rehash ?? true) rehashManifest(dir);
}

/** Write an extra file into a dist (a file tierkit never writes). */
export function addFile(dir: string, rel: string, content: string | object): void {
  const path = join(dir, rel);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
}
