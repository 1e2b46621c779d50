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
  const ns = naming.namespace(c);
  const store = env.estate.seedStore;
  const claim = naming.seedClaimName(seed);
  const volume = naming.seedVolumeName(c, seed);
  const readOnly = access === 'read';
  const mode = readOnly ? 'ReadOnlyMany' : 'ReadWriteMany';
  const seedLabels = { ...labels, [naming.LABELS.seed]: naming.seedSlug(seed) };
  const id = `seed_${naming.seedSlug(seed).replace(/[^A-Za-z0-9]/g, '_')}`;
  new k8s.KubePersistentVolume(chart, `${id}_volume`, {
    metadata: { name: volume, labels: seedLabels },
    spec: {
      accessModes: [mode],
      capacity: { storage: k8s.Quantity.fromString(SEED_CAPACITY) },
      claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: ns, name: claim },
      mountOptions: ['nfsvers=4.1', ...(readOnly ? ['ro'] : [])],
      nfs: { server: store.server, path: naming.seedExportPath(store.exportRoot, c.app, seed), readOnly },
      persistentVolumeReclaimPolicy: 'Retain',
      storageClassName: '',
      volumeMode: 'Filesystem',
    },
  });
  new k8s.KubePersistentVolumeClaim(chart, `${id}_claim`, {
    metadata: { name: claim, namespace: ns, labels: seedLabels },
    spec: {
      accessModes: [mode],
      resources: { requests: { storage: k8s.Quantity.fromString(SEED_CAPACITY) } },
      storageClassName: '',
      volumeMode: 'Filesystem',
      volumeName: volume,
    },
  });
  return claim;
}
