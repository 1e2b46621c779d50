/**
 * The scripts the lifecycle Jobs run — the one place they exist. The Kubernetes manifests embed
 * this exact text, and test/pg/lifecycle.test.ts runs the text it reads back from the
 * synthesized manifests against a real PostgreSQL. Inputs come from the environment only:
 *
 *   PGHOST PGPORT PGDATABASE [PGSSLMODE]  the server and the database to work on
 *   [TIERKIT_PG_CA_BASE64 PGSSLROOTCERT]  a verify-full server's declared CA (PEM, base64: one line), and where libpq reads it
 *   TIERKIT_CREDENTIALS_FILE              file rendered by the Vault agent: `export PGUSER=…`, `export PGPASSWORD=…`
 *   TIERKIT_OBJECT_PREFIX                 the app's object prefix (`llx_`): what is dumped and hashed
 *   TIERKIT_DUMP_FILE                     the seed dump (in the seed's own volume)
 *   TIERKIT_SCRUB_SQL                     (golden dump) the app's scrub calls (constructs/scrub.ts); empty: a reasoned no-scrub golden
 *   TIERKIT_SCRATCH_DIR                   (golden dump) the pod's own emptyDir: the raw dump and the throwaway server live there
 *   TIERKIT_HASHES_FILE                   (golden dump) where to leave `file_sha256=…`/`content_sha256=…` for the publish step
 *   TIERKIT_SEED_HASH_FILE                (reset) rendered by the Vault agent from the seed's KV secret, which only
 *                                         the producer may write: lines `file_sha256=<hex>` and `content_sha256=<hex>` (parsed, never sourced)
 *   TIERKIT_GROUP_ROLE                    (reset) the env's group role
 *   TIERKIT_VAULT_CONNECTION_ROLE         (reset) the env's Vault connection user: its pooled sessions are not the app's
 *   TIERKIT_DRAIN_TIMEOUT_SECONDS         (reset) how long to wait for the app's sessions to end
 */

import { SCRUB_GUARD, SCRUB_VERIFY } from './seed-verify';

/** Rendered by the Vault agent from the seed's KV secret: the reset's expected hashes. */
export const SEED_HASH_FILE = '/vault/secrets/seed';
/** The files and mounts of the lifecycle pods (jobs.ts renders them; TK133 and TK135 compare them whole). */
export const LIFECYCLE_PATHS = {
  /** Rendered by the Vault agent (`agent-inject-template-database`, credentialsTemplate). */
  credentialsFile: '/vault/secrets/database',
  /** Where the Vault agent writes its own token (vault-k8s `agent-inject-token`). */
  vaultTokenFile: '/vault/secrets/token',
  /** Where the golden dump step leaves the hashes for the publish step (the pod's own emptyDir). */
  hashesFile: '/tmp/seed-hashes',
  /** The golden dump's own emptyDir: the raw prod dump and the throwaway scrub server; never a seed volume. */
  scratchDir: '/scratch',
  seedMount: '/seeds',
  tmpMount: '/tmp',
} as const;

/** Renders `export PGUSER=…` / `export PGPASSWORD=…` from a secret's data (KV v2 nests it in .Data.data). */
export function credentialsTemplate(path: string, kv: boolean): string {
  const data = kv ? '.Data.data' : '.Data';
  return `{{- with secret "${path}" -}}\nexport PGUSER='{{ ${data}.username }}'\nexport PGPASSWORD='{{ ${data}.password }}'\n{{- end }}\n`;
}

/**
 * Renders the seed's expected hashes (KV v2) as `key=value` lines the reset parses (never sources:
 * a value is data, whoever wrote it); an unpublished seed fails the agent, so no reset runs.
 */
export function seedHashTemplate(path: string): string {
  return `{{- with secret "${path}" -}}\nfile_sha256={{ .Data.data.file_sha256 }}\ncontent_sha256={{ .Data.data.content_sha256 }}\n{{- end }}\n`;
}

