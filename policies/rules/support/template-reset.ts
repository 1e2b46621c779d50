import * as naming from '../../../constructs/naming';
import type { Database, DynamicRole, Env, EstateGraph, Membership, Role, Stack } from '../../graph/types';

/**
 * The fast template reset (issue 19; synth/terraform-template-reset.ts): which pieces of a
 * sandbox's stack are its template role and golden template database. Other rules leave exactly
 * these to TK128 (the role's reach) and TK129 (the golden), and TK137 holds the declaration to a
 * sandbox of a sandbox tier. The names are derived again from the env's coordinate (naming.ts),
 * never read from the manifest: a hand-edited manifest can only say *that* an env resets from a
 * template, never turn another role or database into its template role or golden.
 */

/** The env whose template reset `stack` may hold: its own env, when the manifest says it resets from a template and this is its app-environment stack. */
export function templateResetHost(stack: Stack): Env | undefined {
  const env = stack.env;
  if (!env || env.sandbox?.reset !== 'template' || typeof env.app !== 'string' || typeof env.env !== 'string') return undefined;
  if (stack.manifest?.kind !== 'app-environment' || stack.name !== env.stack) return undefined;
  return env;
}

export interface TemplateResetNames {
  readonly role: string;
  readonly golden: string;
  /** The Vault role issuing the reset Job's login (contract/template-reset-login.ts; TK117). */
  readonly vaultRole: string;
}

export function templateResetNames(env: Env): TemplateResetNames {
  const c = { app: env.app, env: env.env };
  return { role: naming.templateResetRoleName(c), golden: naming.goldenTemplateDatabaseName(c), vaultRole: naming.templateResetVaultRoleName(c) };
}

const namesOf = (stack: Stack) => {
  const env = templateResetHost(stack);
  return env ? templateResetNames(env) : undefined;
};

export const isTemplateResetRole = (r: Role) => namesOf(r.stack)?.role === r.name;
export const isGoldenTemplate = (d: Database) => namesOf(d.stack)?.golden === d.name;
/** A managed server's provider login joining the env's own template role, in the env's own stack (as it joins the group). */
export const isProviderTemplateEdge = (m: Membership) => m.via === 'grant_role' && namesOf(m.stack)?.role === m.role;

/** The env's app-environment stack, when it is the one the manifest names and it holds the reset. */
export function templateResetStack(stacks: readonly Stack[], env: Env): Stack | undefined {
  return stacks.find((s) => s.name === env.stack && templateResetHost(s) === env);
}

/**
 * The reset Job's login role in Vault: named as tierkit names it, in the env's own app-environment
 * stack of a template-reset sandbox. TK117 judges it whole (statements, connection, TTLs, who reads
 * its creds); the dynamic-role rules leave exactly it to TK117.
 */
export const isTemplateResetVaultRole = (r: DynamicRole) => r.name === namesOf(r.stack)?.vaultRole;
/**
 * The env's own Vault connection user holding ADMIN OPTION on the env's own template role, in its
 * own stack: what PostgreSQL 16+ needs to issue the login. TK117 judges it; TK003 and TK128 leave it.
 */
export function isTemplateResetVaultAdmin(m: Membership): boolean {
  const env = templateResetHost(m.stack);
  return !!env && m.via === 'grant_role' && m.admin === true && m.member === env.names.vaultConnectionRole
    && m.role === templateResetNames(env).role;
}

/** Where a finding about an env's template reset points: its manifest entry's `sandbox/reset`. */
export function templateResetSource(g: EstateGraph, env: Env) {
  return { file: 'manifest.json', pointer: `/appEnvironments/${g.envs.indexOf(env)}/sandbox/reset`, constructPath: env.constructPath };
}
