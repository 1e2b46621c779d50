import { serverAt } from '../../../contract/hosts';
import type { EstateGraph, Stack } from '../../graph/types';

/**
 * Why a stack's credentials may reach a server holding a live-data tier, or a tier stricter than
 * the stack's own — or undefined when that is proven not to be so. Used to make a finding
 * unsuppressible. Unproven is reach: an unlisted stack, a provider host that is unknown or no
 * declared server, and any Vault resource (the estate's one Vault holds every tier's paths).
 */
export function strictReach(g: EstateGraph, stack: Stack, vault: boolean): string | undefined {
  if (!stack.listed) return `stack ${stack.name} is not in the manifest: nothing bounds what its providers reach`;
  const own = g.tiers.get(stack.manifest?.tier ?? stack.env?.tier ?? '');
  const servers = new Set<string>();
  if (stack.server) servers.add(stack.server);
  for (const p of stack.postgresProviders) {
    const hit = serverAt(g.servers.values(), p.host);
    if (!hit) return `stack ${stack.name}'s PostgreSQL provider host ${p.host === undefined ? 'is unknown' : `"${p.host}" is no declared server`}`;
    servers.add(hit.id);
  }
  for (const id of servers) {
    const gating = g.tiers.get(g.servers.get(id)?.gatingTier ?? '');
    if (!gating || !own) return `stack ${stack.name} reaches server ${id}, whose tiers tierkit cannot rank`;
    if (gating.data.includes('live')) return `stack ${stack.name}'s provider reaches server ${id}, which holds the live-data tier ${gating.name}`;
    if (gating.rank > own.rank) return `stack ${stack.name}'s provider reaches server ${id}, which holds tier ${gating.name}, stricter than ${own.name}`;
  }
  if (vault) {
    const live = [...g.tiers.values()].find((t) => t.data.includes('live'));
    return `the estate's Vault holds ${live ? `the live-data tier ${live.name}'s` : 'every tier\'s'} paths`;
  }
  return undefined;
}
