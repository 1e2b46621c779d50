/**
 * The scripts the lifecycle Jobs run — the one place they exist. The Kubernetes manifests embed
 * this exact text, and test/pg/lifecycle.test.ts runs the text it reads back from the
 * synthesized manifests against a real PostgreSQL. Inputs come from the environment only:
 *
 *   PGHOST PGPORT PGDATABASE [PGSSLMODE]  the server and the database to work on
 *   TIERKIT_CREDENTIALS_FILE              file rendered by the Vault agent: `export PGUSER=…`, `export PGPASSWORD=…`
 *   TIERKIT_OBJECT_PREFIX                 the app's object prefix (`llx_`): what is dumped and hashed
 *   TIERKIT_DUMP_FILE                     the seed dump; its content hash sits in "$TIERKIT_DUMP_FILE.sha256"
 *   TIERKIT_GROUP_ROLE                    (reset) the env's group role
 *   TIERKIT_VAULT_CONNECTION_ROLE         (reset) the env's Vault connection user: its pooled sessions are not the app's
 *   TIERKIT_DRAIN_TIMEOUT_SECONDS         (reset) how long to wait for the app's sessions to end
 */

/** Shared functions: credentials and the content hash used by both the golden dump and the reset. */
const COMMON = `set -euo pipefail
export PGPASSFILE=/dev/null PGSERVICEFILE=/dev/null

tk_load_credentials() {
  # shellcheck disable=SC1090
  . "$TIERKIT_CREDENTIALS_FILE"
  : "\${PGUSER:?credentials file sets no PGUSER}" "\${PGPASSWORD:?credentials file sets no PGPASSWORD}"
}

# sha256 of the app's tables: for each table whose name starts with the object prefix (sorted
# by name, C collation), its qualified name and column types, then its rows as text sorted in
# C collation. One REPEATABLE READ transaction, optionally in an exported snapshot ($1).
tk_content_hash() {
  local snapshot=""
  if [[ -n "\${1:-}" ]]; then snapshot="SET TRANSACTION SNAPSHOT '$1';"; fi
  psql -X -q -A -t -v ON_ERROR_STOP=1 -v prefix="$TIERKIT_OBJECT_PREFIX" <<SQL | sha256sum | cut -d' ' -f1
BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;
$snapshot
SELECT format('SELECT %L', 'table ' || quote_ident(n.nspname) || '.' || quote_ident(c.relname) || ' ('
         || (SELECT string_agg(quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum)
               FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) || ')'),
       format('SELECT r::text FROM %I.%I AS r ORDER BY r::text COLLATE "C"', n.nspname, c.relname)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p') AND starts_with(c.relname, :'prefix')
   AND n.nspname NOT IN ('pg_catalog', 'information_schema')
 ORDER BY n.nspname COLLATE "C", c.relname COLLATE "C" \\gexec
COMMIT;
SQL
}
`;

/**
 * Golden dump: as the read-only role (pg_read_all_data only), dump the app's objects of the prod
 * database and hash the same snapshot, then publish dump and hash atomically.
 */
export const GOLDEN_DUMP_SCRIPT = `#!/usr/bin/env bash
# tierkit golden dump: pg_dump -Fc of the app's objects, and their content hash.
${COMMON}
tk_load_credentials
tmp="$TIERKIT_DUMP_FILE.tmp.$$"
trap 'rm -f "$tmp" "$tmp.sha256"' EXIT
# Hold one snapshot open so the dump and the hash see the same data.
coproc SNAP { psql -X -q -A -t -v ON_ERROR_STOP=1; }
echo "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT pg_export_snapshot();" >&"\${SNAP[1]}"
read -r -t 60 snapshot <&"\${SNAP[0]}"
pg_dump --format=custom --no-owner --no-acl --snapshot="$snapshot" --table="\${TIERKIT_OBJECT_PREFIX}*" --file="$tmp"
tk_content_hash "$snapshot" > "$tmp.sha256"
echo "COMMIT;" >&"\${SNAP[1]}"
exec {SNAP[1]}>&-
wait "$SNAP_PID"
mv "$tmp.sha256" "$TIERKIT_DUMP_FILE.sha256"
mv "$tmp" "$TIERKIT_DUMP_FILE"
echo "golden dump written: $TIERKIT_DUMP_FILE (content sha256 $(cat "$TIERKIT_DUMP_FILE.sha256"))"
`;

