import { PLANNER_GROUP_ROLE } from '../../contract/planner';
import { DatabaseGrant, serverKey } from '../graph/types';
import { Rule, RuleFinding, describeEnv } from './support/rule';
import { roleEnv } from './TK001-ownership-and-membership';
import { isPreviewHome } from './support/previews';
import { isGoldenTemplate } from './support/template-reset';
import { isPublicRole } from './support/pg-role-names';

// Exactly `public` (support/pg-role-names.ts): a revoke FROM "PUBLIC" revokes an ordinary role, PUBLIC keeps CONNECT.
const isPublic = isPublicRole;

export const rule: Rule = {
  id: 'TK002',
  name: 'database-connect',
  severity: 'error',
  title: "Every database revokes PUBLIC and grants CONNECT only to its own env's roles (group, golden dump) and the CI planners' read-only group",
  explanation:
    'PostgreSQL gives PUBLIC CONNECT and TEMPORARY on every new database. Unless it is revoked, any login on the '
    + 'server — a sandbox\'s dynamic credential included — can connect to the prod database. CONNECT granted to '
    + "another env's role opens the same door on purpose.",
  fix: 'Declare `postgresql_grant` { role = "public", object_type = "database", privileges = [] } and grant CONNECT only to the env\'s group role.',
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    const grantsByDb = new Map<string, DatabaseGrant[]>();
    for (const gr of g.databaseGrants) {
      if (gr.objectType !== 'database') continue;
      const k = serverKey(gr.server, gr.database);
      // Appended in place (a copy of the list per grant was quadratic in a database's grants).
      const list = grantsByDb.get(k);
      if (list) list.push(gr);
      else grantsByDb.set(k, [gr]);
    }
    for (const db of g.databases) {
      if (isPreviewHome(db)) continue; // TK170 judges every grant on it, from any stack
      if (isGoldenTemplate(db)) continue; // closed to connections, no grant resource: TK129 judges it, its reset Job revokes PUBLIC
      const env = g.index.byDatabase.get(db.name) ?? db.stack.env;
      // A grant in a stack whose server is unknown (no provider) is judged against every database of that name.
      const grants = [...(grantsByDb.get(serverKey(db.server, db.name)) ?? []),
        ...(db.server ? grantsByDb.get(serverKey(undefined, db.name)) ?? [] : [])];
      if (!grants.some((gr) => isPublic(gr.role) && gr.privileges.length === 0)) {
        out.push({
          env, source: db.source,
          message: `database "${db.name}" of ${describeEnv(env)} never revokes PUBLIC: every login on the server keeps CONNECT and TEMPORARY`,
          fix: `add postgresql_grant { database = "${db.name}", role = "public", object_type = "database", privileges = [] }`,
        });
      }
      for (const gr of grants) {
        if (gr.privileges.length === 0) continue;
        const allowed = env?.names.groupRole;
        // The env's own roles by name: its group, and its read-only golden dump role (pg_read_all_data only).
        if (env && (gr.role === env.names.groupRole || gr.role === env.names.goldenDumpRole)) continue;
        // The CI planners' read-only group: CONNECT alone (a grant's refresh opens its transaction in the
        // database); TEMPORARY or anything more is judged like any other role's.
        if (gr.role === PLANNER_GROUP_ROLE && gr.privileges.length === 1 && gr.privileges[0].toUpperCase() === 'CONNECT') continue;
        const who = isPublic(gr.role) ? 'PUBLIC' : `"${gr.role}" (${describeEnv(roleEnv(g, gr.role))})`;
        out.push({
          env: env ?? gr.stack.env, source: gr.source,
          message: `database "${db.name}" of ${describeEnv(env)} grants ${gr.privileges.join(', ')} to ${who}${allowed ? `; only "${allowed}" may connect` : ''}`,
          fix: `remove this grant${allowed ? ` or grant to "${allowed}"` : ''}`,
        });
      }
    }
    return out;
  },
};
