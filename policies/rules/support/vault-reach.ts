import {
  applierRoleName, applierTierOf, PLATFORM_ADMIN_ROLE, plannerRoleName, plannerTierOf,
} from '../../../constructs/naming';
import { serverPlannerSecretName } from '../../../contract/planner';
import { Env, EstateGraph, VaultPolicy } from '../../graph/types';
import { literalPrefix, overlapWitness, simplePattern } from '../../graph/vault-paths';
import { rehearseOf } from './promote-common';
import { BUILTIN_POLICIES } from './vault-names';

/** Who a Vault path belongs to: an app-environment, a tier's CI applier, or the shared platform. */
export type Owner =
  | { readonly kind: 'env'; readonly env: Env }
  | { readonly kind: 'tier'; readonly tier: string }
  | { readonly kind: 'shared' };

export interface OwnedPath {
  readonly pattern: string;
  readonly owner: Owner;
  /** Owned only because a stack declares an object there (not by the naming contract). */
  readonly declared?: true;
}

export function ownerLabel(o: Owner): string {
  return o.kind === 'env' ? `env ${o.env.slug} (tier ${o.env.tier})` : o.kind === 'tier' ? `the ${o.tier} CI applier` : 'the shared platform';
}


export interface PolicyOwner {
  readonly label: string;
  readonly env?: Env;
  /** Set for a tier's CI applier or planner policy (`tierkit-apply-<tier>`, `tierkit-plan-<tier>` in that tier's platform stack). */
  readonly applierTier?: string;
  /** The platform-admin CI identity (shared platform stack): it applies the mounts, auth backends and CI roles. */
  readonly platformAdmin?: boolean;
  readonly mayReach: (o: Owner) => boolean;
}

const owners = new WeakMap<EstateGraph, Map<VaultPolicy, PolicyOwner>>();

/** Whose policy this is, and which owners it may reach (once per policy object: TK007, TK014 and TK070 ask). */
export function policyOwner(g: EstateGraph, p: VaultPolicy): PolicyOwner {
  let byPolicy = owners.get(g);
  if (!byPolicy) owners.set(g, byPolicy = new Map());
  let who = byPolicy.get(p);
  if (!who) byPolicy.set(p, who = ownerOf(g, p));
  return who;
}

function ownerOf(g: EstateGraph, p: VaultPolicy): PolicyOwner {
  // The stack that writes a policy decides whose it is (TK072 catches a stack writing another's name).
  const env = p.stack.env ?? g.index.byVaultPolicy.get(p.name);
  if (env) return { label: `env ${env.slug} (tier ${env.tier})`, env, mayReach: (o) => o.kind === 'env' && o.env === env };
  const applierTier = applierTierOf(p.name);
  const plannerTier = plannerTierOf(p.name);
  const tier = applierTier ?? plannerTier;
  if (tier && p.stack.manifest?.kind === 'tier-platform' && p.stack.manifest.tier === tier) {
    // An applier reaches exactly the stacks its tier gates (docs/design.md, isolation layer 5), and its own identity;
    // its planner reads the same, and — for the tier that gates the platform stacks — those too.
    const gated = new Set(g.manifest.stacks.filter((s) => s.kind === 'app-environment' && s.gatingTier === tier).map((s) => s.name));
    const platforms = plannerTier !== undefined && g.manifest.stacks.some((s) => s.kind === 'shared-platform' && s.gatingTier === tier);
    return {
      label: `the ${tier} CI ${applierTier ? 'applier' : 'planner'}`, applierTier: tier,
      mayReach: (o) => (o.kind === 'env' && gated.has(o.env.stack)) || (o.kind === 'tier' && (o.tier === tier || platforms)) || (platforms && o.kind === 'shared'),
    };
  }
  // An app's promote policy (issue 17), declared by a tier platform stack: prod's, reaching prod's promote credential.
  const promoted = p.stack.manifest?.kind === 'tier-platform' ? g.envs.find((e) => e.promote?.name === p.name) : undefined;
  if (promoted) return { label: `the promote identity of ${promoted.app}`, env: promoted, mayReach: (o) => o.kind === 'env' && o.env === promoted };
  // Its rehearse policy: the golden sandbox the manifest names, nothing else (TK162 checks that sandbox is no live env).
  const rehearse = p.stack.manifest?.kind === 'tier-platform' ? rehearseOf(g, p.name) : undefined;
  if (rehearse) {
    const sandbox = rehearse.sandbox;
    return { label: `the rehearse identity of ${rehearse.env.app}`, env: sandbox, mayReach: (o) => sandbox !== undefined && o.kind === 'env' && o.env === sandbox };
  }
  if (p.name === PLATFORM_ADMIN_ROLE && p.stack.manifest?.kind === 'shared-platform') {
    return { label: 'the platform-admin CI applier', platformAdmin: true, mayReach: (o) => o.kind === 'shared' || o.kind === 'tier' };
  }
  return { label: `policy "${p.name}" of no declared app-environment`, mayReach: () => false };
}

