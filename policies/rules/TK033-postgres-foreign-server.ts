import { at, isOwnDatabase, isOwnRole, isUnresolved, PgItem, show } from '../graph/postgres';
import { serverAt } from '../../contract/hosts';
import type { EstateGraph } from '../graph/types';
import { itemsOf, pgFinding } from './support/postgres-common';
import { Rule, RuleFinding } from './support/rule';

/** postgres_fdw / dblink_fdw options that decide the remote target (libpq keywords). */
const TARGET_KEYS = new Set(['host', 'port', 'dbname']);
const SAFE_KEYS = new Set([...TARGET_KEYS, 'sslmode', 'connect_timeout', 'application_name', 'fetch_size', 'batch_size',
  'use_remote_estimate', 'updatable', 'truncatable', 'async_capable', 'keep_connections', 'extensions', 'fdw_startup_cost', 'fdw_tuple_cost']);

function options(item: PgItem): Record<string, unknown> {
  const o = item.attributes.options;
  return o && typeof o === 'object' && !Array.isArray(o) ? (o as Record<string, unknown>) : {};
}

/** Why a foreign server's target is not provably the stack's own env's database on its own server. */
function targetProblem(g: EstateGraph, item: PgItem): string | undefined {
  const a = item.attributes;
  if (a.fdw_name !== 'postgres_fdw' && a.fdw_name !== 'dblink_fdw') return `foreign data wrapper ${show(a.fdw_name)} is not one tierkit models (postgres_fdw, dblink_fdw); file_fdw and others read the server's files`;
  if (a.options !== undefined && (typeof a.options !== 'object' || Array.isArray(a.options))) return `options ${show(a.options)} cannot be read`;
  const o = options(item);
  for (const [k, v] of Object.entries(o)) {
    if (!SAFE_KEYS.has(k)) return `option "${k}" (${show(v)}) can redirect the connection (service, hostaddr, passfile…) and is not modelled`;
    if (isUnresolved(v)) return `option "${k}" is an expression tierkit cannot resolve (${show(v)})`;
  }
  const own = item.target.server ? g.servers.get(item.target.server) : undefined;
  const host = o.host ?? '';
  const port = o.port === undefined ? 5432 : Number(o.port);
  const remote = serverAt(g.servers.values(), String(host), port);
  if (!remote) return `host ${show(o.host)}${o.port !== undefined ? `:${show(o.port)}` : ''} is no server of the manifest (unset is the local socket of the server itself) — it could be any server, prod included`;
  if (remote !== own) return `it connects to server ${remote.id}${remote.tiers.length ? ` (tiers ${remote.tiers.join(', ')})` : ''}, not the provider's own server ${item.target.server ?? '(unresolved)'}`;
  if (!isOwnDatabase(item.stack, o.dbname)) return `dbname ${show(o.dbname)} is not the database of the stack's own env (unset means the mapped user's name)`;
  return undefined;
}

export const rule: Rule = {
  id: 'TK033',
  name: 'postgres-foreign-server',
  severity: 'error',
  title: "Foreign servers and user mappings stay inside the env: own server, own database, own roles",
  explanation:
    'postgresql_server + postgresql_user_mapping (+ USAGE on the server) let a local role open connections elsewhere with '
    + 'the mapping\'s stored user and password (postgres_fdw, dblink). A foreign server whose host is the prod server — also '
    + 'from a dev server — is a door into prod, and a mapping carrying the admin\'s credentials hands the admin to whoever '
    + 'the mapping is for; `user_name = "public"` maps every login (resource_postgresql_user_mapping.go, '
    + 'pg_user_mappings verified). tierkit allows a foreign server only to its own env\'s database on the provider\'s own server.',
  fix: "Point the foreign server at the env's own database on the same server, map only the env's own roles, and never the admin's credentials.",
  suppressible: true,
  evaluate(g) {
    const out: RuleFinding[] = [];
    const servers = itemsOf(g, 'postgresql_server');
    const good = new Map<string, boolean>();
    for (const s of servers) {
      const problem = targetProblem(g, s);
      const name = s.attributes.server_name;
      good.set(`${s.stack.file}\u0000${String(name)}`, problem === undefined && !isUnresolved(name));
      if (problem) out.push(pgFinding(g, s, at(s, 'options'), `foreign server ${show(name)}: ${problem}`));
      if (s.attributes.server_owner !== undefined && !isOwnRole(g, s.stack, s.attributes.server_owner)) {
        out.push(pgFinding(g, s, at(s, 'server_owner'), `server_owner ${show(s.attributes.server_owner)} is not a role of the stack's own env: the owner creates mappings and grants USAGE`));
      }
    }
    for (const m of itemsOf(g, 'postgresql_user_mapping')) {
      const a = m.attributes;
      const user = a.user_name;
      // `public` in any case is refused as PUBLIC: for "PUBLIC" (an ordinary role) that is fail-closed, and TK039 refuses the name too.
      if (typeof user !== 'string' || user === '' || user.toLowerCase() === 'public' || !isOwnRole(g, m.stack, user)) {
        out.push(pgFinding(g, m, at(m, 'user_name'),
          `user_name ${show(user)} is ${typeof user === 'string' && (user === '' || user.toLowerCase() === 'public') ? 'PUBLIC: every login on the server borrows the mapping' : "not a role of the stack's own env"}`));
      }
      if (!good.get(`${m.stack.file}\u0000${String(a.server_name)}`)) {
        out.push(pgFinding(g, m, at(m, 'server_name'),
          `server_name ${show(a.server_name)} is not a foreign server this stack declares and tierkit accepts: the mapping's credentials go wherever that server points`));
      }
      const o = a.options && typeof a.options === 'object' ? (a.options as Record<string, unknown>) : {};
      const admins = [...g.servers.values()].map((s) => s.adminRole).filter((x): x is string => !!x);
      if (isUnresolved(o.user) || (typeof o.user === 'string' && admins.includes(o.user))) {
        out.push(pgFinding(g, m, at(m, 'options', 'user'), `the mapping logs in remotely as ${show(o.user)}: an admin identity, or one tierkit cannot resolve`));
      }
    }
    return out;
  },
};
