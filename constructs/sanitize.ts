/**
 * Sanitized profiles (issue 22, docs/seed-data.md): `sanitized:<name>` declared with the app
 * (`App.sanitized`), produced from the (already scrubbed) golden in a throwaway PostgreSQL by
 * SANITIZE_SCRIPT: delete and sample rows (sampling follows foreign keys: a row whose parent was
 * not kept goes too), mask columns with App.scrub's vocabulary (ScrubAction.NULL, KEYED_HASH,
 * constant) and generalize quasi-identifiers (Generalize), then verify — no original value of a
 * masked column survives, every foreign key holds, every declared k-anonymity check is met — and
 * refuse to write a seed that fails any of them.
 */
import type { ValidationIssue } from './errors';
import { ScrubAction } from './scrub';
import { predicateProblem } from '../contract/sql-predicate';

/** Coarsens a quasi-identifier so that rows blend into groups (k-anonymity); it is not masking. */
export class Generalize {
  /** The first `chars` characters of the text (`75011` → `75`). */
  static prefix(chars: number): Generalize {
    return new Generalize('prefix', chars);
  }
  /** An integer rounded down to a multiple of `width` (age 37, width 10 → 30). */
  static bucket(width: number): Generalize {
    return new Generalize('bucket', width);
  }
  /** A date or timestamp truncated to its year (to 1 January). */
  static readonly YEAR = new Generalize('year', 0);
  private constructor(readonly kind: 'prefix' | 'bucket' | 'year', readonly size: number) {}
}

export interface SanitizedTable {
  /** The table's name, within the app's object prefix. */
  readonly table: string;
  /** Columns and how each is masked or generalized. @default - none */
  readonly columns?: Readonly<Record<string, ScrubAction | Generalize>>;
  /** Delete the rows matching this SQL boolean expression over the table's columns, literals only (before sampling). @default - none */
  readonly deleteWhere?: string;
  /** Keep this share of the rows (0 < share ≤ 1), chosen by a hash of each row: the same golden gives the same sample. @default 1 */
  readonly sampleShare?: number;
}

export interface KAnonymityCheck {
  readonly table: string;
  /** The columns an attacker can link to another source (postal code, birth year, gender…). */
  readonly quasiIdentifiers: readonly string[];
  /** Every combination of their values is shared by at least k rows. */
  readonly k: number;
}

export interface SanitizedProfileSpec {
  /** The dataset: `customers-2026q3` is the seed `sanitized:customers-2026q3`. */
  readonly name: string;
  readonly tables: readonly SanitizedTable[];
  /** Checks the seed must pass before it is written. @default - none */
  readonly kAnonymity?: readonly KAnonymityCheck[];
}

