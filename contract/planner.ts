/**
 * The read-only PostgreSQL identity of the CI planners (docs/pr-flow.md, "The planners' PostgreSQL
 * login"). `terraform plan` refreshes every postgresql_* resource of a stack; the cyrilgdn/postgresql
 * provider's Read functions only SELECT from the catalog (pg_roles, pg_auth_members, pg_database,
 * pg_namespace, pg_default_acl, …), but each `postgresql_grant` Read opens its transaction *in the
 * grant's database* (helpers.go startTransaction), so the planner needs CONNECT there — and nothing
 * else: no CREATE, no TEMPORARY, no membership in any app role, no table privilege.
 *
 * - PLANNER_GROUP_ROLE, NOLOGIN: what the stacks grant CONNECT to (each app-environment stack on its
 *   own database, `postgresql_grant.planner_connect`); the server bootstrap on `postgres` and
 *   `template1`, which the stacks revoke from PUBLIC.
 * - PLANNER_LOGIN_ROLE, a declared LOGIN member of the group, created once per server by the
 *   operator (as the admin, like the admin credential itself); its credential is the KV secret
 *   serverPlannerSecretName, readable only by the tier's planner policy (`tierkit-plan-<tier>`).
 */

export const PLANNER_GROUP_ROLE = 'tierkit_planner';
export const PLANNER_LOGIN_ROLE = 'tierkit_planner_login';

/** KV path (under the KV mount) of a server's planner login: `username` and `password`, like the admin's. */
export function serverPlannerSecretName(serverId: string): string {
  return `tierkit/postgres-planner/${serverId}`;
}

