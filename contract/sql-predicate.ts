/**
 * The row predicates a scrub or a sanitized profile may declare (`deleteWhere`). They run inside the
 * producer's throwaway PostgreSQL as its superuser (the scrub needs `session_replication_role`), in
 * a pod that holds a prod credential: a function call there could read the pod's files
 * (`pg_read_file`) or write them (`lo_export`). So a predicate is a small language tierkit can
 * read: column names, string and number literals, comparison and pattern operators, AND / OR / NOT,
 * IS [NOT] NULL / TRUE / FALSE, IS [NOT] DISTINCT FROM, [NOT] IN (…), [NOT] LIKE / ILIKE,
 * BETWEEN, parentheses and commas. No function call, cast, subquery, statement or comment: what
 * falls outside is refused at declaration and by TK133 on a hand-edited dist/.
 */

const KEYWORDS = new Set(['and', 'or', 'not', 'is', 'null', 'true', 'false', 'in', 'like', 'ilike', 'between', 'distinct']);
/** Words that would turn a column name into SQL tierkit does not model (subqueries, special functions, clauses). */
const REFUSED = new Set([
  'select', 'with', 'values', 'table', 'union', 'intersect', 'except', 'exists', 'array', 'row', 'cast', 'collate', 'case', 'when',
  'then', 'else', 'end', 'all', 'any', 'some', 'only', 'lateral', 'order', 'group', 'limit', 'offset', 'having', 'where', 'on',
  'using', 'as', 'into', 'returning', 'current_user', 'session_user', 'user', 'current_role', 'current_catalog', 'current_schema',
  'current_date', 'current_time', 'current_timestamp', 'localtime', 'localtimestamp', 'escape', 'similar', 'overlaps', 'operator',
  'filter', 'over', 'within', 'window', 'join', 'natural', 'cross', 'returning', 'default', 'symmetric', 'asymmetric', 'unknown',
]);
const OPERATORS = ['<>', '!=', '<=', '>=', '!~*', '!~', '~*', '=', '<', '>', '~'];

/** Why `text` is not a predicate tierkit accepts; undefined when it is. */
export function predicateProblem(text: unknown): string | undefined {
  if (typeof text !== 'string' || text.trim() === '') return 'is not an SQL boolean expression';
  // A backslash is an escape in E'…' strings (and psql's meta-commands): with it, where a literal
  // ends is no longer what this reader sees.
  if (text.includes('\\')) return 'has a backslash: a predicate has no escapes (write a quote inside a string as two quotes)';
  let i = 0;
  let previous = '';
  let depth = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) { i++; continue; }
    if (c === "'") {
      const m = /^'(?:[^']|'')*'/.exec(text.slice(i));
      if (!m) return 'has an unterminated string literal';
      i += m[0].length; previous = 'literal'; continue;
    }
    if (c === '"') {
      const m = /^"(?:[^"]|"")+"/.exec(text.slice(i));
      if (!m) return 'has an unterminated quoted name';
      i += m[0].length; previous = 'name';
      if (/^\s*\(/.test(text.slice(i))) return `calls a function (${m[0]}): a predicate compares columns with literals only`;
      continue;
    }
    const num = /^\d+(?:\.\d+)?(?![A-Za-z_])/.exec(text.slice(i));
    if (num) { i += num[0].length; previous = 'literal'; continue; }
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i));
    if (word) {
      const w = word[0].toLowerCase();
      i += word[0].length;
      if (w === 'from' && previous === 'distinct') { previous = w; continue; }
      if (REFUSED.has(w) || w === 'from') return `uses ${word[0]}: a predicate compares columns with literals only (no subquery, CASE, cast or special function)`;
      if (!KEYWORDS.has(w) && /^\s*\(/.test(text.slice(i))) return `calls a function (${word[0]}): a predicate compares columns with literals only`;
      if (text[i] === '.') return `names ${word[0]}.…: a predicate names the table's own columns only`;
      // E'…', U&'…', B'…', X'…', N'…': a prefixed string has its own escapes, which this reader does not model.
      if (text[i] === "'" || text[i] === '"' || text[i] === '&') return `writes ${word[0]}${text[i]}…, a prefixed string or name: a predicate uses plain '…' literals only`;
      previous = w; continue;
    }
    if (c === '(') { depth++; i++; previous = '('; continue; }
    if (c === ')') { if (--depth < 0) return 'closes a parenthesis it never opened'; i++; previous = ')'; continue; }
    if (c === ',') { i++; previous = ','; continue; }
    const op = OPERATORS.find((o) => text.startsWith(o, i));
    if (op) { i += op.length; previous = op; continue; }
    return `has ${JSON.stringify(text.slice(i, i + 2))}, which is no part of a predicate tierkit reads (no \`;\`, comments, casts, dollar quotes or other operators)`;
  }
  return depth === 0 ? undefined : 'leaves a parenthesis open';
}
