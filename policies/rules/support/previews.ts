import * as naming from '../../../constructs/naming';
import type { AuthRole, Database, DatabaseGrant, Env, Role, Stack, VaultConnection, VaultPolicy } from '../../graph/types';

/**
 * Per-PR previews (docs/previews.md): which pieces of an env's stack are its app's preview admin,
 * home database, connection and Jobs' identity. Other rules leave exactly these to TK170–TK172,
 * which judge them whole. Every name is derived again from the env's app (naming.ts), never read
 * from the manifest's `previews.names`: a hand-edited manifest cannot turn a prod role into a
 * "preview admin". Only the env's own app-environment stack may hold them, and only an env the
 * manifest says holds previews.
 */

export interface PreviewNames {
  readonly adminRole: string;
  readonly homeDatabase: string;
  readonly connection: string;
  readonly rolePattern: string;
  /** Every name the pattern admits starts with this. */
  readonly prefix: string;
  readonly adminKvSecret: string;
  readonly jobs: string;
  readonly jobsNamespace: string;
}

export function previewNames(app: string): PreviewNames {
  return {
    adminRole: naming.previewAdminRoleName(app), homeDatabase: naming.previewHomeDatabaseName(app), connection: naming.previewConnectionName(app),
    rolePattern: naming.previewVaultRolePattern(app), prefix: naming.previewSlug(app, ''), adminKvSecret: naming.previewAdminKvSecretName(app),
    jobs: naming.previewApplicationSetName(app), jobsNamespace: naming.PREVIEW_JOBS_NAMESPACE,
  };
}

/** The env whose previews `stack` may hold: its own env, when the manifest declares previews there and this is its app-environment stack. */
export function previewHost(stack: Stack): Env | undefined {
  const env = stack.env;
  if (!env || env.previews === undefined || env.previews === null) return undefined;
  if (stack.manifest?.kind !== 'app-environment' || stack.name !== env.stack || typeof env.app !== 'string') return undefined;
  return env;
}

const namesOf = (stack: Stack) => {
  const env = previewHost(stack);
  return env ? previewNames(env.app) : undefined;
};

export const isPreviewAdmin = (r: Role) => namesOf(r.stack)?.adminRole === r.name;
export const isPreviewHome = (d: Database) => namesOf(d.stack)?.homeDatabase === d.name;
/** The home database's own grants: PUBLIC's revoke and the admin's CONNECT (TK170 judges them). */
export const isPreviewHomeGrant = (gr: DatabaseGrant) => namesOf(gr.stack)?.homeDatabase === gr.database;
export const isPreviewConnection = (c: VaultConnection) => namesOf(c.stack)?.connection === c.name;
export const isPreviewJobsPolicy = (p: VaultPolicy) => namesOf(p.stack)?.jobs === p.name;
export const isPreviewJobsAuthRole = (a: AuthRole) => a.kind === 'kubernetes' && namesOf(a.stack)?.jobs === a.name;

/**
 * Vault's match of a role name against `allowed_roles` (`strutil.StrListContainsGlob` in
 * hashicorp/vault builtin/logical/database/path_creds_create.go, ryanuber/go-glob): `*` anywhere
 * matches any run of characters; the pieces between must appear in order.
 */
export function vaultGlobMatches(pattern: string, name: string): boolean {
  if (pattern === '*') return true;
  const parts = pattern.split('*');
  if (parts.length === 1) return name === pattern;
  if (!name.startsWith(parts[0]) || !name.endsWith(parts[parts.length - 1])) return false;
  let at = parts[0].length;
  for (const part of parts.slice(1, -1)) {
    const i = name.indexOf(part, at);
    if (i < 0) return false;
    at = i + part.length;
  }
  return at <= name.length - parts[parts.length - 1].length;
}
