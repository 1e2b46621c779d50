import { at, isOwnDatabase, maybeTrue, show } from '../graph/postgres';
import { itemsOf, pgFinding } from './support/postgres-common';
import { Rule, RuleFinding } from './support/rule';

/** Templates every server has and no env's data lives in (the provider's default is template0). */
const SYSTEM_TEMPLATES = new Set(['template0', 'template1', 'DEFAULT']);

export const rule: Rule = {
  id: 'TK037',
  name: 'postgres-database-attributes',
  severity: 'error',
  title: 'A database is cloned only from a system template or its own env, is no template, and never REASSIGNs ownership',
  explanation:
    '`template` copies another database\'s data at CREATE DATABASE (the provider login is the template\'s owner or a '
    + 'superuser). `is_template = true` lets any CREATEDB role clone it — prod included (permission denied without the '
    + 'flag). `alter_object_ownership = true` runs REASSIGN OWNED BY <old owner> TO <new owner> on an owner change, which '
    + 'also moves every other database the old owner owns, cluster-wide (resource_postgresql_database.go setAlterOwnership).',
  fix: 'Leave template unset (template0), is_template and alter_object_ownership false.',
  suppressible: true,
  evaluate(g) {
    const out: RuleFinding[] = [];
    for (const d of itemsOf(g, 'postgresql_database')) {
      const a = d.attributes;
      if (a.template !== undefined && !(typeof a.template === 'string' && SYSTEM_TEMPLATES.has(a.template)) && !isOwnDatabase(d.stack, a.template)) {
        out.push(pgFinding(g, d, at(d, 'template'), `template ${show(a.template)} is neither a system template nor the env's own database: its data is cloned here`));
      }
      if (maybeTrue(a.is_template)) {
        out.push(pgFinding(g, d, at(d, 'is_template'), `is_template = ${show(a.is_template)}: any role with CREATEDB on the server can clone this database, data included`));
      }
      if (maybeTrue(a.alter_object_ownership)) {
        out.push(pgFinding(g, d, at(d, 'alter_object_ownership'), `alter_object_ownership = ${show(a.alter_object_ownership)}: an owner change REASSIGNs everything the old owner owns, other envs' databases included`));
      }
    }
    return out;
  },
};
