/**
 * The fast template reset (issue 19; the decision record's `DROP/CREATE DATABASE … TEMPLATE`
 * escape hatch for scale): the scripts' text, the one place it exists. test/pg/template-reset.test.ts
 * runs this exact text against real PostgreSQL 15 and 18.
 *
 * The roles (docs/design.md, isolation layers 1 and 3):
 *   - `<env>_template` (naming.templateResetRoleName): NOLOGIN CREATEDB, a member of the env's group
 *     (so it may drop the sandbox's database and create the clone OWNER the group) and the owner of
 *     the golden template database `<env>_golden` (naming.goldenTemplateDatabaseName). Nothing else.
 *   - the Job logs in with a short-lived login that is IN ROLE `<env>_template` and holds no
 *     attribute of its own: CREATEDB is never inherited, so every statement below runs after
 *     `SET ROLE <env>_template`. A NOLOGIN group with issued logins keeps no standing password.
 *
 * Why the golden is connectable only during a reset: CREATE DATABASE … TEMPLATE refuses a source
 * with other sessions, except the creating session itself (PostgreSQL's createdb: "exception is to
 * allow CREATE DB while connected to template1"). The role owns no third database to work from and
 * has no CONNECT on the server's maintenance databases, so the reset opens the golden to its owner
 * (ALLOW_CONNECTIONS true; PUBLIC holds nothing on it), clones from a session inside it, and closes
 * it again from the new clone. The golden keeps `datistemplate` false: a template database may be
 * cloned by any CREATEDB role of the server (a preview admin), a non-template one only by its owner.
 *
 * Inputs, from the environment only (besides LIFECYCLE_SHELL_FUNCTIONS' PGHOST, PGPORT, credentials):
 *   TIERKIT_TEMPLATE_ROLE        the env's template role
 *   TIERKIT_GROUP_ROLE           the env's group role: owner of the sandbox database and its objects
 *   TIERKIT_DATABASE             the sandbox's database
 *   TIERKIT_GOLDEN_DATABASE      its golden template database
 *   TIERKIT_VAULT_CONNECTION_ROLE the env's Vault connection user (on 16+: ADMIN OPTION alone on the template role)
 *   TIERKIT_CONNECT_ROLES        (reset) the roles the apply grants CONNECT on the database, space-separated
 *   TIERKIT_CONNECTION_LIMIT     (reset) the database's connection limit as applied (-1: none)
 *   TIERKIT_OBJECT_PREFIX        the app's object prefix: what is hashed
 *   TIERKIT_SEED_HASH_FILE       the seed's published hashes (as for the restore reset)
 *   TIERKIT_DUMP_FILE            the seed dump (the reset loads a stale golden from it)
 *   TIERKIT_DRAIN_TIMEOUT_SECONDS (reset) how long to wait for every other session to end
 */
import { LIFECYCLE_SHELL_FUNCTIONS } from './scripts';

/**
 * Parse the seed's published hashes; pin every session's search_path; define tk_sql (a session in the
 * golden, as the template role), tk_golden_gate (the only statements the Job sends to the sandbox's
 * database) and tk_golden_checks (the login's attributes and the golden's catalog rows, read from
 * inside the golden).
 *
 * Why no query runs in the sandbox's database: the group owns it, so the app's credential may set its
 * search_path (ALTER DATABASE … SET) and create objects there; a query naming `pg_database` or
 * `format` would run the app's view or function as the template role (attack11). The golden is
 * closed to connections between runs, and the role has no CONNECT on the maintenance databases (TK041;
 * a shared database for every sandbox's CREATEDB role), so the one way in is to open the golden from the
 * sandbox's database: that session sends only REVOKE … FROM PUBLIC and ALTER DATABASE … ALLOW_CONNECTIONS,
 * utility statements on a shared object that evaluate no expression and resolve no name but the
 * golden's (no event trigger fires on a database). Everything else runs inside the golden, which only
 * the template role's members reach. PGOPTIONS is a client option: it outranks a database's own
 * settings, so `search_path=pg_catalog,pg_temp` holds in every session (and a read-only default cannot
 * keep the gate from closing the golden); catalog names are qualified too.
 */
