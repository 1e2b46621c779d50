import { PLANNER_ISSUER_ROLE, SHORT_LIVED_PLANNER_MIN_MAJOR } from '../../contract/planner';
import { ROOT_ROTATION_STATEMENTS } from '../../contract/vault-statements';
import { canonicalJson } from '../../contract/order';
import { Rule, RuleFinding } from './support/rule';
import { plannerIssuerOfConnection, shortLivedPlannerAllowed } from './support/planner-issuer';

/** `postgresql://{{username}}:{{password}}@host:port/postgres?sslmode=<mode>`, exactly. */
function expectedUrl(host: string, port: number, sslMode: string | undefined): string {
  return `postgresql://{{username}}:{{password}}@${host}:${port}/postgres?sslmode=${sslMode ?? ''}`;
}

export const rule: Rule = {
  id: 'TK144',
  name: 'planner-issuer-connection',
  severity: 'error',
  title: "A server's planner issuer connection logs in as tierkit_planner_issuer on that server, serves only its planner login role, and exists only on PostgreSQL 16+",
  explanation:
    'Short-lived planner logins (docs/pr-flow.md) are issued by a Vault connection whose user holds CREATEROLE and ADMIN on '
    + 'tierkit_planner. On PostgreSQL 16+ such a user can grant only the planner group and alter only the logins it made; on 15 and '
    + 'older CREATEROLE grants any non-superuser role, so the issuer could hand out prod\'s app group. So the connection must: be on a '
    + '16+ server, log in as tierkit_planner_issuer to that server\'s own host, port and maintenance database with its sslmode, allow '
    + 'only the role of the same name (tierkit-planner-<server>), carry tierkit\'s root rotation statement (its first password is '
    + 'rotated away), and be the only connection logging in as the issuer. Any other connection using the issuer login is refused.',
  fix: 'Use the connection buildTierPlatformStack writes (contract/planner.ts); on a PostgreSQL 15 server, plans keep the declared static login.',
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    const seen = new Map<string, string>();
    for (const c of g.vaultConnections) {
      const s = plannerIssuerOfConnection(g, c);
      const where = `Vault connection "${c.backend}/config/${c.name}" of stack ${c.stack.name}`;
      if (!s) {
        if (c.username === PLANNER_ISSUER_ROLE) {
          out.push({ source: c.source, message: `${where} logs in as ${PLANNER_ISSUER_ROLE}, yet is no server's planner issuer connection (only tierkit-planner-<server> in the gating tier's platform stack may)` });
        }
        continue;
      }
      if (!shortLivedPlannerAllowed(s)) {
        out.push({ source: c.source, message: `${where} issues planner logins on server ${s.id}, PostgreSQL ${s.majorVersion}: before ${SHORT_LIVED_PLANNER_MIN_MAJOR}, CREATEROLE grants any non-superuser role`, fix: 'remove it: a server before PostgreSQL 16 keeps the declared static planner login' });
      }
      const prev = seen.get(s.id);
      if (prev !== undefined) out.push({ source: c.source, message: `${where} is a second planner issuer connection of server ${s.id} (first: ${prev})` });
      seen.set(s.id, c.resource.name);
      if (c.username !== PLANNER_ISSUER_ROLE) {
        out.push({ source: c.source, message: `${where} logs in as ${JSON.stringify(c.username ?? null)}, not ${PLANNER_ISSUER_ROLE}`, fix: `set postgresql.username = "${PLANNER_ISSUER_ROLE}"` });
      }
      const allowed = c.allowedRoles ?? [];
      if (allowed.length !== 1 || allowed[0] !== s.name) {
        out.push({ source: c.source, message: `${where} allows roles ${JSON.stringify(allowed)}: only "${s.name}" may use it`, fix: `set allowed_roles = ["${s.name}"]` });
      }
      const plugin = (c.resource.attributes as Record<string, unknown>).plugin_name;
      if (plugin !== 'postgresql-database-plugin') {
        out.push({ source: c.source, message: `${where} uses plugin ${JSON.stringify(plugin ?? null)}, not postgresql-database-plugin`, fix: 'set plugin_name = "postgresql-database-plugin"' });
      }
      const url = expectedUrl(s.host, s.port, s.sslMode);
      if (c.connectionUrl !== url) {
        out.push({ source: c.source, message: `${where} connects to ${JSON.stringify(c.connectionUrl ?? null)}, not server ${s.id}'s maintenance database ${url}`, fix: `set connection_url = "${url}"` });
      }
      if (canonicalJson(c.rootRotationStatements ?? null) !== canonicalJson(ROOT_ROTATION_STATEMENTS)) {
        out.push({ source: c.source, message: `${where} has root_rotation_statements ${JSON.stringify(c.rootRotationStatements ?? null)}, not tierkit's ${JSON.stringify(ROOT_ROTATION_STATEMENTS)}: its first password must be rotated away` });
      }
    }
    return out;
  },
};
