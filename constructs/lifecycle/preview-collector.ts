/**
 * The preview orphan collector's script (docs/previews.md, "Orphaned preview databases"): run on a
 * schedule as the app's preview admin, the login the PostDelete Job uses, it finds the previews whose
 * PR is gone and drops them as PostDelete would. No Kubernetes or GitHub API: liveness comes from the
 * PR's own credentials. While the PR's Application exists its workload's Vault agent holds a lease on
 * `<db>/creds/<app>-pr-<n>`, whose login was created `VALID UNTIL '{{expiration}}'` (statements.ts) and
 * is moved forward on each renewal (the preview role sets no renew_statements, so Vault's postgres
 * plugin runs its default `ALTER ROLE "{{name}}" VALID UNTIL '{{expiration}}'`, hashicorp/vault
 * plugins/database/postgresql/postgresql.go, defaultPostgresRenewSQL). Once the workload is pruned the
 * lease expires and Vault drops the login; a login whose revocation failed is past its VALID UNTIL.
 *
 * A preview is considered only if all hold: its database is named `<app>-pr-<n>` (naming.ts), is owned
 * by `<app>_pr_<n>_role`, on which the admin holds ADMIN OPTION (it created it), and whose comment is
 * the create step's marker (COMMENT ON ROLE needs that ADMIN OPTION: the PR's code cannot forge or
 * clear it). A preview with no member login valid beyond now is stamped "orphan since <time>"; a live
 * one has its stamp cleared; one stamped longer than the window ago is drained and dropped, after the
 * same check again under the create step's advisory lock (a sync in between clears the stamp).
 *
 * Inputs as the other preview scripts (preview-scripts.ts), without TIERKIT_PR_NUMBER.
 */
import * as naming from '../naming';
import { DRAIN_SQL, PREVIEW_GROUP_MARKER, PREVIEW_RETIRED_MARKER, PREVIEW_SCRIPT_OPENING, previewRolesDropSql, shellName } from './preview-scripts';

/** Bounds of `previews.orphanAfterHours`: at least an hour (a pod restart), at most 90 days. */
export const ORPHAN_AFTER_HOURS_MIN = 1;
export const ORPHAN_AFTER_HOURS_MAX = 2160;

/**
 * Hourly, at minute 17, in UTC. The window is counted in hours, so an hourly pass stamps an orphan
 * at most an hour after its last login expired and drops it at most an hour after the window ends;
 * each pass is three catalog queries. Minute 17 keeps it off the top of the hour, where the other
 * CronJobs and backups of a cluster cluster.
 */
export const PREVIEW_COLLECT_SCHEDULE = '17 * * * *';
export const PREVIEW_COLLECT_TIME_ZONE = 'Etc/UTC';
/**
 * A pass that has not ended in 30 minutes is stopped: with concurrencyPolicy Forbid a hung pass
 * (a drain waiting on a stuck session) would otherwise block every later one. A pass missed by more
 * than 30 minutes is skipped for the next hour's.
 */
export const PREVIEW_COLLECT_DEADLINE_SECONDS = 1800;

/** The stamp's prefix; the time follows as `YYYY-MM-DDTHH:MM:SSZ` (UTC, the server's clock). */
export const ORPHAN_STAMP_PREFIX = `${PREVIEW_GROUP_MARKER} orphan since `;

/**
 * The previews this admin may collect, one row each: number, database, group, live, stamp time (or
 * null). `:'only'` restricts to one number ('' for all). Every function and catalog pg_catalog-qualified.
 */
function candidatesSql(app: string): string {
  const dbTemplate = naming.previewSlug(app, '%s');
  const groupTemplate = naming.previewGroupRoleName(app, '%s');
  // format() templates: an app name is a DNS label, so '%s' is their only directive.
  if ((dbTemplate + groupTemplate).split('%').length !== 3) throw new Error(`preview names of ${app} hold a '%'`);
  const dbPattern = `^${naming.previewSlug(app, '').replaceAll('-', '\\-')}[1-9][0-9]{0,9}$`;
  return `SELECT n.pr, d.datname AS db, g.rolname AS "group",
       EXISTS (SELECT FROM pg_catalog.pg_auth_members am JOIN pg_catalog.pg_roles lm ON lm.oid = am.member
                WHERE am.roleid = g.oid AND lm.rolname <> CURRENT_USER AND lm.rolcanlogin
                  AND (lm.rolvaliduntil IS NULL OR lm.rolvaliduntil > pg_catalog.now())) AS live,
       CASE WHEN c.comment ~ '^${ORPHAN_STAMP_PREFIX}[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$'
            THEN pg_catalog.substr(c.comment, ${ORPHAN_STAMP_PREFIX.length + 1})::pg_catalog.timestamptz END AS stamped
  FROM pg_catalog.pg_database d
  CROSS JOIN LATERAL (SELECT pg_catalog.substring(d.datname, '[0-9]+$') AS pr) n
  JOIN pg_catalog.pg_roles g ON g.oid = d.datdba AND g.rolname = pg_catalog.format('${groupTemplate}', n.pr)
  CROSS JOIN LATERAL (SELECT pg_catalog.shobj_description(g.oid, 'pg_authid') AS comment) c
 WHERE d.datname ~ '${dbPattern}' AND d.datname = pg_catalog.format('${dbTemplate}', n.pr)
   AND (:'only' = '' OR n.pr = :'only')
   AND (c.comment = '${PREVIEW_GROUP_MARKER}' OR c.comment LIKE '${ORPHAN_STAMP_PREFIX}%')
   AND EXISTS (SELECT FROM pg_catalog.pg_auth_members a JOIN pg_catalog.pg_roles me ON me.oid = a.member
                WHERE a.roleid = g.oid AND me.rolname = CURRENT_USER AND a.admin_option)`;
}

