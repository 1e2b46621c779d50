/**
 * The data promote's two steps (ADR-0003 §4, issue 17; docs/data-promote.md), the one copy of
 * their text. test/pg/data-promote.test.ts runs exactly this text against a real PostgreSQL 15
 * holding a sandbox and a prod database. Inputs come from the environment only:
 *
 *   PGHOST PGPORT PGDATABASE [PGSSLMODE]  the target (PGHOSTADDR, PGSERVICE and PGOPTIONS are unset)
 *   TIERKIT_CREDENTIALS_FILE              `export PGUSER=…` / `export PGPASSWORD=…`: the sandbox's dynamic
 *                                         credential (rehearsal) or the promote credential (replay)
 *   TIERKIT_OBJECT_PREFIX                 the app's object prefix (what the content hash covers)
 *   TIERKIT_GROUP_ROLE                    the env's owner group: the rehearsal's login must be its member,
 *                                         the replay's must not
 *   TIERKIT_CHANGE_SCRIPT                 the reviewed change script (repo path, `[A-Za-z0-9._/-]` only)
 *   TIERKIT_REHEARSAL_FILE                written by the rehearsal, read (parsed, never sourced) by the replay
 * rehearsal:
 *   TIERKIT_SANDBOX_HOST TIERKIT_SANDBOX_DATABASE   the host guard: the only target it writes
 *   TIERKIT_SEED_CONTENT_SHA256           the golden's published content hash: the sandbox must be at it
 * replay:
 *   TIERKIT_PROD_HOST TIERKIT_PROD_DATABASE         the only target it writes
 *   TIERKIT_PROMOTE_TABLES                the declared tables, space-separated (what the prod hashes cover:
 *                                         the promote login reads nothing else)
 *   TIERKIT_MAX_REHEARSAL_AGE_SECONDS     how old a rehearsal may be
 *   TIERKIT_APPROVERS                     GitHub logins that approved, comma-separated
 *   TIERKIT_APP TIERKIT_PROMOTION_RECORD  the app, and where the promotion record (JSON) is written
 *
 * The script runs through `psql -c`: one simple-query message, which the server runs as one
 * transaction, with no psql meta-command (`\!`, `\connect`) ever interpreted.
 */
import { LIFECYCLE_SHELL_FUNCTIONS } from './scripts';

/** Exit codes of the two steps, for the workflow's messages and the tests. */
export const DATA_PROMOTE_EXIT = {
  CREDENTIAL: 3, TARGET: 7, SCRIPT: 8, NOT_AT_GOLDEN: 9, CHANGED: 10, STALE: 11, APPROVERS: 12, REHEARSAL: 13,
} as const;

const GUARDS = `unset PGHOSTADDR PGSERVICE PGOPTIONS
: "\${TIERKIT_CHANGE_SCRIPT:?}" "\${TIERKIT_REHEARSAL_FILE:?}" "\${TIERKIT_GROUP_ROLE:?}"
if [[ ! "$TIERKIT_CHANGE_SCRIPT" =~ ^[A-Za-z0-9._/-]+$ || "$TIERKIT_CHANGE_SCRIPT" == *..* ]]; then
  echo "data promote refused: change script path $TIERKIT_CHANGE_SCRIPT is not a plain repository path" >&2; exit ${DATA_PROMOTE_EXIT.SCRIPT}
fi
# Inspect and run one private copy: the bytes hashed are the bytes run.
script="$(mktemp)"
trap 'rm -f "$script"' EXIT
cp -- "$TIERKIT_CHANGE_SCRIPT" "$script"
if ! verdict="$(tierkit data-promote inspect "$script")"; then
  echo "data promote refused: $TIERKIT_CHANGE_SCRIPT is not data-only (see above)" >&2; exit ${DATA_PROMOTE_EXIT.SCRIPT}
fi
script_sha256="\${verdict#script_sha256=}"

# $1: expected database, $2: whether the login must be a member of the env's group (true/false).
tk_check_target() {
  local seen
  seen="$(psql -X -q -A -t -v ON_ERROR_STOP=1 -v group="$TIERKIT_GROUP_ROLE" <<'SQL'
SELECT current_database() || ' ' || pg_has_role(session_user, :'group', 'MEMBER')::text || ' '
    || (rolsuper OR rolcreatedb OR rolcreaterole)::text FROM pg_roles WHERE rolname = session_user;
SQL
)"
  if [[ "$seen" != "$1 $2 false" ]]; then
    echo "data promote refused: connected as $PGUSER to ($seen), expected database $1, group member $2, no SUPERUSER/CREATEDB/CREATEROLE" >&2
    exit ${DATA_PROMOTE_EXIT.CREDENTIAL}
  fi
}

tk_run_script() {
  psql -X -q -v ON_ERROR_STOP=1 -c "$(cat -- "$script")"
}
`;

