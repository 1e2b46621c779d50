import { isLiveTier } from '../../contract/tiers';
import { groupBy } from '../graph/group';
import { PLACEHOLDER, parseVaultStatement } from '../graph/sql';
import { EstateGraph } from '../graph/types';
import { Rule, RuleFinding, describeEnv } from './support/rule';

/** Settings a lower tier's credential on a server holding live data must carry, and what each is. */
const REQUIRED = [
  { name: 'temp_file_limit', what: 'cap (superuser-only: the credential cannot SET it)' },
  { name: 'statement_timeout', what: 'default (a session may SET it; it ends forgotten queries)' },
  { name: 'idle_in_transaction_session_timeout', what: 'default (a session may SET it; it ends forgotten transactions)' },
] as const;

/** Values of `ALTER ROLE "{{name}}" SET <setting> = <value>` among the statements; 'unreadable' when they do not parse. */
function userSettings(statements: readonly string[]): Map<string, unknown> | 'unreadable' {
  const out = new Map<string, unknown>();
  for (const text of statements) {
    const parsed = parseVaultStatement(text);
    if (!parsed.ok) return 'unreadable';
    for (const s of parsed.stmts) {
      const a = s.AlterRoleSetStmt;
      if (!a || a.role?.rolename !== PLACEHOLDER.name || a.database !== undefined) continue;
      const set = a.setstmt ?? {};
      if (set.kind !== 'VAR_SET_VALUE') {
        out.set(set.name, 'reset');
        continue;
      }
      const c = set.args?.[0]?.A_Const ?? {};
      // A later statement wins, as PostgreSQL applies them in order.
      out.set(set.name, c.sval?.sval ?? c.ival?.ival ?? (c.ival ? 0 : 'unreadable'));
    }
  }
  return out;
}

/** A limit that limits: a size or duration above zero (0 or -1 mean none for these settings). */
function limits(v: unknown): boolean {
  if (typeof v === 'number') return v > 0;
  return typeof v === 'string' && /^\s*0*[1-9]\d*\s*(kB|MB|GB|TB|B|us|ms|s|min|h|d)?\s*$/.test(v);
}

export const rule: Rule = {
  id: 'TK043',
  name: 'shared-server-session-caps',
  severity: 'error',
  title: 'A lower tier\'s credentials on a server holding live data carry temp_file_limit and the session timeout defaults',
  explanation:
    'A sandbox on prod\'s server shares its disk and its processes. Without temp_file_limit one sort or hash that spills '
    + 'fills the disk prod writes WAL and its own temporary files to; temp_file_limit is superuser-only, so set on the '
    + 'credential it is a wall the sandbox cannot lift (the server\'s tempFileLimitRole lets the Vault connection user set it). '
    + 'statement_timeout and idle_in_transaction_session_timeout are only defaults a session may SET: they end forgotten '
    + 'queries and transactions that hold locks and old snapshots (bloat on a server prod shares), and are required as such.',
  fix: 'Declare PostgresServer.tempFileLimitRole on the server (the platform grants it SET ON PARAMETER temp_file_limit) and keep the caps tierkit writes into the Vault role\'s creation statements (TierSettings.databaseCaps).',
  suppressible: true,
  evaluate(g: EstateGraph) {
    const out: RuleFinding[] = [];
    const live = (tier: string | undefined) => isLiveTier(g.tiers, tier);
    const dynamicRoles = groupBy(g.dynamicRoles, (r) => r.stack.name);
    for (const env of g.envs) {
      if (live(env.tier)) continue;
      const server = env.server === undefined ? undefined : g.servers.get(env.server);
      if (!server || !(live(server.gatingTier) || server.tiers.some(live))) continue;
      const reaches = [{ tier: server.gatingTier ?? 'prod', what: `server ${server.id}, which holds live data` }];
      if (server.tempFileLimitRole === undefined) {
        out.push({ env, reaches, source: { file: 'manifest.json', pointer: '/servers', constructPath: server.constructPath },
          message: `${describeEnv(env)}: its server ${server.id} holds live data and declares no tempFileLimitRole: its credentials cannot be given a temp_file_limit` });
      }
      const roles = dynamicRoles.get(env.stack) ?? [];
      if (roles.length === 0) {
        out.push({ env, reaches, source: { file: env.artifacts[0], pointer: '', constructPath: env.constructPath },
          message: `${describeEnv(env)}: no Vault role in stack ${env.stack} to judge` });
      }
      for (const role of roles) {
        const settings = userSettings(role.creationStatements);
        for (const { name, what } of REQUIRED) {
          const v = settings === 'unreadable' ? 'unreadable' : settings.get(name);
          if (limits(v)) continue;
          out.push({ env, reaches, source: role.source,
            message: `${describeEnv(env)}: Vault role "${role.name}" on ${server.id} (live data) creates credentials with ${v === undefined ? `no ${name}` : `${name} ${JSON.stringify(v)}`}, which is no ${what}` });
        }
      }
    }
    // Only Vault connection users may hold the role: a group (or a credential) that reaches it may
    // SET temp_file_limit = -1 and lift the cap of every credential acting as it.
    const connectionUsers = new Set(g.envs.map((e) => e.names.vaultConnectionRole));
    for (const m of g.memberships) {
      const server = m.stack.server === undefined ? undefined : g.servers.get(m.stack.server);
      if (!server?.tempFileLimitRole || m.role !== server.tempFileLimitRole) continue;
      if (connectionUsers.has(m.member) && m.member === m.stack.env?.names.vaultConnectionRole && !m.admin) continue;
      out.push({ env: m.stack.env, source: m.source, reaches: [{ tier: server.gatingTier ?? 'prod', what: `server ${server.id}'s temp_file_limit` }],
        message: `stack ${m.stack.name} makes "${m.member}" a member of "${m.role}"${m.admin ? ' WITH ADMIN OPTION' : ''} (SET on temp_file_limit) on ${server.id}: only its own env's Vault connection user may be, without admin option` });
    }
    return out;
  },
};