/** Shared functions: credentials and the content hash used by the golden dump, the reset, the data promote and the seed producers (seed-scripts.ts). */
export const LIFECYCLE_SHELL_FUNCTIONS = `set -euo pipefail
export PGPASSFILE=/dev/null PGSERVICEFILE=/dev/null
# verify-full trusts only the declared CA of the server (carried in the env): without a file libpq reads ~/.postgresql/root.crt.
if [[ -n "\${TIERKIT_PG_CA_BASE64:-}" ]]; then
  printf '%s' "$TIERKIT_PG_CA_BASE64" | base64 -d > "\${PGSSLROOTCERT:?TIERKIT_PG_CA_BASE64 is set but PGSSLROOTCERT is not}"
fi

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
 * On a throwaway server the superuser only creates the role that does the work (`tierkit_seed`,
 * no superuser, CREATEDB or CREATEROLE) and its database; what follows — the restore of data
 * prod's app wrote, the estate's calls, the verification, the dump — runs as that role, the owner
 * of every restored object, so none of it can run a program, read a server file or load an
 * untrusted language. With `replica`, the superuser also sets session_replication_role = replica
 * on the role (a superuser-only setting, applied at each of its logins — PostgreSQL applies a role's
 * stored settings at superuser level: `ApplySetting`, src/backend/catalog/pg_db_role_setting.c —
 * and the role cannot undo it):
 * foreign-key triggers stay off while keys are rewritten, and the verification checks every key.
 */
export function throwawayWorkRole(database: string, replica: boolean, indent = ''): string {
  const settings = replica ? " -c 'ALTER ROLE tierkit_seed SET session_replication_role = replica'" : '';
  return `psql -X -q -v ON_ERROR_STOP=1 -d postgres -c 'CREATE ROLE tierkit_seed LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE'${settings} -c 'CREATE DATABASE ${database} OWNER tierkit_seed'
