import { Env, EstateGraph, Membership, serverKey } from '../graph/types';
import { Rule, RuleFinding, describeEnv } from './support/rule';
import { isPreviewHome } from './support/previews';
import { isGoldenTemplate, isProviderTemplateEdge } from './support/template-reset';

/** The env a role belongs to: by its derived name, else the env whose stack declares it. */
export function roleEnv(g: EstateGraph, name: string, declaredIn?: Env): Env | undefined {
  return g.index.byRole.get(name) ?? declaredIn;
}

export const rule: Rule = {
  id: 'TK001',
  name: 'ownership-and-membership',
  severity: 'error',
  title: "A database is owned by its own env's group role, and no role reaches another env's roles",
  explanation:
    'Ownership and role membership are the first isolation layer: the owner of a database (or any member of the owner, '
    + 'or a role that can SET ROLE to it) can drop it, and a member of another env\'s group role acts with all of its '
    + 'rights. A sandbox role that is — even transitively — a member of erp_role can drop the prod database.',
  fix: "Make the env's group role the owner; remove the cross-env `roles`, `postgresql_grant_role` or `assume_role`.",
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    const declared = new Map<string, Env | undefined>();
    for (const r of g.roles) declared.set(serverKey(r.server, r.name), r.stack.env);
    const homeOf = (server: string | undefined, name: string, fallback?: Env) =>
      roleEnv(g, name, declared.has(serverKey(server, name)) ? declared.get(serverKey(server, name)) : fallback);

    for (const db of g.databases) {
      if (isPreviewHome(db)) continue; // owned by the provider's login: TK170 judges it
      if (isGoldenTemplate(db)) continue; // owned by the env's template role: TK129 judges it
      const env = g.index.byDatabase.get(db.name) ?? db.stack.env;
      const ownerEnv = db.owner ? homeOf(db.server, db.owner) : undefined;
      if (env) {
        if (db.owner !== env.names.groupRole) {
          out.push({
            env, source: db.source,
            message: `database "${db.name}" of ${describeEnv(env)} is owned by ${db.owner ? `"${db.owner}"` : "the provider's admin user (no owner set)"}, not by its group role "${env.names.groupRole}"`,
            fix: `set owner = "${env.names.groupRole}"`,
          });
        }
      } else if (ownerEnv) {
        out.push({
          env: ownerEnv, source: db.source,
          message: `database "${db.name}" (${describeEnv(env)}) is owned by "${db.owner}", the role of ${describeEnv(ownerEnv)}: an env's role owns a database outside its env`,
        });
      }
    }

    // Membership edges per server; reach is transitive (a member of a member inherits SET ROLE).
    const edges = new Map<string, Membership[]>();
    for (const m of g.memberships) {
      const key = serverKey(m.stack.server, m.member);
      const list = edges.get(key);
      if (list) list.push(m);
      else edges.set(key, [m]);
    }
    // A managed server's provider role is a declared member of every group on its server (it must
    // be, to revoke PUBLIC's CONNECT). The template edge — in an env's stack, the admin joins that
    // env's own group — is the applier's; any other membership of the admin is judged like any
    // role's, and reaching the admin from an env role is a finding of its own.
    const adminOf = (server: string | undefined) => (server === undefined ? undefined : g.servers.get(server)?.adminRole);
    const templateEdge = (m: Membership) => (m.via === 'grant_role' && m.role === m.stack.env?.names.groupRole) || isProviderTemplateEdge(m);
    for (const [key, all] of edges) {
      const server = all[0].stack.server;
      const member = all[0].member;
      const isAdmin = member === adminOf(server);
      const direct = isAdmin ? all.filter((m) => !templateEdge(m)) : all;
      if (direct.length === 0) continue;
      const home = isAdmin ? undefined : homeOf(server, member, direct[0].stack.env);
      const seen = new Set<string>([key]);
      const stack: { name: string; path: string[]; first: Membership }[] = direct.map((m) => ({ name: m.role, path: [member, m.role], first: m }));
      while (stack.length > 0) {
        const { name, path, first } = stack.pop()!;
        const k = serverKey(server, name);
        if (seen.has(k)) continue;
        seen.add(k);
        const targetEnv = homeOf(server, name);
        if (name === adminOf(server)) {
          out.push({
            env: home ?? direct[0].stack.env!, source: first.source,
            message: `role "${member}" of ${describeEnv(home)} reaches "${name}", the provider's admin role on server ${server}, and through it every env's group there (${path.join(' → ')}, via ${first.via})`,
            fix: `remove the ${first.via === 'assume_role' ? 'assume_role' : 'membership'} "${first.member}" → "${first.role}"`,
          });
        } else if (targetEnv && isAdmin) {
          out.push({
            env: first.stack.env ?? targetEnv, source: first.source,
            message: `stack ${first.stack.name} makes "${member}", the provider's admin role on server ${server}, reach "${name}" of ${describeEnv(targetEnv)} (${path.join(' → ')}, via ${first.via}): only an env's own stack may grant the admin its group`,
            fix: `remove the ${first.via === 'assume_role' ? 'assume_role' : 'membership'} "${first.member}" → "${first.role}"`,
          });
        } else if (targetEnv && targetEnv !== home) {
          out.push({
            env: home ?? targetEnv, source: first.source,
            message: `role "${member}" of ${describeEnv(home)} reaches "${name}" of ${describeEnv(targetEnv)} (${path.join(' → ')}, via ${first.via})`,
            fix: `remove the ${first.via === 'assume_role' ? 'assume_role' : 'membership'} "${first.member}" → "${first.role}"`,
          });
        }
        for (const next of edges.get(k) ?? []) stack.push({ name: next.role, path: [...path, next.role], first });
      }
    }
    return out;
  },
};
