/**
 * Vault JWT auth login matching — which token claim sets a `vault_jwt_auth_backend_role` admits —
 * implemented as Vault does it, so rules and tests can evaluate the synthesized roles against the
 * tokens of real GitHub Actions runs instead of comparing strings:
 * - bound_claims: hashicorp/vault-plugin-auth-jwt claims.go at 10ea64cb792366f3c56200c57999f8772698abf8
 *   (`validateBoundClaims`, `matchFound`, `normalizeList`, `getClaim`): every bound claim must be
 *   present; the bound value and the token's value are each normalized to a list (a string, bool or
 *   number becomes a one-element list); one pair must match — `string`: same type and value (Go
 *   interface equality: the string "true" never equals the boolean true, nor "42" the number 42),
 *   `glob`: `ryanuber/go-glob` on strings (`*` matches any run of characters, `/` included). A claim
 *   name starting with `/` is a JSON pointer.
 * - bound_audiences (`validateAudience`, strict for `jwt` roles): one of the token's `aud` must be
 *   bound; a `jwt` role binding none refuses a token that carries an audience.
 * - bound_subject: `sub` must equal it.
 * - The Terraform provider (vault_jwt_auth_backend_role) splits each bound claim value on commas into
 *   a list unless `disable_bound_claims_parsing` (provider docs: "Disable bound claim value parsing.
 *   Useful when values contain commas."): `"push,pull_request"` binds either event.
 */

export type ClaimSet = Readonly<Record<string, unknown>>;

/** A JWT role as Vault holds it after the provider wrote it. */
export interface JwtBinding {
  readonly roleType: string;
  readonly boundClaimsType: 'string' | 'glob' | string;
  readonly boundClaims: Readonly<Record<string, readonly unknown[]>>;
  readonly boundAudiences: readonly string[];
  readonly boundSubject?: string;
}

function asStrings(v: unknown): string[] {
  return Array.isArray(v) ? v.map(String) : typeof v === 'string' && v !== '' ? [v] : [];
}

/** The binding Vault receives from a `vault_jwt_auth_backend_role`'s Terraform attributes. */
export function bindingOf(attributes: Readonly<Record<string, unknown>>): JwtBinding {
  const parse = attributes.disable_bound_claims_parsing !== true && attributes.disable_bound_claims_parsing !== 'true';
  const raw = (attributes.bound_claims ?? {}) as Record<string, unknown>;
  const boundClaims: Record<string, unknown[]> = {};
  for (const [k, v] of Object.entries(raw)) {
    boundClaims[k] = Array.isArray(v) ? v : typeof v === 'string' && parse ? v.split(',').map((x) => x.trim()) : [v];
  }
  return {
    roleType: typeof attributes.role_type === 'string' ? attributes.role_type : 'oidc',
    // Vault's default is `string`.
    boundClaimsType: typeof attributes.bound_claims_type === 'string' && attributes.bound_claims_type !== '' ? attributes.bound_claims_type : 'string',
    boundClaims,
    boundAudiences: asStrings(attributes.bound_audiences),
    boundSubject: typeof attributes.bound_subject === 'string' && attributes.bound_subject !== '' ? attributes.bound_subject : undefined,
  };
}

/** ryanuber/go-glob `Glob(pattern, subj)`: only `*` is special. */
export function goGlob(pattern: string, subj: string): boolean {
  if (pattern === '') return subj === pattern;
  if (pattern === '*') return true;
  const parts = pattern.split('*');
  if (parts.length === 1) return subj === pattern;
  const leading = pattern.startsWith('*');
  const trailing = pattern.endsWith('*');
  const end = parts.length - 1;
  let rest = subj;
  for (let i = 0; i < end; i++) {
    const idx = rest.indexOf(parts[i]);
    if (i === 0 ? !leading && idx !== 0 : idx < 0) return false;
    rest = rest.slice(idx + parts[i].length);
  }
  return trailing || rest.endsWith(parts[end]);
}

function getClaim(claims: ClaimSet, name: string): unknown {
  if (!name.startsWith('/')) return claims[name];
  let v: unknown = claims;
  for (const seg of name.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[seg];
  }
  return v;
}

/** A scalar as Go's interface equality sees it: type and value. */
function key(v: unknown): string | undefined {
  if (typeof v === 'string') return `s:${v}`;
  if (typeof v === 'boolean') return `b:${v}`;
  if (typeof v === 'number') return `n:${v}`;
  return undefined;
}

function normalizeList(v: unknown): unknown[] | undefined {
  if (Array.isArray(v)) return v;
  return typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number' ? [v] : undefined;
}

/** Undefined when Vault would log this token in with the role; otherwise why not (Vault's reason). */
export function loginRefusal(b: JwtBinding, token: ClaimSet): string | undefined {
  const aud = asStrings(token.aud);
  if (b.roleType === 'jwt' && b.boundAudiences.length === 0 && aud.length > 0) return 'audience claim found in JWT but no audiences bound to the role';
  if (b.boundAudiences.length > 0 && !b.boundAudiences.some((a) => aud.includes(a))) return 'aud claim does not match any bound audience';
  if (b.boundSubject !== undefined && token.sub !== b.boundSubject) return 'sub claim does not match bound subject';
  const glob = b.boundClaimsType === 'glob';
  for (const [claim, expected] of Object.entries(b.boundClaims)) {
    const actual = getClaim(token, claim);
    if (actual === undefined || actual === null) return `claim "${claim}" is missing`;
    const acts = normalizeList(actual);
    if (!acts) return `received claim is not a string, bool, int or list: ${JSON.stringify(actual)}`;
    const found = expected.some((e) => acts.some((a) => (glob
      ? typeof e === 'string' && typeof a === 'string' && goGlob(e, a)
      : key(a) !== undefined && key(a) === key(e))));
    if (!found) return `claim "${claim}" does not match any associated bound claim values`;
  }
  return undefined;
}
