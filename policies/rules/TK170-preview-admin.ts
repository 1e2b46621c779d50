import { isLiveTier } from '../../contract/tiers';
import type { Env, EstateGraph, Stack } from '../graph/types';
import { previewHost, previewNames } from './support/previews';
import { Rule, RuleFinding, describeEnv } from './support/rule';
import { isPublicRole } from './support/pg-role-names';

/** From PostgreSQL 16 on, CREATEROLE manages only the roles its holder created (or holds ADMIN OPTION on). */
const MIN_MAJOR = 16;
const EXPECTED = { login: true, createDatabase: true, createRole: true, superuser: false, replication: false, bypassRowLevelSecurity: false } as const;
/** Attributes of the role resource beyond the expected ones that change what it is or reaches. */
const FORBIDDEN_ROLE_ATTRIBUTES = ['roles', 'assume_role', 'search_path', 'statement_timeout', 'idle_in_transaction_session_timeout', 'skip_reassign_owned', 'skip_drop_role'];

function hostStack(g: EstateGraph, env: Env): Stack | undefined {
  return g.stacks.find((s) => s.name === env.stack && previewHost(s) === env);
}

export const rule: Rule = {
  id: 'TK170',
  name: 'preview-admin',
  severity: 'error',
  title: 'An app\'s preview admin is exactly LOGIN CREATEDB CREATEROLE on a PostgreSQL 16+ server of a synthetic tier, with no membership and no grant but CONNECT on its home database',
  explanation:
    'Per-PR previews need a role that creates databases and roles without the human gate (docs/previews.md). It is harmless '
    + 'only as PostgreSQL 16+ makes it: CREATEROLE then manages only the roles its holder created, and a database can be '
    + 'dropped only by its owner\'s members, so the admin reaches the previews it made and nothing else (proven on a real '
    + 'PostgreSQL 18 in test/pg/previews.test.ts). Any extra attribute (SUPERUSER, REPLICATION, BYPASSRLS), membership '
    + '(in a declared env\'s role, in pg_signal_backend or any predefined role, or anyone in it), grant, owned database, '
    + 'a server before 16 (where CREATEROLE may grant itself any role) or a tier holding live or sanitized data breaks '
    + 'that proof. Its home database belongs to the provider\'s login, PUBLIC revoked, CONNECT for the admin alone.',
  fix: 'Keep what tierkit writes for `App.previews` (synth/terraform-previews.ts): no escape hatch on the preview admin, its home database or their grants.',
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    g.envs.forEach((env, i) => {
      if (env.previews === undefined || env.previews === null) return;
      const at = { file: 'manifest.json', pointer: `/appEnvironments/${i}/previews`, constructPath: env.constructPath };
      const who = `previews of app ${env.app} (on ${describeEnv(env)})`;
      const tier = g.tiers.get(env.tier);
      if (!tier || isLiveTier(g.tiers, env.tier, true) || !tier.allowsSandboxes || !tier.data.includes('synthetic')) {
        out.push({ env, source: at, message: `${who}: tier ${env.tier} is not a synthetic-data tier that allows sandboxes; a pull request's unreviewed code would run beside its data` });
      }
      if (env.kind !== 'tier') out.push({ env, source: at, message: `${who}: declared on a sandbox; previews live on the app's tier env` });
      const server = env.server === undefined ? undefined : g.servers.get(env.server);
      if (!server || !Number.isInteger(server.majorVersion) || server.majorVersion < MIN_MAJOR) {
        out.push({ env, source: at, message: `${who}: server ${env.server} is PostgreSQL ${server?.majorVersion ?? '(unknown)'}; before ${MIN_MAJOR} the preview admin's CREATEROLE could grant itself any role, prod's group included` });
      }
      // Defence in depth: a CREATEDB CREATEROLE role that applies without the human gate never sits beside live data.
      if (server && isLiveTier(g.tiers, server.gatingTier, true)) {
        out.push({ env, source: at, message: `${who}: server ${server.id} holds live data (gated by tier ${server.gatingTier}); previews run on a server without it` });
      }
      const stack = hostStack(g, env);
      if (!stack) {
        out.push({ env, source: at, message: `${who}: the manifest declares them on stack ${env.stack}, which the dist does not hold as that env's app-environment stack` });
        return;
      }
      const n = previewNames(env.app);
      const sameServer = (s: string | undefined) => s === undefined || stack.server === undefined || s === stack.server;

      const roles = g.roles.filter((r) => r.name === n.adminRole && sameServer(r.server));
      const own = roles.filter((r) => r.stack === stack);
      if (own.length !== 1) out.push({ env, source: at, message: `${who}: stack ${stack.name} declares ${own.length} roles "${n.adminRole}"; exactly one is the preview admin` });
      for (const r of roles.filter((x) => x.stack !== stack)) {
        out.push({ env, source: r.source, message: `role "${n.adminRole}" (the preview admin of app ${env.app}) is declared again in stack ${r.stack.name}` });
      }
      for (const r of own) {
        for (const [k, want] of Object.entries(EXPECTED)) {
          const got = r.attributes[k as keyof typeof EXPECTED];
          if (got !== want) out.push({ env, source: r.source, message: `preview admin "${r.name}" has ${k} = ${JSON.stringify(got)}; it must be exactly ${want}` });
        }
        for (const a of FORBIDDEN_ROLE_ATTRIBUTES) {
          const v = r.resource.attributes[a];
          if (v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0)) {
            out.push({ env, source: r.source, message: `preview admin "${r.name}" sets ${a} = ${JSON.stringify(v)}; it holds nothing but its three attributes` });
          }
        }
      }
      for (const m of g.memberships) {
        if (!sameServer(m.stack.server) || (m.member !== n.adminRole && m.role !== n.adminRole)) continue;
        out.push({ env, source: m.source, message: `"${m.member}" is made a member of "${m.role}" (via ${m.via}) in stack ${m.stack.name}: the preview admin holds no role and no one holds it` });
      }

      const homes = g.databases.filter((d) => d.name === n.homeDatabase && sameServer(d.server));
      if (homes.filter((d) => d.stack === stack).length !== 1) {
        out.push({ env, source: at, message: `${who}: stack ${stack.name} declares ${homes.filter((d) => d.stack === stack).length} databases "${n.homeDatabase}"; exactly one is the preview home` });
      }
      for (const d of homes) {
        if (d.stack !== stack) out.push({ env, source: d.source, message: `database "${d.name}" (the preview home of app ${env.app}) is declared again in stack ${d.stack.name}` });
        else if (d.owner !== undefined) out.push({ env, source: d.source, message: `preview home "${d.name}" is owned by "${d.owner}"; it belongs to the provider's login (no owner): whoever owns it may grant it` });
      }
      for (const d of g.databases) {
        if (d.owner === n.adminRole && sameServer(d.server)) out.push({ env, source: d.source, message: `database "${d.name}" is owned by the preview admin "${n.adminRole}": it owns only the previews it creates itself` });
      }
      let revoked = false;
      for (const gr of g.databaseGrants) {
        if (!sameServer(gr.server)) continue;
        const onHome = gr.database === n.homeDatabase;
        if (onHome && isPublicRole(gr.role) && gr.privileges.length === 0 && gr.objectType === 'database' && gr.stack === stack) {
          revoked = true;
          continue;
        }
        const adminConnect = onHome && gr.role === n.adminRole && gr.stack === stack && gr.objectType === 'database'
          && gr.privileges.length === 1 && gr.privileges[0].toUpperCase() === 'CONNECT';
        if (adminConnect) continue;
        if (onHome || gr.role === n.adminRole) {
          out.push({ env, source: gr.source, message: `stack ${gr.stack.name} grants ${gr.privileges.join(', ') || '(nothing)'} (${gr.objectType || 'no object type'}) on "${gr.database}" to "${gr.role}": the preview admin gets CONNECT on its home database and nothing else, and no one else gets its home` });
        }
      }
      if (!revoked) out.push({ env, source: at, message: `${who}: stack ${stack.name} does not revoke PUBLIC on the preview home "${n.homeDatabase}"` });
      // Anything else of the provider naming the admin (schemas, default privileges, functions…).
      const expected = new Set([...own.map((r) => r.resource.address)]);
      for (const r of g.resources) {
        if (!r.type.startsWith('postgresql_') || expected.has(r.address) || ['postgresql_grant', 'postgresql_grant_role', 'postgresql_database', 'postgresql_role'].includes(r.type)) continue;
        if (JSON.stringify(r.attributes).includes(JSON.stringify(n.adminRole))) {
          out.push({ env, source: { file: r.file, pointer: r.pointer }, message: `${r.address} of stack ${r.stack} names the preview admin "${n.adminRole}": nothing but its role, home database and CONNECT may` });
        }
      }
    });
    return out;
  },
};
