import { PLANNER_CREATION_STATEMENTS, PLANNER_REVOCATION_STATEMENTS } from '../../contract/planner';
import { canonicalJson } from '../../contract/order';
import { Rule, RuleFinding } from './support/rule';
import { plannerIssuerOfConnection, plannerIssuerOfRole } from './support/planner-issuer';

const same = (a: unknown, b: readonly string[]) => canonicalJson(a ?? null) === canonicalJson(b);

export const rule: Rule = {
  id: 'TK145',
  name: 'planner-login-statements',
  severity: 'error',
  title: "A server's planner login role runs exactly tierkit's statements: a LOGIN member of tierkit_planner only, VALID UNTIL its lease's end",
  explanation:
    'The planner issuer can make any login a member of tierkit_planner and give it any attribute it holds itself, so what a plan '
    + 'job\'s login can do is exactly what its Vault role\'s statements say. tierkit\'s one creation statement makes a LOGIN with '
    + 'every attribute spelled out (no CREATEROLE, CREATEDB, REPLICATION, BYPASSRLS), VALID UNTIL the lease\'s expiration (PostgreSQL '
    + 'refuses it after that, whatever Vault does) and IN ROLE tierkit_planner — no other role, no setting, no second statement. '
    + 'Revocation drops it. Renew and rollback statements are not used (a renewal would move VALID UNTIL). The role must use its '
    + 'server\'s issuer connection, and no other Vault role may use that connection.',
  fix: 'Use the role buildTierPlatformStack writes: creation and revocation statements from contract/planner.ts, db_name the server\'s planner issuer connection.',
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    // Vault's mounts are global: a role of any stack names a connection by mount and name (db_name, as evaluated).
    const issuerConnections = new Map<string, string>();
    for (const c of g.vaultConnections) {
      const s = plannerIssuerOfConnection(g, c);
      if (s) issuerConnections.set(`${c.backend}\0${c.name}`, s.id);
    }
    const connectionOf = (backend: string, dbName: string | undefined): string | undefined =>
      (dbName === undefined ? undefined : issuerConnections.get(`${backend}\0${dbName}`));
    for (const d of g.dynamicRoles) {
      const s = plannerIssuerOfRole(g, d);
      const where = `Vault role "${d.backend}/roles/${d.name}" of stack ${d.stack.name}`;
      const server = connectionOf(d.backend, d.dbName);
      if (!s) {
        if (server !== undefined) out.push({ source: d.source, message: `${where} uses server ${server}'s planner issuer connection: only its planner login role may` });
        continue;
      }
      if (server !== s.id) {
        out.push({ source: d.source, message: `${where} uses ${JSON.stringify(d.dbName ?? null)}, not server ${s.id}'s planner issuer connection`, fix: `set db_name to the connection "${s.name}" of this stack` });
      }
      // The attributes as written: the graph's string lists drop non-string entries.
      const raw = g.resources.find((r) => r.type === 'vault_database_secret_backend_role' && r.stack === d.stack.name
        && d.source.pointer === `/resource/${r.type}/${r.name}`)?.attributes ?? {};
      if (!same(raw.creation_statements, PLANNER_CREATION_STATEMENTS)) {
        out.push({ source: d.source, message: `${where} has creation_statements ${JSON.stringify(raw.creation_statements ?? null)}, not exactly tierkit's ${JSON.stringify(PLANNER_CREATION_STATEMENTS)}` });
      }
      if (!same(raw.revocation_statements, PLANNER_REVOCATION_STATEMENTS)) {
        out.push({ source: d.source, message: `${where} has revocation_statements ${JSON.stringify(raw.revocation_statements ?? null)}, not exactly tierkit's ${JSON.stringify(PLANNER_REVOCATION_STATEMENTS)}` });
      }
      for (const [what, v] of [['renew_statements', d.renewStatements], ['rollback_statements', d.rollbackStatements]] as const) {
        if (v === undefined || (Array.isArray(v) && v.length === 0)) continue;
        out.push({ source: d.source, message: `${where} has ${what} ${JSON.stringify(v)}: the planner login runs no statement but its creation and revocation` });
      }
    }
    return out;
  },
};
