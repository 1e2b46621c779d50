import { at, isUnresolved, PgItem, postgresView, show } from '../graph/postgres';
import type { Source } from '../graph/types';
import { Rule, RuleFinding } from './support/rule';
import { valuesAtPath } from './support/values-at';

// What the provider pastes into SQL (or its connection URL) without quoting, per
// ../shared/notes/provider-resources.md §1.4 (cyrilgdn/postgresql v1.26.0); each needs its own shape.
// Read in the provider's source: helpers.go quoteIdentifyIdent (quotes only the text before "("),
// resource_postgresql_publication.go setPubOwner (`fmt.Sprintf("ALTER PUBLICATION %s OWNER TO %s", pubName, n)`).
const ID = '[A-Za-z_][A-Za-z0-9_$]{0,62}';
const TYPE = `${ID}(?:\\.${ID})?(?: ${ID}){0,2}(?:\\(\\s*\\d+(?:\\s*,\\s*\\d+)?\\s*\\))?(?:\\[\\])*`;
const SHAPES = {
  identifier: { re: new RegExp(`^${ID}$`), says: 'a plain identifier' },
  type: { re: new RegExp(`^${TYPE}$`), says: 'a type name (`int`, `text[]`, `numeric(10,2)`, `setof text`)' },
  signature: { re: new RegExp(`^${ID}(?:\\(\\s*(?:${TYPE}(?:\\s*,\\s*${TYPE})*)?\\s*\\))?$`), says: 'an identifier, or a function name with argument types `f(int, text)`' },
  database: { re: /^[A-Za-z0-9_][A-Za-z0-9_-]{0,62}$/, says: 'a database name of letters, digits, `_` and `-`' },
  host: { re: /^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$/, says: 'a host name' },
  mode: { re: /^(IN|OUT|INOUT|VARIADIC)$/i, says: 'IN, OUT, INOUT or VARIADIC' },
  default: { re: /^(-?\d+(\.\d+)?|'[^'\\]*'|true|false|null)$/i, says: "a number, true, false, null or a '…' literal without quotes or backslashes inside" },
  pattern: { re: /^[^'\\\0]*$/, says: 'text without `\'` or `\\`' },
  labelObject: {
    re: /^(TABLE|COLUMN|AGGREGATE|DATABASE|DOMAIN|EVENT TRIGGER|FOREIGN TABLE|FUNCTION|LARGE OBJECT|MATERIALIZED VIEW|PROCEDURE|PUBLICATION|ROLE|ROUTINE|SCHEMA|SEQUENCE|SUBSCRIPTION|TABLESPACE|TYPE|VIEW|LANGUAGE)$/i,
    says: 'a SECURITY LABEL object keyword (TABLE, COLUMN, ROLE, …)',
  },
} as const;
type Shape = keyof typeof SHAPES;

/** [attribute path, shape, where the provider pastes it] per type; `*` walks a list or block list. */
const RAW: Record<string, [string[], Shape, string][]> = {
  postgresql_database: [[['name'], 'database', 'terminateBConnections: datname = \'%s\' (destroy)']],
  postgresql_grant: [[['objects', '*'], 'signature', 'quoteIdentifyIdent: text after "(" appended raw']],
  postgresql_publication: [
    [['name'], 'identifier', 'CREATE PUBLICATION %s'], [['owner'], 'identifier', 'ALTER PUBLICATION %s OWNER TO %s'],
  ],
  postgresql_function: [
    [['returns'], 'type', 'createFunction: RETURNS %s'], [['language'], 'identifier', 'createFunction: LANGUAGE %s'],
    [['arg', '*', 'mode'], 'mode', 'createFunction: argument mode'], [['arg', '*', 'name'], 'identifier', 'createFunction: argument name'],
    [['arg', '*', 'type'], 'type', 'createFunction and to_regprocedure(\'%s\'): argument type'],
    [['arg', '*', 'default'], 'default', 'createFunction: DEFAULT %s'],
  ],
  postgresql_security_label: [[['object_type'], 'labelObject', 'SECURITY LABEL FOR … ON %s']],
};

/** Every string of a data source's arguments (patterns, schemas, table_types: all pasted inside '…'). */
function dataStrings(attrs: Readonly<Record<string, unknown>>): [unknown, (string | number)[]][] {
  const out: [unknown, (string | number)[]][] = [];
  const walk = (v: unknown, p: (string | number)[]) => {
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...p, i]));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...p, k]);
    else if (typeof v === 'string') out.push([v, p]);
  };
  for (const [k, v] of Object.entries(attrs)) if (!['//', 'provider', 'depends_on', 'database', 'count', 'for_each'].includes(k)) walk(v, [k]);
  return out;
}

