import { at, isUnresolved, PgItem, postgresView, show } from '../graph/postgres';
import { Rule, RuleFinding } from './support/rule';
import { isPublicRole, KEYWORD_ROLE } from './support/pg-role-names';
import { valuesAtPath } from './support/values-at';

/** Where a postgresql resource names a role, and whether that reference makes someone a member. */
const ROLE_REFS: Record<string, { path: (string | number)[]; membership: boolean }[]> = {
  // A role's own name too: a name tierkit cannot resolve, or a reserved one (`postgres`), is never declared.
  postgresql_role: [{ path: ['name'], membership: false }, { path: ['roles', '*'], membership: true }, { path: ['assume_role'], membership: true }],
  postgresql_grant_role: [{ path: ['grant_role'], membership: true }, { path: ['role'], membership: false }],
  postgresql_grant: [{ path: ['role'], membership: false }],
  postgresql_default_privileges: [{ path: ['role'], membership: false }, { path: ['owner'], membership: false }],
  postgresql_database: [{ path: ['owner'], membership: false }],
  postgresql_schema: [{ path: ['owner'], membership: false }, { path: ['policy', '*', 'role'], membership: false }],
  postgresql_user_mapping: [{ path: ['user_name'], membership: false }],
  postgresql_publication: [{ path: ['owner'], membership: false }],
  postgresql_server: [{ path: ['server_owner'], membership: false }],
};

/** Cloud providers' admin roles: superuser in all but name where they exist. */
const CLOUD_ADMIN = /^(rds_superuser|rds_replication|rds_iam|rds_password|cloudsqlsuperuser|cloudsqladmin|azure_pg_admin|azure_superuser|alloydbsuperuser)$/i;

// Exactly `public` (or '' where the provider writes PUBLIC for it): "PUBLIC" is an ordinary role, judged like any other.
const isPublic = (v: unknown) => v === '' || isPublicRole(v);

/** The one documented predefined-role membership: the golden dump role's pg_read_all_data (docs/design.md, Lifecycle). */
function documentedException(item: PgItem, role: string): boolean {
  return item.type === 'postgresql_role' && role === 'pg_read_all_data' && item.stack.env !== undefined
    && item.attributes.name === item.stack.env.names.goldenDumpRole;
}

export const rule: Rule = {
  id: 'TK039',
  name: 'postgres-undeclared-role',
  severity: 'error',
  title: 'Every role a PostgreSQL resource names is a role the estate declares on that server',
  explanation:
    'A role the estate does not declare is one no rule can judge: the provider\'s own login (`postgres`, a superuser), '
    + 'PostgreSQL\'s predefined roles (pg_read_all_data and pg_write_all_data read or write every database; '
    + 'pg_execute_server_program and the server-files roles run programs and touch files as the OS user; '
    + 'pg_signal_backend kills other sessions; …), cloud admin roles (rds_superuser…), another server\'s admin. Membership '
    + 'in one, ownership by one, or a grant to one is refused, whatever the suppression. The one documented exception is '
    + "the golden dump role's pg_read_all_data (its env's own read-only dump role, nothing else).",
  fix: "Name only roles the estate declares on the server (an env's group, Vault connection or golden dump role, the server's admin role).",
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    const view = postgresView(g);
    for (const item of view.items) {
      for (const ref of ROLE_REFS[item.type] ?? []) {
        for (const [v, p] of valuesAtPath(item.attributes, ref.path)) {
          // PUBLIC as grantee: TK002 / TK033 / TK034 judge it. A role's own name is never PUBLIC (PostgreSQL refuses it).
          if (!ref.membership && isPublic(v) && !(item.type === 'postgresql_role' && ref.path[0] === 'name')) continue;
          const where = item.target.server;
          const declared = where ? view.declaredRoles.get(where) : undefined;
          const name = typeof v === 'string' && !isUnresolved(v) ? v : undefined;
          if (name !== undefined && declared?.has(name)) continue;
          if (name !== undefined && documentedException(item, name)) continue;
          const why = name === undefined ? `${show(v)} is not a role name tierkit can resolve`
            : KEYWORD_ROLE.test(name) ? `"${name}" is, in some case, PUBLIC, NONE, CURRENT_USER, SESSION_USER or CURRENT_ROLE: the provider quotes it into an ordinary role that reads as the keyword (a revoke FROM "PUBLIC" leaves PUBLIC's privileges), so no estate role may take it`
              : name.toLowerCase().startsWith('pg_') ? `"${name}" is a PostgreSQL predefined role${name === 'pg_read_all_data' ? ' (allowed only as the golden dump role\'s own membership)' : ''}`
              : CLOUD_ADMIN.test(name) ? `"${name}" is a cloud provider's admin role`
                : !where ? `"${name}" cannot be checked: ${item.target.unresolved}`
                  : `"${name}" is no role the estate declares on server ${where} (the provider's own login, another server's role, or a role made outside tierkit)`;
          out.push({
            env: item.stack.env, source: at(item, ...p),
            message: `${item.address} (stack ${item.stack.name}) ${ref.membership ? 'makes a role a member of' : 'names'} ${p.join('.')} = ${why}`,
          });
        }
      }
    }
    return out;
  },
};