/** The Vault paths each env, each tier's applier and the shared platform own: the naming contract, and each env stack's own Vault objects. */
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
      // A static role of the env's role name passes its connection's allowed_roles: its rotation
      // statements run as the env's CREATEROLE connection user, its static-creds are a login there.
      `${v.databaseMount}/static-roles/${n.vaultRole}`, `${v.databaseMount}/static-creds/${n.vaultRole}`,
      `${v.databaseMount}/rotate-role/${n.vaultRole}`,
      ...['data', 'metadata', 'delete', 'undelete', 'destroy', 'subkeys'].map((k) => `${v.kvMount}/${k}/${kvArea}/*`),
      // `sys/policy/<name>` is the legacy alias of `sys/policies/acl/<name>`: the same policy.
      `sys/policies/acl/${n.vaultPolicy}`, `sys/policy/${n.vaultPolicy}`, `auth/${v.kubernetesAuthPath}/role/${n.kubernetesAuthRole}`,
      // The TTL sweep's revoke-prefix of the env's leases: another env's policy on it cuts this env off.
      `sys/leases/revoke-prefix/${v.databaseMount}/creds/${n.vaultRole}`,
    ]) out.push({ pattern: p, owner: o });
  }
  // What each env's own stack declares besides the contract names (the reset Job's auth role, the
  // golden dump's policy and auth role, …) is that env's too: another env touching it crosses over.
  // Keyed by slug, then pattern (as one `pattern NUL slug` string was: slugs hold no NUL), without building that string per path.
  const seen = new Map<string, Set<string>>();
  const seenOf = (slug: string) => {
    let set = seen.get(slug);
    if (!set) seen.set(slug, set = new Set());
    return set;
  };
  for (const x of out) seenOf(x.owner.kind === 'env' ? x.owner.env.slug : '').add(x.pattern);
  const add = (pattern: string, env: Env) => {
    const set = seenOf(env.slug);
    if (!set.has(pattern)) { set.add(pattern); out.push({ pattern, owner: { kind: 'env', env }, declared: true }); }
  };
  for (const p of g.vaultPolicies) if (p.stack.env) for (const x of [`sys/policies/acl/${p.name}`, `sys/policy/${p.name}`]) add(x, p.stack.env);
  // An app's promote credential (issue 17) is prod's: writing its role rewrites SQL prod's connection user runs.
  for (const env of g.envs) {
    if (!env.promote) continue;
    const r = env.promote.name;
    for (const x of [`${v.databaseMount}/creds/${r}`, `${v.databaseMount}/roles/${r}`, `${v.databaseMount}/static-roles/${r}`,
      `${v.databaseMount}/static-creds/${r}`, `${v.databaseMount}/rotate-role/${r}`, `sys/leases/revoke-prefix/${v.databaseMount}/creds/${r}`]) add(x, env);
  }
  // Every dynamic role a stack declares is its env's, whatever its name.
  for (const d of g.dynamicRoles) if (d.stack.env) for (const x of [`${d.backend}/roles/${d.name}`, `${d.backend}/creds/${d.name}`]) add(x, d.stack.env);
  for (const a of g.authRoles) if (a.stack.env) add(`auth/${a.backend}/role/${a.name}`, a.stack.env);
  // Quotas: the platform's (tier-platform stacks, written by platform-admin; TK046 holds each to
  // one env's creds path). One in an env's own stack is that env's — and no applier may write it (TK046).
  for (const q of g.vaultQuotas) {
    if (q.stack.env) add(`sys/quotas/${q.kind}/${q.name}`, q.stack.env);
    else out.push({ pattern: `sys/quotas/${q.kind}/${q.name}`, owner: { kind: 'shared' } });
  }
  for (const k of g.kvSecrets) {
    if (k.stack.env) for (const x of ['data', 'metadata', 'delete', 'undelete', 'destroy', 'subkeys']) add(`${k.mount}/${x}/${k.name}`, k.stack.env);
  }
  for (const s of g.servers.values()) {
    const secret = s.adminSecretPath.startsWith(`${v.kvMount}/`) ? s.adminSecretPath.slice(v.kvMount.length + 1) : s.adminSecretPath;
    const owner: Owner = s.gatingTier ? { kind: 'tier', tier: s.gatingTier } : { kind: 'shared' };
    for (const k of ['data', 'metadata', 'delete', 'undelete', 'destroy', 'subkeys']) out.push({ pattern: `${v.kvMount}/${k}/${secret}`, owner });
    // The server's read-only planner login (contract/planner.ts) belongs to the same tier.
    for (const k of ['data', 'metadata', 'delete', 'undelete', 'destroy', 'subkeys']) out.push({ pattern: `${v.kvMount}/${k}/${serverPlannerSecretName(s.id)}`, owner });
  }
  // An app's promote identity (policy and JWT role) is a CI identity of the tier gating its prod stack.
  for (const env of g.envs) {
    const gating = env.promote && g.manifest.stacks.find((x) => x.name === env.stack)?.gatingTier;
    if (!gating) continue;
    for (const r of [env.promote!.name, env.promote!.rehearse?.name].filter((x): x is string => x !== undefined)) {
      for (const pattern of [`sys/policies/acl/${r}`, `sys/policy/${r}`, `auth/${v.jwtAuthPath}/role/${r}`]) out.push({ pattern, owner: { kind: 'tier', tier: gating } });
    }
  }
  for (const t of g.tiers.keys()) {
    const owner: Owner = { kind: 'tier', tier: t };
    for (const role of [applierRoleName(t), plannerRoleName(t)]) {
      out.push({ pattern: `sys/policies/acl/${role}`, owner }, { pattern: `sys/policy/${role}`, owner }, { pattern: `auth/${v.jwtAuthPath}/role/${role}`, owner });
    }
  }
  for (const p of [`sys/mounts/${v.databaseMount}*`, `sys/mounts/${v.kvMount}*`, `sys/auth/${v.kubernetesAuthPath}*`,
    `sys/auth/${v.jwtAuthPath}*`, `${v.kvMount}/config`, `auth/${v.kubernetesAuthPath}/config`, `auth/${v.jwtAuthPath}/config`,
    `sys/mounts/auth/${v.kubernetesAuthPath}/*`, `sys/mounts/auth/${v.jwtAuthPath}/*`, 'sys/mounts', 'sys/auth',
    `sys/policies/acl/${PLATFORM_ADMIN_ROLE}`, `sys/policy/${PLATFORM_ADMIN_ROLE}`, `auth/${v.jwtAuthPath}/role/${PLATFORM_ADMIN_ROLE}`,
    // Vault's built-in policies: `default` is on every token, prod's included (vault-names.ts BUILTIN_POLICIES).
    ...BUILTIN_POLICIES.flatMap((n) => [`sys/policies/acl/${n}`, `sys/policy/${n}`]),
    // reload/<plugin_name> reloads every connection of that plugin, every env's (Vault API: POST /<mount>/reload/:plugin_name).
    `${v.databaseMount}/reload/*`]) {
    out.push({ pattern: p, owner: { kind: 'shared' } });
  }
  return out;
}

