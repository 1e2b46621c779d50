import { groupBy } from '../graph/group';
import { DatabaseGrant, EstateGraph, Stack } from '../graph/types';
import { Rule, RuleFinding, describeEnv } from './support/rule';
import { isPublicRole } from './support/pg-role-names';

/**
 * Databases every PostgreSQL server is born with. PUBLIC has CONNECT and TEMPORARY on `postgres`
 * and `template1` (initdb's defaults); `template0` refuses connections unless someone flips
 * datallowconn, so a grant on it is judged too but no revoke is required.
 */
const MUST_REVOKE = ['postgres', 'template1'];
const MAINTENANCE = new Set([...MUST_REVOKE, 'template0']);

// Exactly `public` (support/pg-role-names.ts): a revoke FROM "Public" revokes an ordinary role, PUBLIC keeps CONNECT.
const isPublic = isPublicRole;

/** `postgresql_grant { database = name, role = "public", object_type = "database", privileges = [] }`. */
const revokes = (gr: DatabaseGrant, name: string) =>
  gr.database === name && isPublic(gr.role) && gr.objectType === 'database' && gr.privileges.length === 0;

export const rule: Rule = {
  id: 'TK041',
  name: 'maintenance-database-connect',
  severity: 'error',
  title: 'Every env\'s stack revokes PUBLIC on its server\'s postgres and template1 databases, and nothing grants them back',
  explanation:
    'initdb gives PUBLIC CONNECT and TEMPORARY on `postgres` and `template1`. Unless they are revoked, every login on the '
    + 'server — a sandbox\'s dynamic credential on prod\'s server included — connects there, fills TEMP, reads the catalogs '
    + 'of every database\'s roles, and runs whatever a later GRANT to PUBLIC or an extension installed there exposes. Each '
    + 'env\'s stack declares the revoke (the same statement in every stack on the server: destroying one re-issues the '
    + 'REVOKE, never a GRANT). Only the owner of those databases or a superuser can revoke: on a managed server the '
    + 'provider\'s login must own them (an RDS master user does), which `check` cannot see — the real-PostgreSQL tests prove '
    + 'the superuser path.',
  fix: 'Keep the stack\'s postgresql_grant "maintenance_<db>_public_revoke" resources (role = "public", object_type = "database", privileges = []); grant nothing on postgres/template1/template0.',
  suppressible: true,
  evaluate(g: EstateGraph) {
    const out: RuleFinding[] = [];
    const byStack = groupBy(g.databaseGrants, (gr) => gr.stack);
    const reachesServer = (s: Stack) => {
      const gate = s.server === undefined ? undefined : g.servers.get(s.server)?.gatingTier;
      return gate === undefined ? [] : [{ tier: gate, what: `server ${s.server}, which tier ${gate} gates` }];
    };
    for (const stack of g.stacks) {
      const env = stack.env;
      if (!env || stack.manifest?.kind !== 'app-environment') continue;
      const grants = byStack.get(stack) ?? [];
      // A revoke under a second provider block may run on another server: only one provider is judged.
      const single = stack.postgresProviders.length === 1;
      for (const name of MUST_REVOKE) {
        if (single && grants.some((gr) => revokes(gr, name))) continue;
        out.push({
          env, reaches: reachesServer(stack),
          source: { file: stack.file, pointer: '/resource/postgresql_grant', constructPath: env.constructPath },
          message: `${describeEnv(env)}: stack ${stack.name} does not revoke PUBLIC on database "${name}" of server ${stack.server ?? '(unknown)'}`
            + (single ? '' : ` (${stack.postgresProviders.length} postgresql provider blocks: the revoke's server cannot be told)`)
            + ': every login on the server connects there',
          fix: `add postgresql_grant { database = "${name}", role = "public", object_type = "database", privileges = [] } to stack ${stack.name}`,
        });
      }
    }
    for (const gr of g.databaseGrants) {
      if (!MAINTENANCE.has(gr.database) || gr.privileges.length === 0) continue;
      const who = isPublic(gr.role) ? 'PUBLIC' : `"${gr.role}"`;
      out.push({
        env: gr.stack.env, reaches: reachesServer(gr.stack), source: gr.source,
        message: `stack ${gr.stack.name} grants ${gr.privileges.join(', ')} (${gr.objectType || 'no object type'}) in the server's own database "${gr.database}" to ${who}`,
        fix: `remove this grant: no env's role needs the server's ${gr.database} database`,
      });
    }
    return out;
  },
};