/**
 * Reset: with only the env's own dynamic credential (it refuses a superuser or CREATEDB one),
 * wait until the app's sessions are gone, DROP OWNED BY the group, restore the seed as the
 * group, and fail unless the content hash equals the seed's. The app's sessions are those of the
 * group's members (its dynamic users) on the database, other than the reset's own and the Vault
 * connection user's: Vault's connection pool keeps an idle session open for as long as it runs.
 */
export const RESET_SCRIPT = `#!/usr/bin/env bash
# tierkit reset: DROP OWNED BY <group> CASCADE, pg_restore --no-owner --role=<group>, verify hash.
${COMMON}
tk_load_credentials
: "\${TIERKIT_GROUP_ROLE:?}" "\${TIERKIT_VAULT_CONNECTION_ROLE:?}" "\${TIERKIT_DUMP_FILE:?}"
expected="$(cat "$TIERKIT_DUMP_FILE.sha256")"
attrs="$(psql -X -q -A -t -c "SELECT rolsuper::text || ' ' || rolcreatedb::text FROM pg_roles WHERE rolname = session_user")"
if [[ "$attrs" != "false false" ]]; then
  echo "reset refused: $PGUSER has SUPERUSER or CREATEDB ($attrs); a reset runs with the env's own dynamic credential only" >&2
  exit 3
fi
deadline=$((SECONDS + \${TIERKIT_DRAIN_TIMEOUT_SECONDS:-120}))
# Without pg_read_all_stats, pg_stat_activity shows pid, datname and the user of other roles'
# sessions but hides the rest (backend_type, state, query are NULL): filter on those three only.
# The app's sessions are its dynamic users (members of the group); the Vault connection user and
# a managed server's admin role are members too, but CREATEROLE: their sessions are not the app's.
while :; do
  others="$(psql -X -q -A -t -v ON_ERROR_STOP=1 -v group="$TIERKIT_GROUP_ROLE" -v vault="$TIERKIT_VAULT_CONNECTION_ROLE" <<'SQL'
SELECT count(*) FROM pg_stat_activity a JOIN pg_roles r ON r.oid = a.usesysid
 WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()
   AND a.usename IS DISTINCT FROM :'vault' AND NOT r.rolcreaterole AND NOT r.rolsuper
   AND pg_has_role(a.usesysid, :'group', 'MEMBER');
SQL
)"
  [[ "$others" == 0 ]] && break
  if (( SECONDS >= deadline )); then echo "reset aborted: $others session(s) of $TIERKIT_GROUP_ROLE still connected to $PGDATABASE" >&2; exit 4; fi
  sleep 2
done
psql -X -q -v ON_ERROR_STOP=1 -v group="$TIERKIT_GROUP_ROLE" <<'SQL'
DROP OWNED BY :"group" CASCADE;
SQL
pg_restore --no-owner --no-acl --role="$TIERKIT_GROUP_ROLE" --exit-on-error --single-transaction --dbname="$PGDATABASE" "$TIERKIT_DUMP_FILE"
actual="$(tk_content_hash)"
if [[ "$actual" != "$expected" ]]; then
  echo "reset verification failed: content sha256 $actual, seed $expected" >&2
  exit 5
fi
echo "reset done: $PGDATABASE equals its seed (content sha256 $actual)"
`;

/** Prints the content hash of the database in PGDATABASE (what the golden and the reset compare). */
export const CONTENT_HASH_SCRIPT = `#!/usr/bin/env bash
${COMMON}
tk_load_credentials
tk_content_hash
`;

/**
 * Scales the env's Deployment (kubectl image, which ships bash). A sandbox past its expiry
 * (TIERKIT_EXPIRES_AT_EPOCH, fixed at synth time) is scaled to 0 whatever was asked, so neither a
 * reset nor anything else brings it back; with TIERKIT_ONLY_WHEN_EXPIRED=true (the TTL sweep) a
 * live sandbox is left alone.
 */