const TEMPLATE_COMMON = `tk_load_credentials
GOLDEN_MARKER='tierkit golden content_sha256='
: "\${TIERKIT_TEMPLATE_ROLE:?}" "\${TIERKIT_GROUP_ROLE:?}" "\${TIERKIT_DATABASE:?}" "\${TIERKIT_GOLDEN_DATABASE:?}" "\${TIERKIT_SEED_HASH_FILE:?}" "\${TIERKIT_VAULT_CONNECTION_ROLE:?}"
seed_file_sha256="$(sed -n 's/^file_sha256=\\([0-9a-f]\\{64\\}\\)$/\\1/p' "$TIERKIT_SEED_HASH_FILE")"
seed_content_sha256="$(sed -n 's/^content_sha256=\\([0-9a-f]\\{64\\}\\)$/\\1/p' "$TIERKIT_SEED_HASH_FILE")"
if [[ -z "$seed_file_sha256" || -z "$seed_content_sha256" ]]; then
  echo "template reset refused: the seed's published hashes are missing or malformed ($TIERKIT_SEED_HASH_FILE)" >&2; exit 6
fi
export PGOPTIONS='-c search_path=pg_catalog,pg_temp -c default_transaction_read_only=off'
# Every session: the template role's privileges only (SET ROLE), the names as psql variables.
tk_sql() {
  local database="$1"; shift
  { printf '%s\\n' 'SET ROLE :"template";'; cat; } | psql -X -q -A -t -v ON_ERROR_STOP=1 --dbname="$database" \\
    -v template="$TIERKIT_TEMPLATE_ROLE" -v group="$TIERKIT_GROUP_ROLE" -v db="$TIERKIT_DATABASE" -v golden="$TIERKIT_GOLDEN_DATABASE" "$@"
}
# Open (true) or close (false) the golden, from the sandbox's database: two utility statements, nothing
# read. PUBLIC's default CONNECT goes before any opening (the apply cannot revoke it: the provider grants
# from inside the database, which is closed). A sandbox database that is gone (a failed reset) is skipped.
tk_golden_gate() {
  local revoke='' rc=0
  [[ "$1" == true ]] && revoke='REVOKE ALL ON DATABASE :"golden" FROM PUBLIC;'
  printf 'SET ROLE :"template";\\n%s\\nALTER DATABASE :"golden" WITH ALLOW_CONNECTIONS %s;\\n' "$revoke" "$1" \\
    | psql -X -q -A -t -v ON_ERROR_STOP=1 --dbname="$TIERKIT_DATABASE" -v template="$TIERKIT_TEMPLATE_ROLE" -v golden="$TIERKIT_GOLDEN_DATABASE" || rc=$?
  if (( rc == 2 )); then echo "note: $TIERKIT_DATABASE is unreachable; the golden is used as a previous run left it" >&2; return 0; fi
  return "$rc"
}
tk_golden_gate true
trap 'tk_golden_gate false || true' EXIT
# Inside the golden: the login must be a plain member of the template role (a superuser, or CREATEDB /
# CREATEROLE on the login itself, is a credential this Job was never meant to hold), and the golden what
# the apply and the load made it: owned by the template role, no template, no per-database setting, no
# one but its owner holding a privilege. A refused golden loses its marker: whatever reached it may not be
# cloned before a load re-verifies it.
attrs="$(tk_sql "$TIERKIT_GOLDEN_DATABASE" <<'SQL'
SELECT r.rolsuper::pg_catalog.text || ' ' || r.rolcreatedb::pg_catalog.text || ' ' || r.rolcreaterole::pg_catalog.text FROM pg_catalog.pg_roles r WHERE r.rolname = session_user;
SQL
)" || { echo "template reset refused: no session in $TIERKIT_GOLDEN_DATABASE (it is closed, and the gate in $TIERKIT_DATABASE did not open it)" >&2; exit 7; }
if [[ "$attrs" != "false false false" ]]; then
  echo "template reset refused: $PGUSER has SUPERUSER, CREATEDB or CREATEROLE ($attrs); it must be a plain login of $TIERKIT_TEMPLATE_ROLE" >&2
  exit 3
fi
# On 16+ Vault's connection user holds the template role WITH ADMIN OPTION only (to issue the login):
# inherited, it would own the golden (open it, write it, set its marker); settable, it could become a
# CREATEDB role. The provider cannot write those options (contract/template-reset-login.ts): the
# operator narrows the grant once, and a grant that is wide again (replaced) stops the Job here.
wide="$(tk_sql "$TIERKIT_GOLDEN_DATABASE" -v conn="$TIERKIT_VAULT_CONNECTION_ROLE" <<'SQL'
SELECT pg_catalog.current_setting('server_version_num')::pg_catalog.int4 >= 160000 AS narrowable \\gset
\\if :narrowable
SELECT EXISTS (SELECT FROM pg_catalog.pg_auth_members m WHERE m.roleid = (SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = :'template')
                 AND m.member = (SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = :'conn') AND (m.inherit_option OR m.set_option));
\\else
SELECT false;
\\endif
SQL
)" || exit 7
if [[ "$wide" != "f" ]]; then
  echo "template reset refused: $TIERKIT_VAULT_CONNECTION_ROLE inherits or may SET ROLE to $TIERKIT_TEMPLATE_ROLE (it needs ADMIN OPTION alone); run once, as the stack's provider login: GRANT \"$TIERKIT_TEMPLATE_ROLE\" TO \"$TIERKIT_VAULT_CONNECTION_ROLE\" WITH ADMIN OPTION, INHERIT FALSE, SET FALSE" >&2
  exit 8
fi
tk_sql "$TIERKIT_GOLDEN_DATABASE" <<'SQL' || exit 7
SELECT NOT EXISTS (SELECT FROM pg_catalog.pg_database d WHERE d.datname = :'golden'
                     AND d.datdba = (SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = :'template')
                     AND NOT d.datistemplate AND d.datacl IS NOT NULL
                     AND NOT EXISTS (SELECT FROM pg_catalog.aclexplode(d.datacl) x WHERE x.grantee <> d.datdba)
                     AND NOT EXISTS (SELECT FROM pg_catalog.pg_db_role_setting s WHERE s.setdatabase = d.oid)) AS bad_golden \\gset
\\if :bad_golden
SELECT pg_catalog.format('COMMENT ON DATABASE %I IS NULL', :'golden') \\gexec
\\warn 'template reset refused: the golden is missing, a template, not owned by the template role, shared with another role or given settings; its marker is cleared (run the golden load)'
DO $$ BEGIN RAISE EXCEPTION 'golden refused'; END $$;
\\endif
SQL
`;