/**
 * Rehearsal, on the sandbox only: the host guard, the sandbox at its golden (the reset ran
 * before), the change script (data only) in one transaction, content hashes before and after.
 */
export const DATA_PROMOTE_REHEARSE_SCRIPT = `#!/usr/bin/env bash
# tierkit data promote, rehearsal: sandbox only, from golden, hashes before and after.
${LIFECYCLE_SHELL_FUNCTIONS}
tk_load_credentials
: "\${TIERKIT_SANDBOX_HOST:?}" "\${TIERKIT_SANDBOX_DATABASE:?}" "\${TIERKIT_SEED_CONTENT_SHA256:?}"
# The write tooling's host guard (ADR-0003): the rehearsal writes the sandbox and nothing else.
if [[ "\${PGHOST,,}" != "\${TIERKIT_SANDBOX_HOST,,}" || "$PGDATABASE" != "$TIERKIT_SANDBOX_DATABASE" ]]; then
  echo "rehearsal refused: target $PGHOST/$PGDATABASE is not the sandbox $TIERKIT_SANDBOX_HOST/$TIERKIT_SANDBOX_DATABASE" >&2
  exit ${DATA_PROMOTE_EXIT.TARGET}
fi
${GUARDS}
tk_check_target "$TIERKIT_SANDBOX_DATABASE" true
before="$(tk_content_hash "")"
if [[ "$before" != "$TIERKIT_SEED_CONTENT_SHA256" ]]; then
  echo "rehearsal refused: the sandbox's content sha256 is $before, its golden's $TIERKIT_SEED_CONTENT_SHA256; reset it first" >&2
  exit ${DATA_PROMOTE_EXIT.NOT_AT_GOLDEN}
fi
tk_run_script
after="$(tk_content_hash "")"
{
  echo "script_sha256=$script_sha256"
  echo "sandbox_before_sha256=$before"
  echo "sandbox_after_sha256=$after"
  echo "rehearsed_at_epoch=$(date -u +%s)"
} > "$TIERKIT_REHEARSAL_FILE"
echo "rehearsed $TIERKIT_CHANGE_SCRIPT (sha256 $script_sha256) on $PGDATABASE: content $before -> $after"
`;

/**
 * Replay, on prod with the promote credential, after the human approval: the same script bytes
 * as rehearsed, a rehearsal younger than the declared age, hashes of the declared tables before
 * and after, and the promotion record with the approvers.
 */
