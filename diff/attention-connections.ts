import { formatValue } from './attributes';
import { Context, after, changeLines, envOfStack, foreign, ownNames, push, strings, touched } from './attention-context';
import type { TerraformChange } from './model';

/**
 * Where a stack's credentials act: its providers' settings (host, database, username, superuser),
 * a Vault database connection's target (connection URL, login user, plugin, mount) and which
 * connection a Vault role mints on (`db_name`). A change is always an item: an auto-applied dev
 * stack pointed at the prod server, or a dev Vault role minting on prod's connection, changes
 * what its credentials reach without a single privilege attribute changing. An added one is an
 * item when it targets a database, user or server not its own env's.
 */

const CONNECTION_KEYS = ['postgresql.connection_url', 'postgresql.username', 'plugin_name', 'backend'];
const ROLE_KEYS = ['db_name', 'backend'];

/** The host and database of a `postgresql://user:pw@host:port/db?…` URL (placeholders allowed). */
function urlTarget(url: unknown): { host?: string; database?: string } {
  const m = typeof url === 'string' ? /^[a-z]+:\/\/(?:[^@/]*@)?([^:/?]+)(?::\d+)?\/([^?]*)/.exec(url) : null;
  return m ? { host: m[1], database: decodeURIComponent(m[2]) } : {};
}

export function connectionAttention(ctx: Context, r: TerraformChange): void {
  if (r.action === 'destroy') return;
  const isAdd = r.action === 'add';
  if (r.type === 'provider' && r.address === 'provider') {
    const lines = r.changes.map((c) => `${c.path}: ${formatValue(c.before)} → ${formatValue(c.after)}`);
    if (!isAdd) push(ctx, 'connection', r, 'provider settings changed: where and as whom this stack applies', lines);
    return;
  }
  const keys = r.type === 'vault_database_secret_backend_connection' ? CONNECTION_KEYS : r.type === 'vault_database_secret_backend_role' ? ROLE_KEYS : [];
  const changed = keys.filter((k) => touched(r, k));
  if (changed.length === 0) return;
  const what = r.type === 'vault_database_secret_backend_role' ? `Vault role ${r.label ?? r.address} mints on` : `Vault connection ${r.label ?? r.address} connects to`;
  const now = ctx.attributes?.('head', r.stack, r.address);
  const pg = (now?.postgresql ?? {}) as { connection_url?: unknown; username?: unknown };
  const target = r.type === 'vault_database_secret_backend_role'
    ? `connection ${formatValue(now?.db_name ?? after(r, 'db_name'))}`
    : `${formatValue(pg.connection_url ?? after(r, 'postgresql.connection_url'))} as ${formatValue(pg.username ?? after(r, 'postgresql.username'))}`;
  if (isAdd) {
    const env = envOfStack(ctx, r.stack);
    const own = ownNames(ctx, r.stack);
    const url = urlTarget(after(r, 'postgresql.connection_url'));
    const serverHost = ctx.head.servers.find((s) => s.id === env?.server)?.host;
    const outside = [
      ...foreign([...strings(after(r, 'db_name')), ...strings(after(r, 'postgresql.username')), ...strings(url.database)], own),
      ...(url.host && url.host !== serverHost ? [url.host] : []),
    ];
    if (env && outside.length === 0) return;
    push(ctx, 'connection', r, `new: ${what} ${target}`, outside.map((x) => `outside its app-environment: ${formatValue(x)}`));
    return;
  }
  push(ctx, 'connection', r, `changed: ${what} ${target}`, changeLines(r, changed));
}
