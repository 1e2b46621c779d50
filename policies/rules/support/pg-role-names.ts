/**
 * How a role name written in dist/ reads to PostgreSQL. The provider quotes every role it writes
 * (pq.QuoteIdentifier) and treats only the exact string "public" as PUBLIC
 * (cyrilgdn/terraform-provider-postgresql@ff936b9 postgresql/helpers.go:571 `publicRole = "public"`,
 * resource_postgresql_grant.go:753 `role != publicRole`). PostgreSQL's grammar maps a role spec to
 * PUBLIC only when the identifier, after quoting, is exactly `public` (gram.y RoleSpec: strcmp with
 * "public"): `FROM "PUBLIC"` names an ordinary role of that name, which `CREATE ROLE "PUBLIC"` makes.
 */
export const isPublicRole = (role: unknown): boolean => role === 'public';

/**
 * Names PostgreSQL's grammar reads as keywords in some spelling — PUBLIC, NONE (refused as a role
 * name), CURRENT_USER, SESSION_USER, CURRENT_ROLE — in any case. Quoted in another case each is an
 * ordinary role a reviewer (and a rule comparing case-insensitively) takes for the keyword: no
 * estate role may take one. (pg_* is PostgreSQL's own, refused by `RESERVED_ROLE` too.)
 */
export const KEYWORD_ROLE = /^(public|none|current_user|session_user|current_role)$/i;
