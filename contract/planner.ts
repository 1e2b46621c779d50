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
