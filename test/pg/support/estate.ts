// Apply every app-environment stack of a synthesized dist/ to one real server, inside a test
// namespace, as a superuser or as an RDS-like provider user.
import { randomBytes } from 'node:crypto';
import type { ManifestAppEnvironment } from '../../../constructs/synth/manifest';
import type { DistContents, TerraformStackJson } from '../../../policies/dist/read';
import { ident, literal, type Namespace, type Session } from './db';
import { NameMap } from './names';
import { applyStack, type AdminKind, type ApplyReport } from './translator';
import { vaultPieces, type VaultPieces } from './vault';
import { PLANNER_GROUP_ROLE, PLANNER_LOGIN_ROLE, plannerBootstrapStatements } from '../../../contract/planner';

export interface AppliedEnv {
  readonly env: ManifestAppEnvironment;
  readonly stack: TerraformStackJson;
  readonly vault: VaultPieces;
  /** The Vault connection user's password (the write-only variable the test chose). */
  readonly connectionPassword: string;
  /** Passwords the test gave to other write-only variables (e.g. golden_dump_password). */
  readonly variables: Readonly<Record<string, string>>;
  readonly report?: ApplyReport;
  readonly error?: Error;
  /** The provider user that applied this stack, and its kind. */
  readonly adminUser: string;
  readonly adminKind: AdminKind;
}

export interface AppliedEstate {
  readonly names: NameMap;
  /** The provider user of a single-kind apply (the superuser one for 'declared'). */
  readonly adminUser: string;
  readonly adminKind: AdminKind | 'declared';
  readonly envs: readonly AppliedEnv[];
  /** The CI planners' read-only login, made by the documented bootstrap (contract/planner.ts). */
  readonly planner: { readonly user: string; readonly password: string };
}

/** The stack's postgresql provider block (the translator applies stacks with exactly one). */
function providerOf(stack: TerraformStackJson): Record<string, unknown> {
  const blocks = ((stack.json.provider ?? {}) as Record<string, Record<string, unknown>[]>).postgresql ?? [];
  if (blocks.length !== 1) throw new Error(`${stack.name}: expected one postgresql provider block, found ${blocks.length}`);
  return blocks[0];
}

/** The admin kind the stack's provider is declared with. */
export function declaredAdminKind(stack: TerraformStackJson): AdminKind {
  return providerOf(stack).superuser === true ? 'superuser' : 'rds';
}

export function envStack(dist: DistContents, env: ManifestAppEnvironment): TerraformStackJson {
  const stack = dist.stacks.find((s) => s.name === env.stack);
  if (!stack) throw new Error(`dist has no stack ${env.stack} for ${env.slug}`);
  return stack;
}

/** A password as the test chooses it: random, alphanumeric plus '-', never a literal in artifacts. */
export function testPassword(): string {
  return `T1-${randomBytes(18).toString('base64url')}`;
}

/** Variables a stack declares as sensitive: the test generates each one. */
function sensitiveVariables(stack: TerraformStackJson): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, v] of Object.entries((stack.json.variable ?? {}) as Record<string, { sensitive?: boolean }>)) {
    if (v.sensitive && name !== 'pg_admin_password') out[name] = testPassword();
  }
  return out;
}

/** Create the provider's user in the namespace: SUPERUSER, or LOGIN CREATEDB CREATEROLE (RDS-like). */
export async function createProviderUser(ns: Namespace, kind: AdminKind, label = ''): Promise<{ user: string; password: string }> {
  const user = ns.name(`${label}tf_admin_${kind}`);
  const password = testPassword();
  const attrs = kind === 'superuser' ? 'SUPERUSER' : 'NOSUPERUSER CREATEDB CREATEROLE';
  const su = await ns.admin();
  await su.exec(`CREATE ROLE ${ident(user)} LOGIN ${attrs} PASSWORD ${literal(password)}`);
  return { user, password };
}

export interface ApplyEstateOptions {
  /**
   * Who applies: a superuser, an RDS-like user, or 'declared' — each stack as its server is
   * declared (the provider block's `superuser`), as the gated apply jobs do.
   */
  readonly kind: AdminKind | 'declared';
  /** Namespace-local label distinguishing two applies of the same estate on one namespace. */
  readonly label?: string;
  readonly onWarning?: 'fail' | 'record';
  /** Keep going after a failing stack (its error is reported on its AppliedEnv). */
  readonly continueOnError?: boolean;
  readonly only?: (env: ManifestAppEnvironment) => boolean;
}

/** What every server is born with and each env's stack revokes PUBLIC on (naming.MAINTENANCE_DATABASES). */
export const MAINTENANCE_DATABASES = ['postgres', 'template1'] as const;

/**
 * The stand-in, on the test server, of `database` (postgres, template1) of the estate's server
 * `serverId` applied as `kind`. Revoking PUBLIC on the test server's real maintenance databases
 * would change them under every other test file, and the estate's servers each have their own:
 * so each (server, admin kind) gets its own databases, created by the bootstrap superuser as
 * initdb creates them (PUBLIC keeps CONNECT and TEMPORARY), owned by the provider's login — a
 * superuser, or a managed service's master user, which owns `postgres` there (revoking on it
 * from that login is the documented RDS hardening step: asheiduk.de/post/setup-pg-on-rds).
 */
export function maintenanceDatabase(names: NameMap, serverId: string, kind: AdminKind, database: string): string {
  return names.map(`${serverId}_${kind}_${database}`);
}

