/**
 * The scripts that produce synthetic and sanitized seeds (issue 22, docs/seed-data.md): each loads
 * its input into a throwaway PostgreSQL of its own (initdb in a scratch directory, Unix socket
 * only), verifies, and only then dumps and hashes. They share the content hash with the golden
 * dump and the reset (scripts.ts), so what a reset verifies is what the producer published.
 */
import { LIFECYCLE_SHELL_FUNCTIONS, throwawayWorkRole } from './scripts';
import { SANITIZE_GUARD, SANITIZE_VERIFY } from './seed-verify';

/** Where a producer Job reads the golden (read-only) and a synthetic producer its SQL (producers.ts; TK138 compares them). */
export const PRODUCER_PATHS = { goldenMount: '/golden', sqlMount: '/seed-sql', sqlFile: 'seed.sql' } as const;

/**
 * A throwaway PostgreSQL in the scratch directory, reachable by its Unix socket only, stopped and
 * removed on exit; the session then talks to it alone (no password file, no service, no TLS).
 */
const THROWAWAY_SERVER = `data="$TIERKIT_SCRATCH_DIR/pgdata" sock="$TIERKIT_SCRATCH_DIR/sock" tmp="$TIERKIT_DUMP_FILE.tmp.$$"
rm -rf "$data" "$sock" && mkdir -p "$sock"
initdb --pgdata="$data" --username=tierkit --auth=trust --encoding=UTF8 --locale=C --no-sync >/dev/null
pg_ctl --pgdata="$data" --log="$TIERKIT_SCRATCH_DIR/server.log" --wait --silent \\
  --options="-c listen_addresses='' -c unix_socket_directories='$sock' -c port=5432 -c fsync=off" start
trap 'pg_ctl --pgdata="$data" --mode=immediate --silent stop || true; rm -rf "$data"; rm -f "$tmp"' EXIT
unset PGPASSWORD PGSERVICE
export PGPASSFILE="$TIERKIT_SCRATCH_DIR/no-password-file"
export PGHOST="$sock" PGPORT=5432 PGUSER=tierkit PGDATABASE=seed PGSSLMODE=disable`;

/**
 * Synthetic seed (issue 22; constructs/synthetic.ts): load the generated SQL
 * ($TIERKIT_SEED_SQL_FILE) into a throwaway PostgreSQL (initdb in $TIERKIT_SCRATCH_DIR, Unix socket
 * only, trust: it holds made-up data and no credential), refuse unless every foreign key holds,
 * dump the app's tables to $TIERKIT_DUMP_FILE and leave `file_sha256=…`/`content_sha256=…` in
 * $TIERKIT_HASHES_FILE. The content hash is the seed's identity: the same SQL gives the same one
 * on every run (the archive itself carries a timestamp).
 */
