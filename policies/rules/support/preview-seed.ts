/**
 * The seed a preview's database is restored from (constructs/previews.ts `previewSeed`): the app's
 * synthetic seed, as the manifest's seed producers declare it (only producers that pass
 * seed-producers.ts's placement checks count), never a sanitized or golden one. TK130, TK172 and
 * TK179 derive the seed volume, the Jobs' hash read and the seed step from it.
 */
import * as naming from '../../../constructs/naming';
import type { EstateGraph } from '../../graph/types';
import { declaredProducers } from './seed-producers';

export type PreviewSeed =
  | { readonly seed: undefined }
  | { readonly seed: string; readonly volume: string; readonly claim: string; readonly hashPath: string }
  | { readonly seed: undefined; readonly problem: string };

export function previewSeedOf(g: EstateGraph, app: string): PreviewSeed {
  const seeds = [...new Set(declaredProducers(g).valid.filter((p) => p.env.app === app && p.kind === 'synthetic').map((p) => p.seed))].sort();
  if (seeds.length === 0) return { seed: undefined };
  if (seeds.length > 1) return { seed: undefined, problem: `app ${app} declares ${seeds.length} synthetic seeds (${seeds.join(', ')}); a preview restores exactly one` };
  const seed = seeds[0];
  return {
    seed, volume: naming.previewSeedVolumeName(app, seed), claim: naming.previewSeedClaimName(app, seed),
    hashPath: `${g.manifest.estate.vault.kvMount}/data/${naming.seedHashKvSecretName(app, seed)}`,
  };
}
