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
 *   VAULT_ADDR, TIERKIT_VAULT_TOKEN_FILE  (Vault steps) Vault, and the agent's token sink (the Jobs' own login)
 */
import * as naming from '../naming';
import { creationStatements, revocationStatements } from '../statements';
import { LIFECYCLE_SHELL_FUNCTIONS } from './scripts';

/** Shell text of `name` for PR `$pr`: the naming functions called with a placeholder the shell expands. */
export const shellName = (name: (pr: string) => string) => {
  const text = name('${pr}');
  // The names are DNS labels and SQL identifiers of the app: nothing here needs quoting but the expansion.
  if (!/^[a-z0-9_${}-]+$/.test(text)) throw new Error(`preview name template ${text} holds characters the shell would interpret`);
  return `"${text}"`;
};

/** The shared functions' opening (strict mode, no pass or service file) and their verify-full CA write, split so every preview script writes the CA once. */
const SHELL_PRELUDE = 'set -euo pipefail\nexport PGPASSFILE=/dev/null PGSERVICEFILE=/dev/null\n';
const CA_WRITE = LIFECYCLE_SHELL_FUNCTIONS.slice(SHELL_PRELUDE.length, LIFECYCLE_SHELL_FUNCTIONS.indexOf('\nfi\n') + 4);
if (!LIFECYCLE_SHELL_FUNCTIONS.startsWith(SHELL_PRELUDE) || !/^# verify-full[^]*PGSSLROOTCERT[^]*\nfi\n$/.test(CA_WRITE)) {
  throw new Error('LIFECYCLE_SHELL_FUNCTIONS no longer opens with the prelude and the CA write the preview scripts reuse');
}
/** What every preview script opens with: strict mode, no pass or service file, the verify-full CA written. */
export const PREVIEW_SCRIPT_OPENING = `${SHELL_PRELUDE}${CA_WRITE}`;
const SHELL_FUNCTIONS_BODY = LIFECYCLE_SHELL_FUNCTIONS.slice(SHELL_PRELUDE.length + CA_WRITE.length);

/**
 * Every preview script's opening. It writes the verify-full server's CA (TIERKIT_PG_CA_BASE64, from
 * the Job's env) where PGSSLROOTCERT points before any psql runs: without the file libpq reads
 * ~/.postgresql/root.crt and a verify-full connection fails (the create, drain and drop steps did).
 */
function header(app: string): string {
  return `${SHELL_PRELUDE}${CA_WRITE}# shellcheck disable=SC1090
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
-- The orphan collector's marker (preview-collector.ts): a sync means the PR is live, so any orphan stamp is cleared.
SELECT format('COMMENT ON ROLE %I IS %L', :'group', '${PREVIEW_GROUP_MARKER}') \\gexec
SQL
echo "tierkit: preview database $db ready"
`;
}

/** End the preview's sessions and close its database to new ones (see `previewDropScript`). */
/**
 * How long the drain waits for each ended session to exit (PostgreSQL 14+, previews are 16+): without
 * it the signal is only sent, and the Vault step could drop a credential whose session still lives,
 * which then only a superuser can end (test/pg/previews.test.ts saw the race under load).
 */
const TERMINATE_WAIT_MS = 10000;

export const DRAIN_SQL = `SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = :'group') AS has_group \\gset
\\if :has_group
SELECT format('GRANT %I TO CURRENT_USER WITH INHERIT TRUE, SET TRUE', m.rolname)
  FROM pg_auth_members a JOIN pg_roles g ON g.oid = a.roleid JOIN pg_roles m ON m.oid = a.member
 WHERE g.rolname = :'group' AND m.rolname <> CURRENT_USER
   AND NOT pg_has_role(CURRENT_USER, m.oid, 'USAGE') \\gexec
SELECT format('ALTER DATABASE %I WITH ALLOW_CONNECTIONS false', :'db') WHERE EXISTS (SELECT FROM pg_database WHERE datname = :'db') \\gexec
SELECT pg_terminate_backend(pid, ${TERMINATE_WAIT_MS}) FROM pg_stat_activity WHERE datname = :'db' AND pid <> pg_backend_pid() \\g /dev/null
\\endif
`;

