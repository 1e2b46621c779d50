import { describe, expect, it } from 'vitest';
import { valuesAtPath } from '../../policies/rules/support/values-at';

/** The recursion TK038 (valuesAt) and TK039 (refs) used before valuesAtPath, kept as the oracle. */
function oracle(v: unknown, path: (string | number)[], prefix: (string | number)[] = []): [unknown, (string | number)[]][] {
  if (path.length === 0) return v === undefined ? [] : [[v, prefix]];
  const [head, ...rest] = path;
  if (head === '*') {
    if (Array.isArray(v)) return v.flatMap((x, i) => oracle(x, rest, [...prefix, i]));
    return v === undefined ? [] : oracle(v, rest, prefix);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return [];
  return oracle((v as Record<string, unknown>)[head as string], rest, [...prefix, head]);
}

describe('valuesAtPath (policies/rules/support/values-at.ts)', () => {
  it('answers as the recursion it replaces, on hostile shapes: null, strings, sparse arrays, __proto__, nested *', () => {
    let seed = 5;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
    const keys = ['role', 'roles', 'policy', 'arg', 'name', '__proto__', 'constructor', '0'];
    const value = (depth: number): unknown => {
      const k = rnd();
      if (depth > 3 || k < 0.25) return pick([null, undefined, '', 'x', 0, 1, true, 'public']);
      if (k < 0.55) {
        const a: unknown[] = Array.from({ length: Math.floor(rnd() * 4) }, () => value(depth + 1));
        if (rnd() < 0.2) a[a.length + 1] = 'after-hole'; // a sparse array
        return a;
      }
      const o: Record<string, unknown> = {};
      for (let i = Math.floor(rnd() * 4); i > 0; i--) Object.defineProperty(o, pick(keys), { value: value(depth + 1), enumerable: true, configurable: true, writable: true });
      return o;
    };
    const path = () => Array.from({ length: Math.floor(rnd() * 4) }, () => pick([...keys, '*', '*']));
    let nonEmpty = 0;
    for (let i = 0; i < 5_000; i++) {
      const v = value(0);
      const p = path();
      const want = oracle(v, p);
      if (want.length > 0) nonEmpty += 1;
      expect(valuesAtPath(v, p), JSON.stringify(p)).toEqual(want);
    }
    expect(nonEmpty).toBeGreaterThan(500);
  });
});
