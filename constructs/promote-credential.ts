/**
 * The promote credential (ADR-0003 §4, issue 17): per app with a golden sandbox and declared
 * `promoteGrants`, a Vault database role `<app>-promote` on prod's connection that issues a
 * short-lived LOGIN holding exactly the declared DML on the declared prod tables — never
 * membership in the owner group (whose members can drop the database). Readable only by the
 * data-promote workflow's replay job (GitHub OIDC: this repository, environment prod, the
 * workflow at main, a manual dispatch). docs/data-promote.md walks the path.
 */
import type { AppEnvironment } from './app-environment';
import { hasGoldenDump } from './lifecycle/plan';
import type { Sandbox } from './sandbox';
import { SeedProfile } from './enums';
import * as naming from './naming';
import { PolicyRule, quoteIdent } from './statements';
import { PromoteTableGrant, DML_PRIVILEGES } from './promote-grants';
import { compareStrings } from '../contract/order';

export { DML_PRIVILEGES, PROMOTE_TABLE_GRANT, promoteGrantIssues } from './promote-grants';
export type { DmlPrivilege, PromoteTableGrant } from './promote-grants';
// The replay job's claims are the contract's: TK161 judges the rendered role against the same definition.
export { promoteClaims } from '../contract/ci-names';

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
    .sort((a, b) => compareStrings(a.table, b.table));
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
 * The sandbox a data promote of `env`'s app rehearses on: its golden sandbox (the first by name
 * when it has several), reset from the golden before every rehearsal.
 */
export function rehearsalSandbox(env: AppEnvironment): Sandbox | undefined {
  return env.app.sandboxes.filter((s) => s.seed === SeedProfile.GOLDEN)
    .sort((a, b) => compareStrings(a.coordinate.env, b.coordinate.env))[0];
}

/**
 * The rehearse policy: the golden sandbox's own dynamic credential (what its reset runs with) and
 * the golden's published hashes (what the reset and the rehearsal verify against). Nothing of prod.
 */
export function rehearsePolicyRules(app: string, sandbox: naming.Coordinate, n: naming.EstateNaming): PolicyRule[] {
  return [
    { path: naming.vaultCredsPath(sandbox, n), capabilities: ['read'] },
    { path: `${n.kvMount}/data/${naming.seedHashKvSecretName(app, 'golden')}`, capabilities: ['read'] },
  ];
}