/**
 * What the create step writes on the PR's group role (COMMENT ON ROLE: only its creator, the preview
 * admin, can, test/pg/previews.test.ts); the orphan collector acts only on groups carrying it.
 */
export const PREVIEW_GROUP_MARKER = 'tierkit-preview';

/** What a retired preview role carries (COMMENT ON ROLE, only its creator can write it); the orphan collector drops such roles. */
export const PREVIEW_RETIRED_MARKER = 'tierkit-preview retired';

const AUTHID = `'pg_catalog.pg_authid'::pg_catalog.regclass`;
/**
 * Drop each role `roles` (a query yielding `rolname`) names, or retire it. Any PR's code owns objects
 * in its own database and may GRANT on them (or name in a policy, or in default privileges) to any role
 * of the server; PostgreSQL records that in the shared pg_shdepend, DROP ROLE then fails, and only a
 * session in that other database could revoke it — the admin never opens one in a PR's database
 * (see previewSeedScript). So a role held by such entries alone (deptype a, r, i: privileges, policies,
 * initial privileges; never ownership) is retired instead: no login, no password, no connection, its
 * memberships the admin granted revoked, marked, and renamed `<app>_retired_<oid>` so the PR's names
 * are free. The orphan collector drops it once those entries are gone (the other PR's database dropped).
 * A role held by anything else is dropped all the same, and the statement fails: nothing is guessed.
 */
export function roleRemoveSql(app: string, roles: string): string {
  const prefix = naming.previewRetiredRolePrefix(app);
  if (!/^[a-z0-9_]+$/.test(prefix)) throw new Error(`retired role prefix ${prefix} holds characters SQL would interpret`);
  // Decided after DROP ROLE fails, not before: a PR granting and revoking in a loop cannot race a prior check.
  // psql expands no variable inside the DO body: the names reach it through a session setting.
  return `SELECT pg_catalog.set_config('tierkit.roles', ARRAY(SELECT x.rolname::pg_catalog.text FROM pg_catalog.pg_roles x
   WHERE x.rolname IN (${roles}) AND x.rolname <> CURRENT_USER ORDER BY x.rolname)::pg_catalog.text, false) \\g /dev/null
DO $$ DECLARE n pg_catalog.text; o pg_catalog.oid; s pg_catalog.text; BEGIN
  FOREACH n IN ARRAY pg_catalog.current_setting('tierkit.roles')::pg_catalog.text[] LOOP
    BEGIN
      EXECUTE pg_catalog.format('DROP ROLE %I', n);
    EXCEPTION WHEN dependent_objects_still_exist THEN
      SELECT x.oid INTO STRICT o FROM pg_catalog.pg_roles x WHERE x.rolname = n;
      IF EXISTS (SELECT FROM pg_catalog.pg_shdepend d WHERE d.refclassid = ${AUTHID} AND d.refobjid = o AND d.deptype NOT IN ('a', 'r', 'i')) THEN RAISE; END IF;
      EXECUTE pg_catalog.format('ALTER ROLE %I NOLOGIN NOINHERIT CONNECTION LIMIT 0 PASSWORD NULL', n);
      FOR s IN SELECT pg_catalog.format('REVOKE %I FROM %I', g.rolname, n)
          FROM pg_catalog.pg_auth_members a JOIN pg_catalog.pg_roles g ON g.oid = a.roleid JOIN pg_catalog.pg_roles me ON me.oid = a.grantor
         WHERE a.member = o AND me.rolname = CURRENT_USER
        UNION ALL SELECT pg_catalog.format('REVOKE %I FROM %I', n, m.rolname)
          FROM pg_catalog.pg_auth_members a JOIN pg_catalog.pg_roles m ON m.oid = a.member JOIN pg_catalog.pg_roles me ON me.oid = a.grantor
         WHERE a.roleid = o AND me.rolname = CURRENT_USER AND m.rolname <> CURRENT_USER LOOP
        EXECUTE s;
      END LOOP;
      EXECUTE pg_catalog.format('COMMENT ON ROLE %I IS %L', n, '${PREVIEW_RETIRED_MARKER}');
      EXECUTE pg_catalog.format('ALTER ROLE %I RENAME TO %I', n, '${prefix}' || o::pg_catalog.text);
      RAISE NOTICE 'tierkit: role % is held only by grants in another database: retired as ${prefix}%', n, o;
    END;
  END LOOP;
END $$;
`;
}

