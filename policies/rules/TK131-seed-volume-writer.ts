import { Rule, RuleFinding, describeEnv } from './support/rule';
import { isProducer, seedVolumes } from './support/seed-store';
import { isSeedProducerVolume } from './support/seed-producers';

export const rule: Rule = {
  id: 'TK131',
  name: 'seed-volume-writer',
  severity: 'error',
  title: 'A seed volume is writable only by its producer; every consumer mounts it read-only',
  explanation:
    'Whoever can write a seed decides what every consumer restores: a replaced demo dump reaches prospects at the next '
    + 'hourly reset, a replaced golden runs its SQL as the sandbox group on the prod server. A seed volume is read-only '
    + 'unless its NFS source sets `readOnly: true` (the kubelet then mounts the export read-only whatever a pod asks); '
    + "only a seed's producer may hold a writable one: the golden dump in its app's prod namespace for the golden, and the "
    + 'seed producer the manifest declares (synthetic in a non-live tier env, sanitized beside the golden dump) for its own '
    + 'seed, in its own namespace. A store of another seed, app or data class is never writable there.',
  fix: 'Set `nfs.readOnly: true` on the volume (tierkit renders every consumer volume so), or remove it.',
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    for (const v of seedVolumes(g)) {
      if (!v.writable || isProducer(g, v) || isSeedProducerVolume(g, v)) continue;
      const seed = v.seed ? `seed "${v.seed.seed}" of ${v.seed.app}` : `an export tierkit cannot resolve (${v.problem})`;
      out.push({
        env: v.env, source: { ...v.pv.source, pointer: `${v.pv.source.pointer}/spec/nfs/readOnly` },
        message: `PersistentVolume "${v.pv.name}" lets namespace ${JSON.stringify(v.namespace ?? null)}${v.env ? ` (${describeEnv(v.env)})` : ''} write ${seed}, and it is not that seed's producer`,
      });
    }
    return out;
  },
};
