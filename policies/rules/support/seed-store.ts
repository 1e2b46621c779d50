/**
 * The seed store as dist/ declares it (issue 22; constructs/lifecycle/seed-store.ts): every
 * PersistentVolume and PersistentVolumeClaim of an env's file, resolved to the seed export it
 * reaches. The export path decides which seed a volume holds — never its labels — and anything
 * that is not an NFS export of the manifest's seed store is reported as unmodelled by the rules.
 */
import { isProdTier } from '../../../contract/tiers';
import type { Env, EstateGraph, K8sObject } from '../../graph/types';
import { seedDataClass } from '../TK012-seed-profile';

export interface SeedRef {
  readonly app: string;
  /** The seed profile's name (`golden`, `demo`, `synthetic:v1`, `sanitized:<dataset>`). */
  readonly seed: string;
  /** `live`, `sanitized` or `synthetic`. */
  readonly dataClass: string;
}

export interface SeedVolume {
  readonly pv: K8sObject;
  /** The seed behind the export; undefined with `problem` set when it cannot be modelled. */
  readonly seed?: SeedRef;
  readonly problem?: string;
  /** Whether a pod of the bound namespace can write through it. */
  readonly writable: boolean;
  /** The claimRef's namespace: the only namespace whose claim can bind it. */
  readonly namespace?: string;
  readonly env?: Env;
}

/** `demo` is the demo tier's curated synthetic seed. */
export function seedOfSlug(slug: string): { seed: string; dataClass: string } | undefined {
  const seed = slug === 'golden' || slug === 'demo' ? slug
    : /^synthetic-[a-z0-9][a-z0-9._-]*$/.test(slug) ? slug.replace(/^synthetic-/, 'synthetic:')
      : /^sanitized-[a-z0-9][a-z0-9._-]*$/.test(slug) ? slug.replace(/^sanitized-/, 'sanitized:') : undefined;
  if (seed === undefined) return undefined;
  return { seed, dataClass: seed === 'demo' ? 'synthetic' : seedDataClass(seed)! };
}

/** Resolve one PV's NFS export against the seed store; a reason when it cannot be. */
function resolve(g: EstateGraph, pv: K8sObject): { seed?: SeedRef; problem?: string } {
  const store = g.manifest.estate?.seedStore;
  const spec = pv.object.spec ?? {};
  const sources = Object.keys(spec).filter((k) => !PV_FIELDS.has(k));
  if (!store) return { problem: 'the manifest declares no seed store (estate.seedStore): no volume can be judged' };
  if (sources.length !== 1 || sources[0] !== 'nfs') {
    return { problem: `its volume source is ${sources.join(', ') || '(none)'}, not an NFS export of the seed store ${store.server}:${store.exportRoot}` };
  }
  const server = spec.nfs?.server;
  const path = spec.nfs?.path;
  if (server !== store.server) return { problem: `it mounts NFS server ${JSON.stringify(server)}, not the seed store ${JSON.stringify(store.server)}` };
  if (typeof path !== 'string') return { problem: 'its NFS path is not a string' };
  const prefix = `${store.exportRoot}/`;
  const rest = path.startsWith(prefix) ? path.slice(prefix.length).split('/') : [];
  const ref = rest.length === 2 ? seedOfSlug(rest[1]) : undefined;
  if (!ref || !/^[a-z0-9][a-z0-9-]*$/.test(rest[0])) {
    return { problem: `its NFS path ${JSON.stringify(path)} is not one seed's directory <exportRoot>/<app>/<seed> under ${store.exportRoot} (a parent or an unknown seed exposes every seed below it)` };
  }
  return { seed: { app: rest[0], ...ref } };
}

/** PV spec fields that are not a volume source. */
const PV_FIELDS = new Set([
  'accessModes', 'capacity', 'claimRef', 'mountOptions', 'nodeAffinity', 'persistentVolumeReclaimPolicy', 'storageClassName',
  'volumeMode', 'volumeAttributesClassName',
]);

const cache = new WeakMap<EstateGraph, SeedVolume[]>();

export function seedVolumes(g: EstateGraph): SeedVolume[] {
  const hit = cache.get(g);
  if (hit) return hit;
  const out = g.kubernetes.filter((k) => k.kind === 'PersistentVolume').map((pv): SeedVolume => {
    const { seed, problem } = resolve(g, pv);
    const spec = pv.object.spec ?? {};
    // nfs.readOnly makes the kubelet add `ro`, whatever the pod or claim asks — unless a mount option
    // (the field, or the legacy annotation) says `rw`: the kubelet joins both sets and mount takes the last.
    const legacy = pv.object.metadata?.annotations?.['volume.beta.kubernetes.io/mount-options'];
    const options = [...(Array.isArray(spec.mountOptions) ? spec.mountOptions : []), ...(typeof legacy === 'string' ? legacy.split(',') : [])]
      .flatMap((o: unknown) => String(o).split(',')).map((o) => o.trim());
    const writable = spec.nfs?.readOnly !== true || options.includes('rw') || (legacy !== undefined && typeof legacy !== 'string');
    const namespace = typeof spec.claimRef?.namespace === 'string' ? spec.claimRef.namespace : undefined;
    return { pv, seed, problem, writable, namespace, env: namespace ? g.index.byNamespace.get(namespace) : undefined };
  });
  cache.set(g, out);
  return out;
}

/** The golden's producer: the prod env of its app (its golden dump writes it; contract/tiers.ts isProdTier). Other seeds have none in dist/. */
export function isProducer(g: EstateGraph, v: SeedVolume): boolean {
  return v.seed?.seed === 'golden' && v.env !== undefined && v.env.app === v.seed.app && isProdTier(g.tiers, v.env.tier) && !v.env.sandbox;
}