${indent}export PGUSER=tierkit_seed`;
}

/**
 * The scrub (issue 22): restore the raw prod dump ($1) into a throwaway PostgreSQL of the Job's own
 * pod (Unix socket only, in the scratch emptyDir), run the app's scrub calls under a per-dump key
 * that is never stored, refuse unless no original value of a scrubbed column survives, then dump
 * the scrubbed copy to $2 and leave its content hash in $TIERKIT_SCRATCH_DIR/content. The raw dump
 * never reaches the seed volume; prod is only ever read (by pg_dump, as the read-only role).
 */
const SCRUB = `
tk_scrub() {
  local raw="$1" out="$2" data="$TIERKIT_SCRATCH_DIR/pgdata" sock="$TIERKIT_SCRATCH_DIR/sock"
  rm -rf "$data" "$sock" && mkdir -p "$sock"
  initdb --pgdata="$data" --username=tierkit --auth=trust --encoding=UTF8 --locale=C --no-sync >/dev/null
  # The server never holds the prod credential in its environment.
  env -u PGPASSWORD pg_ctl --pgdata="$data" --log="$TIERKIT_SCRATCH_DIR/server.log" --wait --silent \\
    --options="-c listen_addresses='' -c unix_socket_directories='$sock' -c port=5432 -c fsync=off" start
  trap 'pg_ctl --pgdata="$TIERKIT_SCRATCH_DIR/pgdata" --mode=immediate --silent stop || true; rm -f "$tmp" "$TIERKIT_SCRATCH_DIR/raw.dump"' EXIT
  (
    # Trust over the pod-local socket: the prod credential has no use here (and no password file).
    unset PGPASSWORD
    export PGPASSFILE="$TIERKIT_SCRATCH_DIR/no-password-file"
    export PGHOST="$sock" PGPORT=5432 PGUSER=tierkit PGDATABASE=scratch PGSSLMODE=disable
    ${throwawayWorkRole('scratch', true, '    ')}
    pg_restore --no-owner --no-acl --exit-on-error --single-transaction --dbname=scratch "$raw"
    rm -f "$raw"
    key="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \\n')"
    { cat <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION pgcrypto;
CREATE SCHEMA tierkit_scrub;
CREATE TABLE tierkit_scrub.checks (tbl regclass, col name, kind text, value text, orig text);
CREATE FUNCTION pg_temp.tk_tables(tbl text) RETURNS SETOF regclass LANGUAGE sql AS $f$
  SELECT c.oid::regclass FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.relname = tbl AND c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'tierkit_scrub')
   ORDER BY n.nspname $f$;
CREATE FUNCTION pg_temp.tk_need(tbl text) RETURNS void LANGUAGE plpgsql AS $f$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_temp.tk_tables(tbl)) THEN
    RAISE EXCEPTION 'scrub: the dump holds no table %: the scrub rules no longer match the schema', tbl;
  END IF;
END $f$;
CREATE FUNCTION pg_temp.tk_scrub_delete(tbl text, pred text) RETURNS void LANGUAGE plpgsql AS $f$
DECLARE t regclass;
BEGIN
  PERFORM pg_temp.tk_need(tbl);
  FOR t IN SELECT * FROM pg_temp.tk_tables(tbl) LOOP EXECUTE format('DELETE FROM %s WHERE (%s)', t, pred); END LOOP;
END $f$;
CREATE FUNCTION pg_temp.tk_scrub_column(tbl text, col text, kind text, val text) RETURNS void LANGUAGE plpgsql AS $f$
DECLARE t regclass; orig text;
BEGIN
  PERFORM pg_temp.tk_need(tbl);
  FOR t IN SELECT * FROM pg_temp.tk_tables(tbl) LOOP
    IF NOT EXISTS (SELECT FROM pg_attribute WHERE attrelid = t AND attname = col AND attnum > 0 AND NOT attisdropped) THEN
      RAISE EXCEPTION 'scrub: table % has no column %: the scrub rules no longer match the schema', t, col;
    END IF;
    orig := format('tierkit_scrub.o%s', (SELECT count(*) FROM tierkit_scrub.checks));
    EXECUTE format('CREATE TABLE %s AS SELECT DISTINCT %I::text AS v FROM %s WHERE %I IS NOT NULL', orig, col, t, col);
    INSERT INTO tierkit_scrub.checks VALUES (t, col, kind, val, orig);
    IF kind = 'null' THEN
      EXECUTE format('UPDATE %s SET %I = NULL WHERE %I IS NOT NULL', t, col, col);
    ELSIF kind = 'constant' THEN
      EXECUTE format('UPDATE %s SET %I = %L WHERE %I IS NOT NULL', t, col, val, col);
    ELSIF kind = 'keyed-hash' THEN
      EXECUTE format('UPDATE %s SET %I = encode(hmac(%I::text, current_setting(''tierkit.scrub_key''), ''sha256''), ''hex'') WHERE %I IS NOT NULL', t, col, col, col);
    ELSE
      RAISE EXCEPTION 'scrub: unknown action % for %.%', kind, t, col;
    END IF;
  END LOOP;
END $f$;
-- The validation: no original value of a scrubbed column survives (but a constant that was already
-- there), and every foreign key still holds (the scrub runs with FK triggers off, so that a keyed
-- hash of a referenced key and of its references keeps them equal; a delete may orphan rows).
${SCRUB_VERIFY}
${SCRUB_GUARD}
SELECT set_config('tierkit.scrub_key', :'key', false) IS NOT NULL AS keyed \\gset
SQL
      printf '%s\\n' 'SELECT pg_temp.tk_scrub_guard();' "$TIERKIT_SCRUB_SQL" 'SELECT pg_temp.tk_scrub_verify();'
    } | psql -X -q -A -t -v ON_ERROR_STOP=1 -v key="$key" >/dev/null
    pg_dump --format=custom --no-owner --no-acl --table="\${TIERKIT_OBJECT_PREFIX}*" --file="$out"
    tk_content_hash > "$TIERKIT_SCRATCH_DIR/content"
  )
  pg_ctl --pgdata="$data" --mode=fast --silent stop
  rm -rf "$data"
  trap 'rm -f "$tmp"' EXIT
}
`;

/**
 * Golden dump: as the read-only role (pg_read_all_data only), dump the app's objects of the prod
 * database. With scrub rules, the dump goes to the pod's scratch emptyDir and only its scrubbed
 * copy (tk_scrub) reaches the seed volume, hashed after scrubbing; a reasoned no-scrub golden is
 * hashed in the dump's own snapshot. The dump is moved into place and its file and content
 * hashes left for the publish step (PUBLISH_SEED_HASH_SCRIPT), which writes the seed's KV secret.
 */
export const GOLDEN_DUMP_SCRIPT = `#!/usr/bin/env bash
# tierkit golden dump: pg_dump -Fc of the app's objects, scrubbed, and their content hash.
${LIFECYCLE_SHELL_FUNCTIONS}${SCRUB}
tk_load_credentials
tmp="$TIERKIT_DUMP_FILE.tmp.$$"
trap 'rm -f "$tmp"' EXIT
# Hold one snapshot open so the dump and the hash see the same data.
coproc SNAP { psql -X -q -A -t -v ON_ERROR_STOP=1; }
# bash unsets SNAP_PID as soon as the coprocess exits, which can be before the wait below: keep it.
snap_pid="$SNAP_PID"
echo "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT pg_export_snapshot();" >&"\${SNAP[1]}"
read -r -t 60 snapshot <&"\${SNAP[0]}"
if [[ -n "\${TIERKIT_SCRUB_SQL:-}" ]]; then
  pg_dump --format=custom --no-owner --no-acl --snapshot="$snapshot" --table="\${TIERKIT_OBJECT_PREFIX}*" --file="$TIERKIT_SCRATCH_DIR/raw.dump"
