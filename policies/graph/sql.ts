import { loadModule, parseSync } from 'libpg-query';

/**
 * The real PostgreSQL parser (libpg-query, WASM). It loads asynchronously once; after
 * `loadSqlParser()` every parse is synchronous, so rules stay plain functions of the graph.
 * Statements are parsed once per distinct text: an estate of thousands of environments has a
 * handful of distinct statement shapes per env, and the cache keeps the cost linear.
 */
let loaded: Promise<void> | undefined;
let ready = false;

export function loadSqlParser(): Promise<void> {
  loaded ??= loadModule().then(() => { ready = true; });
  return loaded;
}

/** Sentinels Vault's `{{…}}` placeholders are replaced with before parsing. */
export const PLACEHOLDER = {
  name: 'tierkit_vault_user',
  password: 'tierkit-vault-password',
  expiration: 'tierkit-vault-expiration',
} as const;

/** Plain text substitution, exactly as Vault does it (no escaping). */
export function substituteVaultPlaceholders(sql: string): string {
  return sql
    .replace(/\{\{\s*(name|username)\s*\}\}/g, PLACEHOLDER.name)
    .replace(/\{\{\s*password\s*\}\}/g, PLACEHOLDER.password)
    .replace(/\{\{\s*expiration\s*\}\}/g, PLACEHOLDER.expiration);
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
    const tree = parseSync(text) as { stmts?: { stmt: Record<string, any> }[] };
    result = { ok: true, stmts: (tree.stmts ?? []).map((s) => s.stmt) };
  } catch (err) {
    result = { ok: false, error: (err as Error).message };
  }
  parsed.set(text, result);
  return result;
}
