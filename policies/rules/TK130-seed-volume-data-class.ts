import * as naming from '../../constructs/naming';
import { isProdTier, isReason } from '../../contract/tiers';
import type { Env, EstateGraph } from '../graph/types';
import { previewSeedOf } from './support/preview-seed';
import { podTemplates, templatePointer } from './support/pod-templates';
import { Rule, RuleFinding, describeEnv } from './support/rule';
import { SeedVolume, seedVolumes } from './support/seed-store';
import { isSeedProducerVolume } from './support/seed-producers';

/** Whether `env`'s tier (or its reasoned seed exception) lets it hold `v`'s seed. */
function allowed(g: EstateGraph, env: Env, v: SeedVolume): string | undefined {
  const seed = v.seed!;
  if (seed.app !== env.app) return `it holds app ${seed.app}'s seed "${seed.seed}", not app ${env.app}'s`;
  // A sanitized seed's producer writes it beside the golden, in prod's namespace (TK138, TK139 judge it).
  if (isSeedProducerVolume(g, v)) return undefined;
  const tier = g.tiers.get(env.tier);
  if (!tier) return `tier ${env.tier} is not in the manifest`;
  if (tier.data.includes(seed.dataClass) && (seed.seed !== 'golden' || isProdTier(g.tiers, env.tier))) return undefined;
  // A golden sandbox's opt-in (TK012 judges the sandbox side): only the seed it declared, with its reason.
  const reasoned = env.sandbox?.seed === seed.seed
    && env.exceptions.some((e) => e.kind === 'seed' && e.value === seed.seed && isReason(e.reason));
  if (reasoned) return undefined;
  return `its seed "${seed.seed}" is ${seed.dataClass} data, which tier ${env.tier} does not allow (${tier.data.join(', ')}) and no reasoned seed exception of ${describeEnv(env)} covers`;
}

/** Why `v` (bound in tierkit-previews) is not the preview Jobs' synthetic seed volume of its app; undefined when it is. */
function previewJobsSeed(g: EstateGraph, v: SeedVolume): string | undefined {
  const seed = v.seed!;
  const hosts = g.envs.filter((e) => e.app === seed.app && e.previews !== undefined && e.previews !== null);
  if (hosts.length === 0) return `app ${seed.app} has no previews, so no preview Job restores its seed "${seed.seed}"`;
  const want = previewSeedOf(g, seed.app);
  if ('problem' in want) return want.problem;
  if (want.seed !== seed.seed) return `it holds seed "${seed.seed}" (${seed.dataClass}); previews of ${seed.app} restore ${want.seed === undefined ? 'no seed' : `only its synthetic seed "${want.seed}"`}`;
  const claim = v.pv.object.spec?.claimRef?.name;
  if (v.pv.name !== want.volume || claim !== want.claim) {
    return `it is named "${v.pv.name}" for claim ${JSON.stringify(claim ?? null)}; tierkit binds ${seed.app}'s preview seed as "${want.volume}" to claim "${want.claim}" only`;
  }
  return undefined;
}

export const rule: Rule = {
  id: 'TK130',
  name: 'seed-volume-data-class',
  severity: 'error',
  title: "A namespace mounts only seeds its tier's data policy allows, through volumes tierkit can resolve",
  explanation:
    'A seed volume brings a seed dump into a namespace: any pod there can read it, whatever the reset restores. So the '
    + 'seed behind every PersistentVolume — read from its NFS export path on the seed store, not from its labels — must be '
    + "of a data class the bound namespace's tier allows (golden only in prod, or in the sandbox that declared a reasoned "
    + 'golden opt-in), and of the same app. A volume of another source or server, a claim bound to a volume dist/ does '
    + 'not declare, or a pod mounting a claim dist/ does not declare cannot be judged and is reported.',
  fix: "Mount only the seed the env's reset restores (tierkit renders it); remove hand-written volumes and claims.",
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    const volumes = seedVolumes(g);
    for (const v of volumes) {
      const what = `PersistentVolume "${v.pv.name}"`;
      if (v.problem || !v.seed) {
        out.push({ env: v.env, source: v.pv.source, message: `${what} cannot be judged: ${v.problem}` });
      } else if (v.namespace === naming.PREVIEW_JOBS_NAMESPACE) {
        // The preview Jobs' namespace holds exactly one seed per app with previews: its synthetic seed, on tierkit's volume and claim.
        const why = previewJobsSeed(g, v);
        if (why) out.push({ source: v.pv.source, message: `${what} is bound to namespace "${v.namespace}" (the preview Jobs'): ${why}` });
      } else if (!v.env) {
        out.push({ source: v.pv.source, message: `${what} (seed "${v.seed.seed}" of ${v.seed.app}) is bound to namespace ${JSON.stringify(v.namespace ?? null)}, of no app-environment` });
      } else {
        const why = allowed(g, v.env, v);
        if (why) out.push({ env: v.env, source: v.pv.source, message: `${what} is bound to namespace "${v.namespace}" (${describeEnv(v.env)}): ${why}` });
      }
    }
    // Claims bind only PVs dist/ declares for them (a claim left to bind any PV could take one made out of band).
    const pvByName = new Map(volumes.map((v) => [v.pv.name, v]));
    const claims = new Set<string>();
    for (const k of g.kubernetes) {
      if (k.kind !== 'PersistentVolumeClaim') continue;
      const ns = k.namespace ?? k.object.metadata?.namespace;
      claims.add(`${ns}/${k.name}`);
      const volumeName = k.object.spec?.volumeName;
      const v = typeof volumeName === 'string' ? pvByName.get(volumeName) : undefined;
      if (!v || v.namespace !== ns || v.pv.object.spec?.claimRef?.name !== k.name) {
        out.push({
          env: typeof ns === 'string' ? g.index.byNamespace.get(ns) : undefined, source: k.source,
          message: `PersistentVolumeClaim "${ns}/${k.name}" names volume ${JSON.stringify(volumeName ?? null)}, ${v ? 'whose claimRef is another claim' : 'which dist/ does not declare'}: what it mounts cannot be judged`,
        });
      }
    }
    // Pods mount claims by name: a claim dist/ does not declare (e.g. the old shared tierkit-seeds-<app>) holds unknown data.
    for (const t of podTemplates(g).templates) {
      const ns = t.object.namespace ?? t.object.object.metadata?.namespace;
      (t.template.spec?.volumes ?? []).forEach((vol: any, i: number) => {
        const claim = vol?.persistentVolumeClaim?.claimName;
        if (vol?.persistentVolumeClaim === undefined || claims.has(`${ns}/${claim}`)) return;
        out.push({
          env: typeof ns === 'string' ? g.index.byNamespace.get(ns) : undefined, source: templatePointer(t, `/spec/volumes/${i}`),
          message: `${t.object.kind} "${ns}/${t.object.name}" mounts claim ${JSON.stringify(claim ?? null)}, which dist/ does not declare: the data behind it cannot be judged`,
        });
      });
    }
    return out;
  },
};
