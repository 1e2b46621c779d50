/**
 * The template reset Job's login (issue 19): what the sandbox's Vault role issues, written by
 * constructs/synth/terraform-template-reset.ts and accepted only as exactly this text by TK117.
 *
 * - CREATE ROLE … LOGIN … IN ROLE "<env>_template": a plain login, no attribute of its own. The
 *   membership inherits (the login must pass the CONNECT check of the sandbox's database and of the
 *   golden as a member of the template role) and may SET ROLE (CREATEDB is never inherited: the
 *   reset runs every statement after `SET ROLE <env>_template`). On PostgreSQL 16+ the connection
 *   user may grant the template role only with ADMIN OPTION on it (the stack's
 *   template_reset_vault_admin); on 15 its CREATEROLE grants any non-superuser role.
 * - ALTER ROLE … SET ROLE: what the login creates belongs to the template role (hygiene, as for the
 *   app's logins: it can RESET ROLE).
 * - the sandbox's expiry guard and renewal (vault-statements.ts), as for the app's logins.
 *
 * Revocation: the app's (constructs/statements.ts revocationStatements): grant the login to the
 * connection user, hand what it owns to the group, drop the rest and the role.
 */
import { sandboxExpiryGuard } from './vault-statements';

/** The reset opens one session at a time (and a second while a clone's source is open). */
export const TEMPLATE_RESET_LOGIN_CONNECTION_LIMIT = 2;

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

export function templateResetLoginStatements(templateRole: string, slug: string, sandboxExpiresAt?: string): string[] {
  const t = quote(templateRole);
  return [
    `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}' CONNECTION LIMIT ${TEMPLATE_RESET_LOGIN_CONNECTION_LIMIT} IN ROLE ${t};`,
    `ALTER ROLE "{{name}}" SET ROLE ${t};`,
    ...(sandboxExpiresAt !== undefined ? [sandboxExpiryGuard(slug, sandboxExpiresAt)] : []),
  ];
}

export function templateResetLoginRevocation(groupRole: string): string[] {
  return [
    `GRANT "{{name}}" TO CURRENT_USER;`,
    `REASSIGN OWNED BY "{{name}}" TO ${quote(groupRole)};`,
    `DROP OWNED BY "{{name}}";`,
    `DROP ROLE IF EXISTS "{{name}}";`,
  ];
}

/**
 * What the env's Vault connection user may hold of the template role: on PostgreSQL 16+ ADMIN OPTION
 * alone (to issue and drop the Job's login), neither inherited nor settable, as the planner issuer
 * holds its group (contract/planner.ts). Without INHERIT FALSE it would hold the golden's owner
 * privileges (open it, write it, forge its marker); without SET FALSE it could SET ROLE to a
 * CREATEDB role (test/pg/template-reset-roles.test.ts measures both on 15 and 18).
 *
 * The provider cannot write these options: cyrilgdn/postgresql v1.26's postgresql_grant_role issues
 * `GRANT "g" TO "r" [WITH ADMIN OPTION]` (docs/provider-sql.md), and PostgreSQL 16+ then takes INHERIT
 * from the member's attribute and SET as true. So the stack keeps its grant (template_reset_vault_admin)
 * and the operator narrows it once, as the stack's provider login (the grant's grantor: the same
 * grantor's GRANT updates that row's options; another grantor's would add a row, and a member's
 * options are the union of its rows). The reset and the golden load refuse to run while any row still
 * inherits or may SET (TEMPLATE_RESET_SCRIPT), so a forgotten or undone narrowing (a replaced grant)
 * stops the Job rather than widening the user. What it does not remove (measured on 18): ADMIN OPTION
 * lets the user grant the role to itself, INHERIT and SET included — the narrowing removes the standing
 * privilege (no session of Vault's acts as the template role unless it first runs that GRANT, which
 * tierkit's statements never do: TK117), and the Job refuses while such a row remains.
 *
 * On 15 there is nothing to narrow: GRANT has no INHERIT/SET options (42601), and the user's
 * CREATEROLE may grant itself any non-superuser role, the template role included, at any time.
 */
export const TEMPLATE_RESET_NARROW_GRANT_MIN_MAJOR = 16;

export function templateResetConnectionGrant(templateRole: string, connectionRole: string): string {
  return `GRANT ${quote(templateRole)} TO ${quote(connectionRole)} WITH ADMIN OPTION, INHERIT FALSE, SET FALSE`;
}

/**
 * The login lives one reset: long enough for a drain (120 s), a clone and a hash, no longer.
 * Vault cannot issue a shorter lease than asked; the role's max_ttl caps renewals.
 */
export const TEMPLATE_RESET_LOGIN_TTL_SECONDS = { defaultSeconds: 1800, maxSeconds: 1800 } as const;

/**
 * Vault's pool on the sandbox's connection. Vault opens its sessions on the connection_url's
 * database — the sandbox's own (hashicorp/vault sdk/database/helper/connutil/sql.go: `Connection`
 * opens the pgx pool on `ConnectionURL`, and `Init` pings it when verifying; the backend's
 * `GetConnection` always initializes with VerifyConnection true) — and keeps up to
 * max_open_connections idle there forever by default (`SetConnMaxLifetime(0)`). DROP DATABASE
 * refuses while any session remains (55006), and the reset never ends another role's session.
 * With a lifetime, Go's database/sql closes idle pooled sessions once they are older than it;
 * the reset closes the database to new sessions first, so Vault cannot reopen one, and its drain
 * outlasts two lifetimes. Short, because Vault opens a session there when it issues the reset Job's
 * own login, just before the reset: the drain waits up to two lifetimes for it. A new session per
 * credential request after 10 s idle costs Vault little at a sandbox's request rate.
 */
export const TEMPLATE_RESET_VAULT_POOL_LIFETIME_SECONDS = 10;
/** How long the template reset waits for every session to leave: more than two pool lifetimes. */
export const TEMPLATE_RESET_DRAIN_SECONDS = 120;
