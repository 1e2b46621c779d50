/**
 * Synthetic seeds (issue 22, docs/seed-data.md): a per-app generator declared with the app
 * (`App.synthetic`) from which tierkit writes the seed's SQL — the app's schema, then its rows —
 * deterministically: every value is a function of (seed, table, column, row) only, through
 * sha256, so the same spec gives byte-identical SQL on any machine, in any run, whatever the
 * declaration order of the columns. The SQL is loaded into a throwaway PostgreSQL and dumped
 * (SYNTHETIC_SEED_SCRIPT); a `pg_dump` archive carries a timestamp, so the seed's identity is its
 * restored content hash, which two runs reproduce.
 */
import { createHash } from 'node:crypto';
import type { ValidationIssue } from './errors';

/** Kinds of realistic-looking, entirely made-up values. */
export class FakeKind {
  static readonly FIRST_NAME = new FakeKind('first-name');
  static readonly LAST_NAME = new FakeKind('last-name');
  static readonly FULL_NAME = new FakeKind('full-name');
  /** `<first>.<last>.<row>@example.test`: unique per row, in a domain reserved for tests (RFC 2606). */
  static readonly EMAIL = new FakeKind('email');
  static readonly COMPANY = new FakeKind('company');
  static readonly CITY = new FakeKind('city');
  static readonly WORD = new FakeKind('word');
  /** `+1-555-01xx-xxxx`: the 555-01xx range is reserved for fiction. */
  static readonly PHONE = new FakeKind('phone');
  static readonly ALL: readonly FakeKind[] = [
    FakeKind.FIRST_NAME, FakeKind.LAST_NAME, FakeKind.FULL_NAME, FakeKind.EMAIL, FakeKind.COMPANY, FakeKind.CITY, FakeKind.WORD, FakeKind.PHONE,
  ];
  private constructor(readonly name: string) {}
}

/** How one column's values are generated. */
export class SyntheticColumn {
  /** `start`, `start + 1`, … by row. @default start 1 */
  static sequence(start = 1): SyntheticColumn {
    return new SyntheticColumn('sequence', { start });
  }
  /** One of `values`, chosen by the seeded hash of the row. */
  static pick(values: readonly string[]): SyntheticColumn {
    return new SyntheticColumn('pick', { values });
  }
  /** An integer in [min, max]. */
  static integer(min: number, max: number): SyntheticColumn {
    return new SyntheticColumn('integer', { min, max });
  }
  /** A made-up value of `kind`. */
  static fake(kind: FakeKind): SyntheticColumn {
    return new SyntheticColumn('fake', { kind });
  }
  /** The value of `column` in a row of `table` (declared earlier in the spec): a foreign key that holds. */
  static reference(table: string, column: string): SyntheticColumn {
    return new SyntheticColumn('reference', { table, column });
  }

  private constructor(
    readonly kind: 'sequence' | 'pick' | 'integer' | 'fake' | 'reference',
    readonly args: { start?: number; values?: readonly string[]; min?: number; max?: number; kind?: FakeKind; table?: string; column?: string },
  ) {}
}

export interface SyntheticTable {
  /** The table's name, within the app's object prefix. */
  readonly table: string;
  /** How many rows to generate (1 to 1,000,000). */
  readonly rows: number;
  /** Every column to fill, and its generator; other columns take their defaults. */
  readonly columns: Readonly<Record<string, SyntheticColumn>>;
}

export interface SyntheticSeedSpec {
  /** The profile version it produces: `v1` is the seed `synthetic:v1`. Change it whenever the output changes. */
  readonly version: string;
  /** The fixed seed of every choice (an integer, 0 to 2^31 - 1). */
  readonly seed: number;
  /** The app's schema: the SQL (CREATE TABLE … with its foreign keys) run before the rows, in the throwaway server only. */
  readonly schema: string;
  /** Tables in load order: a table is declared after every table it references. */
  readonly tables: readonly SyntheticTable[];
}

const IDENT = /^[a-z_][a-z0-9_$]*$/;
const MAX_ROWS = 1_000_000;

const FIRST = ['Ada', 'Bea', 'Cai', 'Dana', 'Eli', 'Fay', 'Gus', 'Hana', 'Ivo', 'Jun', 'Kai', 'Lea', 'Milo', 'Nia', 'Omar', 'Pia',
  'Quinn', 'Rae', 'Sol', 'Tess', 'Uma', 'Vic', 'Wren', 'Xia', 'Yara', 'Zed', 'Ari', 'Bo', 'Cleo', 'Dov', 'Eva', 'Finn'];