/** After its database is dropped: drop (or retire, roleRemoveSql) the PR's group's members, then the group. The PostDelete drop and the collector run it. */
export function previewRolesDropSql(app: string): string {
  const members = `SELECT m.rolname FROM pg_catalog.pg_auth_members a JOIN pg_catalog.pg_roles g ON g.oid = a.roleid JOIN pg_catalog.pg_roles m ON m.oid = a.member
   WHERE g.rolname = :'group'`;
  return `${roleRemoveSql(app, members)}${roleRemoveSql(app, ":'group'")}`;
}

/** What the seed step leaves on a seeded preview database (`COMMENT ON DATABASE`), followed by the content hash. */
export const PREVIEW_SEED_MARKER = 'tierkit-seed';

/** How long the seed step's throwaway login may log in: its restore and its hash each open one session. */
const SEED_LOGIN_VALID_MINUTES = 10;

/**
 * The seed step's SQL, run from the home database as the preview admin (never inside the PR's database).
 * SEED_RECREATE_SQL: drain the database as PostDelete does, drop it and create it again as the create
 * step does (from template0, owned by the group, PUBLIC revoked, the group's CONNECT), under the create
 * step's lock. seedLoginSql: the throwaway login — no attribute, a member of the group alone, a
 * random password read from the environment (`\getenv`: never on a command line), valid for minutes;
 * the admin takes INHERIT on it (createrole_self_grant) only so it may end its sessions before dropping it.
 * seedLoginDropSql: end its sessions and drop it, or retire it (roleRemoveSql) when another PR's code pinned it.
 */
const SEED_RECREATE_SQL = `SELECT pg_catalog.pg_advisory_lock(pg_catalog.hashtext(:'pattern'));
${DRAIN_SQL}SELECT pg_catalog.format('DROP DATABASE IF EXISTS %I WITH (FORCE)', :'db') \\gexec
SELECT pg_catalog.format('CREATE DATABASE %I OWNER %I TEMPLATE template0', :'db', :'group') \\gexec
SELECT pg_catalog.format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'db') \\gexec
SELECT pg_catalog.format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I', :'db', :'group') \\gexec
`;
const seedLoginDropSql = (app: string) => `SELECT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = :'seeder') AS has_seeder \\gset
\\if :has_seeder
SELECT pg_catalog.pg_terminate_backend(a.pid, ${TERMINATE_WAIT_MS}) FROM pg_catalog.pg_stat_activity a WHERE a.usename = :'seeder' \\g /dev/null
${roleRemoveSql(app, ":'seeder'")}\\endif
`;
const seedLoginSql = (app: string) => `${seedLoginDropSql(app)}SET createrole_self_grant = 'inherit';
\\getenv pw TIERKIT_SEED_LOGIN_PASSWORD
SELECT pg_catalog.format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 2 PASSWORD %L VALID UNTIL %L IN ROLE %I',
  :'seeder', :'pw', pg_catalog.to_char(pg_catalog.timezone('UTC', pg_catalog.now()) + pg_catalog.make_interval(mins => ${SEED_LOGIN_VALID_MINUTES}), 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), :'group') \\gexec
`;

