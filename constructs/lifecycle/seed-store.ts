/**
 * Seed storage per seed (issue 22, docs/seed-data.md). The backend is an NFS server the estate
 * names (`seedStore`): each app's seed is one export directory, `<exportRoot>/<app>/<seed>`.
 * A namespace reaches a seed only through a PersistentVolume tierkit renders for it:
 * - PVs are cluster-scoped and bind exactly one claim: each PV's `claimRef` pins it to one
 *   namespace's claim, so no other namespace can bind it;
 * - a consumer's PV sets `nfs.readOnly` (the kubelet mounts the export read-only, whatever the
 *   pod asks) and `ReadOnlyMany`; only the producer's PV (the golden dump's, in prod's namespace)
 *   is writable;
 * - pods cannot mount the export directly: every namespace enforces the `restricted` Pod Security
 *   profile, which admits no inline `nfs` volume (TK050/TK051).
 * `tierkit check` judges every PV/PVC in dist/ by the export it points at (TK130–TK132), never by
 * its labels.
 */
import { Chart } from 'cdk8s';
import * as k8s from 'cdk8s-plus-32/lib/imports/k8s';
import { AppEnvironment } from '../app-environment';
import * as naming from '../naming';

/** The claim's request: NFS ignores it, but a PV and its claim must state a capacity. */
const SEED_CAPACITY = '100Gi';

export type SeedAccess = 'read' | 'write';

/** The PV + PVC through which `env`'s namespace mounts `seed` (read-only unless `write`). */
export function buildSeedVolume(chart: Chart, env: AppEnvironment, seed: string, access: SeedAccess, labels: Record<string, string>): string {
  const c = env.coordinate;
  const claim = naming.seedClaimName(seed);
  seedVolumeAndClaim(chart, `seed_${naming.seedSlug(seed).replace(/[^A-Za-z0-9]/g, '_')}`, {
    app: c.app, seed, namespace: naming.namespace(c), claim, volume: naming.seedVolumeName(c, seed), readOnly: access === 'read', labels, store: env.estate.seedStore,
  });
  return claim;
}

/** Where one seed volume binds: the claim's namespace and names, and the export it mounts. */
export interface SeedVolumePlacement {
  readonly app: string;
  readonly seed: string;
  readonly namespace: string;
  readonly claim: string;
  readonly volume: string;
  readonly readOnly: boolean;
  readonly labels: Record<string, string>;
  readonly store: { readonly server: string; readonly exportRoot: string };
}

/**
 * A seed's PV, pinned by `claimRef` to the one claim, and that claim (construct ids `<id>_volume`,
 * `<id>_claim`): every consumer's (here) and the preview Jobs' (synth/preview-manifests.ts).
 */
export function seedVolumeAndClaim(chart: Chart, id: string, p: SeedVolumePlacement): void {
  const mode = p.readOnly ? 'ReadOnlyMany' : 'ReadWriteMany';
  const seedLabels = { ...p.labels, [naming.LABELS.seed]: naming.seedSlug(p.seed) };
  new k8s.KubePersistentVolume(chart, `${id}_volume`, {
    metadata: { name: p.volume, labels: seedLabels },
    spec: {
      accessModes: [mode],
      capacity: { storage: k8s.Quantity.fromString(SEED_CAPACITY) },
      claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: p.namespace, name: p.claim },
      mountOptions: ['nfsvers=4.1', ...(p.readOnly ? ['ro'] : [])],
      nfs: { server: p.store.server, path: naming.seedExportPath(p.store.exportRoot, p.app, p.seed), readOnly: p.readOnly },
      persistentVolumeReclaimPolicy: 'Retain',
      storageClassName: '',
      volumeMode: 'Filesystem',
    },
  });
  new k8s.KubePersistentVolumeClaim(chart, `${id}_claim`, {
    metadata: { name: p.claim, namespace: p.namespace, labels: seedLabels },
    spec: {
      accessModes: [mode],
      resources: { requests: { storage: k8s.Quantity.fromString(SEED_CAPACITY) } },
      storageClassName: '',
      volumeMode: 'Filesystem',
      volumeName: p.volume,
    },
  });
}