const LAST = ['Abbot', 'Berg', 'Castro', 'Dahl', 'Ekwueme', 'Fuchs', 'Garcia', 'Haddad', 'Ito', 'Jansen', 'Kowal', 'Lind', 'Moreau',
  'Novak', 'Okafor', 'Petit', 'Quispe', 'Rossi', 'Sato', 'Tanaka', 'Ueda', 'Varga', 'Weber', 'Xu', 'Yilmaz', 'Zhou', 'Alves', 'Brandt',
  'Costa', 'Duarte', 'Engel', 'Fischer'];
const CITIES = ['Arden', 'Brightwater', 'Cedarholm', 'Dunmore', 'Elmstead', 'Fairhaven', 'Glenrock', 'Harrow', 'Ivywick', 'Juniper Bay',
  'Kingsmere', 'Lakeshore', 'Millbrook', 'Northgate', 'Oakridge', 'Pinecrest'];
const WORDS = ['amber', 'basalt', 'cobalt', 'delta', 'ember', 'fjord', 'granite', 'harbor', 'indigo', 'jasper', 'kelp', 'lumen', 'maple',
  'nimbus', 'onyx', 'prism', 'quartz', 'ripple', 'sierra', 'tundra', 'umber', 'vertex', 'willow', 'xenon', 'yonder', 'zephyr'];
const SUFFIXES = ['Ltd', 'GmbH', 'SA', 'BV', 'Inc', 'Co-op', 'AB', 'Oy'];

/** A number in [0, 2^48) from (seed, table, column, row, salt): the only source of choice. */
function draw(seed: number, table: string, column: string, row: number, salt = ''): number {
  const h = createHash('sha256').update(`${seed}\0${table}\0${column}\0${row}\0${salt}`).digest();
  return h.readUIntBE(0, 6);
}

const of = <T>(list: readonly T[], n: number): T => list[n % list.length];

/** Issues of an app's synthetic generator (`path` is the app's construct path). */
export function syntheticIssues(path: string, prefix: string, spec: SyntheticSeedSpec | undefined): ValidationIssue[] {
  if (spec === undefined) return [];
  const out: ValidationIssue[] = [];
  const at = (p: string) => `synthetic.${p}`;
  const bad = (property: string, value: unknown, message: string, fix: string) => out.push({ path, property: at(property), value, message, fix });
  if (typeof spec?.version !== 'string' || !/^[a-z0-9][a-z0-9._-]*$/.test(spec.version)) {
    bad('version', spec?.version, 'is not a seed version', 'e.g. "v1" (the seed is then "synthetic:v1")');
  }
  if (!Number.isInteger(spec?.seed) || spec.seed < 0 || spec.seed > 2 ** 31 - 1) bad('seed', spec?.seed, 'is not an integer from 0 to 2^31 - 1', 'fix one, e.g. 20261126');
  if (typeof spec?.schema !== 'string' || spec.schema.trim() === '') bad('schema', spec?.schema, 'is not the SQL of the app\'s tables', 'give the CREATE TABLE statements the rows load into');
  // psql reads a backslash outside a string as a meta-command (\! runs a shell, \c reconnects as
  // the throwaway server's superuser), and the producer loads the schema with psql -f.
  else if (spec.schema.includes('\\')) bad('schema', spec.schema.slice(Math.max(0, spec.schema.indexOf('\\') - 20), spec.schema.indexOf('\\') + 20), 'has a backslash, which psql would read as a meta-command (\\! runs a shell on the producer)', 'write the schema without backslashes (E\'…\' strings included): plain SQL statements only');
  if (!Array.isArray(spec?.tables) || spec.tables.length === 0) {
    bad('tables', spec?.tables, 'is not a non-empty list of tables', 'e.g. [{ table: "shop_customer", rows: 100, columns: { id: SyntheticColumn.sequence() } }]');
    return out;
  }
  const declared = new Map<string, Set<string>>();
  spec.tables.forEach((t, i) => {
    const p = `tables[${i}]`;
    if (typeof t?.table !== 'string' || !IDENT.test(t.table) || !t.table.startsWith(prefix)) {
      bad(`${p}.table`, t?.table, `is not a lower-case table name of the app (prefix "${prefix}")`, `e.g. "${prefix}customer"`);
      return;
    }
    if (declared.has(t.table)) bad(`${p}.table`, t.table, 'is generated twice', 'merge the two entries');
    if (!Number.isInteger(t.rows) || t.rows < 1 || t.rows > MAX_ROWS) bad(`${p}.rows`, t.rows, `is not a row count from 1 to ${MAX_ROWS}`, 'e.g. 100');
    const cols = Object.entries(t.columns ?? {});
    if (cols.length === 0) bad(`${p}.columns`, t.columns, 'generates no column', 'give at least one column and its generator');
    for (const [c, g] of cols) {
      const q = `${p}.columns.${c}`;
      if (!IDENT.test(c)) bad(q, c, 'is not a lower-case column name', 'use the column name as PostgreSQL stores it');
      if (!(g instanceof SyntheticColumn)) {
        bad(q, g, 'is not a column generator', 'use SyntheticColumn.sequence(), .pick([…]), .integer(min, max), .fake(FakeKind.…) or .reference(table, column)');
        continue;
      }
      const a = g.args;
      if (g.kind === 'sequence' && !Number.isSafeInteger(a.start)) bad(q, a.start, 'starts at no integer', 'e.g. SyntheticColumn.sequence(1)');
      if (g.kind === 'pick' && (!Array.isArray(a.values) || a.values.length === 0 || a.values.some((v) => typeof v !== 'string'))) {
        bad(q, a.values, 'picks from no non-empty list of strings', 'e.g. SyntheticColumn.pick(["open", "paid"])');
      }
      if (g.kind === 'integer' && !(Number.isSafeInteger(a.min) && Number.isSafeInteger(a.max) && a.min! <= a.max!)) {
        bad(q, [a.min, a.max], 'is not an integer range min ≤ max', 'e.g. SyntheticColumn.integer(1, 500)');
      }
      if (g.kind === 'fake' && !FakeKind.ALL.includes(a.kind as FakeKind)) bad(q, a.kind, 'is not a fake kind', `use one of ${FakeKind.ALL.map((k) => k.name).join(', ')}`);
      if (g.kind === 'reference' && !declared.get(a.table!)?.has(a.column!)) {
        bad(q, `${a.table}.${a.column}`, 'references no column generated by a table declared before this one', 'declare the referenced table first and generate the referenced column');
      }
    }
    declared.set(t.table, new Set(cols.map(([c]) => c)));
  });
  return out;
}

