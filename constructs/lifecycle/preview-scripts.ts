/**
 * The scripts of the preview Jobs (docs/previews.md): the PreSync Job creates a pull request's
 * database and group role, the PostDelete Job drops them. Both log in as the app's preview admin
 * (LOGIN CREATEDB CREATEROLE, PostgreSQL 16+), whose reach is what makes them harmless: from 16
 * on, CREATEROLE manages only the roles it created (or holds ADMIN OPTION on), and a database can
 * be dropped only by its owner's members. test/pg/previews.test.ts runs this exact text.
 *
 * Inputs, from the environment only:
 *   PGHOST PGPORT PGDATABASE [PGSSLMODE]  the server, and the preview home database (naming.previewHomeDatabaseName)
 *   TIERKIT_CREDENTIALS_FILE              rendered by the Vault agent: `export PGUSER=…`, `export PGPASSWORD=…`
 *   TIERKIT_PR_NUMBER                     the pull request's number (the generator's `{{.number}}`)
 *   TIERKIT_MAX_OPEN                      (create) how many previews of the app may exist at once
 */
import * as naming from '../naming';

/** Shell text of `name` for PR `$pr`: the naming functions called with a placeholder the shell expands. */
const shellName = (name: (pr: string) => string) => {
  const text = name('${pr}');
  // The names are DNS labels and SQL identifiers of the app: nothing here needs quoting but the expansion.
  if (!/^[a-z0-9_${}-]+$/.test(text)) throw new Error(`preview name template ${text} holds characters the shell would interpret`);
  return `"${text}"`;
};

function header(app: string): string {
  return `set -euo pipefail
export PGPASSFILE=/dev/null PGSERVICEFILE=/dev/null
# shellcheck disable=SC1090
. "$TIERKIT_CREDENTIALS_FILE"
: "\${PGUSER:?credentials file sets no PGUSER}" "\${PGPASSWORD:?credentials file sets no PGPASSWORD}"
pr="\${TIERKIT_PR_NUMBER:-}"
# The generator's number is digits; anything else never reaches SQL.
if ! [[ "$pr" =~ ^[1-9][0-9]{0,9}$ ]]; then echo "tierkit: TIERKIT_PR_NUMBER is not a pull request number: '$pr'" >&2; exit 2; fi
db=${shellName((pr) => naming.previewSlug(app, pr))}
group=${shellName((pr) => naming.previewGroupRoleName(app, pr))}
`;
}

/**
 * PreSync: under an advisory lock, refuse a preview beyond the cap; then create (idempotently)
 * the group role, the database it owns (from template0: nothing of template1 comes along), revoke
 * PUBLIC, grant the group CONNECT. The admin keeps ADMIN OPTION on the group (its creator's grant):
 * as the preview Vault connection's user it then mints that group's members, and nothing else's.
 */
export function previewCreateScript(app: string): string {
  const like = `${naming.previewSlug(app, '')}%`;
  return `${header(app)}max="\${TIERKIT_MAX_OPEN:?}"
if ! [[ "$max" =~ ^[1-9][0-9]{0,2}$ ]]; then echo "tierkit: TIERKIT_MAX_OPEN is not a count: '$max'" >&2; exit 2; fi
psql -X -q -v ON_ERROR_STOP=1 -v db="$db" -v group="$group" -v max="$max" -v pattern=${JSON.stringify(like)} <<'SQL'
-- The creator gets SET and INHERIT on what it creates (16+): it must own the database through the group.
SET createrole_self_grant = 'set, inherit';
SELECT pg_advisory_lock(hashtext(:'pattern'));
SELECT count(*) >= :max AS full FROM pg_database WHERE datname LIKE :'pattern' AND datname <> :'db' \\gset
\\if :full
\\warn 'tierkit: the app already has its maximum of open previews; close one (or remove its label) and sync again'
DO $$ BEGIN RAISE EXCEPTION 'preview cap reached'; END $$;
\\endif
SELECT format('CREATE ROLE %I NOLOGIN', :'group') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'group') \\gexec
SELECT format('CREATE DATABASE %I OWNER %I TEMPLATE template0', :'db', :'group') WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \\gexec
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'db') \\gexec
SELECT format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I', :'db', :'group') \\gexec
SQL
echo "tierkit: preview database $db ready"
`;
}

/**
 * PostDelete: end the preview's sessions, drop its database, its members (the Vault credentials
 * the preview connection — the admin — created) and its group. Ending another role's session needs
 * that role's privileges: the admin first grants itself each member (its ADMIN OPTION as their
 * creator lets it), never pg_signal_backend. A member it did not create cannot be granted: the
 * Job fails and says so. Idempotent: a second run finds nothing.
 */
export function previewDropScript(app: string): string {
  return `${header(app)}psql -X -q -v ON_ERROR_STOP=1 -v db="$db" -v group="$group" <<'SQL'
SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = :'group') AS has_group \\gset
\\if :has_group
SELECT format('GRANT %I TO CURRENT_USER WITH INHERIT TRUE, SET TRUE', m.rolname)
  FROM pg_auth_members a JOIN pg_roles g ON g.oid = a.roleid JOIN pg_roles m ON m.oid = a.member
 WHERE g.rolname = :'group' AND m.rolname <> CURRENT_USER
   AND NOT pg_has_role(CURRENT_USER, m.oid, 'USAGE') \\gexec
SELECT format('ALTER DATABASE %I WITH ALLOW_CONNECTIONS false', :'db') WHERE EXISTS (SELECT FROM pg_database WHERE datname = :'db') \\gexec
SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :'db' AND pid <> pg_backend_pid() \\g /dev/null
\\endif
SELECT format('DROP DATABASE IF EXISTS %I WITH (FORCE)', :'db') \\gexec
SELECT format('DROP ROLE %I', m.rolname)
  FROM pg_auth_members a JOIN pg_roles g ON g.oid = a.roleid JOIN pg_roles m ON m.oid = a.member
 WHERE g.rolname = :'group' AND m.rolname <> CURRENT_USER \\gexec
SELECT format('DROP ROLE IF EXISTS %I', :'group') \\gexec
SQL
echo "tierkit: preview database $db dropped"
`;
}