const IDENT = /^[a-z_][a-z0-9_$]*$/;
const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** Issues of an app's sanitized profiles (`path` is the app's construct path). */
export function sanitizedIssues(path: string, prefix: string, profiles: readonly SanitizedProfileSpec[]): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  const names = new Set<string>();
  profiles.forEach((p, i) => {
    const at = `sanitized[${i}]`;
    const bad = (property: string, value: unknown, message: string, fix: string) => out.push({ path, property: `${at}${property}`, value, message, fix });
    if (typeof p?.name !== 'string' || !/^[a-z0-9][a-z0-9._-]*$/.test(p.name)) bad('.name', p?.name, 'is not a dataset name', 'e.g. "customers-2026q3" (the seed is then "sanitized:customers-2026q3")');
    else if (names.has(p.name)) bad('.name', p.name, 'is declared twice', 'merge the two profiles');
    names.add(p?.name);
    const tables = new Map<string, Set<string>>();
    (Array.isArray(p?.tables) ? p.tables : []).forEach((t, j) => {
      const q = `.tables[${j}]`;
      if (typeof t?.table !== 'string' || !IDENT.test(t.table) || !t.table.startsWith(prefix)) {
        bad(`${q}.table`, t?.table, `is not a lower-case table name of the app (prefix "${prefix}")`, `e.g. "${prefix}customer"`);
        return;
      }
      const cols = Object.entries(t.columns ?? {});
      tables.set(t.table, new Set(cols.map(([c]) => c)));
      for (const [c, a] of cols) {
        if (!IDENT.test(c)) bad(`${q}.columns.${c}`, c, 'is not a lower-case column name', 'use the column name as PostgreSQL stores it');
        if (!(a instanceof ScrubAction) && !(a instanceof Generalize)) {
          bad(`${q}.columns.${c}`, a, 'is not a masking or generalization', 'use ScrubAction.NULL / KEYED_HASH / constant("…"), Generalize.prefix(n), Generalize.bucket(w) or Generalize.YEAR');
        } else if (a instanceof Generalize && a.kind !== 'year' && !(Number.isInteger(a.size) && a.size >= 1)) {
          bad(`${q}.columns.${c}`, a.size, `is not a positive ${a.kind === 'prefix' ? 'length' : 'width'}`, 'e.g. Generalize.prefix(2)');
        }
      }
      const problem = t.deleteWhere === undefined ? undefined : predicateProblem(t.deleteWhere);
      if (problem) bad(`${q}.deleteWhere`, t.deleteWhere, `is not a predicate tierkit reads: it ${problem}`, "compare the table's columns with literals, e.g. \"country <> 'FR'\"");
      if (t.sampleShare !== undefined && !(typeof t.sampleShare === 'number' && t.sampleShare > 0 && t.sampleShare <= 1)) {
        bad(`${q}.sampleShare`, t.sampleShare, 'is not a share in (0, 1]', 'e.g. 0.1 for one row in ten');
      }
      if (cols.length === 0 && t.deleteWhere === undefined && t.sampleShare === undefined) bad(q, t.table, 'sanitizes nothing', 'give columns, deleteWhere or sampleShare');
    });
    if (tables.size === 0) bad('.tables', p?.tables, 'sanitizes no table', 'list the tables to mask');
    (p?.kAnonymity ?? []).forEach((k, j) => {
      const q = `.kAnonymity[${j}]`;
      if (typeof k?.table !== 'string' || !IDENT.test(k.table) || !k.table.startsWith(prefix)) bad(`${q}.table`, k?.table, `is not a lower-case table name of the app (prefix "${prefix}")`, `e.g. "${prefix}customer"`);
      if (!Array.isArray(k?.quasiIdentifiers) || k.quasiIdentifiers.length === 0 || k.quasiIdentifiers.some((c) => typeof c !== 'string' || !IDENT.test(c))) {
        bad(`${q}.quasiIdentifiers`, k?.quasiIdentifiers, 'is not a non-empty list of column names', 'e.g. ["postal_code", "birth_year"]');
      }
      if (!Number.isInteger(k?.k) || k.k < 2) bad(`${q}.k`, k?.k, 'is not an integer of at least 2', 'e.g. 5');
    });
  });
  return out;
}

/**
 * The SQL SANITIZE_SCRIPT runs on its throwaway copy of the golden: deletes, samples, masks and
 * checks, one `pg_temp.tk_…` call each, sorted by table then column (declaration order never
 * changes the output). The profile must be valid (sanitizedIssues empty).
 */
export function sanitizeSql(p: SanitizedProfileSpec): string {
  const byName = <T extends { table: string }>(xs: readonly T[]) => [...xs].sort((a, b) => (a.table < b.table ? -1 : a.table > b.table ? 1 : 0));
  const lines: string[] = [];
  for (const t of byName(p.tables)) if (t.deleteWhere !== undefined) lines.push(`SELECT pg_temp.tk_delete(${literal(t.table)}, ${literal(t.deleteWhere)});`);
  for (const t of byName(p.tables)) if (t.sampleShare !== undefined && t.sampleShare < 1) lines.push(`SELECT pg_temp.tk_sample(${literal(t.table)}, ${t.sampleShare});`);
  lines.push('SELECT pg_temp.tk_drop_orphans();');
  for (const t of byName(p.tables)) {
    for (const c of Object.keys(t.columns ?? {}).sort()) {
      const a = t.columns![c];
      const [kind, value] = a instanceof Generalize ? [`generalize-${a.kind}`, String(a.size)] : [a.kind, a.value];
      lines.push(`SELECT pg_temp.tk_mask(${literal(t.table)}, ${literal(c)}, ${literal(kind)}, ${value === undefined ? 'NULL' : literal(value)});`);
    }
  }
  for (const k of byName(p.kAnonymity ?? [])) {
    lines.push(`SELECT pg_temp.tk_k_anonymity(${literal(k.table)}, ARRAY[${k.quasiIdentifiers.map(literal).join(', ')}]::text[], ${k.k});`);
  }
  return lines.join('\n');
}