export const SYNTHETIC_SEED_SCRIPT = `#!/usr/bin/env bash
# tierkit synthetic seed: generated SQL -> throwaway PostgreSQL -> foreign keys verified -> pg_dump -Fc + hashes.
${LIFECYCLE_SHELL_FUNCTIONS}
: "\${TIERKIT_SEED_SQL_FILE:?}" "\${TIERKIT_SCRATCH_DIR:?}" "\${TIERKIT_DUMP_FILE:?}" "\${TIERKIT_HASHES_FILE:?}" "\${TIERKIT_OBJECT_PREFIX:?}"
${THROWAWAY_SERVER}
# The declared schema is the estate author's SQL: from here on everything runs as a role without
# superuser, the database's owner - loading it, and every query over what it created (a cast or an
# operator it declares on its own types would run as whoever queries them) - so nothing of it can
# reach the OS of whoever produces the seed (COPY ... PROGRAM, server files, untrusted languages).
${throwawayWorkRole('seed', false)}
psql -X -q -v ON_ERROR_STOP=1 --single-transaction -f "$TIERKIT_SEED_SQL_FILE" >/dev/null
# Every foreign key holds (the rows were checked as they loaded; this also catches a schema that
# declared its keys NOT VALID or disabled their triggers).
broken="$(psql -X -q -A -t -v ON_ERROR_STOP=1 <<'SQL'
CREATE FUNCTION pg_temp.tk_broken() RETURNS text LANGUAGE plpgsql AS $f$
DECLARE r record; n bigint; out text := '';
BEGIN
  FOR r IN SELECT c.conname, c.conrelid::regclass AS child, c.confrelid::regclass AS parent,
      (SELECT string_agg(format('x.%I', a.attname), ', ' ORDER BY k.i) FROM unnest(c.conkey) WITH ORDINALITY k(n, i)
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n) AS ccols,
      (SELECT string_agg(format('p.%I', a.attname), ', ' ORDER BY k.i) FROM unnest(c.confkey) WITH ORDINALITY k(n, i)
         JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n) AS pcols
    FROM pg_constraint c JOIN pg_namespace s ON s.oid = c.connamespace
   WHERE c.contype = 'f' AND s.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY c.conname LOOP
    EXECUTE format('SELECT count(*) FROM %s x WHERE ROW(%s) IS NOT NULL AND NOT EXISTS (SELECT FROM %s p WHERE ROW(%s) = ROW(%s))',
      r.child, r.ccols, r.parent, r.pcols, r.ccols) INTO n;
    IF n > 0 THEN out := out || format('%s row(s) of %s break foreign key %s; ', n, r.child, r.conname); END IF;
  END LOOP;
  RETURN out;
END $f$;
SELECT pg_temp.tk_broken();
SQL
)"
if [[ -n "$broken" ]]; then echo "synthetic seed refused: $broken" >&2; exit 7; fi
pg_dump --format=custom --no-owner --no-acl --table="\${TIERKIT_OBJECT_PREFIX}*" --file="$tmp"
content="$(tk_content_hash)"
pg_ctl --pgdata="$data" --mode=fast --silent stop
trap 'rm -rf "$data"; rm -f "$tmp"' EXIT
file="$(sha256sum "$tmp" | cut -d' ' -f1)"
mv "$tmp" "$TIERKIT_DUMP_FILE"
printf 'file_sha256=%s\\ncontent_sha256=%s\\n' "$file" "$content" > "$TIERKIT_HASHES_FILE"
echo "synthetic seed written: $TIERKIT_DUMP_FILE (file sha256 $file, content sha256 $content)"
`;

/**
 * Sanitized profile (issue 22; constructs/sanitize.ts): from the golden seed ($TIERKIT_GOLDEN_DUMP_FILE,
 * refused unless its sha256 is the one published in $TIERKIT_GOLDEN_HASH_FILE), restore into a
 * throwaway PostgreSQL (initdb in $TIERKIT_SCRATCH_DIR, Unix socket only), run the profile's calls
 * ($TIERKIT_SANITIZE_SQL: deletes, samples, orphans dropped, masks under a key drawn for this run
 * and never stored, k-anonymity checks), verify that no original value of a masked column survives
 * and every foreign key holds, and only then dump the app's tables to $TIERKIT_DUMP_FILE and leave
 * `file_sha256=…`/`content_sha256=…` in $TIERKIT_HASHES_FILE. Any failure writes nothing.
 */
