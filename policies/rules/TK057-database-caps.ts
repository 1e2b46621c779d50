import { groupBy } from '../graph/group';
import { PLACEHOLDER, parseVaultStatement } from '../graph/sql';
import { EstateGraph, Source } from '../graph/types';
import { Rule, RuleFinding, describeEnv } from './support/rule';
import { isLiveTier } from '../../contract/tiers';

/** A cap the server enforces: a whole number of connections, at least one (-1 is "no limit"). */
const capped = (v: unknown): boolean => {
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  return Number.isInteger(n) && (n as number) >= 1;
};

/**
 * The creation statement tierkit writes, whose only per-env part is the group in IN ROLE: a quoted
 * identifier of plain characters (no quote, `;` or brace, at most 63 bytes, so never truncated),
 * which the parse below never reads. Anchored whole, so that identifier is one token in every
 * reading: swapping it for a fixed one changes that token's text and nothing else, and each
 * distinct shape is parsed once instead of once per env (the real parser still decides everything).
 */
const CREATE_WITH_GROUP = /^(CREATE ROLE "\{\{name\}\}" WITH LOGIN PASSWORD '\{\{password\}\}' VALID UNTIL '\{\{expiration\}\}'(?: CONNECTION LIMIT [0-9]{1,12})? IN ROLE )"[a-z_][a-z0-9_]{0,62}";$/;
const shape = (text: string): string => text.replace(CREATE_WITH_GROUP, '$1"tierkit_group_slot";');

/** CONNECTION LIMIT of the CREATE ROLE "{{name}}" among `statements`; 'unreadable' when they do not parse. */
export function userConnectionLimit(statements: readonly string[]): unknown {
  for (const text of statements) {
    const parsed = parseVaultStatement(typeof text === 'string' ? shape(text) : text);
    if (!parsed.ok) return 'unreadable';
    for (const s of parsed.stmts) {
      const create = s.CreateRoleStmt;
      if (!create || create.role !== PLACEHOLDER.name) continue;
      const opt = (create.options ?? []).find((o: any) => o.DefElem?.defname === 'connectionlimit');
      return opt?.DefElem?.arg?.Integer?.ival ?? (opt ? 'unreadable' : undefined);
    }
  }
  return undefined;
}

export const rule: Rule = {
  id: 'TK057',
  name: 'database-caps',
  severity: 'error',
  title: 'Every non-prod database and its dynamic credentials carry a connection limit',
  explanation:
    'max_connections is one pool per server. A lower tier\'s env on a shared server (erp-sandbox on prod\'s) with no '
    + 'connection_limit on its database, or credentials without CONNECTION LIMIT, can open every slot and lock prod out. '
    + 'Both limits are enforced by PostgreSQL for every non-superuser role. (statement_timeout and '
    + 'idle_in_transaction_session_timeout are per-credential defaults a session may SET: they are not judged as caps.)',
  fix: 'Keep connection_limit on the postgresql_database and CONNECTION LIMIT in the Vault role\'s CREATE ROLE (TierSettings.databaseCaps); remove the override.',
  suppressible: true,
  evaluate(g: EstateGraph) {
    const out: RuleFinding[] = [];
    const prodServers = new Set(g.envs.filter((e) => isLiveTier(g.tiers, e.tier)).map((e) => e.server));
    // Indexed by stack once: a scan of every resource per env is quadratic in the estate's size.
    const databases = groupBy(g.resources.filter((r) => r.type === 'postgresql_database'), (r) => r.stack);
    const dynamicRoles = groupBy(g.dynamicRoles, (r) => r.stack.name);
    for (const env of g.envs) {
      if (isLiveTier(g.tiers, env.tier)) continue;
      const unsuppressible = prodServers.has(env.server) ? `its database is on ${env.server}, which holds prod` : undefined;
      const dbs = (databases.get(env.stack) ?? []).filter((r) => r.attributes.name === env.names.database);
      const source = (r: { file: string; pointer: string; constructPath?: string }): Source => ({ file: r.file, pointer: r.pointer, resourcePath: r.constructPath, constructPath: env.constructPath });
      if (dbs.length === 0) {
        out.push({ env, unsuppressible, source: { file: env.artifacts[0], pointer: '', constructPath: env.constructPath }, message: `${describeEnv(env)}: no postgresql_database "${env.names.database}" in stack ${env.stack} to judge` });
      }
      for (const db of dbs) {
        if (!capped(db.attributes.connection_limit)) {
          out.push({ env, unsuppressible, source: source(db), message: `${describeEnv(env)}: database "${env.names.database}" has connection_limit ${JSON.stringify(db.attributes.connection_limit ?? -1)}, no cap` });
        }
      }
      for (const role of dynamicRoles.get(env.stack) ?? []) {
        const limit = userConnectionLimit(role.creationStatements);
        if (!capped(limit)) {
          out.push({ env, unsuppressible, source: role.source,
            message: `${describeEnv(env)}: Vault role "${role.name}" creates credentials with ${limit === undefined ? 'no CONNECTION LIMIT' : `CONNECTION LIMIT ${JSON.stringify(limit)}`}` });
        }
      }
    }
    return out;
  },
};
