import { loadPgParser, pgParseSync } from './pg-parser';

/**
 * The real PostgreSQL parser (libpg-query, WASM, through pg-parser.ts). It loads asynchronously once; after
 * `loadSqlParser()` every parse is synchronous, so rules stay plain functions of the graph.
 * Statements are parsed once per distinct text: an estate of thousands of environments has a
 * handful of distinct statement shapes per env, and the cache keeps the cost linear.
 */
let loaded: Promise<void> | undefined;
let ready = false;

export function loadSqlParser(): Promise<void> {
  loaded ??= loadPgParser().then(() => { ready = true; });
  return loaded;
}

/** Sentinels Vault's `{{…}}` placeholders are replaced with before parsing. */
export const PLACEHOLDER = {
  name: 'tierkit_vault_user',
  password: 'tierkit-vault-password',
  expiration: 'tierkit-vault-expiration',
} as const;

/**
 * Plain text substitution, exactly as Vault does it: `dbutil.QueryHelper` replaces the literal
 * `{{name}}`, `{{username}}`, `{{password}}` and `{{expiration}}` only (sdk/database/helper/dbutil/
 * dbutil.go, `strings.Replace(tpl, fmt.Sprintf("{{%s}}", k), v, -1)`): `{{ name }}` stays as written.
 */
export function substituteVaultPlaceholders(sql: string): string {
  return sql
    .replaceAll('{{name}}', PLACEHOLDER.name).replaceAll('{{username}}', PLACEHOLDER.name)
    .replaceAll('{{password}}', PLACEHOLDER.password)
    .replaceAll('{{expiration}}', PLACEHOLDER.expiration);
}

export type ParsedSql = { ok: true; stmts: Record<string, any>[] } | { ok: false; error: string };

const parsed = new Map<string, ParsedSql>();

/** Parse SQL text (after placeholder substitution) into its statements' parse trees. */
export function parseSql(text: string): ParsedSql {
  const hit = parsed.get(text);
  if (hit) return hit;
  if (!ready) throw new Error('the SQL parser is not loaded: await loadSqlParser() before evaluating rules');
  let result: ParsedSql;
  try {
    const tree = pgParseSync(text);
    result = { ok: true, stmts: (tree.stmts ?? []).map((s) => s.stmt) };
  } catch (err) {
    result = { ok: false, error: (err as Error).message };
  }
  parsed.set(text, result);
  return result;
}

/**
 * One entry of a Vault role's statements, parsed as Vault's PostgreSQL plugin runs it. The plugin
 * splits each entry on every `;` (`strutil.ParseArbitraryStringSlice(stmt, ";")`, blind to comments,
 * strings and bodies) unless its best-effort `containsMultilineStatement` sees `END`, then
 * substitutes each piece (builtin plugins/database/postgresql/postgresql.go). The checker cannot
 * know for sure which way an entry goes, so it accepts only an entry that means the same both ways:
 * every `;`-piece parses to exactly one statement and together they are the statements of the
 * whole, or its first piece does not parse at all (a body cut at its first `;`: split, nothing of it runs). A `;` in a comment, a string or a body is a finding, never a guess; so is a placeholder
 * spelling Vault would leave as written.
 */
export function parseVaultStatement(text: string): ParsedSql {
  // A pure function of the text (parseSql is): several rules read each role's statements.
  const hit = vaultParsed.get(text);
  if (hit) return hit;
  const result = parseVaultStatementUncached(text);
  vaultParsed.set(text, result);
  return result;
}

const vaultParsed = new Map<string, ParsedSql>();

function parseVaultStatementUncached(text: string): ParsedSql {
  const substituted = substituteVaultPlaceholders(text);
  const leftover = /\{\{[^}]*\}\}|\{\{|\}\}/.exec(substituted);
  if (leftover) {
    return { ok: false, error: `${JSON.stringify(leftover[0])} is no Vault placeholder (Vault substitutes exactly {{name}}, {{username}}, {{password}} and {{expiration}}) and would run as written` };
  }
  const whole = parseSql(substituted);
  if (!whole.ok) return whole;
  const pieces = text.split(';').map((q) => q.trim()).filter((q) => q.length > 0);
  const parts = pieces.map((q) => parseSql(substituteVaultPlaceholders(q)));
  // Split, a body (DO … END) falls apart at its first ';': that first piece does not parse, so
  // nothing of the entry runs and Vault's transaction rolls back — only the whole reading counts.
  if (parts.length > 0 && !parts[0].ok) return whole;
  const same = parts.length === whole.stmts.length && parts.every((p, i) => p.ok && p.stmts.length === 1
    && sameTree(p.stmts[0], whole.stmts[i]));
  if (!same) {
    return { ok: false, error: 'Vault splits this entry on every ";" (comments, strings and bodies included) into statements PostgreSQL would not read the same way; write one statement per entry, without a ";" in a comment, string or body' };
  }
  return whole;
}

/**
 * `JSON.stringify(stripLocations(a)) === JSON.stringify(stripLocations(b))` without building either
 * (trees come from JSON.parse: plain values, keys in order). `__proto__` is skipped as the copy
 * skips it (assigning it sets a prototype, which JSON.stringify never writes).
 */
export function sameTree(a: unknown, b: unknown): boolean {
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a === b;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    if (a.length !== bb.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameTree(a[i], bb[i])) return false;
    return true;
  }
  const ka = Object.keys(a).filter(kept);
  const kb = Object.keys(b).filter(kept);
  if (ka.length !== kb.length) return false;
  for (let i = 0; i < ka.length; i++) {
    if (ka[i] !== kb[i] || !sameTree((a as Record<string, unknown>)[ka[i]], (b as Record<string, unknown>)[kb[i]])) return false;
  }
  return true;
}

function kept(k: string): boolean {
  return k !== 'location' && k !== 'stmt_location' && k !== 'stmt_len' && k !== '__proto__';
}

/** Parse trees carry byte offsets, which differ between a piece and the whole. */
export function stripLocations(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(stripLocations);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node as Record<string, unknown>)) if (k !== 'location' && k !== 'stmt_location' && k !== 'stmt_len') out[k] = stripLocations(v);
  return out;
}
