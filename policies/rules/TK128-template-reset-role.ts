import { Rule, RuleFinding, describeEnv } from './support/rule';
import { isTemplateResetVaultAdmin, templateResetNames, templateResetSource as at, templateResetStack } from './support/template-reset';

const EXPECTED = { login: false, createDatabase: true, createRole: false, superuser: false, replication: false, bypassRowLevelSecurity: false } as const;
/** Attributes of the role resource beyond those that change what it is or reaches. */
const FORBIDDEN_ROLE_ATTRIBUTES = ['roles', 'assume_role', 'search_path', 'password', 'password_wo', 'valid_until', 'skip_reassign_owned', 'skip_drop_role'];
const POSTGRES_OF_ITS_OWN = ['postgresql_grant', 'postgresql_grant_role', 'postgresql_database', 'postgresql_role'];

export const rule: Rule = {
  id: 'TK128',
  name: 'template-reset-role',
  severity: 'error',
  title: 'A sandbox\'s template-reset role is exactly NOLOGIN CREATEDB, a member of its own group only, owner of its golden only, with no grant',
  explanation:
    'A template reset (issue 19, constructs/lifecycle/template-reset.ts) drops the sandbox\'s database and clones it from '
    + 'its golden, as a per-sandbox role with CREATEDB that applies without the human gate. It is harmless only as tierkit '
    + 'writes it: DROP DATABASE needs ownership, so membership in the sandbox\'s own group reaches its database alone; '
    + 'CREATE DATABASE … OWNER needs SET on the owner, and cloning a non-template database needs its ownership, so it can '
    + 'clone only its golden into its group (proven on PostgreSQL 15 and 18 in test/pg/template-reset.test.ts: 42501 on '
    + 'prod and every other env). Any other attribute (LOGIN, SUPERUSER, CREATEROLE, REPLICATION, BYPASSRLS), membership '
    + '(another env\'s role, a predefined role, anyone in it but the managed provider\'s login), owned database or grant '
    + 'breaks that proof. CREATEDB itself cannot be scoped by name: the role can make new, empty databases of its own.',
  fix: 'Keep what tierkit writes for `reset: SandboxReset.TEMPLATE` (synth/terraform-template-reset.ts): no escape hatch on the template role, its membership or its golden.',
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    for (const env of g.envs) {
      if (env.sandbox?.reset !== 'template') continue;
      const who = `template reset of ${describeEnv(env)}`;
      const stack = templateResetStack(g.stacks, env);
      if (!stack) {
        out.push({ env, source: at(g, env), message: `${who}: the manifest declares it on stack ${env.stack}, which the dist does not hold as that env's app-environment stack` });
        continue;
      }
      const n = templateResetNames(env);
      const sameServer = (s: string | undefined) => s === undefined || stack.server === undefined || s === stack.server;
      const roles = g.roles.filter((r) => r.name === n.role && sameServer(r.server));
      const own = roles.filter((r) => r.stack === stack);
      if (own.length !== 1) out.push({ env, source: at(g, env), message: `${who}: stack ${stack.name} declares ${own.length} roles "${n.role}"; exactly one is the template role` });
      for (const r of roles.filter((x) => x.stack !== stack)) {
        out.push({ env, source: r.source, message: `role "${n.role}" (the template role of ${env.slug}) is declared again in stack ${r.stack.name}` });
      }
      for (const r of own) {
        for (const [k, want] of Object.entries(EXPECTED)) {
          const got = r.attributes[k as keyof typeof EXPECTED];
          if (got !== want) out.push({ env, source: r.source, message: `template role "${r.name}" has ${k} = ${JSON.stringify(got)}; it must be exactly ${want}` });
        }
        for (const a of FORBIDDEN_ROLE_ATTRIBUTES) {
          const v = r.resource.attributes[a];
          if (v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0)) {
            out.push({ env, source: r.source, message: `template role "${r.name}" sets ${a} = ${JSON.stringify(v)}; it holds CREATEDB and its group, nothing else` });
          }
        }
      }
      const admin = stack.server === undefined ? undefined : g.servers.get(stack.server)?.adminRole;
      let joined = 0;
      for (const m of g.memberships) {
        if (!sameServer(m.stack.server) || (m.member !== n.role && m.role !== n.role)) continue;
        const ownGroup = m.member === n.role && m.role === env.names.groupRole && m.via === 'grant_role' && !m.admin && m.stack === stack;
        const provider = admin !== undefined && m.member === admin && m.role === n.role && m.via === 'grant_role' && !m.admin && m.stack === stack;
        if (ownGroup) joined++;
        // The connection user's ADMIN on it (to issue the reset's login on PostgreSQL 16+): TK117's.
        if (ownGroup || provider || (m.stack === stack && isTemplateResetVaultAdmin(m))) continue;
        out.push({ env, source: m.source, message: `"${m.member}" is made a member of "${m.role}" (via ${m.via}${m.admin ? ', with ADMIN OPTION' : ''}) in stack ${m.stack.name}: the template role is a member of "${env.names.groupRole}" alone, and only the managed provider's login joins it` });
      }
      if (own.length === 1 && joined !== 1) out.push({ env, source: own[0].source, message: `template role "${n.role}" is not a member of "${env.names.groupRole}" (in stack ${stack.name}): the reset could neither drop the sandbox nor create it OWNER its group` });
      for (const d of g.databases) {
        if (d.owner !== n.role || !sameServer(d.server)) continue;
        if (d.name === n.golden && d.stack === stack) continue;
        out.push({ env, source: d.source, message: `database "${d.name}" (stack ${d.stack.name}) is owned by the template role "${n.role}": it owns its golden "${n.golden}" and nothing else` });
      }
      for (const gr of g.databaseGrants) {
        if (gr.role !== n.role || !sameServer(gr.server)) continue;
        out.push({ env, source: gr.source, message: `stack ${gr.stack.name} grants ${gr.privileges.join(', ') || '(nothing)'} (${gr.objectType || 'no object type'}) on "${gr.database}" to the template role "${n.role}": it needs no grant (its golden is its own, its sandbox its group's)` });
      }
      const expected = new Set(own.map((r) => r.resource.address));
      for (const r of g.resources) {
        if (!r.type.startsWith('postgresql_') || expected.has(r.address) || POSTGRES_OF_ITS_OWN.includes(r.type)) continue;
        if (JSON.stringify(r.attributes).includes(JSON.stringify(n.role))) {
          out.push({ env, source: { file: r.file, pointer: r.pointer }, message: `${r.address} of stack ${r.stack} names the template role "${n.role}": nothing but its role, membership and golden may` });
        }
      }
    }
    return out;
  },
};