else
  pg_dump --format=custom --no-owner --no-acl --snapshot="$snapshot" --table="\${TIERKIT_OBJECT_PREFIX}*" --file="$tmp"
  content="$(tk_content_hash "$snapshot")"
fi
echo "COMMIT;" >&"\${SNAP[1]}"
exec {SNAP[1]}>&-
wait "$snap_pid"
if [[ -n "\${TIERKIT_SCRUB_SQL:-}" ]]; then
  tk_scrub "$TIERKIT_SCRATCH_DIR/raw.dump" "$tmp"
  content="$(cat "$TIERKIT_SCRATCH_DIR/content")"
fi
file="$(sha256sum "$tmp" | cut -d' ' -f1)"
mv "$tmp" "$TIERKIT_DUMP_FILE"
# The hashes leave through the publish step into the seed's KV secret, never beside the dump.
printf 'file_sha256=%s\\ncontent_sha256=%s\\n' "$file" "$content" > "$TIERKIT_HASHES_FILE"
echo "golden dump written: $TIERKIT_DUMP_FILE (file sha256 $file, content sha256 $content)"
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
${LIFECYCLE_SHELL_FUNCTIONS}
tk_load_credentials
: "\${TIERKIT_GROUP_ROLE:?}" "\${TIERKIT_VAULT_CONNECTION_ROLE:?}" "\${TIERKIT_DUMP_FILE:?}"
# The expected hashes come from the seed's KV secret (only its producer writes it), never from the
# seed volume: whoever can replace the dump cannot replace what it is checked against.
seed_file_sha256="$(sed -n 's/^file_sha256=\\([0-9a-f]\\{64\\}\\)$/\\1/p' "$TIERKIT_SEED_HASH_FILE")"
seed_content_sha256="$(sed -n 's/^content_sha256=\\([0-9a-f]\\{64\\}\\)$/\\1/p' "$TIERKIT_SEED_HASH_FILE")"
if [[ -z "$seed_file_sha256" || -z "$seed_content_sha256" ]]; then
  echo "reset refused: the seed's published hashes are missing or malformed ($TIERKIT_SEED_HASH_FILE)" >&2; exit 6
fi
expected="$seed_content_sha256"
# Verify the dump before it runs: pg_restore executes what the archive holds.
file_actual="$(sha256sum "$TIERKIT_DUMP_FILE" | cut -d' ' -f1)"
if [[ "$file_actual" != "$seed_file_sha256" ]]; then
  echo "reset refused: $TIERKIT_DUMP_FILE has sha256 $file_actual, the seed's producer published $seed_file_sha256; nothing was dropped or restored" >&2
  exit 6
fi
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

/**
 * Golden dump's second step (Vault CLI image, sh): write the hashes the dump step left into the
 * seed's KV secret with the producer's own token. Only the producer's policy may write there.
 */
export const PUBLISH_SEED_HASH_SCRIPT = `#!/bin/sh
set -eu
file_sha256="$(sed -n 's/^file_sha256=\\([0-9a-f]\\{64\\}\\)$/\\1/p' "$TIERKIT_HASHES_FILE")"
content_sha256="$(sed -n 's/^content_sha256=\\([0-9a-f]\\{64\\}\\)$/\\1/p' "$TIERKIT_HASHES_FILE")"
if [ -z "$file_sha256" ] || [ -z "$content_sha256" ]; then echo "publish refused: no hashes in $TIERKIT_HASHES_FILE" >&2; exit 2; fi
VAULT_TOKEN="$(cat "$TIERKIT_VAULT_TOKEN_FILE")"
export VAULT_TOKEN
vault kv put -mount="$TIERKIT_SEED_KV_MOUNT" "$TIERKIT_SEED_KV_NAME" file_sha256="$file_sha256" content_sha256="$content_sha256" >/dev/null
echo "seed hashes published to $TIERKIT_SEED_KV_MOUNT/$TIERKIT_SEED_KV_NAME (file $file_sha256, content $content_sha256)"
`;