const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;
const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** The generator of a valid spec (syntheticIssues empty): value of (table, column, row). */
function generator(spec: SyntheticSeedSpec): (table: string, column: string, row: number) => string {
  const tables = new Map(spec.tables.map((t) => [t.table, t]));
  const value = (table: string, column: string, row: number): string => {
    const g = tables.get(table)!.columns[column];
    const n = draw(spec.seed, table, column, row);
    const a = g.args;
    switch (g.kind) {
      case 'sequence': return String(a.start! + row - 1);
      case 'integer': return String(a.min! + (n % (a.max! - a.min! + 1)));
      case 'pick': return literal(of(a.values!, n));
      case 'reference': return value(a.table!, a.column!, 1 + (n % tables.get(a.table!)!.rows));
      case 'fake': {
        const first = of(FIRST, n);
        const last = of(LAST, draw(spec.seed, table, column, row, 'last'));
        switch (a.kind!.name) {
          case 'first-name': return literal(first);
          case 'last-name': return literal(last);
          case 'full-name': return literal(`${first} ${last}`);
          case 'email': return literal(`${first}.${last}.${row}@example.test`.toLowerCase());
          case 'company': return literal(`${last} ${of(WORDS, draw(spec.seed, table, column, row, 'word'))} ${of(SUFFIXES, Math.floor(n / 256))}`);
          case 'city': return literal(of(CITIES, n));
          case 'word': return literal(of(WORDS, n));
          default: return literal(`+1-555-01${String(n % 100).padStart(2, '0')}-${String(Math.floor(n / 256) % 10000).padStart(4, '0')}`);
        }
      }
    }
  };
  return value;
}

/** Rows per INSERT: keeps each statement small for the server's parser. */
const BATCH = 500;

/**
 * The seed's SQL: the schema, then every table's rows in declaration order, columns sorted by
 * name. Byte-identical for the same spec; the spec must be valid (syntheticIssues empty).
 */
export function syntheticSql(app: string, spec: SyntheticSeedSpec): string {
  // Validation refuses it first; this guard keeps a caller that skipped validation from handing psql a meta-command.
  if (spec.schema.includes('\\')) throw new Error(`synthetic seed of ${app}: the schema has a backslash, which psql would read as a meta-command`);
  const value = generator(spec);
  const lines = [
    `-- tierkit synthetic seed: app ${app}, synthetic:${spec.version}, seed ${spec.seed}. Generated; do not edit.`,
    'SET client_min_messages = warning;',
    spec.schema.trim(),
  ];
  for (const t of spec.tables) {
    const cols = Object.keys(t.columns).sort();
    for (let from = 1; from <= t.rows; from += BATCH) {
      const rows: string[] = [];
      for (let r = from; r < Math.min(from + BATCH, t.rows + 1); r++) rows.push(`(${cols.map((c) => value(t.table, c, r)).join(', ')})`);
      lines.push(`INSERT INTO ${ident(t.table)} (${cols.map(ident).join(', ')}) VALUES\n${rows.join(',\n')};`);
    }
  }
  return `${lines.join('\n')}\n`;
}
