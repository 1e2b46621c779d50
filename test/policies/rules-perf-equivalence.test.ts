import { beforeAll, describe, expect, it } from 'vitest';
import { PLACEHOLDER, loadSqlParser, parseVaultStatement } from '../../policies/graph/sql';
import { userConnectionLimit } from '../../policies/rules/TK057-database-caps';
import { sameCommand } from '../../policies/rules/support/pod-command';

// Speed-ups of the Kubernetes/CI rules (issues 10, 20) must answer exactly what the code they replace answered.

/** TK057's reading before the shape memo: every statement parsed as written. */
function limitAsWritten(statements: readonly string[]): unknown {
  for (const text of statements) {
    const parsed = parseVaultStatement(text);
    if (!parsed.ok) return 'unreadable';
    for (const s of parsed.stmts) {
      const create = s.CreateRoleStmt;
      if (!create || create.role !== PLACEHOLDER.name) continue;
      const opt = (create.options ?? []).find((o: any) => o.DefElem?.defname === 'connectionlimit');
      return opt?.DefElem?.arg?.Integer?.ival ?? (opt ? 'unreadable' : undefined);
    }
  }
  return undefined;
}

describe('TK057 parses each creation-statement shape once', () => {
  beforeAll(() => loadSqlParser());
  const groups = ['shop_alice_role', 'select', 'all', 'tierkit_vault_user', 'tierkit_group_slot', 'a'.repeat(63), 'a'.repeat(64), '_', 'x1', ''];
  const limits = ['', ' CONNECTION LIMIT 10', ' CONNECTION LIMIT 0', ' CONNECTION LIMIT -1', ' CONNECTION LIMIT 999999999999', ' CONNECTION LIMIT 2147483648'];
  const create = (limit: string, group: string) => `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'${limit} IN ROLE "${group}";`;
  const cases: string[][] = [];
  for (const limit of limits) for (const group of groups) cases.push([create(limit, group)], [create(limit, group), 'ALTER ROLE "{{name}}" SET ROLE "x";']);
  cases.push(
    [create(' CONNECTION LIMIT 10', 'a";DROP ROLE "b')], [`${create(' CONNECTION LIMIT 10', 'g')} `], [create(' CONNECTION LIMIT 10', 'g').replace(';', '; SELECT 1;')],
    ['DO $x$ BEGIN END $x$;', create(' CONNECTION LIMIT 7', 'g')], [create(' CONNECTION LIMIT 10', 'G')], [create(' CONNECTION LIMIT 10', 'g').replace('"{{name}}"', '"{{ name }}"')],
  );
  it('gives what parsing every statement as written gives, for tierkit\'s shape and its hostile neighbours', () => {
    for (const statements of cases) expect(userConnectionLimit(statements), statements.join(' ')).toEqual(limitAsWritten(statements));
    // The corpus reaches every outcome: a limit, none, and an unreadable one.
    const outcomes = new Set(cases.map((c) => typeof limitAsWritten(c)));
    expect([...outcomes].sort()).toEqual(['number', 'string', 'undefined']);
  });
});

describe('sameCommand (support/pod-command.ts)', () => {
  const expected = ['/bin/bash', '-c', 'set -eu\necho "a\\b" \u2028 \ud800'];
  const values: unknown[] = [
    expected, [...expected], expected.slice(0, 2), [...expected, ''], ['/bin/bash', '-c', expected[2] + ' '], ['/bin/sh', '-c', expected[2]],
    ['/bin/bash', '-c', 5], ['/bin/bash', '-c', null], ['/bin/bash', '-c', [expected[2]]], { 0: '/bin/bash', 1: '-c', 2: expected[2] },
    '/bin/bash', null, undefined, 7, [], [undefined, '-c', expected[2]], [new Date(0), '-c', expected[2]], [['/bin/bash'], '-c', expected[2]],
  ];
  it('is JSON.stringify equality, for every shape a manifest can hold', () => {
    for (const v of values) expect(sameCommand(v, expected), JSON.stringify(v)).toBe(JSON.stringify(v) === JSON.stringify(expected));
    expect(values.filter((v) => sameCommand(v, expected))).toHaveLength(2);
  });
});