/** A PostgreSQL string literal (standard_conforming_strings on: only `'` is doubled). */
function literal(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/**
 * The bootstrap, run once per server as its admin (after the admin credential exists, before the
 * first apply that grants CONNECT to the group). Every attribute is spelled out: a login created
 * with a server's non-default role defaults would otherwise differ from what the docs promise.
 * `default_transaction_read_only` is hygiene, not the boundary (a session may SET it off): the
 * boundary is that the role holds no privilege to write anything.
 */
export function plannerBootstrapStatements(password: string): string[] {
  const attrs = 'NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS';
  return [
    `CREATE ROLE "${PLANNER_GROUP_ROLE}" NOLOGIN NOINHERIT ${attrs}`,
    `GRANT CONNECT ON DATABASE "postgres" TO "${PLANNER_GROUP_ROLE}"`,
    `GRANT CONNECT ON DATABASE "template1" TO "${PLANNER_GROUP_ROLE}"`,
    `CREATE ROLE "${PLANNER_LOGIN_ROLE}" LOGIN INHERIT ${attrs} CONNECTION LIMIT 8 PASSWORD ${literal(password)} IN ROLE "${PLANNER_GROUP_ROLE}"`,
    `ALTER ROLE "${PLANNER_LOGIN_ROLE}" SET default_transaction_read_only = on`,
  ];
}

/**
 * The short-lived planner login (issue 12), on PostgreSQL 16 and later only. Per server, a Vault
 * database connection whose user is PLANNER_ISSUER_ROLE and one Vault role of the same name whose
 * creation statement makes a LOGIN member of PLANNER_GROUP_ROLE valid for the lease's TTL: each plan
 * job reads `creds/` once and gets a login that is dropped when its lease ends and refused by
 * PostgreSQL after VALID UNTIL whatever happens to the lease (docs/pr-flow.md, "The planners' PostgreSQL login").
 *
 * Why 16+: the issuer needs CREATEROLE. On 16+ a CREATEROLE role may grant only roles it holds with
 * ADMIN OPTION and alter only roles it made; granting it the group `WITH ADMIN OPTION, INHERIT FALSE,
 * SET FALSE` lets it add members without itself holding the group's privileges. On 15 and older
 * CREATEROLE may grant any non-superuser role (an issuer could join prod's app group), so servers
 * before 16 keep the declared static login (PLANNER_LOGIN_ROLE) and nothing of this is synthesized.
 */
export const PLANNER_ISSUER_ROLE = 'tierkit_planner_issuer';
export const SHORT_LIVED_PLANNER_MIN_MAJOR = 16;

/** Whether a server of this major gets the short-lived planner login (else the static one). */
export function hasShortLivedPlanner(majorVersion: number): boolean {
  return majorVersion >= SHORT_LIVED_PLANNER_MIN_MAJOR;
}

/** The Vault database connection and role of a server's short-lived planner login (one name for both). */
export function plannerVaultName(serverId: string): string {
  return `tierkit-planner-${serverId}`;
}

/** KV path of the issuer's first password: the operator stores it at bootstrap; the first apply hands it to Vault, which rotates it. */
export function serverPlannerIssuerSecretName(serverId: string): string {
  return `tierkit/postgres-planner-issuer/${serverId}`;
}

/** The Terraform variable carrying a server's issuer first password into its tier platform stack. */
export function plannerIssuerPasswordVariable(serverId: string): string {
  return `planner_issuer_password_${serverId.replace(/[^A-Za-z0-9]/g, '_')}`;
}

/** Leases: one plan job (default) and at most an hour; PostgreSQL refuses the login after VALID UNTIL. */
export const PLANNER_CREDENTIAL_TTL = { defaultSeconds: 900, maxSeconds: 3600 } as const;

/**
 * What Vault runs to issue one planner login: exactly LOGIN, the attributes spelled out (a server's
 * role defaults never apply), VALID UNTIL the lease's end, IN ROLE the group — no other role, no setting.
 */
export const PLANNER_CREATION_STATEMENTS: readonly string[] = [
  `CREATE ROLE "{{name}}" WITH LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 8 PASSWORD '{{password}}' VALID UNTIL '{{expiration}}' IN ROLE "${PLANNER_GROUP_ROLE}";`,
];
/** The issuer made the login, so it holds ADMIN on it (16+) and may drop it. */
export const PLANNER_REVOCATION_STATEMENTS: readonly string[] = ['DROP ROLE IF EXISTS "{{name}}";'];

/**
 * The issuer's bootstrap, run once per 16+ server as its admin, after plannerBootstrapStatements:
 * a NOINHERIT login with CREATEROLE and nothing else, the group WITH ADMIN OPTION but neither
 * inherited nor settable, CONNECT on the connection's database (`postgres`). Its password then goes
 * to KV at serverPlannerIssuerSecretName, for the first platform apply; Vault rotates it.
 */
export function plannerIssuerBootstrapStatements(password: string): string[] {
  return [
    `CREATE ROLE "${PLANNER_ISSUER_ROLE}" LOGIN NOINHERIT CREATEROLE NOSUPERUSER NOCREATEDB NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 4 PASSWORD ${literal(password)}`,
    `GRANT "${PLANNER_GROUP_ROLE}" TO "${PLANNER_ISSUER_ROLE}" WITH ADMIN OPTION, INHERIT FALSE, SET FALSE`,
    `GRANT CONNECT ON DATABASE "postgres" TO "${PLANNER_ISSUER_ROLE}"`,
  ];
}

/**
 * The plan job's pre-flight, run as the issued login (issue 12): members of the planner group that
 * are neither the issuer, the static planner login, nor a login the issuer itself created (PostgreSQL
 * 16+ gives a role's creator ADMIN on it: an existing role — a sandbox's login, an env group — can
 * never show that), plain, expiring within the planner TTL, member of nothing else and with no member
 but the issuer (its ADMIN on the logins it made would let it hand one — and the group through it —
 to any role), and holding the group without ADMIN OPTION (with it, the login itself could add any
 * role; attack14). ADMIN OPTION lets
 * the issuer make ANY role a member, and a member inherits the group's CONNECT on every env database
 * of the server (measured in test/pg/planner.test.ts); no event trigger sees GRANT ROLE, so the
 * membership list itself is checked. Parameters: $1 group, $2 issuer, $3 static login, $4 max TTL
 * seconds, $5 the issued logins' name prefix (Vault's default username template: `v-`). Every row is a planted member; pg_auth_members and pg_roles are readable by any login.
 */
export const UNEXPECTED_PLANNER_MEMBERS_SQL = `SELECT r.rolname AS member, g.rolname AS grantor
FROM pg_auth_members m
JOIN pg_roles r ON r.oid = m.member
LEFT JOIN pg_roles g ON g.oid = m.grantor
WHERE m.roleid = (SELECT oid FROM pg_roles WHERE rolname = $1)
  AND r.rolname <> $2 AND r.rolname <> $3
  AND NOT (
    left(r.rolname, length($5)) = $5 AND NOT m.admin_option AND r.rolcanlogin AND NOT r.rolsuper AND NOT r.rolcreaterole AND NOT r.rolcreatedb
    AND NOT r.rolreplication AND NOT r.rolbypassrls
    AND r.rolvaliduntil IS NOT NULL AND r.rolvaliduntil <= now() + make_interval(secs => $4::int)
    AND EXISTS (SELECT 1 FROM pg_auth_members c WHERE c.roleid = r.oid AND c.member = (SELECT oid FROM pg_roles WHERE rolname = $2) AND c.admin_option)
    AND NOT EXISTS (SELECT 1 FROM pg_auth_members o WHERE o.member = r.oid AND o.roleid <> m.roleid)
    AND NOT EXISTS (SELECT 1 FROM pg_auth_members k WHERE k.roleid = r.oid AND k.member <> (SELECT oid FROM pg_roles WHERE rolname = $2))
  )
ORDER BY 1, 2`;
/** Vault's default username template for the postgres plugin starts every issued login with it. */
export const ISSUED_LOGIN_PREFIX = 'v-';
