/**
 * Scrub rules: what the golden dump removes before the golden leaves prod's namespace (issue 22,
 * docs/seed-data.md). Declared with the app; applied by the golden dump Job to a restore of the
 * prod dump in a throwaway PostgreSQL inside its own pod, then checked (no original value of a
 * scrubbed column survives) before the scrubbed copy is dumped and hashed.
 */
import type { ValidationIssue } from './errors';
import { predicateProblem } from '../contract/sql-predicate';

/** What replaces a column's values. */
export class ScrubAction {
  /** NULL: the column must be nullable. */
  static readonly NULL = new ScrubAction('null');
  /**
   * HMAC-SHA256 (hex) of the value as text under a key drawn fresh for each dump and never
   * stored: equal values stay equal across tables (joins survive), nothing maps back. Text columns only.
   */
  static readonly KEYED_HASH = new ScrubAction('keyed-hash');

  /** One fixed value for every non-NULL row, cast to the column's type. */
  static constant(value: string): ScrubAction {
    return new ScrubAction('constant', value);
  }

  private constructor(readonly kind: 'null' | 'keyed-hash' | 'constant', readonly value?: string) {}

  toString(): string {
    return this.kind === 'constant' ? `constant(${JSON.stringify(this.value)})` : this.kind;
  }
}

/** The scrub of one table of the app (any schema the dump holds it in). */
export interface TableScrub {
  /** The table's name, within the app's object prefix (`llx_user`). */
  readonly table: string;
  /** Columns and what replaces their values. @default - none */
  readonly columns?: Readonly<Record<string, ScrubAction>>;
  /**
   * Delete the rows matching this SQL boolean expression over the table's columns (`true`: every
   * row), before the column actions. It runs on the throwaway copy only, so it may only compare
   * columns with literals (contract/sql-predicate.ts: no function call, cast or subquery). @default - none
   */
  readonly deleteWhere?: string;
}

const IDENT = /^[a-z_][a-z0-9_$]*$/;

function literal(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** Issues of an app's scrub rules (`path` is the app's construct path). */
export function scrubIssues(path: string, prefix: string, rules: readonly TableScrub[]): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  const seen = new Set<string>();
  rules.forEach((r, i) => {
    const at = `scrub[${i}]`;
    if (typeof r?.table !== 'string' || !IDENT.test(r.table) || !r.table.startsWith(prefix)) {
      out.push({ path, property: `${at}.table`, value: r?.table, message: `is not a lower-case table name of the app (prefix "${prefix}")`, fix: `name a table the golden dump holds, e.g. "${prefix}user"` });
      return;
    }
    if (seen.has(r.table)) out.push({ path, property: `${at}.table`, value: r.table, message: 'is scrubbed twice', fix: 'merge the two entries' });
    seen.add(r.table);
    const cols = Object.entries(r.columns ?? {});
    if (cols.length === 0 && r.deleteWhere === undefined) {
      out.push({ path, property: at, value: r.table, message: 'scrubs nothing', fix: 'give columns or deleteWhere' });
    }
    for (const [c, a] of cols) {
      if (!IDENT.test(c)) out.push({ path, property: `${at}.columns.${c}`, value: c, message: 'is not a lower-case column name', fix: 'use the column name as PostgreSQL stores it' });
      if (!(a instanceof ScrubAction)) out.push({ path, property: `${at}.columns.${c}`, value: a, message: 'is not a scrub action', fix: 'use ScrubAction.NULL, ScrubAction.KEYED_HASH or ScrubAction.constant("…")' });
    }
    const problem = r.deleteWhere === undefined ? undefined : predicateProblem(r.deleteWhere);
    if (problem) {
      out.push({ path, property: `${at}.deleteWhere`, value: r.deleteWhere, message: `is not a predicate tierkit reads: it ${problem}`, fix: `compare the table's columns with literals, e.g. "name ~* '(PASS|SECRET|TOKEN)'"` });
    }
  });
  return out;
}

/**
 * The SQL the golden dump runs on its throwaway copy: one `pg_temp.tk_scrub…` call per action,
 * sorted by table then column so the rendered Job is the same whatever the declaration order.
 */
export function scrubSql(rules: readonly TableScrub[]): string {
  const lines: string[] = [];
  for (const r of [...rules].sort((a, b) => (a.table < b.table ? -1 : a.table > b.table ? 1 : 0))) {
    if (r.deleteWhere !== undefined) lines.push(`SELECT pg_temp.tk_scrub_delete(${literal(r.table)}, ${literal(r.deleteWhere)});`);
    for (const c of Object.keys(r.columns ?? {}).sort()) {
      const a = r.columns![c];
      lines.push(`SELECT pg_temp.tk_scrub_column(${literal(r.table)}, ${literal(c)}, ${literal(a.kind)}, ${a.value === undefined ? 'NULL' : literal(a.value)});`);
    }
  }
  return lines.join('\n');
}