export const SCALE_SCRIPT = `#!/usr/bin/env bash
set -euo pipefail
replicas="$TIERKIT_REPLICAS"
if [ -n "\${TIERKIT_EXPIRES_AT_EPOCH:-}" ] && [ "$(date -u +%s)" -ge "$TIERKIT_EXPIRES_AT_EPOCH" ]; then
  echo "sandbox expired at $TIERKIT_EXPIRES_AT: scaling to 0"
  replicas=0
elif [ "\${TIERKIT_ONLY_WHEN_EXPIRED:-false}" = true ]; then
  echo "sandbox alive until $TIERKIT_EXPIRES_AT: nothing to sweep"
  exit 0
fi
exec kubectl patch "deployment/$TIERKIT_DEPLOYMENT" --namespace "$TIERKIT_NAMESPACE" --subresource=scale --type=merge \\
  --patch "{\\"spec\\":{\\"replicas\\":$replicas}}"
`;

/**
 * The TTL sweep's Vault step (curl image, POSIX sh): once the sandbox has expired, revoke every
 * lease of the env's dynamic role with the sweep's own token (rendered by the Vault agent), so no
 * credential it handed out outlives the sandbox. Before expiry it does nothing. It refuses any
 * path but one literal `sys/leases/revoke-prefix/<mount>/creds/<role>`: the policy grants no
 * other, and a widened variable must fail loudly rather than revoke another env's leases.
 *
 *   TIERKIT_EXPIRES_AT, TIERKIT_EXPIRES_AT_EPOCH  the sandbox's expiry, fixed at synth time
 *   VAULT_ADDR                                    Vault's address
 *   TIERKIT_VAULT_REVOKE_PATH                     the policy's one path
 *   TIERKIT_VAULT_TOKEN_FILE                      the agent's token sink
 */
export const REVOKE_LEASES_SCRIPT = `#!/bin/sh
# tierkit TTL sweep: revoke the expired sandbox's leases (sys/leases/revoke-prefix, update + sudo).
set -eu
: "\${TIERKIT_EXPIRES_AT_EPOCH:?}" "\${VAULT_ADDR:?}" "\${TIERKIT_VAULT_REVOKE_PATH:?}" "\${TIERKIT_VAULT_TOKEN_FILE:?}"
if [ "$(date -u +%s)" -lt "$TIERKIT_EXPIRES_AT_EPOCH" ]; then
  echo "sandbox alive until \${TIERKIT_EXPIRES_AT:-$TIERKIT_EXPIRES_AT_EPOCH}: no lease to revoke"
  exit 0
fi
case "$TIERKIT_VAULT_REVOKE_PATH" in
  *'*'* | *'+'* | *'..'* | */ | *'//'* | *[!A-Za-z0-9/_.-]*) ok=no ;;
  sys/leases/revoke-prefix/*/creds/*) ok=yes ;;
  *) ok=no ;;
esac
if [ "$ok" != yes ]; then
  echo "revoke refused: $TIERKIT_VAULT_REVOKE_PATH is not one literal sys/leases/revoke-prefix/<mount>/creds/<role>" >&2
  exit 3
fi
umask 077
tmp="\${TMPDIR:-/tmp}"
# The token goes in a header file, not on curl's command line (visible in /proc).
printf 'X-Vault-Token: %s\\n' "$(cat "$TIERKIT_VAULT_TOKEN_FILE")" > "$tmp/vault-token-header"
status="$(curl -sS -o "$tmp/revoke-response" -w '%{http_code}' -X PUT -H @"$tmp/vault-token-header" -H 'X-Vault-Request: true' \\
  "\${VAULT_ADDR%/}/v1/$TIERKIT_VAULT_REVOKE_PATH")" || status=000
rm -f "$tmp/vault-token-header"
if [ "$status" != 204 ] && [ "$status" != 200 ]; then
  echo "revoke failed: HTTP $status from Vault: $(cat "$tmp/revoke-response" 2>/dev/null || true)" >&2
  exit 5
fi
echo "sandbox expired at \${TIERKIT_EXPIRES_AT:-$TIERKIT_EXPIRES_AT_EPOCH}: revoked every lease under \${TIERKIT_VAULT_REVOKE_PATH#sys/leases/revoke-prefix/}"
`;
