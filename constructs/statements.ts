/**
 * SQL that Vault runs for an env, and the HCL of its policies. Identifiers are always double-quoted
 * (the same quoting the postgresql provider uses); Vault substitutes {{name}}, {{password}} and
 * {{expiration}} as plain text.
 */
import * as naming from './naming';
import { compareStrings } from '../contract/order';
import { sandboxExpiryGuard } from '../contract/vault-statements';

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Per-credential caps of the creation statements (DatabaseCaps without the database's own limit). */
export interface CredentialCaps {
  readonly userConnectionLimit: number;
  readonly statementTimeoutSeconds: number;
  readonly idleInTransactionTimeoutSeconds: number;
  /** Written only where the connection user may set it (PostgresServer.tempFileLimitRole). */
  readonly tempFileLimitKilobytes?: number;
}

/**
 * A LOGIN role that expires with its lease, is a member of its env's group only, and acts as it.
 * With `caps`: a CONNECTION LIMIT the server enforces, timeout defaults the session may SET, and
 * (where the connection user holds SET on it) a temp_file_limit it may not.
 */
export function creationStatements(c: naming.Coordinate, caps?: CredentialCaps, sandboxExpiresAt?: string): string[] {
  const group = quoteIdent(naming.groupRoleName(c));
  const limit = caps ? ` CONNECTION LIMIT ${caps.userConnectionLimit}` : '';
  return [
    `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'${limit} IN ROLE ${group};`,
    `ALTER ROLE "{{name}}" SET ROLE ${group};`,
    ...(caps ? [
      `ALTER ROLE "{{name}}" SET statement_timeout = '${caps.statementTimeoutSeconds}s';`,
      `ALTER ROLE "{{name}}" SET idle_in_transaction_session_timeout = '${caps.idleInTransactionTimeoutSeconds}s';`,
    ] : []),
    // A superuser-only setting: the credential cannot SET it away (a wall, unlike the timeouts).
    ...(caps?.tempFileLimitKilobytes !== undefined ? [`ALTER ROLE "{{name}}" SET temp_file_limit = '${caps.tempFileLimitKilobytes}kB';`] : []),
    // A sandbox's credential never outlives its expiry, nor is one issued after it (TK126).
    ...(sandboxExpiresAt !== undefined ? [sandboxExpiryGuard(naming.slug(c), sandboxExpiresAt)] : []),
  ];
}

/**
 * Hand what the user owns to the group (it normally owns nothing: SET ROLE makes the group the
 * owner, but the user can RESET ROLE and create objects as itself), drop the rest, then the role.
 * Vault's default revocation fails on `IN ROLE` members.
 *
 * REASSIGN/DROP OWNED need the privileges of the user. The connection user has none by itself:
 * before PostgreSQL 16 CREATEROLE confers no membership, and from 16 on its creator gets only
 * ADMIN OPTION on the new role (no INHERIT, no SET), so `REASSIGN OWNED` fails with 42501
 * "permission denied to reassign objects" on both (proven in test/pg/matrix.test.ts). So the
 * connection user first grants the user to itself: allowed by CREATEROLE before 16 and by that
 * ADMIN OPTION from 16 on, and the grant inherits (the connection user is INHERIT). It needs
 * the group's privileges too, which its `postgresql_grant_role` membership gives. The grant
 * disappears with DROP ROLE, in the same transaction.
 */
export function revocationStatements(c: naming.Coordinate): string[] {
  const group = quoteIdent(naming.groupRoleName(c));
  return [
    `GRANT "{{name}}" TO CURRENT_USER;`,
    `REASSIGN OWNED BY "{{name}}" TO ${group};`,
    `DROP OWNED BY "{{name}}";`,
    `DROP ROLE IF EXISTS "{{name}}";`,
  ];
}

/** Vault rotates the connection user's password with this (`rotate-root`). */
export { ROOT_ROTATION_STATEMENTS } from '../contract/vault-statements';

export interface PolicyRule {
  readonly path: string;
  readonly capabilities: readonly string[];
}

/** Render Vault policy HCL, rules sorted by path so the text is stable. */
export function renderPolicy(comment: string, rules: readonly PolicyRule[]): string {
  const body = [...rules]
    .sort((a, b) => compareStrings(a.path, b.path))
    .map((r) => `path "${r.path}" {\n  capabilities = [${r.capabilities.map((c) => `"${c}"`).join(', ')}]\n}\n`)
    .join('\n');
  return `# ${comment}\n${body}`;
}

/** What an env's workload may do in Vault: read its own credentials and its own config. */
export function environmentPolicyRules(c: naming.Coordinate, n: naming.EstateNaming): PolicyRule[] {
  const kv = naming.kvApiPaths(c, n);
  return [
    { path: naming.vaultCredsPath(c, n), capabilities: ['read'] },
    { path: kv.data, capabilities: ['read'] },
    { path: kv.metadata, capabilities: ['read'] },
  ];
}
