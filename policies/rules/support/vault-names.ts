import type { TerraformResource } from '../../../contract';
import { isUnknown } from '../../../contract/terraform/unknown';
import type { EstateGraph } from '../../graph/types';

/**
 * Every Vault object name, and every policy name, that the modelled Vault resources write, with how
 * Vault canonicalises it (TK152). Vault keys some names case-insensitively:
 * - ACL policies: vault/policy_store.go `sanitizeName` = strings.ToLower(strings.TrimSpace(name));
 * - the policies a login hands out: vault/request_handling.go runs auth.Policies through
 *   sdk/helper/policyutil `SanitizePolicies` (ToLower(TrimSpace(p)) per entry, then
 *   strutil.RemoveDuplicates, which trims and lowercases again);
 * - Kubernetes auth roles: vault-plugin-auth-kubernetes stores and reads `role/` + strings.ToLower(name)
 *   (path_role.go pathRoleCreateUpdate, backend.go role());
 * - JWT auth roles: vault-plugin-auth-jwt declares `name` as framework.TypeLowerCaseString (path_role.go),
 *   which sdk/framework returns strings.ToLower'd.
 * Database secrets engine roles and connections are case-sensitive (builtin/logical/database:
 * `name` is framework.TypeString, stored at `role/` + name): they are canonical as written.
 */
export type VaultNameKind = 'policy' | 'kubernetes-role' | 'jwt-role' | 'database-role' | 'database-connection';

export interface VaultNameUse {
  readonly kind: VaultNameKind;
  /** True for the object's own name; false for a reference to a policy or role (token_policies, default_role). */
  readonly declares: boolean;
  /** The attribute as a JSON pointer suffix (`name`, `token_policies/0`, `postgresql/1/name`). */
  readonly attribute: string;
  readonly value: unknown;
  /** The mount the object lives in (auth and database kinds); '' for policies. */
  readonly mount: string;
  readonly resource: TerraformResource;
}

/** Kinds Vault lowercases (and, for policies, trims) before storing or looking up. */
export const CASE_INSENSITIVE: ReadonlySet<VaultNameKind> = new Set(['policy', 'kubernetes-role', 'jwt-role']);

export const KIND_LABEL: Readonly<Record<VaultNameKind, string>> = {
  'policy': 'Vault policy name',
  'kubernetes-role': 'Kubernetes auth role name',
  'jwt-role': 'JWT auth role name',
  'database-role': 'database secrets role name',
  'database-connection': 'database connection name',
};

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);
const mountOf = (v: unknown, fallback: string): string => (typeof v === 'string' ? v.replace(/^\/+|\/+$/g, '') : v === undefined ? fallback : '?');

/** The types usesOf reads (its switch): every other resource of the estate is skipped before any closure is made. */
const NAMED_TYPES: ReadonlySet<string> = new Set(['vault_policy', 'vault_kubernetes_auth_backend_role', 'vault_jwt_auth_backend_role',
  'vault_jwt_auth_backend', 'vault_database_secret_backend_role', 'vault_database_secret_backend_connection', 'vault_database_secrets_mount']);

function usesOf(r: TerraformResource): VaultNameUse[] {
  if (!NAMED_TYPES.has(r.type)) return [];
  const a = r.attributes;
  const out: VaultNameUse[] = [];
  const add = (kind: VaultNameKind, declares: boolean, attribute: string, value: unknown, mount = '') =>
    out.push({ kind, declares, attribute, value, mount, resource: r });
  const policyRefs = () => {
    for (const attr of ['token_policies', 'policies']) {
      const v = a[attr];
      if (v === undefined || v === null) continue;
      if (!Array.isArray(v)) add('policy', false, attr, v);
      else v.forEach((p, i) => add('policy', false, `${attr}/${i}`, p));
    }
  };
  switch (r.type) {
    case 'vault_policy':
      add('policy', true, 'name', a.name);
      break;
    case 'vault_kubernetes_auth_backend_role':
      add('kubernetes-role', true, 'role_name', a.role_name, mountOf(a.backend, 'kubernetes'));
      policyRefs();
      break;
    case 'vault_jwt_auth_backend_role':
      add('jwt-role', true, 'role_name', a.role_name, mountOf(a.backend, 'jwt'));
      policyRefs();
      break;
    case 'vault_jwt_auth_backend':
      if (a.default_role !== undefined && a.default_role !== null && a.default_role !== '') add('jwt-role', false, 'default_role', a.default_role, mountOf(a.path, 'jwt'));
      break;
    case 'vault_database_secret_backend_role':
      add('database-role', true, 'name', a.name, mountOf(a.backend, '?'));
      break;
    case 'vault_database_secret_backend_connection':
      add('database-connection', true, 'name', a.name, mountOf(a.backend, '?'));
      break;
    case 'vault_database_secrets_mount': {
      const blocks = a.postgresql;
      list(blocks).forEach((b, i) => {
        const name = b && typeof b === 'object' && !isUnknown(b) ? (b as Record<string, unknown>).name : b;
        add('database-connection', true, Array.isArray(blocks) ? `postgresql/${i}/name` : 'postgresql/name', name, mountOf(a.path, '?'));
      });
      break;
    }
    default:
      break;
  }
  return out;
}

