/**
 * The seed producers the manifest declares (issue 22; constructs/lifecycle/producers.ts), each
 * checked for where it may run before any rule trusts it: a synthetic producer in a tier env (not a
 * sandbox) of a non-live tier; a sanitized producer in its app's prod env (a live tier, not a
 * sandbox), where the golden is dumped. A declaration that fails these is a problem (TK139), and
 * TK130–TK132 then grant it nothing: fail closed against a hand-edited manifest.
 */
import * as naming from '../../../constructs/naming';
import { isLiveTier } from '../../../contract/tiers';
import type { Env, EstateGraph } from '../../graph/types';
import type { SeedVolume } from './seed-store';

export interface DeclaredProducer {
  readonly env: Env;
  readonly seed: string;
  readonly kind: 'synthetic' | 'sanitized';
  readonly name: string;
}

export interface ProducerIndex {
  /** Declarations that passed every placement check: the only producers rules trust. */
  readonly valid: readonly DeclaredProducer[];
  readonly problems: readonly { readonly env: Env; readonly message: string }[];
}

const SEED = /^(synthetic|sanitized):[a-z0-9][a-z0-9._-]*$/;
const cache = new WeakMap<EstateGraph, ProducerIndex>();

export function declaredProducers(g: EstateGraph): ProducerIndex {
  const hit = cache.get(g);
  if (hit) return hit;
  const candidates: DeclaredProducer[] = [];
  const problems: { env: Env; message: string }[] = [];
  for (const env of g.envs) {
    const list: unknown = (env as { seedProducers?: unknown }).seedProducers;
    if (list === undefined) continue;
    if (!Array.isArray(list)) { problems.push({ env, message: `its manifest entry's seedProducers is ${JSON.stringify(list)}, not a list` }); continue; }
    for (const p of list as any[]) {
      const seed = p?.seed;
      const where = `producer ${JSON.stringify(p?.name ?? null)} of seed ${JSON.stringify(seed ?? null)} in ${env.slug} (tier ${env.tier})`;
      const bad = (why: string) => problems.push({ env, message: `${where}: ${why}` });
      if (typeof seed !== 'string' || !SEED.test(seed)) { bad('is not a synthetic or sanitized seed (the golden\'s producer is the golden dump)'); continue; }
      const kind = seed.slice(0, seed.indexOf(':'));
      if (p.kind !== kind) { bad(`is declared of kind ${JSON.stringify(p.kind ?? null)}`); continue; }
      const name = naming.seedProducerName({ app: env.app, env: env.env }, seed);
      if (p.name !== name) { bad(`is not named "${name}", the name tierkit derives`); continue; }
      const live = isLiveTier(g.tiers, env.tier, true);
      if (env.kind === 'sandbox') { bad('runs in a sandbox: a producer writes a seed every consumer restores, so it runs in a tier env'); continue; }
      if (kind === 'synthetic' && live) { bad('runs on a live tier: a synthetic seed is made from nothing live, so its producer runs where nothing live is'); continue; }
      if (kind === 'sanitized' && !live) { bad('does not run in its app\'s prod namespace: it reads the golden, which never leaves prod\'s namespace unsanitized'); continue; }
      candidates.push({ env, seed, kind: kind as 'synthetic' | 'sanitized', name });
    }
  }
  // One producer per seed: two would both write it, and the last one's hashes would win.
  const valid: DeclaredProducer[] = [];
  for (const p of candidates) {
    const same = candidates.filter((q) => q.env.app === p.env.app && q.seed === p.seed);
    if (same.length > 1) problems.push({ env: p.env, message: `seed "${p.seed}" of ${p.env.app} has ${same.length} producers (${same.map((q) => q.env.slug).join(', ')}): exactly one may write it` });
    else valid.push(p);
  }
  const out = { valid, problems };
  cache.set(g, out);
  return out;
}

/** The trusted producer of `seed` of `app` whose namespace is `namespace`, if any. */
export function producerIn(g: EstateGraph, namespace: string | undefined, app: string | undefined, seed: string | undefined): DeclaredProducer | undefined {
  return declaredProducers(g).valid.find((p) => p.env.names.namespace === namespace && p.env.app === app && p.seed === seed);
}

/**
 * Whether `v` is the store a trusted producer writes: its own seed, of its own app, in its own
 * namespace, through the one PV and claim tierkit names for it (a second writable PV on the same
 * export would be a second door).
 */
export function isSeedProducerVolume(g: EstateGraph, v: SeedVolume): boolean {
  if (v.seed === undefined || v.env === undefined || v.seed.app !== v.env.app) return false;
  if (producerIn(g, v.namespace, v.env.app, v.seed.seed) === undefined) return false;
  return v.pv.name === naming.seedVolumeName({ app: v.env.app, env: v.env.env }, v.seed.seed)
    && v.pv.object.spec?.claimRef?.name === naming.seedClaimName(v.seed.seed);
}