/**
 * Finds the owned paths a policy pattern overlaps. Two patterns can only share a path when one's
 * literal prefix starts with the other's. The distinct owned prefixes are kept sorted, each with a
 * link to its longest proper prefix among them: the owned prefixes that start with a pattern's
 * prefix `lp` are one sorted range, and those that are prefixes of `lp` are all on the link chain
 * of the greatest prefix below `lp` (any prefix of `lp` sorts at or below it, and shares with it
 * every character it shares with `lp`). Candidates come out in prefix order, then `owned` order.
 */
export class ReachIndex {
  /** Distinct literal prefixes of the owned paths, in code-unit order. */
  private readonly keys: string[];
  /** The owned paths of each key, in `owned` order. */
  private readonly lists: OwnedPath[][];
  /** For each key, the index of its longest proper prefix among the keys, or -1. */
  private readonly parent: Int32Array;

  constructor(owned: readonly OwnedPath[]) {
    const byPrefix = new Map<string, OwnedPath[]>();
    for (const o of owned) {
      const prefix = literalPrefix(o.pattern);
      const list = byPrefix.get(prefix);
      if (list) list.push(o);
      else byPrefix.set(prefix, [o]);
    }
    // The default sort compares UTF-16 code units, as compareStrings (contract/order.ts) does.
    this.keys = [...byPrefix.keys()].sort();
    this.lists = this.keys.map((k) => byPrefix.get(k)!);
    this.parent = new Int32Array(this.keys.length);
    // In sorted order a key's prefixes among the keys are exactly the open ones on a stack.
    const stack: number[] = [];
    for (let i = 0; i < this.keys.length; i++) {
      const k = this.keys[i];
      while (stack.length > 0 && !k.startsWith(this.keys[stack[stack.length - 1]])) stack.pop();
      this.parent[i] = stack.length > 0 ? stack[stack.length - 1] : -1;
      stack.push(i);
    }
  }