/**
 * PreSync, after `create-database` and before the Vault role exists: restore the app's synthetic seed
 * into the PR's database, once. Inputs beyond the header's: TIERKIT_DUMP_FILE (the seed volume,
 * read-only), TIERKIT_SEED_HASH_FILE (rendered by the Vault agent from the seed's KV secret, which
 * only its producer writes), TIERKIT_OBJECT_PREFIX. The dump is checked against the published file
 * hash before pg_restore reads it. The marker is read and written from the home database
 * (pg_database is shared); a seeded database is left alone on later syncs.
 *
 * The PR's code owns its database, so whatever runs there may have been planted by it, and code can
 * always `SET ROLE NONE` back to its session user (attack15: PGOPTIONS' `role=` only sets the first
 * role). So the preview admin (CREATEDB CREATEROLE, ADMIN on every PR's roles) never opens a session
 * in it: the restore and the hash log in as a throwaway login that is a member of the PR's group alone
 * (seedLoginSql), dropped at the end, on failure too (trap). The hash runs with `row_security=off`:
 * a policy (the one thing a read of a table runs) makes it fail instead of run. An unseeded database is
 * drained, dropped and created empty first, so the restore never lands among the PR's earlier objects
 * or database settings. A content hash other than the seed's drops the database whole (the next sync
 * starts again), so an unverified preview never gets its Vault role.
 */
export function previewSeedScript(app: string): string {
  const like = `${naming.previewSlug(app, '')}%`;
  return `${header(app)}${SHELL_FUNCTIONS_BODY}: "\${TIERKIT_DUMP_FILE:?}" "\${TIERKIT_SEED_HASH_FILE:?}" "\${TIERKIT_OBJECT_PREFIX:?}"
seeder=${shellName((pr) => naming.previewSeedLoginName(app, pr))}
marker="$(psql -X -q -A -t -v ON_ERROR_STOP=1 -v db="$db" <<'SQL'
SELECT COALESCE(pg_catalog.shobj_description(d.oid, 'pg_database'), '') FROM pg_catalog.pg_database d WHERE d.datname = :'db';
SQL
)"
if [[ "$marker" == "${PREVIEW_SEED_MARKER} "* ]]; then echo "tierkit: preview database $db already seeded ($marker)"; exit 0; fi
seed_file_sha256="$(sed -n 's/^file_sha256=\\([0-9a-f]\\{64\\}\\)$/\\1/p' "$TIERKIT_SEED_HASH_FILE")"
seed_content_sha256="$(sed -n 's/^content_sha256=\\([0-9a-f]\\{64\\}\\)$/\\1/p' "$TIERKIT_SEED_HASH_FILE")"
if [[ -z "$seed_file_sha256" || -z "$seed_content_sha256" ]]; then
  echo "tierkit: seed refused: the seed's published hashes are missing or malformed ($TIERKIT_SEED_HASH_FILE)" >&2; exit 6
fi
# Verify the dump before pg_restore reads it: the archive's SQL runs in the PR's database.
file_actual="$(sha256sum "$TIERKIT_DUMP_FILE" | cut -d' ' -f1)"
if [[ "$file_actual" != "$seed_file_sha256" ]]; then
  echo "tierkit: seed refused: $TIERKIT_DUMP_FILE has sha256 $file_actual, the seed's producer published $seed_file_sha256; nothing was restored" >&2; exit 6
fi
tk_admin_sql() { psql -X -q -v ON_ERROR_STOP=1 -v db="$db" -v group="$group" -v seeder="$seeder" -v pattern=${JSON.stringify(like)}; }
# An unseeded database may hold what the PR's code left there: start from an empty one.
tk_admin_sql <<'SQL'
${SEED_RECREATE_SQL}SQL
# The throwaway login's password: random, only in this process's environment.
TIERKIT_SEED_LOGIN_PASSWORD="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \\n')"
export TIERKIT_SEED_LOGIN_PASSWORD
# If it cannot be dropped (the PR's code made it own something), its database goes too: nothing outlives the step.
tk_drop_seeder() {
  tk_admin_sql <<'SQL' && return 0
${seedLoginDropSql(app)}SQL
  tk_admin_sql <<'SQL'
${DRAIN_SQL}SELECT pg_catalog.format('DROP DATABASE IF EXISTS %I WITH (FORCE)', :'db') \\gexec
${seedLoginDropSql(app)}SQL
  echo "tierkit: the seed login $seeder could not be dropped alone; $db was dropped with it" >&2; return 5
}
trap 'tk_drop_seeder || true' EXIT
tk_admin_sql <<'SQL'
${seedLoginSql(app)}SQL
# A failed restore (one transaction) leaves the database as it was, and fails the assignment.
actual="$(
  export PGUSER="$seeder" PGPASSWORD="$TIERKIT_SEED_LOGIN_PASSWORD" PGDATABASE="$db"
  export PGOPTIONS="-c role=$group -c search_path=pg_catalog,pg_temp -c row_security=off"
  pg_restore --no-owner --no-acl --role="$group" --exit-on-error --single-transaction --dbname="$db" "$TIERKIT_DUMP_FILE" >&2 && tk_content_hash ""
)" || actual=""
trap - EXIT
tk_drop_seeder
if [[ "$actual" != "$seed_content_sha256" ]]; then
  # Drained first, as PostDelete does: the PR's credentials may hold sessions only their creator's grant can end.
  tk_admin_sql <<'SQL'
${DRAIN_SQL}SELECT pg_catalog.format('DROP DATABASE IF EXISTS %I WITH (FORCE)', :'db') \\gexec
SQL
  echo "tierkit: seed verification failed: $db has content sha256 \${actual:-(none: the restore or the hash failed)}, the seed $seed_content_sha256; the database was dropped" >&2; exit 5
fi
psql -X -q -v ON_ERROR_STOP=1 -v db="$db" -v marker="${PREVIEW_SEED_MARKER} content_sha256=$actual" <<'SQL'
SELECT format('COMMENT ON DATABASE %I IS %L', :'db', :'marker') \\gexec
SQL
echo "tierkit: preview database $db seeded (content sha256 $actual)"
`;
}

