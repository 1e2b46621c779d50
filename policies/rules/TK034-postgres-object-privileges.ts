import { at, blocks, isOwnDatabase, isOwnRole, isUnresolved, PgItem, show } from '../graph/postgres';
import type { EstateGraph } from '../graph/types';
import { itemsOf, pgFinding } from './support/postgres-common';
import { Rule, RuleFinding } from './support/rule';

// Any case on purpose: "PUBLIC" is an ordinary role to PostgreSQL, but refusing it as PUBLIC is fail-closed (TK039 refuses the name too).
const isPublic = (role: unknown) => typeof role === 'string' && (role === '' || role.toLowerCase() === 'public');

function grantee(g: EstateGraph, item: PgItem, role: unknown, pointer: (string | number)[], what: string): RuleFinding | undefined {
  if (isPublic(role)) return pgFinding(g, item, at(item, ...pointer), `${what} ${show(role)} is PUBLIC: every login on the server, other envs' credentials included`);
  if (!isOwnRole(g, item.stack, role)) return pgFinding(g, item, at(item, ...pointer), `${what} ${show(role)} is not a role of the stack's own env`);
  return undefined;
}

function database(g: EstateGraph, item: PgItem): RuleFinding | undefined {
  const db = item.attributes.database;
  if (isOwnDatabase(item.stack, db)) return undefined;
  return pgFinding(g, item, at(item, 'database'),
    `database ${show(db)} is not the database of the stack's own env${item.stack.env ? ` ("${item.stack.env.names.database}")` : ''} (unset means the provider's database)`,
    item.stack.env ? `set database = "${item.stack.env.names.database}"` : undefined);
}

export const rule: Rule = {
  id: 'TK034',
  name: 'postgres-object-privileges',
  severity: 'error',
  title: "Grants on schemas, tables, sequences, functions and foreign objects, default privileges and schemas stay in the env's own database, for its own roles",
  explanation:
    'postgresql_grant (beyond `database`, which TK002 judges), postgresql_default_privileges and postgresql_schema run in '
    + 'the `database` they name. On another env\'s database they hand its tables, its future objects (default privileges: '
    + 'every table created later) or its schemas to a role; `role = "public"` hands them to every login. postgresql_schema '
    + 'silently adopts an existing schema and runs `ALTER SCHEMA … OWNER TO` (createSchema checks pg_namespace first, '
    + 'whatever if_not_exists says): an ownership takeover of e.g. `public` in someone else\'s database.',
  fix: "Name the env's own database and its own roles; never PUBLIC.",
  suppressible: true,
  evaluate(g) {
    const out: RuleFinding[] = [];
    const push = (f: RuleFinding | undefined) => { if (f) out.push(f); };
    for (const gr of itemsOf(g, 'postgresql_grant')) {
      const type = gr.attributes.object_type;
      if (type === 'database') continue;
      if (typeof type !== 'string' || isUnresolved(type)) {
        out.push(pgFinding(g, gr, at(gr, 'object_type'), `object_type ${show(type)} cannot be read`));
        continue;
      }
      push(database(g, gr));
      push(grantee(g, gr, gr.attributes.role, ['role'], `the grant's role`));
    }
    for (const dp of itemsOf(g, 'postgresql_default_privileges')) {
      push(database(g, dp));
      push(grantee(g, dp, dp.attributes.role, ['role'], 'the default privileges\' role'));
      if (!isOwnRole(g, dp.stack, dp.attributes.owner)) {
        out.push(pgFinding(g, dp, at(dp, 'owner'), `owner ${show(dp.attributes.owner)} is not a role of the stack's own env: the grant applies to that role's future objects`));
      }
    }
    for (const s of itemsOf(g, 'postgresql_schema')) {
      push(database(g, s));
      const owner = s.attributes.owner;
      if (owner !== undefined && !isOwnRole(g, s.stack, owner)) {
        out.push(pgFinding(g, s, at(s, 'owner'), `owner ${show(owner)} is not a role of the stack's own env: an existing schema of that name is taken over (ALTER SCHEMA … OWNER TO)`));
      }
      blocks(s.attributes.policy).forEach((p, i) => {
        const ptr = Array.isArray(s.attributes.policy) ? ['policy', i, 'role'] : ['policy', 'role'];
        push(grantee(g, s, p.role ?? '', ptr, 'the schema policy\'s role'));
      });
    }
    return out;
  },
};
