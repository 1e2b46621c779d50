import { Membership, Role, RoleAttributes } from '../graph/types';
import { Rule, RuleFinding, describeEnv } from './support/rule';
import { isPreviewAdmin } from './support/previews';
// A template-reset sandbox's connection user also holds ADMIN on its own template role (TK117 judges that edge).
import { isTemplateResetRole, isTemplateResetVaultAdmin } from './support/template-reset';

const PRIVILEGED: [keyof RoleAttributes, string][] = [
  ['superuser', 'SUPERUSER'], ['createDatabase', 'CREATEDB'], ['createRole', 'CREATEROLE'],
  ['replication', 'REPLICATION'], ['bypassRowLevelSecurity', 'BYPASSRLS'],
];

/**
 * Admin roles the servers declare (`servers[].adminRole`, managed servers): in a human-gated stack
 * they may hold privileges; every other privileged role is a finding except the env's own Vault
 * connection role.
 */
function declaredAdminRoles(servers: Iterable<{ id: string }>): Set<string> {
  const out = new Set<string>();
  for (const s of servers) {
    const admin = (s as { adminRole?: unknown }).adminRole;
    if (typeof admin === 'string') out.add(`${s.id}\u0000${admin}`);
  }
  return out;
}

/**
 * PostgreSQL's predefined roles that are superuser in all but name: they run programs and read or
 * write any file as the server's OS user (COPY … PROGRAM / TO / FROM a file), data directory included.
 */
const SUPERUSER_EQUIVALENT = new Set(['pg_execute_server_program', 'pg_write_server_files', 'pg_read_server_files']);

export const rule: Rule = {
  id: 'TK003',
  name: 'privileged-role-attributes',
  severity: 'error',
  title: 'No role is SUPERUSER, CREATEDB, CREATEROLE, REPLICATION or BYPASSRLS (or a member of a superuser-equivalent predefined role) outside the declared exceptions',
  explanation:
    'Each of these attributes crosses every database boundary on the server: SUPERUSER and BYPASSRLS ignore ACLs, '
    + 'CREATEDB and CREATEROLE mint new objects and identities, REPLICATION streams every database. The only accepted '
    + "holder outside a human-gated admin role is the env's own Vault connection role, with CREATEROLE alone "
    + 'and ADMIN OPTION on nothing but its own group role (so Vault can mint members of that group, nothing else). '
    + 'An attribute whose value is an unresolved expression (`${var.su}`) cannot be proven false and counts as held. '
    + 'Members of pg_execute_server_program, pg_write_server_files or pg_read_server_files run programs and read or '
    + "write files as the server's OS user: superuser in all but name.",
  fix: 'Remove the attribute; a role that must create roles is the env\'s Vault connection role, with ADMIN OPTION on its own group only.',
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    const admins = declaredAdminRoles(g.servers.values());
    const adminGrantsByMember = new Map<string, Membership[]>();
    for (const m of g.memberships) {
      if (!m.admin) continue;
      const list = adminGrantsByMember.get(m.member);
      if (list) list.push(m);
      else adminGrantsByMember.set(m.member, [m]);
    }
    for (const role of g.roles) {
      if (isPreviewAdmin(role)) continue; // CREATEDB CREATEROLE by design: TK170 judges it whole
      if (isTemplateResetRole(role)) continue; // NOLOGIN CREATEDB by design: TK128 judges it whole
      const held = PRIVILEGED.filter(([k]) => role.attributes[k] === true).map(([, sql]) => sql);
      const ownConnection = isOwnVaultConnectionRole(role);
      // CREATEROLE is allowed on the env's own connection role, so an unknown value there is too.
      const unknown = PRIVILEGED.filter(([k, sql]) => role.attributes[k] === 'unknown' && !(ownConnection && sql === 'CREATEROLE'));
      if (held.length === 0 && unknown.length === 0) continue;
      const env = role.stack.env ?? g.index.byRole.get(role.name);
      if (role.stack.humanGate && role.server && admins.has(`${role.server}\u0000${role.name}`)) continue;
      for (const [k, sql] of unknown) {
        const raw = role.resource.attributes[snake(k)];
        out.push({
          env, source: role.source,
          message: `role "${role.name}" of ${describeEnv(env)} sets ${snake(k)} = ${JSON.stringify(raw)}, which tierkit cannot resolve: ${sql} cannot be proven false`,
          fix: `set ${snake(k)} = false (a literal), or leave it unset`,
        });
      }
      if (held.length === 0) continue;
      if (ownConnection && held.length === 1 && held[0] === 'CREATEROLE') {
        const foreignAdmin = (adminGrantsByMember.get(role.name) ?? [])
          .filter((m) => m.stack.server === role.server && m.role !== role.stack.env!.names.groupRole && !isTemplateResetVaultAdmin(m));
        for (const m of foreignAdmin) {
          out.push({
            env, source: m.source,
            message: `Vault connection role "${role.name}" holds ADMIN OPTION on "${m.role}", not only on its group "${role.stack.env!.names.groupRole}": with CREATEROLE it can grant that role to anyone`,
            fix: `grant ADMIN OPTION only on "${role.stack.env!.names.groupRole}"`,
          });
        }
        continue;
      }
      out.push({
        env, source: role.source,
        message: `role "${role.name}" of ${describeEnv(env)} is ${held.join(', ')}${role.stack.humanGate ? '' : ` in a stack that applies without a human gate (${role.stack.applyGate ?? (role.stack.listed ? 'unknown gate' : 'not in the manifest')})`}`,
        fix: `set ${held.map((h) => PRIVILEGED.find(([, s]) => s === h)![0]).map(snake).join(' = false, ')} = false`,
      });
    }
    for (const m of g.memberships) {
      if (!SUPERUSER_EQUIVALENT.has(m.role)) continue;
      if (m.stack.humanGate && m.stack.server && admins.has(`${m.stack.server}\u0000${m.member}`)) continue;
      const env = m.stack.env ?? g.index.byRole.get(m.member);
      out.push({
        env, source: m.source,
        message: `role "${m.member}" of ${describeEnv(env)} is a member of "${m.role}" (via ${m.via}): it runs programs or reads/writes files as the server's OS user — superuser in all but name`,
        fix: `remove the ${m.via === 'assume_role' ? 'assume_role' : 'membership'} "${m.member}" → "${m.role}"`,
      });
    }
    return out;
  },
};

function isOwnVaultConnectionRole(role: Role): boolean {
  return role.stack.env !== undefined && role.name === role.stack.env.names.vaultConnectionRole;
}

function snake(k: string): string {
  return { superuser: 'superuser', createDatabase: 'create_database', createRole: 'create_role', replication: 'replication', bypassRowLevelSecurity: 'bypass_row_level_security' }[k] ?? k;
}