/**
 * PostDelete, first step: end the preview's sessions while their roles still exist. Ending another
 * role's session needs that role's privileges: the admin first grants itself each member of the
 * PR's group (its ADMIN OPTION as their creator — it is the preview connection's user — allows
 * it), never pg_signal_backend; a member it did not create cannot be granted and the Job fails.
 * Once Vault has dropped a credential (lease revocation), its open session can no longer be ended
 * by anyone but a superuser: so this runs before the Vault step.
 */
export function previewDrainScript(app: string): string {
  return `${header(app)}psql -X -q -v ON_ERROR_STOP=1 -v db="$db" -v group="$group" <<'SQL'
${DRAIN_SQL}SQL
echo "tierkit: preview database $db drained"
`;
}

/**
 * PostDelete, last step (after the drain and the Vault step): drain again (idempotent), drop the
 * database, what is left of its members and its group (retired instead when another PR's grant pins
 * one, previewRolesDropSql). Alone it is also the orphan collector's step (docs/previews.md). A second
 * run finds nothing and succeeds.
 */
export function previewDropScript(app: string): string {
  return `${header(app)}psql -X -q -v ON_ERROR_STOP=1 -v db="$db" -v group="$group" <<'SQL'
${DRAIN_SQL}SELECT format('DROP DATABASE IF EXISTS %I WITH (FORCE)', :'db') \\gexec
${previewRolesDropSql(app)}SQL
echo "tierkit: preview database $db dropped"
`;
}

/** The Vault role a preview's credentials come from, as the PreSync Job writes it (its `PRNUMBER` placeholder expanded by the script). */
export interface PreviewVaultRole {
  readonly db_name: string;
  readonly creation_statements: readonly string[];
  readonly revocation_statements: readonly string[];
  readonly default_ttl: number;
  readonly max_ttl: number;
}

/** Uppercase: no app name (a DNS label) holds it, so it is only ever the placeholder. */
const PR_PLACEHOLDER = 'PRNUMBER';

export function previewVaultRoleBody(app: string, ttl: { readonly defaultSeconds: number; readonly maxSeconds: number }, pr = PR_PLACEHOLDER): PreviewVaultRole {
  const c = naming.previewCoordinate(app, pr);
  return {
    db_name: naming.previewConnectionName(app), creation_statements: creationStatements(c), revocation_statements: revocationStatements(c),
    default_ttl: ttl.defaultSeconds, max_ttl: ttl.maxSeconds,
  };
}

