import type { Env, EstateGraph, Stack } from '../graph/types';
import { previewHost, previewNames, vaultGlobMatches } from './support/previews';
import { Rule, RuleFinding, describeEnv } from './support/rule';

function hostStack(g: EstateGraph, env: Env): Stack | undefined {
  return g.stacks.find((s) => s.name === env.stack && previewHost(s) === env);
}

/** The connection URL's parts, or why it cannot be read (Vault's `{{username}}:{{password}}` kept out of the parse). */
function parseUrl(url: unknown): { host: string; port: string; database: string; sslmode: string | null; extra: string[] } | string {
  if (typeof url !== 'string') return 'is not a literal string';
  try {
    const u = new URL(url.replace('{{username}}:{{password}}@', 'u:p@'));
    if (!/^postgres(ql)?:$/.test(u.protocol)) return `has scheme ${u.protocol}`;
    return {
      host: u.hostname, port: u.port || '5432', database: decodeURIComponent(u.pathname.slice(1)), sslmode: u.searchParams.get('sslmode'),
      extra: [...u.searchParams.keys()].filter((k) => k !== 'sslmode'),
    };
  } catch {
    return 'is not a URL';
  }
}

export const rule: Rule = {
  id: 'TK171',
  name: 'preview-connection',
  severity: 'error',
  title: 'An app\'s preview Vault connection allows exactly `<app>-pr-*`, logs in as its preview admin to its home database, and no declared Vault role falls under that pattern',
  explanation:
    'Vault serves a role from a connection only when the role\'s name matches the connection\'s allowed_roles '
    + '(hashicorp/vault builtin/logical/database/path_creds_create.go, StrListContainsGlob). The preview Jobs write Vault '
    + 'roles `<app>-pr-<n>` on the preview connection; a wider pattern would let them mint credentials under another '
    + 'name, and a declared env\'s Vault role under `<app>-pr-` would be one the Jobs may overwrite and the preview '
    + 'connection may serve. The connection logs in as the preview admin, so every credential it mints is a role the '
    + 'admin created (which the PostDelete Job can drop) and reaches only what the admin can grant: the preview\'s own group.',
  fix: 'Keep what tierkit writes for `App.previews`: allowed_roles = ["<app>-pr-*"], username = the preview admin, the server\'s host, port and sslmode, database <app>-previews; rename any env whose Vault role starts with "<app>-pr-".',
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    g.envs.forEach((env, i) => {
      if (env.previews === undefined || env.previews === null) return;
      const stack = hostStack(g, env);
      if (!stack) return; // TK170 reports it
      const n = previewNames(env.app);
      const at = { file: 'manifest.json', pointer: `/appEnvironments/${i}/previews`, constructPath: env.constructPath };
      const server = env.server === undefined ? undefined : g.servers.get(env.server);
      const mine = g.vaultConnections.filter((c) => c.name === n.connection);
      const own = mine.filter((c) => c.stack === stack);
      if (own.length !== 1) out.push({ env, source: at, message: `previews of app ${env.app}: stack ${stack.name} declares ${own.length} Vault connections "${n.connection}"; exactly one is theirs` });
      for (const c of mine.filter((x) => x.stack !== stack)) {
        out.push({ env, source: c.source, message: `Vault connection "${c.name}" (app ${env.app}'s previews) is declared again in stack ${c.stack.name}` });
      }
      for (const c of own) {
        const where = `preview connection "${c.backend}/config/${c.name}" of ${describeEnv(env)}`;
        if (c.backend !== g.manifest.estate.vault.databaseMount) out.push({ env, source: c.source, message: `${where} is on mount "${c.backend}", not the estate's database mount "${g.manifest.estate.vault.databaseMount}"` });
        const allowed = c.allowedRoles ?? [];
        if (allowed.length !== 1 || allowed[0] !== n.rolePattern) {
          out.push({ env, source: c.source, message: `${where} allows ${JSON.stringify(allowed)}; exactly ["${n.rolePattern}"]` });
        }
        if (c.username !== n.adminRole) out.push({ env, source: c.source, message: `${where} logs in as ${JSON.stringify(c.username)}, not as the preview admin "${n.adminRole}"` });
        const url = parseUrl(c.connectionUrl);
        if (typeof url === 'string') {
          out.push({ env, source: c.source, message: `${where}: its connection_url ${url}` });
        } else {
          const want = { host: server?.host, port: String(server?.port ?? ''), database: n.homeDatabase, sslmode: server?.sslMode ?? 'require' };
          for (const k of ['host', 'port', 'database', 'sslmode'] as const) {
            if (url[k] !== want[k]) out.push({ env, source: c.source, message: `${where}: its connection_url's ${k} is ${JSON.stringify(url[k])}, not ${JSON.stringify(want[k])}` });
          }
          if (url.extra.length > 0) out.push({ env, source: c.source, message: `${where}: its connection_url sets ${url.extra.join(', ')}; only sslmode` });
        }
        if (c.resource.attributes.plugin_name !== 'postgresql-database-plugin') {
          out.push({ env, source: c.source, message: `${where} uses plugin ${JSON.stringify(c.resource.attributes.plugin_name)}, not postgresql-database-plugin` });
        }
        const rotation = c.rootRotationStatements;
        if (rotation !== undefined && rotation !== null && !(Array.isArray(rotation) && rotation.length === 0)) {
          out.push({ env, source: c.source, message: `${where} sets root_rotation_statements: they would run as the preview admin at every rotate-root` });
        }
      }
      // A declared Vault role under the pattern: the Jobs may overwrite it and the preview connection serves it.
      for (const r of g.dynamicRoles) {
        if (vaultGlobMatches(n.rolePattern, r.name)) {
          out.push({ env, source: r.source, message: `Vault role "${r.backend}/roles/${r.name}" of stack ${r.stack.name} matches app ${env.app}'s preview pattern "${n.rolePattern}": only the preview Jobs make those` });
        } else if (typeof r.dbName === 'string' && r.dbName === n.connection) {
          out.push({ env, source: r.source, message: `Vault role "${r.backend}/roles/${r.name}" of stack ${r.stack.name} uses the preview connection "${n.connection}"` });
        }
      }
    });
    return out;
  },
};
