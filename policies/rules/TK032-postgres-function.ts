import { at, isOwnDatabase, isUnresolved, maybeTrue, show } from '../graph/postgres';
import { itemsOf, pgFinding } from './support/postgres-common';
import { Rule, RuleFinding } from './support/rule';

/** Trusted procedural languages: they run as the calling (or owning) role, never as the server's OS user. */
const TRUSTED_LANGUAGES = new Set(['sql', 'plpgsql']);

export const rule: Rule = {
  id: 'TK032',
  name: 'postgres-function',
  severity: 'error',
  title: "A postgresql_function is SECURITY INVOKER, in a trusted language, in its own env's database",
  explanation:
    'postgresql_function has no owner attribute: the function is owned by the provider\'s login — the server admin, often a '
    + 'superuser (resource_postgresql_function.go createFunction). EXECUTE goes to PUBLIC by default, so a SECURITY DEFINER '
    + 'function lets any login that can connect — a sandbox\'s dynamic credential — run its body with the admin\'s rights, '
    + '`GRANT <prod group> TO <itself>` included (proven on PostgreSQL 15 and 18). An untrusted language (c, internal, '
    + 'plpython3u…) runs as the server\'s OS user; a function in another env\'s database runs there.',
  fix: "Set security_definer = false (or remove it), use language sql or plpgsql, and create the function in the env's own database.",
  suppressible: true,
  evaluate(g) {
    const out: RuleFinding[] = [];
    for (const f of itemsOf(g, 'postgresql_function')) {
      const a = f.attributes;
      if (maybeTrue(a.security_definer)) {
        out.push(pgFinding(g, f, at(f, 'security_definer'),
          `security_definer = ${show(a.security_definer)}: the function runs as its owner, the provider's admin login, and PUBLIC may EXECUTE it — any login that connects gains the admin's rights`,
          'set security_definer = false'));
      }
      const lang = a.language ?? 'plpgsql';
      if (typeof lang !== 'string' || isUnresolved(lang) || !TRUSTED_LANGUAGES.has(lang.toLowerCase())) {
        out.push(pgFinding(g, f, at(f, 'language'),
          `language ${show(a.language)} is not a trusted language (sql, plpgsql): untrusted languages run as the server's OS user`,
          'use language = "plpgsql" or "sql"'));
      }
      if (!isOwnDatabase(f.stack, a.database)) {
        out.push(pgFinding(g, f, at(f, 'database'),
          `database ${show(a.database)} is not the database of the stack's own env${f.stack.env ? ` ("${f.stack.env.names.database}")` : ''} (unset means the provider's database)`,
          f.stack.env ? `set database = "${f.stack.env.names.database}"` : undefined));
      }
    }
    return out;
  },
};