function vaultHeader(app: string): string {
  return `#!/bin/sh
set -eu
: "\${VAULT_ADDR:?}" "\${TIERKIT_VAULT_TOKEN_FILE:?}"
pr="\${TIERKIT_PR_NUMBER:-}"
case "$pr" in ''|0*|*[!0-9]*) echo "tierkit: TIERKIT_PR_NUMBER is not a pull request number: '$pr'" >&2; exit 2 ;; esac
if [ "\${#pr}" -gt 10 ]; then echo "tierkit: TIERKIT_PR_NUMBER is not a pull request number: '$pr'" >&2; exit 2; fi
role=${shellName((pr) => naming.previewSlug(app, pr))}
umask 077
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# The token goes in a header file, not on curl's command line (visible in /proc).
printf 'X-Vault-Token: %s\\n' "$(cat "$TIERKIT_VAULT_TOKEN_FILE")" > "$tmp/header"
tk_vault() { # method path [body-file]: fails on anything but 200/204
  status="$(curl -sS -o "$tmp/response" -w '%{http_code}' -X "$1" -H @"$tmp/header" -H 'X-Vault-Request: true' \\
    \${3:+--data-binary @"$3"} "\${VAULT_ADDR%/}/v1/$2")" || status=000
  if [ "$status" != 204 ] && [ "$status" != 200 ]; then
    echo "tierkit: $1 $2 failed: HTTP $status from Vault: $(cat "$tmp/response" 2>/dev/null || true)" >&2
    exit 5
  fi
}
`;
}

/**
 * PreSync, Vault step (curl image, POSIX sh; after the SQL step): write the PR's Vault role
 * `<app>-pr-<n>` on the preview connection — an env's creation statements for coordinate
 * `<app>`/`pr-<n>`, so its credentials join that PR's group only.
 */
export function previewVaultCreateScript(app: string, mount: string, ttl: { readonly defaultSeconds: number; readonly maxSeconds: number }): string {
  const body = JSON.stringify(previewVaultRoleBody(app, ttl));
  // A quoted here-document: the body is literal text (its statements' quotes included); only the placeholder is replaced, by digits.
  return `${vaultHeader(app)}sed "s/${PR_PLACEHOLDER}/$pr/g" > "$tmp/body" <<'TIERKIT_VAULT_ROLE'
${body}
TIERKIT_VAULT_ROLE
tk_vault POST "${mount}/roles/$role" "$tmp/body"
echo "tierkit: Vault role ${mount}/roles/$role written"
`;
}

/**
 * PostDelete, Vault step (after the drain, before the drop): revoke every lease of the PR's role (Vault runs its
 * revocation statements as the preview admin), then delete the role. revoke-prefix takes the
 * prefix with a trailing slash, or it would also revoke `<app>-pr-<n>0…`.
 */
export function previewVaultDropScript(app: string, mount: string): string {
  return `${vaultHeader(app)}tk_vault PUT "sys/leases/revoke-prefix/${mount}/creds/$role/"
tk_vault DELETE "${mount}/roles/$role"
echo "tierkit: Vault role ${mount}/roles/$role and its leases removed"
`;
}

/**
 * The preview workload's Vault agent template: the namespace comes from the agent's own token
 * (`auth/token/lookup-self`, allowed by Vault's default policy; the Kubernetes auth method copies
 * `service_account_namespace` into the token's metadata, vault-plugin-auth-kubernetes path_login.go),
 * so one manifest serves every PR and the path it reads is exactly the one its policy allows.
 */
export function previewWorkloadCredsAgentTemplate(databaseMount: string): string {
  return '{{- with secret "auth/token/lookup-self" -}}\n'
    + `{{- with secret (printf "${databaseMount}/creds/%s" .Data.meta.service_account_namespace) -}}\n`
    + "export PGUSER='{{ .Data.username }}'\nexport PGPASSWORD='{{ .Data.password }}'\n"
    + '{{- end }}\n{{- end }}\n';
}
