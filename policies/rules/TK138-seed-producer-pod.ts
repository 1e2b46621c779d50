import { PRODUCER_PATHS, SANITIZE_SCRIPT, SYNTHETIC_SEED_SCRIPT } from '../../constructs/lifecycle/seed-scripts';
import * as naming from '../../constructs/naming';
import { podTemplates, templatePointer } from './support/pod-templates';
import { Rule, RuleFinding, describeEnv } from './support/rule';
import { seedVolumes } from './support/seed-store';
import { producerIn } from './support/seed-producers';
import { producerPodProblems } from './support/lifecycle-pods';

/**
 * The synthetic producer loads its ConfigMap with `psql -f`: psql reads a backslash as a
 * meta-command (`\\!` runs a shell in the pod holding the producer's Vault token). tierkit's SQL has
 * none (validation refuses one in the schema); any backslash is refused rather than parsed.
 */
function sqlConfigMapProblems(g: Parameters<Rule['evaluate']>[0], ns: string, name: string): string[] {
  const maps = g.kubernetes.filter((k) => k.kind === 'ConfigMap' && k.name === name && (k.namespace ?? k.object.metadata?.namespace) === ns);
  if (maps.length !== 1) return [`its SQL ConfigMap "${ns}/${name}" is declared ${maps.length} times in dist/, not once`];
  const o = maps[0].object;
  const keys = Object.keys(o).filter((k) => !['apiVersion', 'kind', 'metadata'].includes(k));
  const sql = o.data?.[PRODUCER_PATHS.sqlFile];
  if (keys.join() !== 'data' || Object.keys(o.data ?? {}).join() !== PRODUCER_PATHS.sqlFile || typeof sql !== 'string') {
    return [`its SQL ConfigMap "${ns}/${name}" is not one key "${PRODUCER_PATHS.sqlFile}" of text (it has ${JSON.stringify(keys)})`];
  }
  return sql.includes('\\') ? [`its SQL ConfigMap "${ns}/${name}" holds a backslash, which psql would read as a meta-command`] : [];
}

const CONTAINER_LISTS = ['initContainers', 'containers', 'ephemeralContainers'] as const;
const PRODUCER_SCRIPTS = new Set([SANITIZE_SCRIPT, SYNTHETIC_SEED_SCRIPT]);

export const rule: Rule = {
  id: 'TK138',
  name: 'seed-producer-pod',
  severity: 'error',
  title: "A synthetic or sanitized seed is written only by its declared producer's pod, exactly as tierkit renders it",
  explanation:
    'What a producer writes is what every consumer of the seed restores, after checking it against the hashes the same pod '
    + 'publishes: a producer that skips the masking, or writes another seed, is trusted by every reset. So a pod that can write '
    + 'a synthetic or sanitized seed store, or that runs a producer script, must be the producer the manifest declares for that '
    + "seed in that namespace (TK139 judges where it may run), and it is compared whole with what tierkit renders: its service "
    + 'account, every Vault agent annotation (the sanitized producer renders only the golden\'s published hashes; the synthetic '
    + 'one nothing), every container, env var, mount, image and volume (its own store, the golden read-only, its own SQL '
    + "ConfigMap), and the sanitize calls themselves (only tierkit's calls, with predicates tierkit reads: the script pipes them "
    + 'into psql between its guard and its verification).',
  fix: 'Let tierkit render the producer (App.synthetic, App.sanitized); never hand-edit its CronJob or write a seed store from another pod.',
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    // Writable stores of synthetic and sanitized seeds, by the claim a pod names.
    const stores = new Map(seedVolumes(g).filter((v) => v.writable && v.seed && v.seed.seed !== 'golden' && v.namespace)
      .map((v) => [`${v.namespace}/${v.pv.object.spec?.claimRef?.name}`, v]));
    for (const t of podTemplates(g).templates) {
      const ns = t.object.namespace ?? t.object.object.metadata?.namespace;
      const spec = t.template.spec ?? {};
      const volumes: any[] = Array.isArray(spec.volumes) ? spec.volumes : [];
      const written = volumes.map((v) => stores.get(`${ns}/${v?.persistentVolumeClaim?.claimName}`)).filter((v) => v !== undefined);
      const runsScript = CONTAINER_LISTS.some((l) => (Array.isArray(spec[l]) ? spec[l] : [])
        .some((c: any) => (Array.isArray(c?.command) ? c.command : []).some((x: unknown) => PRODUCER_SCRIPTS.has(x as string))
          || (Array.isArray(c?.args) ? c.args : []).some((x: unknown) => PRODUCER_SCRIPTS.has(x as string))));
      if (written.length === 0 && !runsScript) continue;
      const env = typeof ns === 'string' ? g.index.byNamespace.get(ns) : undefined;
      const where = `${t.object.kind} "${ns}/${t.object.name}"`;
      const source = templatePointer(t, '');
      const seeds = [...new Set(written.map((v) => v!.seed!.seed))];
      if (seeds.length !== 1) {
        out.push({ env, source, message: `${where} ${seeds.length === 0 ? 'runs a seed producer script without its seed store' : `can write ${seeds.length} seed stores (${seeds.join(', ')})`}: a producer writes exactly its own seed` });
        continue;
      }
      const seed = written[0]!.seed!;
      const producer = env && seed.app === env.app ? producerIn(g, ns, env.app, seed.seed) : undefined;
      if (!env || !producer) {
        out.push({ env, source, message: `${where} can write seed "${seed.seed}" of ${seed.app}, but the manifest declares no producer of it in ${env ? describeEnv(env) : `namespace ${JSON.stringify(ns ?? null)}`} that may run there (TK139)` });
        continue;
      }
      const problems = producerPodProblems(g, t, env, producer);
      if (producer.kind === 'synthetic') problems.push(...sqlConfigMapProblems(g, ns!, naming.seedProducerSqlName({ app: env.app, env: env.env }, producer.seed)));
      if (problems.length > 0) {
        out.push({ env, source, message: `${where} writes seed "${seed.seed}" but is not tierkit's ${producer.kind} producer pod: ${problems.join('; ')}` });
      }
    }
    return out;
  },
};