/**
 * The golden load, as a shell function both scripts call (after TEMPLATE_COMMON): verify the dump
 * against the seed's published file hash, empty the golden of the group's objects, restore the dump as
 * the group (so the clone's objects are the group's, as the restore reset's are), verify the content
 * hash, leave it on the golden as its marker for the resets. The marker is cleared first: a failed or
 * interrupted load leaves a golden no reset clones.
 */
const GOLDEN_LOAD_FUNCTION = `tk_golden_load() {
file_actual="$(sha256sum "$TIERKIT_DUMP_FILE" | cut -d' ' -f1)"
if [[ "$file_actual" != "$seed_file_sha256" ]]; then
  echo "golden load refused: $TIERKIT_DUMP_FILE has sha256 $file_actual, the seed's producer published $seed_file_sha256" >&2; exit 6
fi
# The golden's public schema is its owner's (pg_database_owner): the group may create in it for the
# restore only, so the clone's schema ACL is the one a fresh database has.
tk_sql "$TIERKIT_GOLDEN_DATABASE" <<'SQL'
SELECT pg_catalog.format('COMMENT ON DATABASE %I IS NULL', :'golden') \\gexec
DROP OWNED BY :"group" CASCADE;
GRANT CREATE ON SCHEMA public TO :"group";
SQL
pg_restore --no-owner --no-acl --role="$TIERKIT_GROUP_ROLE" --exit-on-error --single-transaction --dbname="$TIERKIT_GOLDEN_DATABASE" "$TIERKIT_DUMP_FILE"
tk_sql "$TIERKIT_GOLDEN_DATABASE" <<'SQL'
REVOKE CREATE ON SCHEMA public FROM :"group";
SQL
# The hash resolves names as the producer's session did (its default search_path: public after the
# implicit pg_catalog), so format_type names the seed's own types alike; the golden is closed to all but
# its owner's members and holds only what the dump, verified above, restored.
actual="$(PGDATABASE="$TIERKIT_GOLDEN_DATABASE" PGOPTIONS='-c search_path=public' tk_content_hash)"
if [[ "$actual" != "$seed_content_sha256" ]]; then
  echo "golden load verification failed: content sha256 $actual, seed $seed_content_sha256" >&2; exit 5
fi
# Hashed once, here: every reset compares this marker with the seed's hash instead of hashing its clone.
tk_sql "$TIERKIT_GOLDEN_DATABASE" -v marker="$GOLDEN_MARKER$actual" <<'SQL'
SELECT pg_catalog.format('COMMENT ON DATABASE %I IS %L', :'golden', :'marker') \\gexec
SQL
}
`;

