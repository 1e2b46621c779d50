/**
 * App.promoteGrants (issue 17): what the promote credential may write on prod. Kept apart from
 * promote-credential.ts so the App can name its type without importing the env-level model.
 */
import type { ValidationIssue } from './errors';
import { Types } from './prop-types';

/** Privileges a promote grant may carry: data, never schema (TRUNCATE, REFERENCES, TRIGGER are refused). */
export type DmlPrivilege = 'SELECT' | 'INSERT' | 'UPDATE' | 'DELETE';
export const DML_PRIVILEGES: readonly DmlPrivilege[] = ['SELECT', 'INSERT', 'UPDATE', 'DELETE'];

/** One prod table the promote credential may write, and how. */
export interface PromoteTableGrant {
  /** The table, in schema `public`, within the app's object prefix (`llx_facture`). */
  readonly table: string;
  /** Data privileges on it; UPDATE and DELETE with a WHERE clause also need SELECT. */
  readonly privileges: readonly DmlPrivilege[];
}

export const PROMOTE_TABLE_GRANT = Types.shape('PromoteTableGrant', {
  // Privileges are strings here; validation names the data privileges in its fix (promoteGrantIssues).
  table: Types.string, privileges: Types.list(Types.string),
}, ['table', 'privileges']);

const IDENT = /^[a-z_][a-z0-9_$]*$/;

/** Issues of an app's promote grants (`path` is the app's construct path). */
export function promoteGrantIssues(path: string, prefix: string, grants: readonly PromoteTableGrant[], hasGoldenSandbox: boolean, hasProd: boolean): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  // A mistyped entry is the prop types' to report, alone (one problem, one issue).
  const wellTyped = grants.every((g) => typeof g?.table === 'string' && Array.isArray(g.privileges) && g.privileges.every((p) => typeof p === 'string'));
  if (!wellTyped) return out;
  if (grants.length > 0 && !(hasGoldenSandbox && hasProd)) {
    out.push({ path, property: 'promoteGrants', value: grants.map((g) => g?.table), message: 'declares a promote credential, but the app has no prod env with a golden sandbox to rehearse on', fix: 'remove promoteGrants, or add Tier.PROD and a sandbox seeded SeedProfile.GOLDEN' });
  }
  const seen = new Set<string>();
  grants.forEach((g, i) => {
    const at = `promoteGrants[${i}]`;
    if (!IDENT.test(g.table) || !g.table.startsWith(prefix) || g.table.length > 63) {
      out.push({ path, property: `${at}.table`, value: g?.table, message: `is not a lower-case table name of the app (prefix "${prefix}")`, fix: `name a table of schema public, e.g. "${prefix}facture"` });
      return;
    }
    if (seen.has(g.table)) out.push({ path, property: `${at}.table`, value: g.table, message: 'is granted twice', fix: 'merge the two entries' });
    seen.add(g.table);
    const privs = g.privileges;
    if (privs.length === 0) out.push({ path, property: `${at}.privileges`, value: g.privileges, message: 'grants nothing', fix: 'list e.g. ["SELECT", "UPDATE"], or remove the entry' });
    privs.forEach((p, j) => {
      if (!(DML_PRIVILEGES as readonly unknown[]).includes(p)) {
        out.push({ path, property: `${at}.privileges[${j}]`, value: p, message: 'is not a data privilege the promote credential may hold', fix: `use ${DML_PRIVILEGES.join(', ')}; schema changes go through the gated apply` });
      }
    });
    if (new Set(privs).size !== privs.length) out.push({ path, property: `${at}.privileges`, value: privs, message: 'lists a privilege twice', fix: 'list each once' });
  });
  return out;
}