const cache = new WeakMap<EstateGraph, VaultNameUse[]>();

/** Every name use of every modelled Vault resource (data sources excluded: they write nothing), once per graph. */
export function vaultNameUses(g: EstateGraph): VaultNameUse[] {
  let uses = cache.get(g);
  if (!uses) {
    uses = g.resources.filter((r) => r.kind !== 'data').flatMap(usesOf);
    cache.set(g, uses);
  }
  return uses;
}

/** Go's strings.TrimSpace over ASCII: the only whitespace a name that passes `nameProblem` can hold. */
const ASCII_SPACE = /^[\t\n\v\f\r ]+|[\t\n\v\f\r ]+$/g;

/** The key Vault files a name under (lowercased and trimmed for the case-insensitive kinds). */
export function vaultKey(kind: VaultNameKind, name: string): string {
  return CASE_INSENSITIVE.has(kind) ? name.replace(ASCII_SPACE, '').toLowerCase() : name;
}

const CANONICAL = /^[a-z0-9_.-]+$/;

/**
 * Why a name is not in Vault's canonical form, or undefined. Outside printable ASCII, Go's Unicode
 * ToLower/TrimSpace (e.g. U+0085 and U+00A0 are spaces to Go; U+0130 folds to "i") is not what
 * JavaScript computes, so such a name is refused rather than guessed.
 */
export function nameProblem(kind: VaultNameKind, value: unknown): string | undefined {
  if (isUnknown(value)) return 'is an expression tierkit cannot resolve';
  if (typeof value !== 'string') return `is ${JSON.stringify(value ?? null)}, not a string`;
  if (value === '') return 'is empty';
  // Already canonical for every kind (lowercase, no space, only Vault's name characters): the checks below all pass.
  if (CANONICAL.test(value)) return undefined;
  const odd = [...value].find((c) => c < ' ' || c > '~');
  if (odd !== undefined) return `holds U+${odd.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}, outside printable ASCII: Vault's Unicode lowercasing and trimming cannot be checked`;
  const key = vaultKey(kind, value);
  if (key !== value) return `is not Vault's canonical form: Vault files it as ${JSON.stringify(key)}`;
  // Vault's role paths accept only framework.GenericNameRegex (\w, '-', '.'); a policy name holding
  // '/', '%', '?' or a space goes through HTTP path handling tierkit does not model: refused, not guessed.
  const bad = [...value].find((c) => !/[A-Za-z0-9_.-]/.test(c));
  return bad === undefined ? undefined : `holds ${JSON.stringify(bad)}: tierkit models only names of letters, digits, '_', '.' and '-' (Vault's name pattern), not how Vault's path handling treats it`;
}

/**
 * Vault's built-in ACL policies (hashicorp/vault vault/policy_store.go): `default` is attached to
 * every token Vault issues (prod's included) and `vault_policy` overwrites it in place (SetPolicy
 * refuses only the immutable ones; DeletePolicy refuses `default`); `root` and `response-wrapping`
 * are immutablePolicies, `control-group` is Enterprise's. Names as Vault keys them (sanitizeName:
 * ToLower(TrimSpace)): no stack declares one, no policy but the platform's may write one.
 */
export const BUILTIN_POLICIES: readonly string[] = ['control-group', 'default', 'response-wrapping', 'root'];
