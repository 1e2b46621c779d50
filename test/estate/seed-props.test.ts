// Issue 22: bad scrub rules and seed store settings fail at declaration, each with the construct
// path, the property, the value and the fix; scrub calls render sorted, whatever the order declared.
import { describe, expect, it } from 'vitest';
import { App, Sandbox, SandboxKind, ScrubAction, SeedProfile, Tier, validateEstate } from '../../constructs';
import type { Construct } from 'constructs';
import { scrubSql } from '../../constructs/scrub';
import { SyntheticColumn, syntheticSql } from '../../constructs/synthetic';
import { Generalize, SanitizedTable, sanitizeSql } from '../../constructs/sanitize';
import { predicateProblem } from '../../contract/sql-predicate';
import { smallEstate } from '../support/estates';

/** What validation reports for the estate `fn` builds (construction records problems; validation reports them all). */
function issuesOf(fn: () => Construct) {
  const issues = validateEstate(fn().node.root as never);
  if (issues.length === 0) throw new Error('no validation error');
  return issues.map((i) => ({ path: i.path, property: i.property, value: i.value, message: i.message }));
}

const app = (scrub: unknown) => () => new App(smallEstate(), 'erp', {
  tiers: [Tier.DEV, Tier.PROD], objectPrefix: 'llx_', image: 'example/erp:1.0.0@sha256:' + 'e'.repeat(64), scrub: scrub as never,
});

describe('scrub rules', () => {
  it('refuses a table outside the app prefix, an action that is none, a statement smuggled into deleteWhere, a rule that scrubs nothing', () => {
    expect(issuesOf(app([
      { table: 'pg_authid', columns: { rolpassword: ScrubAction.NULL } },
      { table: 'llx_user', columns: { pass: 'null' } },
      { table: 'llx_const', deleteWhere: "true; DROP TABLE llx_user" },
      { table: 'llx_empty' },
    ]))).toEqual([
      { path: 'test/erp', property: 'scrub[0].table', value: 'pg_authid', message: 'is not a lower-case table name of the app (prefix "llx_")' },
      { path: 'test/erp', property: 'scrub[1].columns.pass', value: 'null', message: 'is not a scrub action' },
      { path: 'test/erp', property: 'scrub[2].deleteWhere', value: 'true; DROP TABLE llx_user', message: 'is not a predicate tierkit reads: it has "; ", which is no part of a predicate tierkit reads (no `;`, comments, casts, dollar quotes or other operators)' },
      { path: 'test/erp', property: 'scrub[3]', value: 'llx_empty', message: 'scrubs nothing' },
    ]);
  });

  it('renders one call per action, sorted by table then column, values quoted', () => {
    expect(scrubSql([
      { table: 'llx_user', columns: { pass: ScrubAction.NULL, api_key: ScrubAction.constant("it's gone"), email: ScrubAction.KEYED_HASH } },
      { table: 'llx_const', deleteWhere: "name LIKE 'X%'" },
    ]).split('\n')).toEqual([
      "SELECT pg_temp.tk_scrub_delete('llx_const', 'name LIKE ''X%''');",
      "SELECT pg_temp.tk_scrub_column('llx_user', 'api_key', 'constant', 'it''s gone');",
      "SELECT pg_temp.tk_scrub_column('llx_user', 'email', 'keyed-hash', NULL);",
      "SELECT pg_temp.tk_scrub_column('llx_user', 'pass', 'null', NULL);",
    ]);
  });
});

describe('seed store', () => {
  it('refuses a server or export root that is no host or absolute directory', () => {
    expect(issuesOf(() => smallEstate({ seedStore: { server: 'nfs://x', exportRoot: '/seeds/../etc' } }))).toEqual([
      { path: 'test', property: 'seedStore.server', value: 'nfs://x', message: 'is not a host name or IPv4 address' },
      { path: 'test', property: 'seedStore.exportRoot', value: '/seeds/../etc', message: 'is not an absolute directory path without `.`/`..` segments or a trailing slash' },
    ]);
  });
});

