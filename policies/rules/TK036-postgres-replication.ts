import { at, isOwnDatabase, isOwnRole, isUnresolved, PgItem, show } from '../graph/postgres';
import { serverAt } from '../../contract/hosts';
import type { EstateGraph } from '../graph/types';
import { itemsOf, pgFinding } from './support/postgres-common';
import { Rule, RuleFinding } from './support/rule';

const CONNINFO_KEYS = new Set(['host', 'port', 'dbname', 'user', 'password', 'sslmode', 'application_name', 'connect_timeout']);

/**
 * libpq's conninfo (`key=value …` or a postgres:// URI) as every value each key is given, or why it
 * cannot be read. All values are kept — URI parts and query parameters, repeated keywords — and
 * each must pass: which one libpq keeps is not what this check should depend on.
 */
export function parseConninfo(text: string): Record<string, string[]> | string {
  const out: Record<string, string[]> = {};
  const add = (k: string, v: string) => { (out[k] ??= []).push(v); };
  if (/^postgres(ql)?:\/\//.test(text)) {
    let url: URL;
    try { url = new URL(text); } catch { return 'is not a valid URI'; }
    if (url.hostname) add('host', decodeURIComponent(url.hostname));
    if (url.port) add('port', url.port);
    if (url.username) add('user', decodeURIComponent(url.username));
    if (url.password) add('password', decodeURIComponent(url.password));
    const db = decodeURIComponent(url.pathname.replace(/^\//, ''));
    if (db) add('dbname', db);
    for (const [k, v] of url.searchParams) add(k, v);
    return out;
  }
  const re = /\s*([A-Za-z_]+)\s*=\s*('((?:[^'\\]|\\.)*)'|[^\s']*)/y;
  let pos = 0;
  while (pos < text.length) {
    if (/^\s*$/.test(text.slice(pos))) break;
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m) return `cannot be read at offset ${pos}`;
    add(m[1], m[3] !== undefined ? m[3].replace(/\\(.)/g, '$1') : m[2]);
    pos = re.lastIndex;
  }
  return out;
}

function conninfoProblem(g: EstateGraph, item: PgItem): string | undefined {
  const text = item.attributes.conninfo;
  if (typeof text !== 'string' || isUnresolved(text)) return `conninfo ${show(text)} is not a literal tierkit can read`;
  const parsed = parseConninfo(text);
  if (typeof parsed === 'string') return `conninfo ${parsed}`;
  for (const k of Object.keys(parsed)) if (!CONNINFO_KEYS.has(k)) return `conninfo key "${k}" can redirect the connection and is not modelled`;
  const hosts = parsed.host ?? [undefined];
  const ports = parsed.port ?? ['5432'];
  for (const host of hosts) {
    for (const port of ports) {
      const remote = serverAt(g.servers.values(), host, Number(port));
      if (!remote) return `conninfo host ${show(host)} port ${show(port)} is no server of the manifest (unset is the local socket; a list tries each): it could be any server, prod included`;
      if (remote.id !== item.target.server) return `conninfo reads from server ${remote.id} (tiers ${remote.tiers.join(', ')}), not the provider's own server`;
    }
  }
  for (const db of parsed.dbname ?? [undefined]) {
    if (!isOwnDatabase(item.stack, db)) return `conninfo dbname ${show(db)} is not the database of the stack's own env: its data is copied here`;
  }
  return undefined;
}

export const rule: Rule = {
  id: 'TK036',
  name: 'postgres-replication',
  severity: 'error',
  title: "Publications, subscriptions and logical slots stay in the env's own database; no physical replication slot",
  explanation:
    'A publication in a database makes its tables streamable to any REPLICATION login or subscription; a subscription '
    + '(CREATE SUBSCRIPTION … CONNECTION \'<conninfo>\') copies a remote database — prod, if the conninfo says so — into '
    + 'this one; a logical slot decodes every change of its database; a physical slot streams the whole cluster, every '
    + "env on it. tierkit allows the logical ones inside the stack's own env only, and no physical slot.",
  fix: "Keep publications, subscriptions and logical slots in the env's own database (a subscription's conninfo naming that database on the same server); remove physical slots.",
  suppressible: true,
  evaluate(g) {
    const out: RuleFinding[] = [];
    const ownDb = (item: PgItem) => {
      if (!isOwnDatabase(item.stack, item.attributes.database)) {
        out.push(pgFinding(g, item, at(item, 'database'), `database ${show(item.attributes.database)} is not the database of the stack's own env (unset means the provider's database)`));
      }
    };
    for (const p of itemsOf(g, 'postgresql_publication')) {
      ownDb(p);
      if (p.attributes.owner !== undefined && !isOwnRole(g, p.stack, p.attributes.owner)) {
        out.push(pgFinding(g, p, at(p, 'owner'), `owner ${show(p.attributes.owner)} is not a role of the stack's own env`));
      }
    }
    for (const s of itemsOf(g, 'postgresql_subscription')) {
      ownDb(s);
      const problem = conninfoProblem(g, s);
      if (problem) out.push(pgFinding(g, s, at(s, 'conninfo'), problem));
    }
    for (const r of itemsOf(g, 'postgresql_replication_slot')) ownDb(r);
    for (const r of itemsOf(g, 'postgresql_physical_replication_slot')) {
      out.push(pgFinding(g, r, r.source, `physical replication slot ${show(r.attributes.name)} streams the whole cluster — every env's databases on the server`));
    }
    return out;
  },
};
