// What the artifacts declare about roles, memberships and database ACLs, and a comparison with
// what a real server holds after the translated apply (invariant 10 of docs/provider-sql.md).
import type { TerraformResource, TerraformStackJson } from '../../../policies/dist/read';
import type { Session } from './db';
import type { NameMap } from './names';
import { applyOrder, postgresResources } from './translator';

const DB_PRIVILEGES: Record<string, string> = { CONNECT: 'CONNECT', TEMPORARY: 'TEMPORARY', TEMP: 'TEMPORARY', CREATE: 'CREATE', ALL: '*' };

interface RoleDecl {
  name: string;
  attrs: Record<string, boolean | number>;
}

export interface Declared {
  roles: RoleDecl[];
  /** `member → group` with the admin option, server-side names. */
  memberships: { group: string; member: string; admin: boolean }[];
  /** database → owner and the exact `grantee:PRIVILEGE` set aclexplode must show. */
  databases: { name: string; owner: string; acl: string[] }[];
}

const attr = (r: TerraformResource, k: string, d: boolean) => (r.attributes[k] === undefined ? d : r.attributes[k] === true || r.attributes[k] === 'true');

/** Model the provider's effect: defaults of a new database, then each grant's REVOKE ALL + GRANT. */
export function declaredState(stacks: readonly TerraformStackJson[], names: NameMap, adminUser: string): Declared {
  const out: Declared = { roles: [], memberships: [], databases: [] };
  const acls = new Map<string, Map<string, Set<string>>>();
  for (const stack of stacks) {
    for (const r of applyOrder(postgresResources(stack))) {
      const a = r.attributes;
      if (r.type === 'postgresql_role') {
        const name = names.map(String(a.name));
        out.roles.push({
          name,
          attrs: {
            rolsuper: attr(r, 'superuser', false), rolcreatedb: attr(r, 'create_database', false),
            rolcreaterole: attr(r, 'create_role', false), rolinherit: attr(r, 'inherit', true),
            rolcanlogin: attr(r, 'login', false), rolreplication: attr(r, 'replication', false),
            rolbypassrls: attr(r, 'bypass_row_level_security', false), rolconnlimit: Number(a.connection_limit ?? -1),
          },
        });
        for (const g of (a.roles as string[] | undefined) ?? []) out.memberships.push({ group: names.map(g), member: name, admin: false });
      } else if (r.type === 'postgresql_grant_role') {
        out.memberships.push({ group: names.map(String(a.grant_role)), member: names.map(String(a.role)), admin: attr(r, 'with_admin_option', false) });
      } else if (r.type === 'postgresql_database') {
        const name = names.map(String(a.name));
        // No owner: the provider's login, already a server-side name (never mapped again).
        const owner = a.owner === undefined || a.owner === null ? adminUser : names.map(String(a.owner));
        out.databases.push({ name, owner, acl: [] });
        acls.set(name, new Map([[owner, new Set(['CREATE', 'TEMPORARY', 'CONNECT'])], ['PUBLIC', new Set(['TEMPORARY', 'CONNECT'])]]));
      } else if (r.type === 'postgresql_grant') {
        const acl = acls.get(names.map(String(a.database)));
        if (!acl) continue; // a grant on a database of another stack: not modelled
        const role = String(a.role).toLowerCase() === 'public' ? 'PUBLIC' : names.map(String(a.role));
        const privs = ((a.privileges as string[] | undefined) ?? []).flatMap((p) => {
          const norm = DB_PRIVILEGES[p.toUpperCase()];
          return norm === '*' ? ['CREATE', 'TEMPORARY', 'CONNECT'] : [norm];
        });
        acl.set(role, new Set(privs));
      }
    }
  }
  for (const d of out.databases) {
    d.acl = [...acls.get(d.name)!].flatMap(([g, ps]) => [...ps].map((p) => `${g}:${p}`)).sort();
  }
  return out;
}

/**
 * Differences between the server and the declaration, as readable lines (empty = equal):
 * role attributes, every membership among the declared roles (incl. admin option), database
 * owners and exact ACLs, and any membership the provider's own user kept in a declared role.
 */