describe('synthetic generator', () => {
  const synth = (synthetic: unknown) => () => new App(smallEstate(), 'crm', {
    tiers: [Tier.DEV], objectPrefix: 'crm_', image: 'example/crm:1.0.0', synthetic: synthetic as never,
  });
  it('refuses a bad version and seed, a table outside the prefix, a forward reference, an empty pick, a reversed range, a non-generator', () => {
    expect(issuesOf(synth({
      version: 'V 1', seed: 1.5, schema: 'CREATE TABLE crm_a (id int)',
      tables: [
        { table: 'pg_authid', rows: 1, columns: { id: SyntheticColumn.sequence() } },
        { table: 'crm_b', rows: 10, columns: { a_id: SyntheticColumn.reference('crm_a', 'id'), s: SyntheticColumn.pick([]), n: SyntheticColumn.integer(9, 1), x: 'seq' } },
        { table: 'crm_a', rows: 0, columns: { id: SyntheticColumn.sequence() } },
      ],
    }))).toEqual([
      { path: 'test/crm', property: 'synthetic.version', value: 'V 1', message: 'is not a seed version' },
      { path: 'test/crm', property: 'synthetic.seed', value: 1.5, message: 'is not an integer from 0 to 2^31 - 1' },
      { path: 'test/crm', property: 'synthetic.tables[0].table', value: 'pg_authid', message: 'is not a lower-case table name of the app (prefix "crm_")' },
      { path: 'test/crm', property: 'synthetic.tables[1].columns.a_id', value: 'crm_a.id', message: 'references no column generated by a table declared before this one' },
      { path: 'test/crm', property: 'synthetic.tables[1].columns.s', value: [], message: 'picks from no non-empty list of strings' },
      { path: 'test/crm', property: 'synthetic.tables[1].columns.n', value: [9, 1], message: 'is not an integer range min ≤ max' },
      { path: 'test/crm', property: 'synthetic.tables[1].columns.x', value: 'seq', message: 'is not a column generator' },
      { path: 'test/crm', property: 'synthetic.tables[2].rows', value: 0, message: 'is not a row count from 1 to 1000000' },
    ]);
  });

  it('writes values as literals: a picked quote cannot end the statement', () => {
    const sql = syntheticSql('crm', {
      version: 'v1', seed: 3, schema: 'CREATE TABLE crm_a (id int, s text);',
      tables: [{ table: 'crm_a', rows: 2, columns: { id: SyntheticColumn.sequence(5), s: SyntheticColumn.pick(["x'); DROP TABLE crm_a; --"]) } }],
    });
    expect(sql.trimEnd().split('\n').slice(-3)).toEqual([
      'INSERT INTO "crm_a" ("id", "s") VALUES',
      "(5, 'x''); DROP TABLE crm_a; --'),",
      "(6, 'x''); DROP TABLE crm_a; --');",
    ]);
  });
});

describe('sanitized profiles', () => {
  const sanitized = (profiles: unknown) => () => new App(smallEstate(), 'shop', {
    tiers: [Tier.DEV], objectPrefix: 'shop_', image: 'example/shop:1.0.0', sanitized: profiles as never,
  });
  it('refuses a bad name, a table outside the prefix, a sample share out of range, an unknown mask, a k below 2', () => {
    expect(issuesOf(sanitized([{
      name: 'Customers Q3',
      tables: [
        { table: 'pg_shadow', columns: { passwd: ScrubAction.NULL } },
        { table: 'shop_customer', sampleShare: 1.5, columns: { zip: 'first-two', age: Generalize.bucket(0) } },
      ],
      kAnonymity: [{ table: 'shop_customer', quasiIdentifiers: [], k: 1 }],
    }]))).toEqual([
      { path: 'test/shop', property: 'sanitized[0].name', value: 'Customers Q3', message: 'is not a dataset name' },
      { path: 'test/shop', property: 'sanitized[0].tables[0].table', value: 'pg_shadow', message: 'is not a lower-case table name of the app (prefix "shop_")' },
      { path: 'test/shop', property: 'sanitized[0].tables[1].columns.zip', value: 'first-two', message: 'is not a masking or generalization' },
      { path: 'test/shop', property: 'sanitized[0].tables[1].columns.age', value: 0, message: 'is not a positive width' },
      { path: 'test/shop', property: 'sanitized[0].tables[1].sampleShare', value: 1.5, message: 'is not a share in (0, 1]' },
      { path: 'test/shop', property: 'sanitized[0].kAnonymity[0].quasiIdentifiers', value: [], message: 'is not a non-empty list of column names' },
      { path: 'test/shop', property: 'sanitized[0].kAnonymity[0].k', value: 1, message: 'is not an integer of at least 2' },
    ]);
  });

  it('renders deletes, samples, the orphan sweep, masks and checks sorted, whatever the declaration order', () => {
    const sql = (reversed: boolean) => {
      const tables: SanitizedTable[] = [
        { table: 'shop_order', columns: { customer_code: ScrubAction.KEYED_HASH } },
        { table: 'shop_customer', sampleShare: 0.25, deleteWhere: "country <> 'FR'", columns: { zip: Generalize.prefix(2), email: ScrubAction.NULL } },
      ];
      return sanitizeSql({ name: 'c', tables: reversed ? tables.reverse() : tables, kAnonymity: [{ table: 'shop_customer', quasiIdentifiers: ['zip'], k: 5 }] });
    };
    expect(sql(false)).toBe(sql(true));
    expect(sql(false).split('\n')).toEqual([
      "SELECT pg_temp.tk_delete('shop_customer', 'country <> ''FR''');",
      "SELECT pg_temp.tk_sample('shop_customer', 0.25);",
      'SELECT pg_temp.tk_drop_orphans();',
      "SELECT pg_temp.tk_mask('shop_customer', 'email', 'null', NULL);",
      "SELECT pg_temp.tk_mask('shop_customer', 'zip', 'generalize-prefix', '2');",
      "SELECT pg_temp.tk_mask('shop_order', 'customer_code', 'keyed-hash', NULL);",
      "SELECT pg_temp.tk_k_anonymity('shop_customer', ARRAY['zip']::text[], 5);",
    ]);
  });
});

