import { App } from './app';
import { AppEnvironment } from './app-environment';
import { ApplyGate } from './enums';
import { Estate } from './estate';
import { PostgresServer } from './postgres-server';
import { Tier } from './tier';

/** Read-only walks over the estate tree, in declaration order. */
export function appsOf(estate: Estate): App[] {
  return estate.node.children.filter((c): c is App => c instanceof App);
}

export function environmentsOf(estate: Estate): AppEnvironment[] {
  return appsOf(estate).flatMap((a) => a.environments);
}

export function tiersInUse(estate: Estate): Tier[] {
  const used = new Set(environmentsOf(estate).map((e) => e.tier));
  return Tier.ALL.filter((t) => used.has(t));
}

function stricter(estate: Estate, a: Tier, b: Tier): Tier {
  const ga = estate.tier(a).config.applyGate;
  const gb = estate.tier(b).config.applyGate;
  if (ga.rank !== gb.rank) return gb.rank > ga.rank ? b : a;
  return b.rank > a.rank ? b : a;
}

/**
 * The tier whose gate governs a server: the strictest gate of any tier with a database on it.
 * A credential that can create or drop on a server is gated like the most precious thing there
 * (docs/design.md, isolation layer 5).
 */
export function gatingTierOfServer(estate: Estate, server: PostgresServer): Tier | undefined {
  const tiers = environmentsOf(estate).filter((e) => e.server === server).map((e) => e.tier);
  return tiers.length === 0 ? undefined : tiers.reduce((a, b) => stricter(estate, a, b));
}

/** Platform stacks shape every env's reach, so they apply behind the estate's strictest gate. */
export function gatingTierOfEstate(estate: Estate): Tier {
  return tiersInUse(estate).reduce((a, b) => stricter(estate, a, b), Tier.LOCAL);
}

export function gateOf(estate: Estate, tier: Tier): ApplyGate {
  return estate.tier(tier).config.applyGate;
}
