import { beforeAll, describe, expect, it } from 'vitest';
import { overlapWitness } from '../../policies/graph/vault-paths';
import { loadSqlParser, parseSql, sameTree, stripLocations } from '../../policies/graph/sql';
import { LiteralTargets } from '../../policies/rules/support/literal-targets';

// The shortcuts the rules take must answer exactly what the work they skip answered.
function lcg(seed: number) {
  return () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
}

describe('LiteralTargets (TK147): candidates hold every target overlapWitness overlaps, in order', () => {
  const parts = ['db', 'creds', 'a', 'ab', 'a+b', '+', '*', '', 'kv', 'data', 'x*y', 'tierkit-planner-s1'];
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    it(`seed ${seed}`, () => {
      const rnd = lcg(seed);
      const path = () => {
        const n = 1 + Math.floor(rnd() * 4);
        let p = Array.from({ length: n }, () => parts[Math.floor(rnd() * parts.length)]).join('/');
        if (rnd() < 0.3) p += '*';
        if (rnd() < 0.1) p = `/${p}`;
        return p;
      };
      const targets = Array.from({ length: 60 }, path);
      const index = new LiteralTargets(targets);
      for (let k = 0; k < 400; k++) {
        const p = path();
        const overlapping = targets.map((t, i) => (overlapWitness(p, t) === undefined ? -1 : i)).filter((i) => i >= 0);
        const candidates = index.candidates(p);
        expect([...candidates].sort((a, b) => a - b)).toEqual(candidates);
        expect(candidates.filter((i) => overlapWitness(p, targets[i]) !== undefined)).toEqual(overlapping);
      }
    });
  }
});

describe('sameTree (parseVaultStatement): as JSON.stringify of the trees without locations', () => {
  beforeAll(() => loadSqlParser());

  it('agrees on random JSON trees with location keys, key order and type confusions', () => {
    const rnd = lcg(11);
    const keys = ['a', 'b', 'location', 'stmt_len', 'stmt_location', '0', 'String', '__proto__'];
    const leaf = () => [0, 1, -0, '1', '', 'x', true, false, null][Math.floor(rnd() * 9)];
    const tree = (d: number): unknown => {
      const r = rnd();
      if (d === 0 || r < 0.3) return leaf();
      if (r < 0.55) return Array.from({ length: Math.floor(rnd() * 3) }, () => tree(d - 1));
      const o: Record<string, unknown> = {};
      for (let i = Math.floor(rnd() * 4); i > 0; i--) o[keys[Math.floor(rnd() * keys.length)]] = tree(d - 1);
      return JSON.parse(JSON.stringify(o)); // as libpg-query hands them over
    };
    let equal = 0;
    for (let k = 0; k < 3000; k++) {
      const a = tree(3);
      const b = rnd() < 0.5 ? JSON.parse(JSON.stringify(a)) : tree(3);
      const expected = JSON.stringify(stripLocations(a)) === JSON.stringify(stripLocations(b));
      if (expected) equal++;
      expect(sameTree(a, b)).toBe(expected);
    }
    expect(equal).toBeGreaterThan(1000);
    const proto = JSON.parse('{"__proto__":{"x":1},"a":2}');
    expect(sameTree(proto, { a: 2 })).toBe(JSON.stringify(stripLocations(proto)) === JSON.stringify(stripLocations({ a: 2 })));
    expect(sameTree({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(false);
  });

  it('agrees on real statements parsed whole and by piece', () => {
    const texts = [
      'CREATE ROLE "tierkit_vault_user" WITH LOGIN PASSWORD \'p\' CONNECTION LIMIT 10 IN ROLE "r"',
      'CREATE ROLE "tierkit_vault_user" WITH LOGIN PASSWORD \'p\' CONNECTION LIMIT 11 IN ROLE "r"',
      'ALTER ROLE "tierkit_vault_user" SET statement_timeout = \'300s\'', 'ALTER ROLE "tierkit_vault_user" SET ROLE "r"',
      'DROP ROLE IF EXISTS "tierkit_vault_user"', 'DROP ROLE IF EXISTS tierkit_vault_user', 'GRANT "a" TO CURRENT_USER',
    ];
    let same = 0;
    for (const a of texts) {
      for (const b of texts) {
        for (const [x, y] of [[a, b], [`${a};`, b], [`  ${a}`, `${b} ;`]]) {
          const pa = parseSql(x);
          const pb = parseSql(y);
          if (!pa.ok || !pb.ok) throw new Error(`${x} / ${y} do not parse`);
          const expected = JSON.stringify(stripLocations(pa.stmts[0])) === JSON.stringify(stripLocations(pb.stmts[0]));
          if (expected) same++;
          expect(sameTree(pa.stmts[0], pb.stmts[0])).toBe(expected);
        }
      }
    }
    expect(same).toBeGreaterThan(texts.length);
  });
});
