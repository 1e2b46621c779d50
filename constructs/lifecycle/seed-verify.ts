/**
 * The verification the golden's scrub and a sanitized profile both run before a seed is published
 * (issue 22): no original value of a masked column survives (a constant that was already there
 * excepted), and every foreign key holds. One text, so the two producers cannot drift apart; each
 * keeps its own schema, function name and messages (the rendered scripts name them, tests read them).
 */
export interface SeedVerifyNames {
  /** The producer's scratch schema holding `checks` and the originals (`tierkit_scrub`). */
  readonly schema: string;
  /** The verify function's name in pg_temp (`tk_scrub_verify`). */
  readonly fn: string;
  /** How a refusal begins (`scrub verification failed`). */
  readonly refused: string;
  /** What follows a broken foreign key's message (` after the scrub`), or ''. */
  readonly fkSuffix: string;
}

/** `CREATE FUNCTION pg_temp.<fn>()`: refuses (RAISE) on a surviving original or a broken key, then drops the scratch schema and pgcrypto. */
export function seedVerifyFunction(n: SeedVerifyNames): string {
  return `CREATE FUNCTION pg_temp.${n.fn}() RETURNS void LANGUAGE plpgsql AS $f$
DECLARE r record; n bigint;
BEGIN
  FOR r IN SELECT * FROM ${n.schema}.checks LOOP
    EXECUTE format('SELECT count(*) FROM %s x JOIN %s o ON x.%I::text = o.v WHERE %L IS NULL OR x.%I IS DISTINCT FROM %L',
      r.tbl, r.orig, r.col, r.value, r.col, r.value) INTO n;
    IF n > 0 THEN RAISE EXCEPTION '${n.refused}: % row(s) of %.% still hold an original value', n, r.tbl, r.col; END IF;
  END LOOP;
  FOR r IN SELECT c.conname, c.conrelid::regclass AS child, c.confrelid::regclass AS parent,
      (SELECT string_agg(format('x.%I', a.attname), ', ' ORDER BY k.i) FROM unnest(c.conkey) WITH ORDINALITY k(n, i)
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n) AS ccols,
      (SELECT string_agg(format('p.%I', a.attname), ', ' ORDER BY k.i) FROM unnest(c.confkey) WITH ORDINALITY k(n, i)
         JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n) AS pcols
    FROM pg_constraint c JOIN pg_namespace s ON s.oid = c.connamespace
   WHERE c.contype = 'f' AND s.nspname NOT IN ('pg_catalog', 'information_schema', '${n.schema}') LOOP
    EXECUTE format('SELECT count(*) FROM %s x WHERE ROW(%s) IS NOT NULL AND NOT EXISTS (SELECT FROM %s p WHERE ROW(%s) = ROW(%s))',
      r.child, r.ccols, r.parent, r.pcols, r.ccols) INTO n;
    IF n > 0 THEN RAISE EXCEPTION '${n.refused}: % row(s) of % break foreign key %${n.fkSuffix}', n, r.child, r.conname; END IF;
  END LOOP;
  DROP SCHEMA ${n.schema} CASCADE;
  DROP EXTENSION pgcrypto;
END $f$;`;
}

/** The golden dump's scrub (scripts.ts). */
export const SCRUB_VERIFY = seedVerifyFunction({ schema: 'tierkit_scrub', fn: 'tk_scrub_verify', refused: 'scrub verification failed', fkSuffix: ' after the scrub' });
/** A sanitized profile's producer (seed-scripts.ts). */
export const SANITIZE_VERIFY = seedVerifyFunction({ schema: 'tierkit_sanitize', fn: 'tk_verify', refused: 'sanitized seed refused', fkSuffix: '' });

/**
 * `CREATE FUNCTION pg_temp.<fn>()`: refuses (RAISE) when a rule or trigger of the restored dump would
 * fire during the masking. The work role runs with session_replication_role = replica, so only rules
 * and triggers enabled ALWAYS or REPLICA fire; prod's app owns its tables and can set one that copies
 * OLD values into another table as the masking updates or deletes them (attack6a). Refused, not
 * dropped: the golden keeps prod's schema, and a rule like that in prod is a finding for a human.
 */
export function seedGuardFunction(fn: string, refused: string): string {
  return `CREATE FUNCTION pg_temp.${fn}() RETURNS void LANGUAGE plpgsql AS $f$
DECLARE found text;
BEGIN
  SELECT string_agg(w, ', ' ORDER BY w) INTO found FROM (
    SELECT format('rule %I on %s', r.rulename, r.ev_class::regclass) AS w FROM pg_rewrite r
     WHERE r.ev_enabled IN ('A', 'R') AND NOT (r.rulename = '_RETURN' AND r.ev_type = '1')
    UNION ALL
    SELECT format('trigger %I on %s', t.tgname, t.tgrelid::regclass) FROM pg_trigger t
     WHERE NOT t.tgisinternal AND t.tgenabled IN ('A', 'R')) x;
  IF found IS NOT NULL THEN
    RAISE EXCEPTION '${refused}: % fire(s) during the masking (ENABLE ALWAYS or ENABLE REPLICA) and could copy what it masks', found;
  END IF;
END $f$;`;
}
/** The golden dump's scrub (scripts.ts). */
export const SCRUB_GUARD = seedGuardFunction('tk_scrub_guard', 'scrub refused');
/** A sanitized profile's producer (seed-scripts.ts). */
export const SANITIZE_GUARD = seedGuardFunction('tk_guard', 'sanitized seed refused');
