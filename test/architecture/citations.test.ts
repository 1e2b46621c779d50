import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

// Comments cite design text the reader can open: docs/ files in this repository, never a design
// record that lives outside it (DESIGN.md did, and its citations pointed nowhere).
const ROOT = join(__dirname, '..', '..');
const FOLDERS = ['constructs', 'contract', 'policies', 'diff', 'ci', 'cli', 'promote', 'docs'];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : /\.(ts|md)$/.test(f) ? [p] : [];
  });
}

export function badCitations(path: string, text: string, exists: (docPath: string) => boolean): string[] {
  const out: string[] = [];
  if (/\bDESIGN(\.md)?\b/.test(text)) out.push(`${path}: cites DESIGN, which is not in the repository; cite docs/design.md`);
  for (const m of text.matchAll(/\bdocs\/([a-z0-9-]+\.md)\b/g)) if (!exists(m[1])) out.push(`${path}: cites docs/${m[1]}, which does not exist`);
  return out;
}

describe('design citations', () => {
  it('name docs/ files that exist, and never DESIGN.md', () => {
    const problems = FOLDERS.filter((f) => existsSync(join(ROOT, f))).flatMap((f) => files(join(ROOT, f)))
      .flatMap((p) => badCitations(relative(ROOT, p), readFileSync(p, 'utf8'), (doc) => existsSync(join(ROOT, 'docs', doc))));
    expect(problems).toEqual([]);
  });

  it('refuses a citation of DESIGN or of a missing doc (shown)', () => {
    expect(badCitations('x.ts', '// (DESIGN, isolation layer 5)\n// docs/design.md\n// docs/nowhere.md', (d) => d === 'design.md')).toEqual([
      'x.ts: cites DESIGN, which is not in the repository; cite docs/design.md',
      'x.ts: cites docs/nowhere.md, which does not exist',
    ]);
  });
});
