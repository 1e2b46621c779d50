/**
 * Which app-environments get which lifecycle piece. Derived from the model only, so the
 * Terraform stack (golden dump role) and the Kubernetes chart (Jobs) always agree.
 */
import type { AppEnvironment } from '../app-environment';
import { SeedProfile } from '../enums';
import { Tier } from '../tier';

/**
 * A prod env gets the golden dump (read-only role + Job) only when one of its app's sandboxes is
 * seeded `golden`: `pg_read_all_data` reads every table of every database the role can connect
 * to, so it exists only where an explicit, reasoned golden opt-in needs it.
 */
export function hasGoldenDump(env: AppEnvironment): boolean {
  return env.tier === Tier.PROD && !env.isSandbox && env.app.sandboxes.some((s) => s.seed === SeedProfile.GOLDEN);
}

/** Sandboxes are reset from their seed; the demo tier resets hourly from its curated seed. */
export function hasReset(env: AppEnvironment): boolean {
  return env.isSandbox || env.tier === Tier.DEMO;
}

/** The seed a reset restores: the sandbox's profile, or `demo` for the demo tier's curated data. */
export function resetSeed(env: AppEnvironment): string {
  return env.resetSeedName;
}

/**
 * A scheduled (hourly, demo) reset also revokes every lease of the env's dynamic role once the
 * data is restored, so no credential handed out during the last hour survives it. TK124/TK125
 * mirror this: a reset env whose tier sets a reset schedule.
 */
export function resetRevokesLeases(env: AppEnvironment): boolean {
  return hasReset(env) && resetSchedule(env) !== undefined;
}

/** The env's declared flag values: the app's defaults, its release's values, a sandbox's overrides (in that order). */
export function declaredFlags(env: AppEnvironment): Record<string, boolean> {
  const overrides = (env as { readonly flagOverrides?: Readonly<Record<string, boolean>> }).flagOverrides;
  return { ...env.app.flags, ...(env.release?.flags ?? {}), ...(overrides ?? {}) };
}

/** The hourly schedule of the demo tier (or of any tier that sets one); undefined = on demand. */
export function resetSchedule(env: AppEnvironment): string | undefined {
  return env.estate.tier(env.tier).config.resetSchedule;
}
