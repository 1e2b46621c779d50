import { ROOT_ROTATION_STATEMENTS } from '../../contract/vault-statements';
import { serverAt } from '../../contract/hosts';
import type { ManifestServer } from '../../contract';
import { isUnknown } from '../../contract/terraform/unknown';
import { EstateGraph, VaultConnection } from '../graph/types';
import { Rule, RuleFinding, describeEnv } from './support/rule';
import { isPreviewConnection } from './support/previews';

/** libpq's sslmode values, weakest first. */
const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];
/** Query keys that cannot move the connection elsewhere (`host`, `port`, `dbname`, `service`… can). */
const SAFE_QUERY_KEYS = new Set(['sslmode', 'application_name', 'connect_timeout']);

// Vault runs root_rotation_statements as the connection user (CREATEROLE, SET on temp_file_limit) at
// every rotate-root, and the apply runs rotate-root on every new connection: any text but tierkit's
// own (contract/vault-statements.ts) or Vault's default is a standing channel no rule models.

function rootRotationProblem(c: VaultConnection): string | undefined {
  const v = c.rootRotationStatements;
  if (v === undefined || v === null || (Array.isArray(v) && v.length === 0)) return undefined; // Vault's default
  const normal = (x: unknown) => (typeof x === 'string' ? x.replace(/\s+/g, ' ').trim() : x);
  if (Array.isArray(v) && v.length === 1 && normal(v[0]) === ROOT_ROTATION_STATEMENTS[0]) return undefined;
  return `sets root_rotation_statements ${JSON.stringify(v)}: they run as the connection user at every rotate-root; only tierkit's (${ROOT_ROTATION_STATEMENTS[0]}) or Vault's default is allowed`;
}

/** Why `url` is not a connection to `env`'s database on its server with TLS at least `minSsl`, or undefined. */
function problem(g: EstateGraph, c: VaultConnection, minSsl: string): string | { why: string; other: ManifestServer } | undefined {
  const env = c.stack.env!;
  const text = c.connectionUrl;
  if (typeof text !== 'string' || isUnknown(text as unknown)) return `its connection_url ${JSON.stringify(text ?? null)} is not a literal tierkit can read`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `its connection_url is not a URL tierkit can read (a key=value string or a host list could name any server)`;
  }
  if (url.protocol !== 'postgresql:' && url.protocol !== 'postgres:') return `its connection_url scheme "${url.protocol}" is not postgresql://`;
  const port = url.port === '' ? 5432 : Number(url.port);
  const server = serverAt(g.servers.values(), url.hostname, port);
  if (!server) return `its connection_url host ${url.hostname || '(none: a local socket)'}:${port} is no server of the manifest: it could be any server, prod's included`;
  if (server.id !== env.server) return { why: `its connection_url names server ${server.id} (tiers ${server.tiers.join(', ')}), not its env's server ${env.server}`, other: server };
  const db = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (db !== env.names.database) return `its connection_url names database ${JSON.stringify(db)}, not its env's "${env.names.database}"`;
  for (const key of url.searchParams.keys()) {
    if (!SAFE_QUERY_KEYS.has(key)) return `its connection_url parameter "${key}" can move the connection (host, port, dbname, service…) and is not modelled`;
  }
  const modes = url.searchParams.getAll('sslmode');
  const mode = modes.at(-1) ?? 'prefer';
  if (modes.length > 1 || !SSL_MODES.includes(mode)) return `its connection_url sslmode ${JSON.stringify(modes)} is not one libpq mode`;
  if (SSL_MODES.indexOf(mode) < SSL_MODES.indexOf(minSsl)) return `its connection_url sslmode "${mode}" is weaker than its server's declared "${minSsl}"`;
  return rootRotationProblem(c);
}

export const rule: Rule = {
  id: 'TK045',
  name: 'vault-connection-target',
  severity: 'error',
  title: 'Each Vault database connection reaches its own env\'s database on its env\'s server, with the server\'s declared TLS',
  explanation:
    'Vault logs in to whatever `connection_url` names, with the env\'s connection user, and every credential it issues '
    + 'lives there. A URL naming another server or database, a query parameter that moves the connection (`host`, '
    + '`dbname`, `service`…), or a weaker sslmode than the server declares (a downgrade lets a network attacker read '
    + 'the connection user\'s password and every issued credential) is judged here, and so are its root_rotation_statements '
    + '(run as the connection user at every rotate-root). Host names compare as DNS does.',
  fix: 'Keep the connection_url tierkit writes: postgresql://{{username}}:{{password}}@<server host>:<port>/<env database>?sslmode=<PostgresServer.sslMode>.',
  suppressible: true,
  evaluate(g: EstateGraph) {
    const out: RuleFinding[] = [];
    for (const c of g.vaultConnections) {
      if (isPreviewConnection(c)) continue; // reaches the preview home database: TK171 judges its target
      const env = c.stack.env;
      // Every connection of an env's stack, not only the one tierkit names: an extra one is Vault's too.
      if (!env) continue;
      const server = env.server === undefined ? undefined : g.servers.get(env.server);
      const found = problem(g, c, server?.sslMode ?? 'require');
      if (!found) continue;
      const gated = [server, typeof found === 'string' ? undefined : found.other].filter((s): s is ManifestServer => s?.gatingTier !== undefined);
      out.push({ env, source: c.source, reaches: gated.map((s) => ({ tier: s.gatingTier!, what: `server ${s.id}, which tier ${s.gatingTier} gates` })),
        message: `${describeEnv(env)}: Vault connection "${c.name}" ${typeof found === 'string' ? found : found.why}` });
    }
    return out;
  },
};