describe('delete predicates (contract/sql-predicate.ts)', () => {
  it('accepts comparisons of columns with literals, the example\'s and the tests\' predicates', () => {
    for (const ok of ['true', 'id <= 5', "name ~* '(PASS|PWD|_PW$|SECRET|TOKEN)'", `"k_ab" LIKE 'secret%'`, "country <> 'FR' AND NOT (age BETWEEN 10 AND 20)",
      "status IN ('a', 'b') OR note IS NOT NULL", 'a IS DISTINCT FROM b', "x NOT ILIKE 'it''s'"]) expect(predicateProblem(ok)).toBeUndefined();
  });
  it('refuses function calls (bare or quoted), casts, subqueries, statements, comments, dollar quotes, qualified names', () => {
    expect(predicateProblem("pg_read_file('/etc/passwd') IS NOT NULL")).toBe('calls a function (pg_read_file): a predicate compares columns with literals only');
    expect(predicateProblem(`"lo_export" (1, '/x') = 1`)).toBe('calls a function ("lo_export"): a predicate compares columns with literals only');
    expect(predicateProblem('id::text = \'1\'')).toMatch(/^has "::"/);
    expect(predicateProblem('id IN (SELECT 1)')).toMatch(/^uses SELECT/);
    expect(predicateProblem('EXISTS (SELECT 1)')).toMatch(/^uses EXISTS/);
    expect(predicateProblem('true -- x')).toMatch(/^has "--"/);
    expect(predicateProblem('true /* x */')).toMatch(/^has "\/\*"/);
    expect(predicateProblem('$$x$$ = name')).toMatch(/^has "\$\$"/);
    expect(predicateProblem('pg_catalog.now = 1')).toMatch(/^names pg_catalog/);
    expect(predicateProblem('CURRENT_USER = name')).toMatch(/^uses CURRENT_USER/);
    expect(predicateProblem("(a = 'x'")).toBe('leaves a parenthesis open');
    expect(predicateProblem("a = 'x")).toBe('has an unterminated string literal');
    expect(predicateProblem('')).toBe('is not an SQL boolean expression');
  });
});

describe('seeds the app declares a producer for', () => {
  it('refuses a sandbox seeded with a synthetic version or sanitized dataset the app\'s producers do not make', () => {
    const spec = { version: 'v2', seed: 1, schema: 'CREATE TABLE crm_a (id int);', tables: [{ table: 'crm_a', rows: 1, columns: { id: SyntheticColumn.sequence() } }] };
    expect(issuesOf(() => {
      const a = new App(smallEstate(), 'crm', {
        tiers: [Tier.DEV], objectPrefix: 'crm_', image: 'example/crm:1.0.0', synthetic: spec,
        sanitized: [{ name: 'people', tables: [{ table: 'crm_a', sampleShare: 0.5 }] }],
      });
      new Sandbox(a, 'alice', { tier: Tier.DEV, kind: SandboxKind.ENGINEER, owner: 'alice', createdAt: '2026-11-21', seed: SeedProfile.SYNTHETIC_V1 });
      new Sandbox(a, 'bob', { tier: Tier.DEV, kind: SandboxKind.ENGINEER, owner: 'bob', createdAt: '2026-11-21', seed: SeedProfile.sanitized('customers') });
      new Sandbox(a, 'carol', { tier: Tier.DEV, kind: SandboxKind.ENGINEER, owner: 'carol', createdAt: '2026-11-21', seed: SeedProfile.sanitized('people') });
      return a;
    })).toEqual([
      { path: 'test/crm/alice', property: 'seed', value: 'synthetic:v1', message: "is not the synthetic seed app crm's generator produces (synthetic:v2)" },
      { path: 'test/crm/bob', property: 'seed', value: 'sanitized:customers', message: 'names no sanitized profile of app crm (people)' },
    ]);
  });
});
