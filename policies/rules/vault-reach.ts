import { compareStrings } from '../../constructs/synth/serialize';
import { Env, EstateGraph } from '../graph/types';
import { literalPrefix, overlapWitness } from '../graph/vault-paths';

/** Who a Vault path belongs to: an app-environment, a tier's CI applier, or the shared platform. */
export type Owner =
  | { readonly kind: 'env'; readonly env: Env }
  | { readonly kind: 'tier'; readonly tier: string }
  | { readonly kind: 'shared' };

export interface OwnedPath {
  readonly pattern: string;
  readonly owner: Owner;
}

export function ownerLabel(o: Owner): string {
  return o.kind === 'env' ? `env ${o.env.slug} (tier ${o.env.tier})` : o.kind === 'tier' ? `the ${o.tier} CI applier` : 'the shared platform';
}

/** The Vault paths each env, each tier's applier and the shared platform own, by the naming contract. */
export function ownedPaths(g: EstateGraph): OwnedPath[] {
  const v = g.manifest.estate.vault;
  const out: OwnedPath[] = [];
  for (const env of g.envs) {
    const o: Owner = { kind: 'env', env };
    const n = env.names;
    const kvArea = n.kvPath.startsWith(`${v.kvMount}/`) ? n.kvPath.slice(v.kvMount.length + 1).replace(/\/[^/]*$/, '') : env.slug;
    for (const p of [
      `${v.databaseMount}/creds/${n.vaultRole}`, `${v.databaseMount}/roles/${n.vaultRole}`,
      `${v.databaseMount}/config/${n.vaultConnection}`, `${v.databaseMount}/rotate-root/${n.vaultConnection}`,
      `${v.databaseMount}/reset/${n.vaultConnection}`,
      ...['data', 'metadata', 'delete', 'undelete', 'destroy', 'subkeys'].map((k) => `${v.kvMount}/${k}/${kvArea}/*`),
      `sys/policies/acl/${n.vaultPolicy}`, `auth/${v.kubernetesAuthPath}/role/${n.kubernetesAuthRole}`,
    ]) out.push({ pattern: p, owner: o });
  }
  for (const s of g.servers.values()) {
    const secret = s.adminSecretPath.startsWith(`${v.kvMount}/`) ? s.adminSecretPath.slice(v.kvMount.length + 1) : s.adminSecretPath;
    const owner: Owner = s.gatingTier ? { kind: 'tier', tier: s.gatingTier } : { kind: 'shared' };
    for (const k of ['data', 'metadata', 'delete', 'undelete', 'destroy', 'subkeys']) out.push({ pattern: `${v.kvMount}/${k}/${secret}`, owner });
  }
  for (const t of g.tiers.keys()) {
    const owner: Owner = { kind: 'tier', tier: t };
    out.push({ pattern: `sys/policies/acl/tierkit-apply-${t}`, owner }, { pattern: `auth/${v.jwtAuthPath}/role/tierkit-apply-${t}`, owner });
  }
  for (const p of [`sys/mounts/${v.databaseMount}*`, `sys/mounts/${v.kvMount}*`, `sys/auth/${v.kubernetesAuthPath}*`,
    `sys/auth/${v.jwtAuthPath}*`, `auth/${v.kubernetesAuthPath}/config`, `auth/${v.jwtAuthPath}/config`]) {
    out.push({ pattern: p, owner: { kind: 'shared' } });
  }
  return out;
}

/**
 * Finds the owned paths a policy pattern overlaps. Two patterns can only share a path when one's
 * literal prefix starts with the other's, so candidates come from a sorted prefix list and a prefix
 * map: the cost per policy path is its length plus the candidates, never the whole estate.
 */
export class ReachIndex {
  private readonly sorted: { prefix: string; owned: OwnedPath }[];
  private readonly byPrefix = new Map<string, OwnedPath[]>();

  constructor(owned: readonly OwnedPath[]) {
    this.sorted = owned.map((o) => ({ prefix: literalPrefix(o.pattern), owned: o }))
      .sort((a, b) => compareStrings(a.prefix, b.prefix));
    for (const { prefix, owned: o } of this.sorted) this.byPrefix.set(prefix, [...(this.byPrefix.get(prefix) ?? []), o]);
  }

  reached(pattern: string): { owned: OwnedPath; witness: string }[] {
    const lp = literalPrefix(pattern);
    const candidates = new Set<OwnedPath>();
    for (let i = 0; i <= lp.length; i++) for (const o of this.byPrefix.get(lp.slice(0, i)) ?? []) candidates.add(o);
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareStrings(this.sorted[mid].prefix, lp) < 0) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.sorted.length && this.sorted[i].prefix.startsWith(lp); i++) candidates.add(this.sorted[i].owned);
    const out: { owned: OwnedPath; witness: string }[] = [];
    for (const o of candidates) {
      const witness = overlapWitness(pattern, o.pattern);
      if (witness !== undefined) out.push({ owned: o, witness });
    }
    return out;
  }
}
