import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { App, Estate, Tier, TierSettings, loadSandboxFiles } from '../../constructs';
import type { Manifest } from '../../contract/manifest';
import { synthesize } from '../../constructs/synth/synthesize';
import { yamlStream } from '../../constructs/synth/serialize';
import { writeDist } from '../../constructs/synth/write';
import estate from '../../environments';
import { crm } from '../../apps/crm';
import { erp } from '../../apps/erp';
import { shop } from '../../apps/shop';
import { defineEstate } from '../../environments/estate';
import { readDist, DistContents } from '../../policies/dist/read';
import { testTmp } from '../setup/tmpdir';

/** Fixture pairs for the diff: the example estate, synthesized in memory, mutated, written to a test temp dir. */

export function app(e: Estate, name: string): App {
  const found = e.node.children.find((c): c is App => c instanceof App && c.node.id === name);
  if (!found) throw new Error(`no app ${name} in the example estate`);
  return found;
}

export function writeEstate(dir: string, mutate: (e: Estate) => void = () => {}, make: () => Estate = estate): string {
  const e = make();
  mutate(e);
  writeDist(dir, synthesize(e).files);
  return dir;
}

/**
 * A head-estate mutation retiring the CI stacks of `base` that `removed` selects (estate
 * `retiredStacks`), as the pull request removing them declares: their state keys stay with their
 * gating tiers' appliers until the destroys ran.
 */
export function retiring(base: Manifest, removed: (stack: string) => boolean): (e: Estate) => void {
  const stacks = base.stacks.filter((s) => s.applyGate !== 'none' && removed(s.name));
  return (e) => {
    (e as { retiredStacks: unknown }).retiredStacks = stacks.map((s) => ({
      stack: s.name, tier: Tier.ALL.find((t) => t.name === s.gatingTier)!, ...(s.server ? { server: s.server } : {}), reason: 'removed by this change; its destroy is pending',
    }));
  };
}

/** The example estate without its shop app: every shop stack and object is destroyed. */
export function estateWithoutShop(): Estate {
  const e = defineEstate();
  erp(e);
  crm(e);
  return e;
}

/**
 * The example estate with its `tiers` settings edited, as a change to environments/estate.ts does:
 * the settings are replaced before any app is declared (nothing has read a tier yet).
 */
export function estateWithTiers(edit: (tiers: readonly TierSettings[]) => TierSettings[]): () => Estate {
  return () => {
    const e = defineEstate();
    (e as { tierSettings: readonly TierSettings[] }).tierSettings = edit(e.tierSettings);
    erp(e);
    crm(e);
    shop(e);
    // As environments/index.ts does: the data-file sandboxes are part of the example estate.
    loadSandboxFiles(e, join(__dirname, '..', '..', 'sandboxes'));
    return e;
  };
}

/** Edit one Kubernetes YAML stream of a written dist in place (a hand edit of a rendered file). */
export function editKubernetes(dist: string, rel: string, edit: (doc: Record<string, any>) => void): void {
  const file = join(dist, rel);
  const docs = parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS());
  docs.forEach(edit);
  writeFileSync(file, yamlStream(docs));
}

let counter = 0;

/** A fresh pair of dist dirs under the test temp dir. */
export function pairDirs(name: string): { base: string; head: string } {
  counter++;
  return { base: testTmp('diff', `${name}-${counter}`, 'base'), head: testTmp('diff', `${name}-${counter}`, 'head') };
}

export function read(dir: string): DistContents {
  return readDist(dir);
}
