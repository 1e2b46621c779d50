import { PLANNER_GROUP_ROLE, PLANNER_ISSUER_ROLE, PLANNER_LOGIN_ROLE } from '../../contract/planner';
import { Rule, RuleFinding } from './support/rule';
import { plannerIssuerOfRole } from './support/planner-issuer';

// The issuer too (16+ servers' short-lived logins): made by the bootstrap; a stack declaring it would set its
// password, and a member could SET ROLE to it (CREATEROLE, ADMIN on the group).
const PLANNER = new Set([PLANNER_GROUP_ROLE, PLANNER_LOGIN_ROLE, PLANNER_ISSUER_ROLE]);
/** Role-valued attributes of the postgresql resources (a role's own `name` too): who gets, gives or is a role. */
const roleAttributes = (type: string) => (type === 'postgresql_role' ? ['name', 'assume_role'] : ['role', 'owner', 'grant_role', 'grantor']);

export const rule: Rule = {
  id: 'TK097',
  name: 'postgres-planner-group',
  severity: 'error',
  title: "The CI planners' PostgreSQL group and login are granted CONNECT on databases and nothing else; no stack makes, joins or changes them or the planner issuer",
  explanation:
    'Pull request plans log in as `tierkit_planner_login`, a member of `tierkit_planner`, made once per server by its '
    + 'bootstrap (docs/pr-flow.md). Whatever the group holds, a pull request author holds: a table or schema grant, a default '
    + 'privilege or a membership in an env\'s group gives them that env\'s data. The other way round, an env role made a '
    + 'member of the group gets CONNECT on every database of the server — a sandbox credential on prod\'s database. '
    + 'A stack declaring a role of that name takes it over (its password, its attributes). So: database CONNECT is the '
    + 'only grant to either name; no membership, assume_role, default privilege, ownership or role resource names them; '
    + 'no Vault creation statement mentions them, but the short-lived planner login\'s own role (TK145).',
  fix: 'Remove the resource or statement naming tierkit_planner / tierkit_planner_login / tierkit_planner_issuer; the env stacks grant the group CONNECT on their own database (postgresql_grant.planner_connect) and nothing more.',
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    for (const gr of g.databaseGrants) {
      if (!PLANNER.has(gr.role)) continue;
      const connectOnly = gr.objectType === 'database' && gr.privileges.length === 1 && gr.privileges[0].toUpperCase() === 'CONNECT';
      if (gr.role === PLANNER_GROUP_ROLE && connectOnly) continue;
      out.push({
        env: gr.stack.env, source: gr.source,
        message: `stack ${gr.stack.name} grants ${gr.privileges.join(', ') || 'no privilege'} on ${gr.objectType} ${gr.database} to "${gr.role}": the planners hold CONNECT on databases (to the group) and nothing else`,
      });
    }
    for (const m of g.memberships) {
      if (!PLANNER.has(m.member) && !PLANNER.has(m.role)) continue;
      out.push({
        env: m.stack.env, source: m.source,
        message: `stack ${m.stack.name} makes "${m.member}" reach "${m.role}" (via ${m.via}): the planners' group and login join no role, and no role joins them (a member gets CONNECT on every database of the server)`,
      });
    }
    for (const r of g.resources) {
      if (!r.type.startsWith('postgresql_') || r.type === 'postgresql_grant' || r.type === 'postgresql_grant_role') continue;
      for (const attr of roleAttributes(r.type)) {
        const v = r.attributes[attr];
        const names = Array.isArray(v) ? v : [v];
        const hit = names.find((n) => typeof n === 'string' && PLANNER.has(n));
        if (hit === undefined) continue;
        out.push({
          source: { file: `terraform/${r.stack}/cdk.tf.json`, pointer: `/resource/${r.type}/${r.name}/${attr}` },
          message: `${r.type}.${r.name} of stack ${r.stack} names "${hit}" as its ${attr}: the planners' roles are made by the server bootstrap, own nothing and receive no default privilege`,
        });
      }
      const roles = r.attributes.roles;
      if (Array.isArray(roles) && roles.some((n) => typeof n === 'string' && PLANNER.has(n))) {
        out.push({
          source: { file: `terraform/${r.stack}/cdk.tf.json`, pointer: `/resource/${r.type}/${r.name}/roles` },
          message: `${r.type}.${r.name} of stack ${r.stack} joins a planners' role through roles: no role joins them`,
        });
      }
    }
    for (const d of g.dynamicRoles) {
      // The server's short-lived planner login names the group by design; TK145 holds its statements to exactly that.
      if (plannerIssuerOfRole(g, d)) continue;
      const text = [...d.creationStatements, ...d.revocationStatements].join('\n').toLowerCase();
      if (!text.includes(PLANNER_GROUP_ROLE)) continue; // (tierkit_planner_issuer and _login contain it too)
      out.push({
        env: d.stack.env, source: d.source,
        message: `Vault role ${d.backend}/${d.name} of stack ${d.stack.name} mentions "${PLANNER_GROUP_ROLE}" in its statements: a dynamic credential in the planners' group connects to every database of the server`,
      });
    }
    return out;
  },
};