export function previewCollectScript(app: string, orphanAfterHours: number): string {
  if (!Number.isInteger(orphanAfterHours) || orphanAfterHours < ORPHAN_AFTER_HOURS_MIN || orphanAfterHours > ORPHAN_AFTER_HOURS_MAX) {
    throw new RangeError(`orphanAfterHours ${orphanAfterHours} is not a whole number of hours in [${ORPHAN_AFTER_HOURS_MIN}, ${ORPHAN_AFTER_HOURS_MAX}]`);
  }
  const lock = `${naming.previewSlug(app, '')}%`; // the create step's lock: a sync and a collection never interleave
  const due = `NOT live AND stamped IS NOT NULL AND stamped < pg_catalog.now() - pg_catalog.make_interval(hours => ${orphanAfterHours})`;
  return `${PREVIEW_SCRIPT_OPENING}# shellcheck disable=SC1090
. "$TIERKIT_CREDENTIALS_FILE"
: "\${PGUSER:?credentials file sets no PGUSER}" "\${PGPASSWORD:?credentials file sets no PGPASSWORD}"
# Nothing the PR's code could plant (a function shadowing a built-in) is found before pg_catalog.
export PGOPTIONS="-c search_path=pg_catalog,pg_temp"
# Stamp the newly orphaned, clear the stamp of the live; print the numbers due for collection.
due="$(psql -X -q -A -t -v ON_ERROR_STOP=1 -v only= -v lock=${JSON.stringify(lock)} <<'SQL'
SELECT pg_catalog.pg_advisory_lock(pg_catalog.hashtext(:'lock')) \\g /dev/null
WITH candidates AS (${candidatesSql(app)})
SELECT pg_catalog.format('COMMENT ON ROLE %I IS %L', "group", '${ORPHAN_STAMP_PREFIX}' || pg_catalog.to_char(pg_catalog.now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
  FROM candidates WHERE NOT live AND stamped IS NULL ORDER BY pr::pg_catalog.int8 \\gexec
WITH candidates AS (${candidatesSql(app)})
SELECT pg_catalog.format('COMMENT ON ROLE %I IS %L', "group", '${PREVIEW_GROUP_MARKER}') FROM candidates WHERE live AND stamped IS NOT NULL ORDER BY pr::pg_catalog.int8 \\gexec
WITH candidates AS (${candidatesSql(app)})
SELECT pr FROM candidates WHERE ${due} ORDER BY pr::pg_catalog.int8;
SQL
)"
status=0
for pr in $due; do
  [[ "$pr" =~ ^[1-9][0-9]{0,9}$ ]] || { echo "tierkit: unexpected preview number '$pr'" >&2; exit 3; }
  db=${shellName((pr) => naming.previewSlug(app, pr))}
  group=${shellName((pr) => naming.previewGroupRoleName(app, pr))}
  # Checked again under the lock: a sync since the listing has cleared the stamp, and nothing is dropped.
  if ! psql -X -q -v ON_ERROR_STOP=1 -v only="$pr" -v db="$db" -v group="$group" -v lock=${JSON.stringify(lock)} <<'SQL'
SELECT pg_catalog.pg_advisory_lock(pg_catalog.hashtext(:'lock')) \\g /dev/null
SELECT EXISTS (SELECT FROM (${candidatesSql(app)}) c WHERE ${due}) AS still_due \\gset
\\if :still_due
${DRAIN_SQL}SELECT pg_catalog.format('DROP DATABASE IF EXISTS %I WITH (FORCE)', :'db') \\gexec
${previewRolesDropSql(app)}\\echo tierkit: orphaned preview database :db collected
\\else
\\echo tierkit: preview database :db is live again, kept
\\endif
SQL
  then echo "tierkit: collecting preview database $db failed; the others go on" >&2; status=1; fi
done
# Retired roles (preview-scripts.ts, roleRemoveSql) whose pinning grants are gone, dropped one by one: one
# pinned again meanwhile (its DROP fails) waits for a later pass without stopping the others.
if ! psql -X -q -v ON_ERROR_STOP=1 <<'SQL'
DO $$ DECLARE r record; BEGIN
  FOR r IN SELECT x.rolname FROM pg_catalog.pg_roles x
    WHERE x.rolname ~ '^${naming.previewRetiredRolePrefix(app)}[0-9]+$' AND pg_catalog.shobj_description(x.oid, 'pg_authid') = '${PREVIEW_RETIRED_MARKER}'
      AND EXISTS (SELECT FROM pg_catalog.pg_auth_members a JOIN pg_catalog.pg_roles me ON me.oid = a.member
                   WHERE a.roleid = x.oid AND me.rolname = CURRENT_USER AND a.admin_option)
      AND NOT EXISTS (SELECT FROM pg_catalog.pg_shdepend s WHERE s.refclassid = 'pg_catalog.pg_authid'::pg_catalog.regclass AND s.refobjid = x.oid)
    ORDER BY x.rolname
  LOOP
    BEGIN
      EXECUTE pg_catalog.format('DROP ROLE %I', r.rolname);
      RAISE NOTICE 'tierkit: retired preview role % dropped', r.rolname;
    EXCEPTION WHEN dependent_objects_still_exist THEN
      RAISE NOTICE 'tierkit: retired preview role % is still pinned, kept', r.rolname;
    END;
  END LOOP;
END $$;
SQL
then echo "tierkit: dropping retired preview roles failed" >&2; status=1; fi
echo "tierkit: orphan collection done"
exit "$status"
`;
}