export async function compareWithServer(s: Session, declared: Declared, adminUser: string, names: NameMap): Promise<string[]> {
  const problems: string[] = [];
  const show = (n: string) => names.unmap(n) ?? n;
  const roleNames = declared.roles.map((r) => r.name);
  const rows = await s.query<Record<string, unknown>>(
    `SELECT rolname, rolsuper, rolcreatedb, rolcreaterole, rolinherit, rolcanlogin, rolreplication, rolbypassrls, rolconnlimit
       FROM pg_roles WHERE rolname = ANY($1)`, [roleNames]);
  for (const decl of declared.roles) {
    const row = rows.find((x) => x.rolname === decl.name);
    if (!row) { problems.push(`role ${show(decl.name)} does not exist`); continue; }
    for (const [k, v] of Object.entries(decl.attrs)) {
      if (row[k] !== v) problems.push(`role ${show(decl.name)}: ${k} is ${String(row[k])}, declared ${String(v)}`);
    }
  }
  const members = await s.query<{ grp: string; member: string; admin: boolean }>(
    `SELECT g.rolname AS grp, m.rolname AS member, bool_or(am.admin_option) AS admin
       FROM pg_auth_members am JOIN pg_roles g ON g.oid = am.roleid JOIN pg_roles m ON m.oid = am.member
      WHERE (g.rolname = ANY($1) OR m.rolname = ANY($1)) AND m.rolname <> $2
      GROUP BY 1, 2`, [roleNames, adminUser]);
  const key = (m: { group?: string; grp?: string; member: string; admin: boolean }) => `${show(m.group ?? m.grp!)} ← ${show(m.member)}${m.admin ? ' WITH ADMIN OPTION' : ''}`;
  // Memberships of the provider user itself (declared on managed servers) are judged below.
  const want = new Set(declared.memberships.filter((m) => m.member !== adminUser).map(key));
  const got = new Set(members.map(key));
  for (const w of want) if (!got.has(w)) problems.push(`membership missing: ${w}`);
  for (const g of got) if (!want.has(g)) problems.push(`membership not declared: ${g}`);
  // The provider's user may keep nothing: on 16+ the server itself records an ADMIN-only
  // link from a CREATEROLE creator to each role it created (grantor: the bootstrap superuser,
  // no INHERIT, no SET); anything beyond that is a leftover of the temporary owner grant.
  const hasSet = (await s.query(`SELECT 1 FROM information_schema.columns WHERE table_name = 'pg_auth_members' AND column_name = 'set_option'`)).length > 0;
  const leftover = await s.query<{ grp: string }>(
    `SELECT g.rolname AS grp FROM pg_auth_members am JOIN pg_roles g ON g.oid = am.roleid JOIN pg_roles m ON m.oid = am.member
      WHERE m.rolname = $2 AND g.rolname = ANY($1)${hasSet ? ' AND (am.set_option OR am.inherit_option)' : ''}`, [roleNames, adminUser]);
  const declaredAdminGroups = new Set(declared.memberships.filter((m) => m.member === adminUser).map((m) => m.group));
  for (const l of leftover) {
    if (!declaredAdminGroups.has(l.grp)) problems.push(`leftover admin membership: provider user is still a member of ${show(l.grp)}`);
  }
  // A declared membership of the provider user must give it the group's privileges (INHERIT).
  for (const g of declaredAdminGroups) {
    const inherits = await s.query(
      `SELECT 1 FROM pg_auth_members am WHERE am.roleid = to_regrole($1) AND am.member = to_regrole($2)${hasSet ? ' AND am.inherit_option' : ''}`,
      [`"${g}"`, `"${adminUser}"`]);
    if (inherits.length === 0) problems.push(`membership missing: ${show(g)} ← provider user (with INHERIT)`);
  }

  for (const db of declared.databases) {
    const [row] = await s.query<{ owner: string }>(`SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1`, [db.name]);
    if (!row) { problems.push(`database ${show(db.name)} does not exist`); continue; }
    if (row.owner !== db.owner) problems.push(`database ${show(db.name)}: owner is ${show(row.owner)}, declared ${show(db.owner)}`);
    const acl = (await s.query<{ e: string }>(
      `SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END || ':' || a.privilege_type
              || CASE WHEN a.is_grantable THEN '*' ELSE '' END AS e
         FROM pg_database d, aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a
        WHERE d.datname = $1 ORDER BY 1`, [db.name])).map((x) => x.e).sort();
    const fmt = (xs: string[]) => xs.map((x) => { const [g, p] = x.split(':'); return `${show(g)}:${p}`; }).join(', ');
    if (fmt(acl) !== fmt(db.acl)) problems.push(`database ${show(db.name)}: ACL is {${fmt(acl)}}, declared {${fmt(db.acl)}}`);
  }
  return problems;
}
