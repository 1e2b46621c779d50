import { loadModule, parseSync } from 'libpg-query';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT_ROTATION_STATEMENTS } from '../../contract/vault-statements';
import { creationStatements, revocationStatements } from '../../constructs/statements';
import { loadPgParser, pgParseSync } from '../../policies/graph/pg-parser';
import { substituteVaultPlaceholders } from '../../policies/graph/sql';

// policies/graph/pg-parser.ts calls libpg-query's WASM module without the package's entry point
// (which also loads 5 MB of protobufjs for deparse). It must answer exactly as the package's
// parseSync: the same tree for every text, the same error for every text the parser refuses.

const c = { app: 'shop', env: 'prod' };
const caps = { userConnectionLimit: 5, statementTimeoutSeconds: 30, idleInTransactionTimeoutSeconds: 60, tempFileLimitKilobytes: 1024 };

const VALID = [
  ...creationStatements(c), ...creationStatements(c, caps, '2026-12-01T00:00:00Z'), ...revocationStatements(c), ...ROOT_ROTATION_STATEMENTS,
  'GRANT "shop_prod" TO "tierkit_vault_user"',
  'GRANT CONNECT ON DATABASE "shop_prod" TO "shop_dev"; REVOKE ALL ON SCHEMA public FROM PUBLIC',
  'ALTER ROLE "x" WITH SUPERUSER',
  'CREATE FUNCTION f() RETURNS void LANGUAGE sql SECURITY DEFINER AS $$ GRANT "shop_prod" TO "sandbox" $$',
  'DO $$ BEGIN EXECUTE format(\'GRANT %I TO %I\', \'pg_write_all_data\', current_user); END $$;',
  'COMMENT ON ROLE "shop_pr_12" IS \'orphan since 2026-11-22T06:00:00Z\'',
  'SELECT 1 -- ; CREATE ROLE hidden',
  'SELECT \'é — ünïcödé ✓\' AS "naïve"',
  `SELECT ${Array.from({ length: 400 }, (_, i) => `'${'v'.repeat(i % 17)}${i}'`).join(', ')}`,
  '   ',
  '-- only a comment',
  ';;;',
  'SET ROLE "shop_prod"; RESET ROLE;',
];

const INVALID = [
  '', // the package answers an empty text with an error too
  'CREATE ROLE',
  'GRANT TO',
  "SELECT 'unterminated",
  'SELECT $$ never closed',
  'CREATE ROLE "{{name}}" WITH LOGIN PASSWORD {{password}}',
  'ERROR',
  'SELECT 1; GRANT',
  'DO $$ BEGIN',
  'SELECT "a\u0000b"',
];

describe('pg-parser (libpg-query without proto.js)', () => {
  beforeAll(async () => {
    await loadModule();
    await loadPgParser();
  });

  const answer = (f: (q: string) => unknown, q: string) => {
    try {
      return { tree: f(q) };
    } catch (err) {
      return { error: (err as Error).message };
    }
  };

  it.each([...VALID, ...VALID.map(substituteVaultPlaceholders)].map((q) => [q.slice(0, 60), q]))('parses %j as the package does', (_, q) => {
    const ours = answer(pgParseSync, q);
    expect(ours).toEqual(answer(parseSync, q));
    expect(ours).toHaveProperty('tree');
  });

  it.each(INVALID.map((q) => [q.slice(0, 60), q]))('refuses %j with the package\'s error', (_, q) => {
    const ours = answer(pgParseSync, q);
    const theirs = answer(parseSync, q);
    expect(ours).toEqual(theirs);
    // NUL ends a C string: the package parses what precedes it, and so does this.
    if (!q.includes('\u0000')) expect(ours).toHaveProperty('error');
  });

  it('parses a statement to the tree the rules read (the real parser, not a stand-in)', () => {
    const tree = pgParseSync('GRANT "shop_prod" TO "sandbox"');
    expect(tree.stmts?.[0].stmt.GrantRoleStmt.granted_roles[0].AccessPriv.priv_name).toBe('shop_prod');
    expect(tree.stmts?.[0].stmt.GrantRoleStmt.grantee_roles[0].RoleSpec.rolename).toBe('sandbox');
  });
});
