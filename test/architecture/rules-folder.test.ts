import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// policies/rules/ holds rules (one per file, TKnnn-<name>.ts), the rule lists and index.ts; shared
// helpers live in policies/rules/support/. The modules left at the helpers' old paths only re-export.
const DIR = join(__dirname, '..', '..', 'policies', 'rules');
const LISTS = ['index.ts', 'kubernetes-scope.ts', 'network-contract.ts'];

export function misplaced(files: ReadonlyMap<string, string>): string[] {
  const out: string[] = [];
  for (const [name, text] of files) {
    if (/^TK\d{3}-[a-z0-9-]+\.ts$/.test(name) || LISTS.includes(name)) continue;
    const code = text.split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('//'));
    if (code.length === 1 && code[0] === `export * from './support/${name.replace(/\.ts$/, '')}';`) continue;
    out.push(`policies/rules/${name}: neither a rule, a rule list nor a re-export of support/; move the helper to policies/rules/support/`);
  }
  return out;
}

describe('policies/rules/', () => {
  it('holds rules and rule lists; helpers are in support/', () => {
    const files = new Map(readdirSync(DIR).filter((f) => f.endsWith('.ts')).map((f) => [f, readFileSync(join(DIR, f), 'utf8')]));
    expect(files.size).toBeGreaterThan(70);
    expect(misplaced(files)).toEqual([]);
  });

  it('refuses a helper written beside the rules (shown)', () => {
    expect(misplaced(new Map([
      ['TK999-x.ts', 'export const rule = {};\n'],
      ['vault-reach.ts', "// moved\nexport * from './support/vault-reach';\n"],
      ['new-helper.ts', 'export function helper(): number { return 1; }\n'],
      ['sneaky.ts', "export * from './support/sneaky';\nexport const extra = 1;\n"],
    ]))).toEqual([
      'policies/rules/new-helper.ts: neither a rule, a rule list nor a re-export of support/; move the helper to policies/rules/support/',
      'policies/rules/sneaky.ts: neither a rule, a rule list nor a re-export of support/; move the helper to policies/rules/support/',
    ]);
  });
});