/** Prints the content hash of the database in PGDATABASE (what the golden and the reset compare). */
export const CONTENT_HASH_SCRIPT = `#!/usr/bin/env bash
${LIFECYCLE_SHELL_FUNCTIONS}
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
/** Refuse any path but one literal revoke-prefix of a creds path, then PUT it with the agent's token (shared by both revokes). */
const REVOKE_PREFIX = `case "$TIERKIT_VAULT_REVOKE_PATH" in
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
`;

export const REVOKE_LEASES_SCRIPT = `#!/bin/sh
# tierkit TTL sweep: revoke the expired sandbox's leases (sys/leases/revoke-prefix, update + sudo).
set -eu
: "\${TIERKIT_EXPIRES_AT_EPOCH:?}" "\${VAULT_ADDR:?}" "\${TIERKIT_VAULT_REVOKE_PATH:?}" "\${TIERKIT_VAULT_TOKEN_FILE:?}"
if [ "$(date -u +%s)" -lt "$TIERKIT_EXPIRES_AT_EPOCH" ]; then
  echo "sandbox alive until \${TIERKIT_EXPIRES_AT:-$TIERKIT_EXPIRES_AT_EPOCH}: no lease to revoke"
  exit 0
fi
${REVOKE_PREFIX}echo "sandbox expired at \${TIERKIT_EXPIRES_AT:-$TIERKIT_EXPIRES_AT_EPOCH}: revoked every lease under \${TIERKIT_VAULT_REVOKE_PATH#sys/leases/revoke-prefix/}"
`;


/**
 * The hourly (demo) reset's Vault step (curl image, POSIX sh): after the restore, before the app
 * scales back up, revoke every lease of the env's dynamic role with the reset's token (its
 * `<env>-reset-revoke` policy grants that one path), so no credential handed out during the last
 * hour — the reset's own included — outlives the reset. Same path check and request as the TTL
 * sweep's; no expiry condition: it runs on every reset.
 *
 *   VAULT_ADDR, TIERKIT_VAULT_REVOKE_PATH, TIERKIT_VAULT_TOKEN_FILE  as for the TTL sweep
 */
export const RESET_REVOKE_LEASES_SCRIPT = `#!/bin/sh
# tierkit hourly reset: revoke the env's leases (sys/leases/revoke-prefix, update + sudo).
set -eu
: "\${VAULT_ADDR:?}" "\${TIERKIT_VAULT_REVOKE_PATH:?}" "\${TIERKIT_VAULT_TOKEN_FILE:?}"
${REVOKE_PREFIX}echo "reset: revoked every lease under \${TIERKIT_VAULT_REVOKE_PATH#sys/leases/revoke-prefix/}"
`;

/**
 * The hourly (demo) reset's flags step (kubectl image): write the env's declared flags back into
 * its flags ConfigMap, replacing whatever the hour changed (a JSON patch `add` on /data, rendered
 * at synth from the declared values: contract/flags.ts).
 *
 *   TIERKIT_FLAGS_CONFIGMAP, TIERKIT_NAMESPACE  the ConfigMap (the reset's Role may patch only it)
 *   TIERKIT_FLAGS_PATCH                         the patch
 */
export const FLAGS_RESET_SCRIPT = `#!/usr/bin/env bash
set -euo pipefail
: "\${TIERKIT_FLAGS_CONFIGMAP:?}" "\${TIERKIT_NAMESPACE:?}" "\${TIERKIT_FLAGS_PATCH:?}"
kubectl patch "configmap/$TIERKIT_FLAGS_CONFIGMAP" --namespace "$TIERKIT_NAMESPACE" --type=json --patch "$TIERKIT_FLAGS_PATCH"
echo "reset: flags of $TIERKIT_NAMESPACE back to their declared defaults"
`;
