/**
 * The promote credential (ADR-0003 §4, issue 17): per app with a golden sandbox and declared
 * `promoteGrants`, a Vault database role `<app>-promote` on prod's connection that issues a
 * short-lived LOGIN holding exactly the declared DML on the declared prod tables — never
 * membership in the owner group (whose members can drop the database). Readable only by the
 * data-promote workflow's replay job (GitHub OIDC: this repository, environment prod, the
 * workflow at main, a manual dispatch). docs/data-promote.md walks the path.
 */
import type { AppEnvironment } from './app-environment';
import type { ValidationIssue } from './errors';
import { hasGoldenDump } from './lifecycle/plan';
import * as naming from './naming';
import { PolicyRule, quoteIdent } from './statements';
import { Types } from './prop-types';
import { DATA_PROMOTE_WORKFLOW_FILE } from '../contract/ci-names';

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
  table: Types.string, privileges: Types.list(Types.oneOf(DML_PRIVILEGES)),
}, ['table', 'privileges']);

/** The schema promote grants live in (Dolibarr, like most apps, keeps its tables in `public`). */
export const PROMOTE_SCHEMA = 'public';

/** The promote login lives 15 minutes by default, one hour at most: one replay. */
export const PROMOTE_CREDENTIAL_TTL = { defaultSeconds: 900, maxSeconds: 3600 } as const;
/** The replay job's Vault token: long enough to read the credential and revoke itself. */
export const PROMOTE_TOKEN_TTL_SECONDS = 900;
/** One replay, one session. */
export const PROMOTE_CONNECTION_LIMIT = 1;

/** Whether `env` (prod, with a golden sandbox of its app and declared grants) carries the promote credential. */
export function hasPromoteCredential(env: AppEnvironment): boolean {
  return hasGoldenDump(env) && env.app.promoteGrants.length > 0;
}

/** The grants, privileges in canonical order, tables sorted: the statements' text is stable. */
export function canonicalGrants(grants: readonly PromoteTableGrant[]): PromoteTableGrant[] {
  return [...grants]
    .map((g) => ({ table: g.table, privileges: DML_PRIVILEGES.filter((p) => g.privileges.includes(p)) }))
    .sort((a, b) => (a.table < b.table ? -1 : a.table > b.table ? 1 : 0));
}

/**
 * A LOGIN that expires with its lease and holds CONNECT on the prod database plus the declared
 * table privileges, granted by the connection user (a member of the owner group, so the grantor
 * is the owner). No IN ROLE, no SET ROLE: it owns nothing and can change no schema. Revocation is
 * the env's own (DROP OWNED revokes these grants, shared objects' included).
 */
export function promoteCreationStatements(c: naming.Coordinate, grants: readonly PromoteTableGrant[]): string[] {
  return [
    `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}' CONNECTION LIMIT ${PROMOTE_CONNECTION_LIMIT};`,
    `GRANT CONNECT ON DATABASE ${quoteIdent(naming.databaseName(c))} TO "{{name}}";`,
    ...canonicalGrants(grants).map((g) =>
      `GRANT ${g.privileges.join(', ')} ON TABLE ${quoteIdent(PROMOTE_SCHEMA)}.${quoteIdent(g.table)} TO "{{name}}";`),
  ];
}

/** The promote policy: reading the promote credential, nothing else. */
export function promotePolicyRules(app: string, n: naming.EstateNaming): PolicyRule[] {
  return [{ path: naming.promoteCredsPath(app, n), capabilities: ['read'] }];
}

/**
 * The replay job's claims: this repository (name and id), the prod GitHub environment (whose
 * reviewers approve the replay), the data-promote workflow as it is at main, run by hand.
 */
export function promoteClaims(repository: string, repositoryId: string, environment: string): Record<string, string> {
  return {
    repository, repository_id: repositoryId, environment, ref: naming.CI_MAIN_REF, event_name: 'workflow_dispatch',
    job_workflow_ref: naming.jobWorkflowRef(repository, DATA_PROMOTE_WORKFLOW_FILE, naming.CI_MAIN_REF),
  };
}

const IDENT = /^[a-z_][a-z0-9_$]*$/;

/** Issues of an app's promote grants (`path` is the app's construct path). */
export function promoteGrantIssues(path: string, prefix: string, grants: readonly PromoteTableGrant[], hasGoldenSandbox: boolean, hasProd: boolean): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  if (grants.length > 0 && !(hasGoldenSandbox && hasProd)) {
    out.push({ path, property: 'promoteGrants', value: grants.map((g) => g?.table), message: 'declares a promote credential, but the app has no prod env with a golden sandbox to rehearse on', fix: 'remove promoteGrants, or add Tier.PROD and a sandbox seeded SeedProfile.GOLDEN' });
  }
  const seen = new Set<string>();
  grants.forEach((g, i) => {
    const at = `promoteGrants[${i}]`;
    if (typeof g?.table !== 'string' || !IDENT.test(g.table) || !g.table.startsWith(prefix) || g.table.length > 63) {
      out.push({ path, property: `${at}.table`, value: g?.table, message: `is not a lower-case table name of the app (prefix "${prefix}")`, fix: `name a table of schema public, e.g. "${prefix}facture"` });
      return;
    }
    if (seen.has(g.table)) out.push({ path, property: `${at}.table`, value: g.table, message: 'is granted twice', fix: 'merge the two entries' });
    seen.add(g.table);
    const privs = Array.isArray(g.privileges) ? g.privileges : [];
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