async function ensureMaintenanceDatabases(ns: Namespace, names: NameMap, serverId: string, kind: AdminKind, owner: string): Promise<void> {
  const su = await ns.admin();
  for (const db of MAINTENANCE_DATABASES) {
    const name = maintenanceDatabase(names, serverId, kind, db);
    const exists = await su.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.length === 0) await su.exec(`CREATE DATABASE ${ident(name)} OWNER ${ident(owner)}`);
    // The stack names the server's own database; on this server it is the stand-in.
    names.alias(db, name);
  }
}

/**
 * What the platform does once on a server that declares `tempFileLimitRole` (PostgreSQL 15+, as a
 * superuser): a NOLOGIN role holding SET on temp_file_limit, which the env stacks' Vault
 * connection users join. The provider has no resource for parameter grants.
 */
async function ensureTempFileLimitRole(ns: Namespace, names: NameMap, role: string | undefined, kind: AdminKind, admin: string): Promise<void> {
  if (role === undefined) return;
  const name = names.map(role);
  const su = await ns.admin();
  if ((await su.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [name])).length === 0) {
    await su.exec(`CREATE ROLE ${ident(name)} NOLOGIN`);
    await su.exec(`GRANT SET ON PARAMETER temp_file_limit TO ${ident(name)}`);
  }
  // A non-superuser provider may grant the role to the connection users only with ADMIN OPTION on
  // it (16+); the platform gives it that and nothing else (no INHERIT, no SET: not the cap itself).
  const major = Math.floor(Number((await su.query<{ server_version_num: string }>('SHOW server_version_num'))[0].server_version_num) / 10000);
  if (kind !== 'superuser' && major >= 16) {
    await su.exec(`GRANT ${ident(name)} TO ${ident(admin)} WITH ADMIN TRUE, INHERIT FALSE, SET FALSE`);
  }
}

/**
 * The operator's once-per-server bootstrap of the planners' read-only identity, exactly the
 * documented statements (contract/planner.ts) with the namespace's names: the group and login
 * once per namespace, CONNECT on each (server, admin kind)'s stand-in maintenance databases.
 */
async function ensurePlanner(ns: Namespace, names: NameMap, planners: Map<NameMap, { user: string; password: string }>): Promise<{ user: string; password: string }> {
  const su = await ns.admin();
  const existing = planners.get(names);
  const password = existing?.password ?? testPassword();
  for (const stmt of plannerBootstrapStatements(password)) {
    if (existing && /^(CREATE|ALTER) ROLE/.test(stmt)) continue;
    await su.exec(names.mapQuotedIdentifiers(stmt));
  }
  const planner = existing ?? { user: names.map(PLANNER_LOGIN_ROLE), password };
  planners.set(names, planner);
  return planner;
}

/** The group the stacks grant CONNECT to, on the test server. */
export function plannerGroup(names: NameMap): string {
  return names.map(PLANNER_GROUP_ROLE);
}

/** Apply the stacks of every app-environment of `dist` (manifest order) to the namespace's server. */
export async function applyEstate(ns: Namespace, dist: DistContents, opts: ApplyEstateOptions): Promise<AppliedEstate> {
  const label = opts.label ? `${opts.label}_` : '';
  const names = new NameMap(ns.name(label));
  const admins = new Map<AdminKind, { user: string; password: string }>();
  const adminFor = async (kind: AdminKind) => {
    if (!admins.has(kind)) admins.set(kind, await createProviderUser(ns, kind, label));
    return admins.get(kind)!;
  };
  const envs: AppliedEnv[] = [];
  const planners = new Map<NameMap, { user: string; password: string }>();
  for (const env of dist.manifest.appEnvironments.filter(opts.only ?? (() => true))) {
    const stack = envStack(dist, env);
    const kind = opts.kind === 'declared' ? declaredAdminKind(stack) : opts.kind;
    const admin = await adminFor(kind);
    // A managed server's provider logs in as a declared role: here, the test's provider user.
    const username = providerOf(stack).username;
    if (typeof username === 'string' && !username.includes('${')) names.alias(username, admin.user);
    await ensureMaintenanceDatabases(ns, names, env.server, kind, admin.user);
    await ensureTempFileLimitRole(ns, names, dist.manifest.servers.find((s) => s.id === env.server)?.tempFileLimitRole, kind, admin.user);
    await ensurePlanner(ns, names, planners);
    const variables = sensitiveVariables(stack);
    const sessions = new Map<string, Session>();
    const session = async (database = 'postgres'): Promise<Session> => {
      if (!sessions.has(database)) sessions.set(database, await ns.connect({ user: admin.user, password: admin.password, database }));
      return sessions.get(database)!;
    };
    const base = {
      env, stack, vault: vaultPieces(stack, names), connectionPassword: variables.vault_connection_password, variables,
      adminUser: admin.user, adminKind: kind,
    };
    try {
      const report = await applyStack(stack, { names, adminUser: admin.user, adminKind: kind, variables, session, onWarning: opts.onWarning });
      envs.push({ ...base, report });
    } catch (err) {
      if (!opts.continueOnError) throw err;
      envs.push({ ...base, error: err as Error });
    } finally {
      await Promise.all([...sessions.values()].map((s) => s.end()));
    }
  }
  const main = opts.kind === 'declared' ? 'superuser' : opts.kind;
  return { names, adminUser: (await adminFor(main)).user, adminKind: opts.kind, envs, planner: planners.get(names) ?? { user: names.map(PLANNER_LOGIN_ROLE), password: '' } };
}
