import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALLOWED } from './layering';

// The README's Layout table names every folder of the repository (issue 20), and its "may import"
// column agrees with the layering test's ALLOWED: a new folder, or a changed rule, fails here until
// the table says so. Folders that are build or run output (git-ignored) are not part of the layout.
const ROOT = join(__dirname, '..', '..');
const OUTPUT = new Set(['.git', 'node_modules', 'dist', 'lib', '.tmp', '.tierkit']);

/** The folders the Layout table's first column names (`a/`, `b/` split), and each row's last cell. */
export function layoutRows(readme: string): Map<string, string> {
  const section = readme.split(/^## Layout$/m)[1]?.split(/^## /m)[0] ?? '';
  const rows = new Map<string, string>();
  for (const line of section.split('\n')) {
    const cells = line.split(/(?<!\\)\|/).map((c) => c.trim());
    if (cells.length < 4 || !cells[1].startsWith('`')) continue;
    for (const m of cells[1].matchAll(/`([^`]+)\/`/g)) rows.set(m[1], cells[cells.length - 2]);
  }
  return rows;
}

describe('README Layout', () => {
  const rows = layoutRows(readFileSync(join(ROOT, 'README.md'), 'utf8'));

  it('names every folder of the repository', () => {
    const folders = readdirSync(ROOT, { withFileTypes: true }).filter((d) => d.isDirectory() && !OUTPUT.has(d.name)).map((d) => d.name);
    expect(folders.filter((f) => !rows.has(f) && ![...rows.keys()].some((r) => r.startsWith(`${f}/`)))).toEqual([]);
  });

  it('says what each judged folder may import, as the layering test enforces it', () => {
    for (const [folder, allowed] of Object.entries(ALLOWED)) {
      const cell = rows.get(folder) ?? '';
      const named = [...cell.matchAll(/`([a-z]+)\/`/g)].map((m) => m[1]).sort();
      expect(named, `${folder}: "${cell}"`).toEqual([...allowed].sort());
    }
  });

  it('a folder missing from the table, or a wrong import column, is caught', () => {
    const readme = '## Layout\n\n| folder | what | may import |\n|---|---|---|\n| `constructs/` | the library | `contract/`, `policies/` |\n\n## Next\n';
    const r = layoutRows(readme);
    expect([...r.keys()]).toEqual(['constructs']);
    expect([...r.get('constructs')!.matchAll(/`([a-z]+)\/`/g)].map((m) => m[1])).not.toEqual([...ALLOWED.constructs]);
  });
});
