import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENGINE_RULES } from '../../policies/engine';
import { RULES } from '../../policies/rules';

/**
 * docs/policies.md's rule tables are tested against the rule list (issue 20): a rule added
 * without its row, a row of a removed rule, or a row whose suppressible column or the list of
 * unsuppressible rules disagrees with the code fails here.
 */
const DOC = readFileSync(join(__dirname, '..', '..', 'docs', 'policies.md'), 'utf8');
const rows = [...DOC.matchAll(/^\| (TK\d{3}) \|(.*)\|\s*$/gm)].map((m) => ({ id: m[1], cells: m[2].split(' | ').map((c) => c.trim()) }));

/** `TK001–TK005, TK009 and TK110–TK116` → every id it names. */
function expandIds(text: string): string[] {
  return [...text.matchAll(/TK(\d{3})(?:–TK(\d{3}))?/g)].flatMap(([, a, b]) => {
    const [from, to] = [Number(a), Number(b ?? a)];
    return Array.from({ length: to - from + 1 }, (_, i) => `TK${String(from + i).padStart(3, '0')}`);
  });
}

describe('docs/policies.md and the rule list', () => {
  it('every rule has exactly one row, and every row is a rule', () => {
    expect(RULES.length).toBeGreaterThan(40);
    expect(rows.map((r) => r.id).sort()).toEqual(RULES.map((r) => r.id).sort());
  });

  it('a row with a suppressible column says what the rule does', () => {
    const withColumn = rows.filter((r) => /^(yes|no)\b/.test(r.cells[r.cells.length - 1]));
    expect(withColumn.length).toBeGreaterThan(30);
    for (const r of withColumn) {
      const rule = RULES.find((x) => x.id === r.id)!;
      expect(r.cells[r.cells.length - 1].startsWith('yes'), `${r.id} suppressible`).toBe(rule.suppressible);
    }
  });

  it('the list of rules that cannot be suppressed is the rules that cannot be suppressed', () => {
    const sentence = /Rules (TK[^.]*?) guard the isolation boundary and cannot be\s+suppressed/.exec(DOC);
    expect(sentence, 'the sentence listing the unsuppressible rules').not.toBeNull();
    expect(expandIds(sentence![1]).sort()).toEqual(RULES.filter((r) => !r.suppressible).map((r) => r.id).sort());
  });

  it("the engine's own findings are each described", () => {
    const prose = DOC.replace(/\s+/g, ' ');
    for (const r of ENGINE_RULES) expect(prose, r.id).toContain(`**${r.id}** (${r.severity})`);
  });
});