export const DATA_PROMOTE_REPLAY_SCRIPT = `#!/usr/bin/env bash
# tierkit data promote, replay: prod, promote credential, the rehearsed script only.
${LIFECYCLE_SHELL_FUNCTIONS}
tk_load_credentials
: "\${TIERKIT_PROD_HOST:?}" "\${TIERKIT_PROD_DATABASE:?}" "\${TIERKIT_PROMOTE_TABLES:?}" "\${TIERKIT_MAX_REHEARSAL_AGE_SECONDS:?}"
: "\${TIERKIT_APPROVERS:?}" "\${TIERKIT_APP:?}" "\${TIERKIT_PROMOTION_RECORD:?}"
if [[ "\${PGHOST,,}" != "\${TIERKIT_PROD_HOST,,}" || "$PGDATABASE" != "$TIERKIT_PROD_DATABASE" ]]; then
  echo "replay refused: target $PGHOST/$PGDATABASE is not prod $TIERKIT_PROD_HOST/$TIERKIT_PROD_DATABASE" >&2; exit ${DATA_PROMOTE_EXIT.TARGET}
fi
${GUARDS}
field() { sed -n "s/^$1=\\\\([0-9a-f]\\\\{64\\\\}\\\\|[0-9]\\\\{1,12\\\\}\\\\)$/\\\\1/p" "$TIERKIT_REHEARSAL_FILE" | head -n 1; }
rehearsed_sha256="$(field script_sha256)"
sandbox_before="$(field sandbox_before_sha256)"
sandbox_after="$(field sandbox_after_sha256)"
rehearsed_at="$(field rehearsed_at_epoch)"
if [[ \${#rehearsed_sha256} != 64 || \${#sandbox_before} != 64 || \${#sandbox_after} != 64 || -z "$rehearsed_at" ]]; then
  echo "replay refused: $TIERKIT_REHEARSAL_FILE is no rehearsal record" >&2; exit ${DATA_PROMOTE_EXIT.REHEARSAL}
fi
if [[ "$script_sha256" != "$rehearsed_sha256" ]]; then
  echo "replay refused: $TIERKIT_CHANGE_SCRIPT has sha256 $script_sha256, the rehearsal ran $rehearsed_sha256; rehearse it again" >&2
  exit ${DATA_PROMOTE_EXIT.CHANGED}
fi
now="$(date -u +%s)"
if (( rehearsed_at > now + 60 || now - rehearsed_at > TIERKIT_MAX_REHEARSAL_AGE_SECONDS )); then
  echo "replay refused: the rehearsal ran at epoch $rehearsed_at, $((now - rehearsed_at)) s ago; at most $TIERKIT_MAX_REHEARSAL_AGE_SECONDS s" >&2
  exit ${DATA_PROMOTE_EXIT.STALE}
fi
if [[ ! "$TIERKIT_APPROVERS" =~ ^[A-Za-z0-9-]+(,[A-Za-z0-9-]+)*$ ]]; then
  echo "replay refused: no approvers recorded ($TIERKIT_APPROVERS)" >&2; exit ${DATA_PROMOTE_EXIT.APPROVERS}
fi
tk_check_target "$TIERKIT_PROD_DATABASE" false

# The content hash of the declared tables only (the promote login can read no other), same form.
tk_tables_hash() {
  psql -X -q -A -t -v ON_ERROR_STOP=1 -v tables="$TIERKIT_PROMOTE_TABLES" <<'SQL' | sha256sum | cut -d' ' -f1
BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;
SELECT format('SELECT %L', 'table ' || quote_ident(n.nspname) || '.' || quote_ident(c.relname) || ' ('
         || (SELECT string_agg(quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum)
               FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) || ')'),
       format('SELECT r::text FROM %I.%I AS r ORDER BY r::text COLLATE "C"', n.nspname, c.relname)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p') AND n.nspname = 'public' AND c.relname = ANY (string_to_array(:'tables', ' '))
 ORDER BY c.relname COLLATE "C" \\gexec
COMMIT;
SQL
}
before="$(tk_tables_hash)"
tk_run_script
after="$(tk_tables_hash)"
approvers_json="[\\"\${TIERKIT_APPROVERS//,/\\",\\"}\\"]"
printf '{"app":"%s","approvers":%s,"prod":{"after_sha256":"%s","before_sha256":"%s","database":"%s"},"rehearsal":{"rehearsed_at_epoch":%s,"sandbox_after_sha256":"%s","sandbox_before_sha256":"%s"},"replayed_at_epoch":%s,"script":"%s","script_sha256":"%s"}\\n' \\
  "$TIERKIT_APP" "$approvers_json" "$after" "$before" "$PGDATABASE" "$rehearsed_at" "$sandbox_after" "$sandbox_before" "$(date -u +%s)" \\
  "$TIERKIT_CHANGE_SCRIPT" "$script_sha256" > "$TIERKIT_PROMOTION_RECORD"
echo "replayed $TIERKIT_CHANGE_SCRIPT (sha256 $script_sha256) on $PGDATABASE: declared tables $before -> $after; approved by $TIERKIT_APPROVERS"
`;
