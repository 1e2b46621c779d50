/**
 * The data promote's change script (issue 17, docs/data-promote.md): data only. Read with the
 * real PostgreSQL parser (libpg-query), never a regex: each statement must be an INSERT, UPDATE
 * or DELETE. DDL goes through the gated apply; transaction control, SET (ROLE), COPY, DO, CALL
 * and everything else are refused, because the rehearsal and the replay each run the script as
 * one transaction of their own and a statement that escapes it would not be what was reviewed.
 */
import { createHash } from 'node:crypto';
import { loadSqlParser, parseSql } from '../policies/graph/sql';

const DML = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt']);

export type ScriptVerdict =
  | { readonly ok: true; readonly sha256: string; readonly statements: number }
  | { readonly ok: false; readonly sha256: string; readonly problems: readonly string[] };

/** sha256 of the script's bytes: what the rehearsal records and the replay compares. */
export function scriptSha256(text: Buffer | string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Nested statements a DML statement may carry in WITH: data-modifying CTEs must be DML too. */
function cteProblems(body: Record<string, any>, at: string): string[] {
  const out: string[] = [];
  for (const cte of body.withClause?.ctes ?? []) {
    const q = cte.CommonTableExpr?.ctequery ?? {};
    const type = Object.keys(q)[0];
    if (type !== 'SelectStmt' && !DML.has(type)) out.push(`${at}: WITH ${cte.CommonTableExpr?.ctename} runs ${type.replace(/Stmt$/, '')}`);
  }
  return out;
}

export async function inspectChangeScript(bytes: Buffer | string): Promise<ScriptVerdict> {
  await loadSqlParser();
  const sha256 = scriptSha256(bytes);
  const text = typeof bytes === 'string' ? bytes : bytes.toString('utf8');
  if (typeof bytes !== 'string' && Buffer.compare(Buffer.from(text, 'utf8'), bytes) !== 0) {
    return { ok: false, sha256, problems: ['is not UTF-8 text'] };
  }
  // The parser reads a C string (it stops at a NUL) and bash's "$(cat …)" drops NULs: with one, the
  // statements inspected are not those sent. No other control character has a place in SQL either.
  const control = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/.exec(text);
  if (control) return { ok: false, sha256, problems: [`holds the control character U+${control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} at offset ${control.index}: a change script is plain text (tab, CR and LF only)`] };
  const parsed = parseSql(text);
  if (!parsed.ok) return { ok: false, sha256, problems: [`does not parse: ${parsed.error}`] };
  const problems: string[] = [];
  parsed.stmts.forEach((s, i) => {
    const type = Object.keys(s)[0];
    const at = `statement ${i + 1}`;
    if (!DML.has(type)) {
      problems.push(`${at} is ${type.replace(/Stmt$/, '')}: a data promote runs INSERT, UPDATE and DELETE only (schema changes go through the gated apply; the promote wraps the script in its own transaction)`);
    } else {
      problems.push(...cteProblems(s[type], at));
    }
  });
  if (parsed.stmts.length === 0) problems.push('holds no statement');
  return problems.length > 0 ? { ok: false, sha256, problems } : { ok: true, sha256, statements: parsed.stmts.length };
}
