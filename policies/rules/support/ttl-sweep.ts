/**
 * The TTL sweep's Vault identity as the naming contract defines it: one policy and one auth role
 * per sandbox, both named `<slug>-ttl-sweep`, the policy granting update + sudo on exactly
 * `sys/leases/revoke-prefix/<database mount>/creds/<env's Vault role>`.
 */
import { resetName, resetRevokeName, ttlSweepName } from '../../../constructs/naming';
import { EstateGraph, Env, PolicyPathRule, VaultPolicy } from '../../graph/types';

export const SWEEP_CAPABILITIES: readonly string[] = ['sudo', 'update'];

export function sweepName(env: Env): string {
  return ttlSweepName(env);
}

/** The one path the env's sweep may write (the env's own dynamic role's leases). */
export function sweepRevokePath(g: EstateGraph, env: Env): string {
  return `sys/leases/revoke-prefix/${g.manifest.estate.vault.databaseMount}/creds/${env.names.vaultRole}`;
}

/** The sandbox whose sweep policy `p` is: written by that sandbox's own stack under its sweep name. */
export function sweepOwner(p: VaultPolicy): Env | undefined {
  const env = p.stack.env;
  return env?.sandbox && p.name === sweepName(env) ? env : undefined;
}

/** Exactly the grant the sweep needs: its own literal path, written as is, update + sudo and nothing else. */
export function isOwnSweepGrant(g: EstateGraph, p: VaultPolicy, r: PolicyPathRule): boolean {
  const env = sweepOwner(p);
  if (!env || r.written !== undefined || r.path !== sweepRevokePath(g, env)) return false;
  return [...r.capabilities].sort().join(',') === SWEEP_CAPABILITIES.join(',');
}

/**
 * The hourly reset's revoke (issue 18): an env with a reset whose tier sets a reset schedule
 * (sandboxes and the demo tier reset; lifecycle/plan.ts resetRevokesLeases) revokes its leases
 * after each restore with a policy of its own, `<slug>-reset-revoke`, granting the same one path
 * as the TTL sweep's, handed out by the reset's auth role only.
 */
export function needsResetRevoke(g: EstateGraph, env: Env): boolean {
  return (env.sandbox !== undefined || env.tier === 'demo') && g.tiers.get(env.tier)?.resetSchedule !== undefined;
}

export function resetRevokePolicyName(env: Env): string {
  return resetRevokeName(env);
}

export function resetAuthRoleName(env: Env): string {
  return resetName(env);
}

/** The env whose reset-revoke policy `p` is: written by that env's own stack under that name. */
export function resetRevokeOwner(g: EstateGraph, p: VaultPolicy): Env | undefined {
  const env = p.stack.env;
  return env && needsResetRevoke(g, env) && p.name === resetRevokePolicyName(env) ? env : undefined;
}

/** Exactly the grant the reset's revoke needs: the env's own literal revoke path, update + sudo. */
export function isOwnResetRevokeGrant(g: EstateGraph, p: VaultPolicy, r: PolicyPathRule): boolean {
  const env = resetRevokeOwner(g, p);
  if (!env || r.written !== undefined || r.path !== sweepRevokePath(g, env)) return false;
  return [...r.capabilities].sort().join(',') === SWEEP_CAPABILITIES.join(',');
}
