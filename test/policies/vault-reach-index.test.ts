import { describe, expect, it } from 'vitest';
import { literalPrefix, overlapWitness, simplePattern } from '../../policies/graph/vault-paths';
import { OwnedPath, ReachIndex, simpleWitness } from '../../policies/rules/support/vault-reach';

// The index only narrows the candidates: what it answers must be every owned path the brute force finds.
describe('ReachIndex (policies/rules/support/vault-reach.ts)', () => {
  it('finds exactly the owned paths a pattern overlaps, as a scan of every owned path does', () => {
    let seed = 11;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
    // A hostile name may hold NUL, non-ASCII or astral characters: code-unit order (as `<` compares) must hold for them too.
    const segment = () => pick(['db', 'creds', 'roles', 'a', 'ab', 'erp-dev', 'erp-dev-1', '+', 'kv', 'data', '', 'a\u0000', '\u00e9', '\ud83d\ude00', '\ufb00']);
    const path = () => Array.from({ length: 1 + Math.floor(rnd() * 4) }, segment).join('/') + pick(['', '', '*', '/*', '/']);
    const owned: OwnedPath[] = Array.from({ length: 300 }, () => ({ pattern: path(), owner: { kind: 'shared' } }));
    const index = new ReachIndex(owned);
    const key = (x: { owned: OwnedPath; witness: string }) => `${owned.indexOf(x.owned)} ${x.witness}`;
    for (let i = 0; i < 400; i++) {
      const p = path();
      const brute = owned.flatMap((o) => {
        const witness = overlapWitness(p, o.pattern);
        return witness === undefined ? [] : [{ owned: o, witness }];
      });
      expect(index.reached(p).map(key).sort(), p).toEqual(brute.map(key).sort());
      // TK007 names the first owners it finds: the order is the owned paths' literal prefixes (code
      // units), then their order in `owned`, as the sorted-prefix index has always answered.
      const byPrefix = (a: { owned: OwnedPath }, b: { owned: OwnedPath }) => {
        const x = literalPrefix(a.owned.pattern);
        const y = literalPrefix(b.owned.pattern);
        return x < y ? -1 : x > y ? 1 : owned.indexOf(a.owned) - owned.indexOf(b.owned);
      };
      expect(index.reached(p).map(key), p).toEqual([...brute].sort(byPrefix).map(key));
    }
  });

  it('two patterns that share a path always have one literal prefix starting with the other (the prefilter TK096 and the index rely on)', () => {
    let seed = 29;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
    const segment = () => pick(['kvv2', 'data', 'tierkit', 'postgres-admin', 'pg', 'pg-1', '+', 'a*', '', 'x+']);
    const path = () => Array.from({ length: 1 + Math.floor(rnd() * 5) }, segment).join('/') + pick(['', '', '*', '/*', '/']);
    let overlapping = 0;
    for (let i = 0; i < 4000; i++) {
      const p = path();
      const q = path();
      if (overlapWitness(p, q) === undefined) continue;
      overlapping++;
      const [a, b] = [literalPrefix(p), literalPrefix(q)];
      expect(a.startsWith(b) || b.startsWith(a), `${p} / ${q}`).toBe(true);
    }
    expect(overlapping).toBeGreaterThan(100);
  });

  it('simpleWitness answers as overlapWitness for every pair of simple patterns (the index calls it in its place)', () => {
    let seed = 47;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
    const segment = () => pick(['kvv2', 'data', 'erp', 'erp-dev', 'e', '', '*', 'a*', 'x+', '+x', '\u0000', '\ud83d\ude00']);
    const path = () => Array.from({ length: 1 + Math.floor(rnd() * 4) }, segment).join('/') + pick(['', '', '*', '**', '/*', '/']);
    let compared = 0;
    for (let i = 0; i < 20_000; i++) {
      const p = path();
      const q = rnd() < 0.3 ? p : rnd() < 0.5 ? p.slice(0, Math.floor(rnd() * (p.length + 1))) + pick(['', '*', 'a', '/']) : path();
      const sp = simplePattern(p);
      const sq = simplePattern(q);
      if (!sp || !sq) continue;
      compared += 1;
      expect(simpleWitness(p, sp, q, sq), `${p} | ${q}`).toBe(overlapWitness(p, q));
    }
    // Most pairs are simple (no `+` segment): the comparison is not vacuous.
    expect(compared).toBeGreaterThan(10_000);
  });
});
