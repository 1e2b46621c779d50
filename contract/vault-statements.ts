/**
 * The root rotation tierkit writes on every Vault database connection: the writer
 * (constructs/statements.ts re-exports it) and TK045, which accepts only this or Vault's default.
 */
export const ROOT_ROTATION_STATEMENTS: readonly string[] = [`ALTER ROLE "{{name}}" WITH PASSWORD '{{password}}';`];

/**
 * The expiry guard of a sandbox's dynamic role (issue 18), one statement Vault runs whole (it
 * holds END, so Vault does not split it on `;`) inside the creation transaction:
 * - at or after the sandbox's expiry it raises, so the creation fails and Vault issues nothing:
 *   whoever scales an expired sandbox back up between two TTL sweeps gets no credential;
 * - before it, it clamps the new login's VALID UNTIL to the expiry, so no credential issued
 *   before the expiry logs in after it, whatever its lease says.
 * The writer (constructs/statements.ts) and TK004/TK126 (which accept exactly this text) share it.
 * `expiresAt` is the manifest's ISO instant; PostgreSQL reads it as a timestamptz.
 * Every function, operator and type is pg_catalog's, by name: Vault's connection user runs this in the
 * sandbox's database, whose owner (the group, so the app) may set its search_path and put a `now()`,
 * `>=` or `timestamptz` of its own first — which would run as the connection user (fix10).
 */
export function sandboxExpiryGuard(slug: string, expiresAt: string): string {
  return `DO $tierkit$ BEGIN IF pg_catalog.now() OPERATOR(pg_catalog.>=) '${expiresAt}'::pg_catalog.timestamptz THEN `
    + `RAISE EXCEPTION 'tierkit: sandbox ${slug} expired at ${expiresAt}: no credential is issued after its expiry'; END IF; `
    + `IF '{{expiration}}'::pg_catalog.timestamptz OPERATOR(pg_catalog.>) '${expiresAt}'::pg_catalog.timestamptz THEN ALTER ROLE "{{name}}" VALID UNTIL '${expiresAt}'; END IF; END $tierkit$;`;
}

/**
 * Whether a slug and an expiry may be put into the guard's SQL: a DNS label and a canonical UTC
 * instant (what `Date.toISOString` writes). The rules read both from manifest.json, which a
 * hand-edit can change: anything else would carry text into SQL the connection user runs.
 */
export function expiryGuardInputsOk(slug: string, expiresAt: unknown): expiresAt is string {
  if (typeof expiresAt !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(expiresAt)) return false;
  const t = Date.parse(expiresAt);
  return !Number.isNaN(t) && new Date(t).toISOString() === expiresAt && /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(slug);
}

/**
 * A sandbox's renewal. Vault splits renew statements on `;` (hashicorp/vault
 * plugins/database/postgresql `changeUserExpiration` has no multi-line case), so no DO block:
 * Vault's default renewal, then a statement that fails — rolling the renewal back — when the new
 * expiration lies past the sandbox's expiry. Its error names why (the cast of the message fails).
 * Such a renewal is refused; the login keeps its clamped VALID UNTIL and the lease ends on time.
 */
export function sandboxRenewStatements(slug: string, expiresAt: string): string[] {
  return [
    `ALTER ROLE "{{name}}" VALID UNTIL '{{expiration}}';`,
    // concat() is STABLE, so the planner does not fold the cast of a constant: it fails only for a row.
    `SELECT CAST(pg_catalog.concat('tierkit: sandbox ${slug} expires at ${expiresAt}: no renewal past it') AS pg_catalog.int4) WHERE '{{expiration}}'::pg_catalog.timestamptz OPERATOR(pg_catalog.>) '${expiresAt}'::pg_catalog.timestamptz;`,
  ];
}