/**
 * The reset: drain the database (no session may remain: DROP DATABASE needs none, and the role
 * ends no one's session — no pg_signal_backend, no FORCE), drop it, clone the golden OWNER the
 * group with the applied connection limit and closed to connections, re-apply what a clone loses
 * (the PUBLIC revoke and the declared CONNECT grants, each as the provider's postgresql_grant issues
 * it: REVOKE ALL from the role, then GRANT — docs/provider-sql.md — so the owner group keeps CONNECT only; the apply sets no per-database settings, and
 * a dropped database's settings go with it), open it and close the golden.
 *
 * The content hash is computed once, by the golden load, which leaves it on the golden as its
 * comment (`tierkit golden content_sha256=<hex>`) only after it equals the seed's published one, and
 * clears it before it changes anything. A golden whose marker is not the seed's hash (the producer
 * published a new seed, a load failed, a golden was refused) is loaded by the reset itself before it
 * drops anything — the seed's hash is the trigger — and refused if it still differs. It does not
 * hash its clone: CREATE DATABASE … TEMPLATE copies the
 * golden's files, and the golden is written only by sessions of its owner's members (its ACL is
 * checked to be the owner's alone and it is closed to connections between runs: TEMPLATE_COMMON),
 * i.e. this Job's login or a superuser (the env's Vault connection user holds ADMIN OPTION alone on 16+;
 * on 15 its CREATEROLE can make it a member: contract/template-reset-login.ts). (Measured in
 * BENCHMARKS.md: the hash was most of a reset.)
 */
