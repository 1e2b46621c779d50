import { isUnknown } from '../../../contract/terraform/unknown';

/**
 * The attributes of each modelled Vault resource that the provider joins into a request path
 * (`*` walks a list of blocks), and a quota's `path`, the mount path it applies to. The Vault API client cleans that path before sending it
 * (hashicorp/vault api/client.go NewRequest: `Path: path.Join(addr.Path, requestPath)`), so a KV
 * name `erp-sandbox/../erp/config` or a mount `kvv2/` is written to `kvv2/data/erp/config` while
 * every rule reads the path as written.
 */
export const VAULT_PATH_ATTRIBUTES: Readonly<Record<string, readonly string[]>> = {
  vault_policy: ['name'],
  vault_kubernetes_auth_backend_role: ['backend', 'role_name'],
  vault_jwt_auth_backend_role: ['backend', 'role_name'],
  vault_jwt_auth_backend: ['path'],
  vault_auth_backend: ['path'],
  vault_mount: ['path'],
  vault_database_secrets_mount: ['path', 'postgresql/*/name'],
  vault_database_secret_backend_connection: ['backend', 'name'],
  vault_database_secret_backend_role: ['backend', 'name'],
  vault_kv_secret_v2: ['mount', 'name'],
  vault_quota_lease_count: ['name', 'path'],
  vault_quota_rate_limit: ['name', 'path'],
};

/** Each value of `attribute` in `a`, with its JSON pointer suffix (`postgresql/0/name`). */
export function valuesAt(a: Readonly<Record<string, unknown>>, attribute: string): [string, unknown][] {
  const [head, star, ...rest] = attribute.split('/');
  const v = a[head];
  if (star !== '*') return v === undefined ? [] : [[head, v]];
  const list = Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
  return list.flatMap((b, i) => {
    const at = Array.isArray(v) ? `${head}/${i}` : head;
    if (!b || typeof b !== 'object' || isUnknown(b)) return [[at, b] as [string, unknown]];
    return valuesAt(b as Record<string, unknown>, rest.join('/')).map(([p, x]) => [`${at}/${p}`, x] as [string, unknown]);
  });
}

/**
 * Why a path component is not already what Go's path.Clean leaves it, or undefined: clean means no
 * empty, `.` or `..` segment, so no leading, trailing or doubled `/`. Refused, not cleaned: tierkit
 * then judges exactly the path Vault writes.
 */
export function uncleanPath(value: string): string | undefined {
  if (value === '') return 'is empty';
  if (value.startsWith('/')) return 'starts with "/"';
  if (value.endsWith('/')) return 'ends with "/"';
  if (value.includes('//')) return 'holds "//"';
  const dot = value.split('/').find((s) => s === '.' || s === '..');
  return dot === undefined ? undefined : `holds a "${dot}" segment`;
}