export const SANITIZE_SCRIPT = `#!/usr/bin/env bash
# tierkit sanitized seed: golden (hash-verified) -> throwaway PostgreSQL -> sample, mask, k-anonymity -> verified -> pg_dump -Fc + hashes.
${LIFECYCLE_SHELL_FUNCTIONS}
: "\${TIERKIT_GOLDEN_DUMP_FILE:?}" "\${TIERKIT_GOLDEN_HASH_FILE:?}" "\${TIERKIT_SANITIZE_SQL:?}" "\${TIERKIT_SCRATCH_DIR:?}" "\${TIERKIT_DUMP_FILE:?}" "\${TIERKIT_HASHES_FILE:?}" "\${TIERKIT_OBJECT_PREFIX:?}"
golden_sha256="$(sed -n 's/^file_sha256=\\([0-9a-f]\\{64\\}\\)$/\\1/p' "$TIERKIT_GOLDEN_HASH_FILE")"
actual="$(sha256sum "$TIERKIT_GOLDEN_DUMP_FILE" | cut -d' ' -f1)"
if [[ -z "$golden_sha256" || "$actual" != "$golden_sha256" ]]; then
  echo "sanitized seed refused: the golden $TIERKIT_GOLDEN_DUMP_FILE has sha256 $actual, its producer published \${golden_sha256:-nothing}" >&2; exit 6
fi
${THROWAWAY_SERVER}
# The golden is data prod's app wrote: restored, sanitized, verified and dumped without superuser.
${throwawayWorkRole('seed', true)}
pg_restore --no-owner --no-acl --exit-on-error --single-transaction --dbname=seed "$TIERKIT_GOLDEN_DUMP_FILE"
key="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \\n')"
{ cat <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION pgcrypto;
CREATE SCHEMA tierkit_sanitize;
CREATE TABLE tierkit_sanitize.checks (tbl regclass, col name, kind text, value text, orig text);
CREATE FUNCTION pg_temp.tk_tables(tbl text) RETURNS SETOF regclass LANGUAGE plpgsql AS $f$
BEGIN
  RETURN QUERY SELECT c.oid::regclass FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.relname = tbl AND c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'tierkit_sanitize') ORDER BY n.nspname;
  IF NOT FOUND THEN RAISE EXCEPTION 'sanitize: the golden holds no table %: the profile no longer matches the schema', tbl; END IF;
END $f$;
CREATE FUNCTION pg_temp.tk_need_column(t regclass, col text) RETURNS void LANGUAGE plpgsql AS $f$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_attribute WHERE attrelid = t AND attname = col AND attnum > 0 AND NOT attisdropped) THEN
    RAISE EXCEPTION 'sanitize: table % has no column %: the profile no longer matches the schema', t, col;
  END IF;
END $f$;
CREATE FUNCTION pg_temp.tk_delete(tbl text, pred text) RETURNS void LANGUAGE plpgsql AS $f$
DECLARE t regclass;
BEGIN
  FOR t IN SELECT * FROM pg_temp.tk_tables(tbl) LOOP EXECUTE format('DELETE FROM %s WHERE (%s)', t, pred); END LOOP;
END $f$;
-- The sample: a row stays when the hash of its golden text falls under the share (the same golden, the same sample).
CREATE FUNCTION pg_temp.tk_sample(tbl text, share float8) RETURNS void LANGUAGE plpgsql AS $f$
DECLARE t regclass;
BEGIN
  FOR t IN SELECT * FROM pg_temp.tk_tables(tbl) LOOP
    EXECUTE format('DELETE FROM %s x WHERE (hashtextextended(x::text, 0) & 2147483647) %% 1000000 >= %s', t, floor(share * 1000000)::bigint);
  END LOOP;
END $f$;
-- Sampling follows foreign keys: a row whose parent was not kept goes too, until every key holds.
CREATE FUNCTION pg_temp.tk_drop_orphans() RETURNS void LANGUAGE plpgsql AS $f$
DECLARE r record; n bigint; total bigint;
BEGIN
  LOOP
    total := 0;
    FOR r IN SELECT c.conrelid::regclass AS child, c.confrelid::regclass AS parent,
        (SELECT string_agg(format('x.%I', a.attname), ', ' ORDER BY k.i) FROM unnest(c.conkey) WITH ORDINALITY k(n, i)
           JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n) AS ccols,
        (SELECT string_agg(format('p.%I', a.attname), ', ' ORDER BY k.i) FROM unnest(c.confkey) WITH ORDINALITY k(n, i)
           JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n) AS pcols
      FROM pg_constraint c JOIN pg_namespace s ON s.oid = c.connamespace
     WHERE c.contype = 'f' AND s.nspname NOT IN ('pg_catalog', 'information_schema', 'tierkit_sanitize') ORDER BY c.conname LOOP
      EXECUTE format('DELETE FROM %s x WHERE ROW(%s) IS NOT NULL AND NOT EXISTS (SELECT FROM %s p WHERE ROW(%s) = ROW(%s))', r.child, r.ccols, r.parent, r.pcols, r.ccols);
      GET DIAGNOSTICS n = ROW_COUNT;
      total := total + n;
    END LOOP;
    EXIT WHEN total = 0;
  END LOOP;
END $f$;
CREATE FUNCTION pg_temp.tk_mask(tbl text, col text, kind text, val text) RETURNS void LANGUAGE plpgsql AS $f$
DECLARE t regclass; orig text;
BEGIN
  FOR t IN SELECT * FROM pg_temp.tk_tables(tbl) LOOP
    PERFORM pg_temp.tk_need_column(t, col);
    IF kind IN ('null', 'constant', 'keyed-hash') THEN
      orig := format('tierkit_sanitize.o%s', (SELECT count(*) FROM tierkit_sanitize.checks));
      EXECUTE format('CREATE TABLE %s AS SELECT DISTINCT %I::text AS v FROM %s WHERE %I IS NOT NULL', orig, col, t, col);
      INSERT INTO tierkit_sanitize.checks VALUES (t, col, kind, val, orig);
    END IF;
    IF kind = 'null' THEN
      EXECUTE format('UPDATE %s SET %I = NULL WHERE %I IS NOT NULL', t, col, col);
    ELSIF kind = 'constant' THEN
      EXECUTE format('UPDATE %s SET %I = %L WHERE %I IS NOT NULL', t, col, val, col);
    ELSIF kind = 'keyed-hash' THEN
      EXECUTE format('UPDATE %s SET %I = encode(hmac(%I::text, current_setting(''tierkit.key''), ''sha256''), ''hex'') WHERE %I IS NOT NULL', t, col, col, col);
    ELSIF kind = 'generalize-prefix' THEN
      EXECUTE format('UPDATE %s SET %I = left(%I::text, %s) WHERE %I IS NOT NULL', t, col, col, val::int, col);
    ELSIF kind = 'generalize-bucket' THEN
      EXECUTE format('UPDATE %s SET %I = floor(%I::numeric / %s) * %s WHERE %I IS NOT NULL', t, col, col, val::int, val::int, col);
    ELSIF kind = 'generalize-year' THEN
      EXECUTE format('UPDATE %s SET %I = date_trunc(''year'', %I) WHERE %I IS NOT NULL', t, col, col, col);
    ELSE
      RAISE EXCEPTION 'sanitize: unknown action % for %.%', kind, t, col;
    END IF;
  END LOOP;
END $f$;
-- k-anonymity: every combination of the quasi-identifiers' values is shared by at least k rows.
CREATE FUNCTION pg_temp.tk_k_anonymity(tbl text, qi text[], k int) RETURNS void LANGUAGE plpgsql AS $f$
DECLARE t regclass; c text; groups bigint; smallest bigint;
BEGIN
  FOR t IN SELECT * FROM pg_temp.tk_tables(tbl) LOOP
    FOREACH c IN ARRAY qi LOOP PERFORM pg_temp.tk_need_column(t, c); END LOOP;
    EXECUTE format('SELECT count(*), min(n) FROM (SELECT count(*) AS n FROM %s GROUP BY %s HAVING count(*) < %s) g',
      t, (SELECT string_agg(format('%I', x), ', ') FROM unnest(qi) x), k) INTO groups, smallest;
    IF groups > 0 THEN
      RAISE EXCEPTION 'sanitized seed refused: k-anonymity not met on % over (%): % group(s) of fewer than % rows (smallest %)', t, array_to_string(qi, ', '), groups, k, smallest;
    END IF;
  END LOOP;
END $f$;
${SANITIZE_VERIFY}
${SANITIZE_GUARD}
SELECT set_config('tierkit.key', :'key', false) IS NOT NULL AS keyed \\gset
SQL
  printf '%s\\n' 'SELECT pg_temp.tk_guard();' "$TIERKIT_SANITIZE_SQL" 'SELECT pg_temp.tk_verify();'
} | psql -X -q -A -t -v ON_ERROR_STOP=1 -v key="$key" >/dev/null
pg_dump --format=custom --no-owner --no-acl --table="\${TIERKIT_OBJECT_PREFIX}*" --file="$tmp"
content="$(tk_content_hash)"
pg_ctl --pgdata="$data" --mode=fast --silent stop
trap 'rm -rf "$data"; rm -f "$tmp"' EXIT
file="$(sha256sum "$tmp" | cut -d' ' -f1)"
mv "$tmp" "$TIERKIT_DUMP_FILE"
printf 'file_sha256=%s\\ncontent_sha256=%s\\n' "$file" "$content" > "$TIERKIT_HASHES_FILE"
echo "sanitized seed written: $TIERKIT_DUMP_FILE (file sha256 $file, content sha256 $content)"
`;
