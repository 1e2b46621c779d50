import * as naming from '../../../constructs/naming';
import { hasShortLivedPlanner } from '../../../contract/planner';
import type { EstateGraph, DynamicRole, Stack, VaultConnection } from '../../graph/types';

/**
 * The short-lived planner login (contract/planner.ts): which Vault connection and role of dist are
 * a server's planner issuer. Other rules (TK004, TK005, TK097) leave exactly these to TK144–TK147,
 * which judge them whole. Names are derived again from the manifest's servers (naming.ts), and only
 * the tier platform stack of the server's gating tier may hold them, on the estate's database
 * mount: a connection of that name anywhere else stays an env-less connection the other rules refuse.
 */

export interface PlannerIssuerServer {
  readonly id: string;
  readonly gatingTier: string;
  readonly majorVersion: number;
  readonly host: string;
  readonly port: number;
  readonly sslMode: string | undefined;
  /** Vault connection and role name. */
  readonly name: string;
}

const servers = new WeakMap<EstateGraph, Map<string, PlannerIssuerServer>>();

/** Manifest servers by their planner Vault name (every server, whatever its major: TK144 judges the major). */
export function plannerIssuerServers(g: EstateGraph): Map<string, PlannerIssuerServer> {
  let out = servers.get(g);
  if (out) return out;
  out = new Map();
  for (const s of g.manifest.servers) {
    if (typeof s.gatingTier !== 'string') continue;
    const name = naming.plannerVaultName(s.id);
    out.set(name, { id: s.id, gatingTier: s.gatingTier, majorVersion: s.majorVersion, host: s.host, port: s.port, sslMode: s.sslMode, name });
  }
  servers.set(g, out);
  return out;
}

function holds(g: EstateGraph, stack: Stack, backend: string, name: string): PlannerIssuerServer | undefined {
  const s = plannerIssuerServers(g).get(name);
  if (!s || backend !== g.manifest.estate.vault.databaseMount) return undefined;
  const m = stack.manifest;
  if (!stack.listed || m?.kind !== 'tier-platform' || m.tier !== s.gatingTier || stack.name !== naming.tierPlatformStackName(s.gatingTier)) return undefined;
  return s;
}

/** The server whose planner issuer connection this is, if it is one (by name, mount and stack). */
export function plannerIssuerOfConnection(g: EstateGraph, c: VaultConnection): PlannerIssuerServer | undefined {
  return holds(g, c.stack, c.backend, c.name);
}

/** The server whose planner login role this is, if it is one (by name, mount and stack). */
export function plannerIssuerOfRole(g: EstateGraph, d: DynamicRole): PlannerIssuerServer | undefined {
  return holds(g, d.stack, d.backend, d.name);
}

/** Whether a server of this major may have a short-lived planner login (re-exported for the rules). */
export const shortLivedPlannerAllowed = (s: PlannerIssuerServer) => hasShortLivedPlanner(s.majorVersion);
