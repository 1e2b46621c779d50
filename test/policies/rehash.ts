import { createHash } from 'node:crypto';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Rewrite manifest.json's artifact sha256s to match the files as they now are: what an author
 * who hand-edits dist/ does so that the hash check passes. A dist edit in a test then has to be
 * caught by the rule that judges its content, not by the integrity check.
 */
export function rehashManifest(dir: string): void {
  const path = join(dir, 'manifest.json');
  const manifest = JSON.parse(readFileSync(path, 'utf8'));
  for (const a of manifest.artifacts) {
    a.sha256 = createHash('sha256').update(readFileSync(join(dir, a.path))).digest('hex');
  }
  writeFileSync(path, `${JSON.stringify(manifest, null, 2)}\n`);
}

/** Copy `from` to `to`, change listed stacks' JSON with `edit`, and re-hash the manifest. */
export function editDist(from: string, to: string, edits: Record<string, (json: any) => void>): string {
  cpSync(from, to, { recursive: true });
  for (const [stack, edit] of Object.entries(edits)) {
    const file = join(to, 'terraform', stack, 'cdk.tf.json');
    const json = JSON.parse(readFileSync(file, 'utf8'));
    edit(json);
    writeFileSync(file, JSON.stringify(json, null, 2));
  }
  rehashManifest(to);
  return to;
}

/** Edits a dist's manifest.json in place and re-hashes it (a hand edit that keeps the manifest's own hash true). */
export function manifestEdit(dir: string, edit: (manifest: any) => void): void {
  const path = join(dir, 'manifest.json');
  const m = JSON.parse(readFileSync(path, 'utf8'));
  edit(m);
  writeFileSync(path, `${JSON.stringify(m, null, 2)}\n`);
  rehashManifest(dir);
}
