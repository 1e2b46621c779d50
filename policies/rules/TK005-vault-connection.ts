import { Rule, RuleFinding, describeEnv } from './support/rule';
import { connectionEnv } from './support/vault-env';
import { isPreviewConnection } from './support/previews';
import { plannerIssuerOfConnection } from './support/planner-issuer';

import { templateResetNames } from './support/template-reset';

export const rule: Rule = {
  id: 'TK005',
  name: 'vault-connection',
  severity: 'error',
  title: "A Vault database connection allows only its own env's roles and logs in as its own env's connection role",
  explanation:
    "A connection's allowed_roles decide which Vault roles may mint users through it. `*` (or a glob) lets any role "
    + "on the mount — another env's, or one added later — run its statements with this connection's CREATEROLE user, "
    + "on this env's database. An empty list is Vault's \"none\" only by accident of configuration; tierkit requires an "
    + "explicit list. The connection must log in as the env's own connection role, which can grant nothing but the env's group.",
  fix: "Set allowed_roles to the env's Vault role name only, and username to the env's connection role.",
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    for (const c of g.vaultConnections) {
      if (isPreviewConnection(c)) continue; // allowed_roles = [<app>-pr-*] by design: TK171 judges it whole
      if (plannerIssuerOfConnection(g, c)) continue; // a server's planner issuer: TK144 judges it whole
      const env = connectionEnv(g, c);
      const where = `Vault connection "${c.backend}/config/${c.name}" of ${describeEnv(env)}`;
      const allowed = c.allowedRoles ?? [];
      if (allowed.length === 0) out.push({ env, source: c.source, message: `${where} has no allowed_roles` });
      for (const role of allowed) {
        if (role.includes('*') || role.includes('?')) {
          out.push({ env, source: c.source, message: `${where} allows "${role}": a glob admits any role on the mount` });
        } else if (role !== env?.names.vaultRole && !(env?.promote !== undefined && role === env.promote.name)
          && !(env?.sandbox?.reset === 'template' && role === templateResetNames(env).vaultRole)) {
          // Besides its own role, prod's connection serves its app's declared promote credential (TK160 judges its statements).
          const other = g.index.byVaultRole.get(role);
          out.push({ env, source: c.source, message: `${where} allows role "${role}"${other ? ` of ${describeEnv(other)}` : ''}; only ${env ? `"${env.names.vaultRole}"` : "its env's role"} may use it` });
        }
      }
      if (env && c.username !== undefined && c.username !== env.names.vaultConnectionRole) {
        out.push({ env, source: c.source, message: `${where} logs in as "${c.username}", not as its env's connection role "${env.names.vaultConnectionRole}"`,
          fix: `set postgresql.username = "${env.names.vaultConnectionRole}"` });
      }
    }
    return out;
  },
};