  private readonly memo = new Map<string, { owned: OwnedPath; witness: string }[]>();

  /** Owned paths `pattern` overlaps, with a path both match (memoized: TK007 and TK014 ask alike). */
  reached(pattern: string): { owned: OwnedPath; witness: string }[] {
    let out = this.memo.get(pattern);
    if (!out) {
      out = this.compute(pattern);
      this.memo.set(pattern, out);
    }
    return out;
  }

  private compute(pattern: string): { owned: OwnedPath; witness: string }[] {
    const lp = literalPrefix(pattern);
    const keys = this.keys;
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (keys[mid] < lp) lo = mid + 1;
      else hi = mid;
    }
    const picked: number[] = [];
    // The keys that are proper prefixes of lp: on the chain of keys[lo - 1], no longer than its common prefix with lp.
    if (lo > 0) {
      const pred = keys[lo - 1];
      let common = 0;
      while (common < pred.length && common < lp.length && pred.charCodeAt(common) === lp.charCodeAt(common)) common++;
      for (let j = lo - 1; j >= 0; j = this.parent[j]) if (keys[j].length <= common) picked.push(j);
      picked.reverse();
    }
    for (let i = lo; i < keys.length && keys[i].startsWith(lp); i++) picked.push(i);
    const out: { owned: OwnedPath; witness: string }[] = [];
    // The pattern's shape once, not once per candidate inside overlapWitness.
    const sp = simplePattern(pattern);
    for (const i of picked) {
      for (const o of this.lists[i]) {
        const sq = sp && simplePattern(o.pattern);
        const witness = sp && sq ? simpleWitness(pattern, sp, o.pattern, sq) : overlapWitness(pattern, o.pattern);
        if (witness !== undefined) out.push({ owned: o, witness });
      }
    }
    return out;
  }
}

type Shape = NonNullable<ReturnType<typeof simplePattern>>;

/**
 * overlapWitness's branch for two simple patterns, line for line (vault-paths.ts), given their
 * shapes: test/policies/vault-reach-index.test.ts holds it to overlapWitness.
 */
export function simpleWitness(p: string, sp: Shape, q: string, sq: Shape): string | undefined {
  if (!sp.glob && !sq.glob) return p === q ? p : undefined;
  if (!sp.glob) return sp.prefix.startsWith(sq.prefix) ? p : undefined;
  if (!sq.glob) return sq.prefix.startsWith(sp.prefix) ? q : undefined;
  if (sp.prefix.startsWith(sq.prefix)) return sp.prefix;
  return sq.prefix.startsWith(sp.prefix) ? sq.prefix : undefined;
}

interface Reach {
  readonly owned: readonly OwnedPath[];
  readonly index: ReachIndex;
  /** Each owned path's position in `owned`: built when ownersOfPath first asks (TK007 never does). */
  order?: ReadonlyMap<OwnedPath, number>;
}

const reaches = new WeakMap<EstateGraph, Reach>();

function reachOf(g: EstateGraph): Reach {
  let r = reaches.get(g);
  if (!r) {
    const owned = Object.freeze(ownedPaths(g));
    r = { owned, index: new ReachIndex(owned) };
    reaches.set(g, r);
  }
  return r;
}

/** The reach index of a graph, built once however many rules ask (the graph is immutable). */
export function reachIndexOf(g: EstateGraph): ReachIndex {
  return reachOf(g).index;
}

/**
 * The owned paths `path` overlaps, in `ownedPaths` order (messages name the first): the graph's
 * one reach index finds them, so a rule asking this builds no second index of its own.
 */
export function ownersOfPath(g: EstateGraph, path: string): OwnedPath[] {
  const r = reachOf(g);
  const order = r.order ??= new Map(r.owned.map((o, i) => [o, i]));
  return r.index.reached(path).map((x) => x.owned).sort((a, b) => order.get(a)! - order.get(b)!);
}