export const TEMPLATE_RESET_SCRIPT = `#!/usr/bin/env bash
# tierkit template reset: check the golden's hash marker (load a stale golden), DROP DATABASE, CREATE DATABASE ... TEMPLATE <golden> OWNER <group>, re-apply its ACL and limit.
${LIFECYCLE_SHELL_FUNCTIONS}
: "\${TIERKIT_CONNECT_ROLES:?}" "\${TIERKIT_CONNECTION_LIMIT:?}" "\${TIERKIT_DUMP_FILE:?}"
if ! [[ "$TIERKIT_CONNECTION_LIMIT" =~ ^(-1|0|[1-9][0-9]{0,5})$ ]]; then echo "template reset refused: TIERKIT_CONNECTION_LIMIT is not a limit: '$TIERKIT_CONNECTION_LIMIT'" >&2; exit 2; fi
${TEMPLATE_COMMON}
${GOLDEN_LOAD_FUNCTION}
# The golden must hold what the seed's producer published: the load left that hash on it after
# verifying it (and clears it before it changes anything). A marker that is not the seed's published
# hash (a new seed, a failed load, a refused golden) is what triggers a load, here, before anything
# is dropped; an unchanged seed loads nothing.
golden_marker() {
  tk_sql "$TIERKIT_GOLDEN_DATABASE" <<'SQL'
SELECT coalesce(pg_catalog.shobj_description(d.oid, 'pg_database'), '') FROM pg_catalog.pg_database d WHERE d.datname = :'golden';
SQL
}
marker="$(golden_marker)"
if [[ "$marker" != "$GOLDEN_MARKER$seed_content_sha256" ]]; then
  echo "template reset: $TIERKIT_GOLDEN_DATABASE is not the seed with content sha256 $seed_content_sha256 (it says '$marker'): loading it first"
  tk_golden_load
  marker="$(golden_marker)"
  if [[ "$marker" != "$GOLDEN_MARKER$seed_content_sha256" ]]; then
    echo "template reset refused: $TIERKIT_GOLDEN_DATABASE was not loaded from the seed with content sha256 $seed_content_sha256 (it says '$marker'); nothing was dropped" >&2; exit 5
  fi
  echo "golden load done: $TIERKIT_GOLDEN_DATABASE holds the seed (content sha256 $seed_content_sha256)"
fi
# Close the database to new sessions (the app is scaled to 0), then wait for every other session.
tk_sql "$TIERKIT_GOLDEN_DATABASE" <<'SQL'
SELECT pg_catalog.format('ALTER DATABASE %I WITH ALLOW_CONNECTIONS false', d.datname) FROM pg_catalog.pg_database d WHERE d.datname = :'db' \\gexec
SQL
deadline=$((SECONDS + \${TIERKIT_DRAIN_TIMEOUT_SECONDS:-120}))
while :; do
  others="$(tk_sql "$TIERKIT_GOLDEN_DATABASE" <<'SQL'
SELECT pg_catalog.count(*) || ':' || coalesce(pg_catalog.string_agg(DISTINCT coalesce(a.usename, '?'), ',' ORDER BY coalesce(a.usename, '?')), '')
  FROM pg_catalog.pg_stat_activity a WHERE a.datname = :'db' AND a.pid <> pg_catalog.pg_backend_pid();
SQL
)"
  [[ "$others" == "0:" ]] && break
  if (( SECONDS >= deadline )); then
    tk_sql "$TIERKIT_GOLDEN_DATABASE" <<'SQL'
SELECT pg_catalog.format('ALTER DATABASE %I WITH ALLOW_CONNECTIONS true', d.datname) FROM pg_catalog.pg_database d WHERE d.datname = :'db' \\gexec
SQL
    echo "template reset aborted: session(s) still connected to $TIERKIT_DATABASE (count, users: $others); nothing was dropped" >&2; exit 4
  fi
  sleep 2
done
tk_sql "$TIERKIT_GOLDEN_DATABASE" -v limit="$TIERKIT_CONNECTION_LIMIT" -v connect="$TIERKIT_CONNECT_ROLES" <<'SQL'
SELECT pg_catalog.format('DROP DATABASE IF EXISTS %I', :'db') \\gexec
SELECT pg_catalog.format('CREATE DATABASE %I TEMPLATE %I OWNER %I ALLOW_CONNECTIONS false CONNECTION LIMIT %s', :'db', :'golden', :'group', :'limit') \\gexec
SELECT pg_catalog.format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'db') \\gexec
SELECT pg_catalog.format('REVOKE ALL ON DATABASE %I FROM %I', :'db', r) FROM pg_catalog.unnest(pg_catalog.string_to_array(:'connect', ' ')) AS r WHERE r <> '' \\gexec
SELECT pg_catalog.format('GRANT CONNECT ON DATABASE %I TO %I', :'db', r) FROM pg_catalog.unnest(pg_catalog.string_to_array(:'connect', ' ')) AS r WHERE r <> '' \\gexec
SELECT pg_catalog.format('ALTER DATABASE %I WITH ALLOW_CONNECTIONS true', :'db') \\gexec
SQL
# Close the golden from the new clone (its gate: the two utility statements only).
trap - EXIT
tk_golden_gate false
echo "template reset done: $TIERKIT_DATABASE cloned from $TIERKIT_GOLDEN_DATABASE (content sha256 $seed_content_sha256, verified when the golden was loaded)"
`;

/**
 * The golden load on demand (`kubectl create job --from=cronjob/<env>-golden-load`): the reset loads
 * a stale golden itself (TEMPLATE_RESET_SCRIPT), so this only spares the next reset the load's time.
 */
export const GOLDEN_TEMPLATE_LOAD_SCRIPT = `#!/usr/bin/env bash
# tierkit golden load: DROP OWNED BY <group> in the golden, pg_restore --role=<group>, verify hash, close it.
${LIFECYCLE_SHELL_FUNCTIONS}
: "\${TIERKIT_DUMP_FILE:?}"
${TEMPLATE_COMMON}
${GOLDEN_LOAD_FUNCTION}
tk_golden_load
trap - EXIT
tk_golden_gate false
echo "golden load done: $TIERKIT_GOLDEN_DATABASE holds the seed (content sha256 $seed_content_sha256)"
`;