export const rule: Rule = {
  id: 'TK038',
  name: 'postgres-unquoted-sql',
  severity: 'error',
  title: 'Values the PostgreSQL provider pastes into SQL or its connection URL unquoted have a plain shape',
  explanation:
    'The provider builds SQL with fmt.Sprintf and sends it without parameters (lib/pq simple query: several statements '
    + 'per call). A few values go in unquoted — grant `objects` after "(", function `returns`/`language`/args, publication '
    + '`name`/`owner`, security-label `object_type`, the database name on destroy, data-source patterns inside \'…\' '
    + '(at plan time) — and `database`/`host` go raw into the connection URL. A `;` there runs any SQL as the admin login '
    + '(`f() FROM "public"; COMMIT; GRANT erp_role TO …` is proven on PostgreSQL 15 and 18). An expression tierkit cannot '
    + 'resolve in such a value is refused the same way.',
  fix: 'Write the value as a plain identifier / type / name literal; anything else is not something tierkit lets the provider paste into SQL.',
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    const check = (item: PgItem | undefined, stackName: string, env: PgItem['stack']['env'], source: () => Source, value: unknown, shape: Shape, site: string, what: string) => {
      const ok = typeof value === 'number' ? shape !== 'labelObject' : typeof value === 'string' && !isUnresolved(value) && SHAPES[shape].re.test(value);
      if (ok) return;
      out.push({
        env, source: source(),
        message: `${item ? `${item.address} (stack ${stackName})` : `stack ${stackName}`}: ${what} ${show(value)} is pasted into ${site.startsWith('connection') ? 'the connection URL' : 'SQL'} unquoted (${site}) and is not ${SHAPES[shape].says}${isUnresolved(value) ? ' — an expression tierkit cannot resolve' : ''}`,
      });
    };
    for (const item of postgresView(g).items) {
      if (!item.modelled) continue;
      const a = item.attributes;
      if (a.dynamic !== undefined) {
        out.push({ env: item.stack.env, source: at(item, 'dynamic'),
          message: `${item.address} (stack ${item.stack.name}): a \`dynamic\` block generates nested blocks (arguments, policies) from expressions tierkit does not evaluate, so what the provider pastes into SQL cannot be checked` });
      }
      if ('database' in a) check(item, item.stack.name, item.stack.env, () => at(item, 'database'), a.database, 'database', 'connection URL path (config.go connStr)', 'database');
      for (const [path, shape, site] of RAW[item.type] ?? []) {
        for (const [v, p] of valuesAtPath(a, path)) check(item, item.stack.name, item.stack.env, () => at(item, ...p), v, shape, site, p.join('.'));
      }
      if (item.type === 'postgresql_function' && typeof a.body === 'string' && /\$function\$/i.test(a.body)) {
        out.push({ env: item.stack.env, source: at(item, 'body'),
          message: `${item.address} (stack ${item.stack.name}): body contains $function$, the dollar quote createFunction wraps it in (AS $function$%s$function$): the rest runs as SQL` });
      }
      if (item.kind === 'data') {
        for (const [v, p] of dataStrings(a)) check(item, item.stack.name, item.stack.env, () => at(item, ...p), v, 'pattern', 'data_source_helpers.go, at plan time', p.join('.'));
      }
    }
    for (const stack of g.stacks) {
      const raw = stack.json.provider?.postgresql;
      const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
      list.forEach((block: Record<string, unknown>, i: number) => {
        const base = Array.isArray(raw) ? `/provider/postgresql/${i}` : '/provider/postgresql';
        const src = (k: string) => (): Source => ({ file: stack.file, pointer: `${base}/${k}`, constructPath: stack.env?.constructPath ?? stack.manifest?.constructPath });
        if (block.host !== undefined) check(undefined, stack.name, stack.env, src('host'), block.host, 'host', 'connection URL host (config.go connStr)', 'provider host');
        if (block.database !== undefined) check(undefined, stack.name, stack.env, src('database'), block.database, 'database', 'connection URL path (config.go connStr)', 'provider database');
        if (block.username !== undefined && block.username !== '${var.pg_admin_username}') {
          check(undefined, stack.name, stack.env, src('username'), block.username, 'identifier', 'connection URL user (config.go connStr)', 'provider username');
        }
      });
    }
    return out;
  },
};
