import { at, isOwnDatabase, isUnresolved, show } from '../graph/postgres';
import { itemsOf, pgFinding } from './support/postgres-common';
import { Rule, RuleFinding } from './support/rule';

/**
 * Extensions that add data types, operators and functions running as the caller, nothing that
 * opens connections, reads files, runs programs or schedules jobs (dblink, postgres_fdw, file_fdw,
 * adminpack, untrusted languages, pg_cron, aws_s3… are left out on purpose).
 */
const HARMLESS_EXTENSIONS = new Set([
  'btree_gin', 'btree_gist', 'citext', 'cube', 'earthdistance', 'fuzzystrmatch', 'hstore', 'intarray', 'isn', 'ltree',
  'pg_trgm', 'pgcrypto', 'plpgsql', 'seg', 'tablefunc', 'tcn', 'tsm_system_rows', 'tsm_system_time', 'unaccent', 'uuid-ossp',
]);

export const rule: Rule = {
  id: 'TK035',
  name: 'postgres-extension-label',
  severity: 'error',
  title: "Extensions are harmless ones in the env's own database; security labels are not used",
  explanation:
    'CREATE EXTENSION IF NOT EXISTS adopts an existing extension and, for dblink / postgres_fdw, opens connections to any '
    + 'server (prod included) from SQL; file_fdw, adminpack and untrusted languages read files or run programs as the '
    + 'server\'s OS user; pg_cron runs jobs in other databases. Security labels (postgresql_security_label) change access '
    + 'only through a label provider (anon masking, sepgsql) whose rules tierkit does not model: an unmasked column is a leak '
    + 'no other rule would see.',
  fix: `Use only ${[...HARMLESS_EXTENSIONS].join(', ')}, in the env's own database; remove security labels (or mask in the seed profile).`,
  suppressible: true,
  evaluate(g) {
    const out: RuleFinding[] = [];
    for (const e of itemsOf(g, 'postgresql_extension')) {
      const name = e.attributes.name;
      if (typeof name !== 'string' || isUnresolved(name) || !HARMLESS_EXTENSIONS.has(name)) {
        out.push(pgFinding(g, e, at(e, 'name'), `extension ${show(name)} is not one tierkit knows to be harmless: it may open connections, read files or run programs`));
      }
      if (!isOwnDatabase(e.stack, e.attributes.database)) {
        out.push(pgFinding(g, e, at(e, 'database'), `database ${show(e.attributes.database)} is not the database of the stack's own env (unset means the provider's database)`));
      }
    }
    for (const l of itemsOf(g, 'postgresql_security_label')) {
      out.push(pgFinding(g, l, l.source,
        `security label ${show(l.attributes.label)} of provider ${show(l.attributes.label_provider)} on ${show(l.attributes.object_type)} ${show(l.attributes.object_name)}: label providers decide access (masking, MAC) and tierkit does not model them`));
    }
    return out;
  },
};
