import { EstateGraph } from '../graph/types';
import { Rule, RuleFinding, describeEnv } from './support/rule';
import { isReason } from '../../contract/tiers';


/** The data class a seed profile brings into a database. */
export function seedDataClass(seed: string): string | undefined {
  if (seed === 'golden') return 'live';
  if (seed.startsWith('synthetic:')) return 'synthetic';
  if (seed.startsWith('sanitized:')) return 'sanitized';
  return undefined;
}

function hasReason(reason: unknown): boolean {
  return isReason(reason);
}

/** Seeds declared by hand-written namespaces (not in the manifest) through tierkit's annotations. */
function unlistedSeeds(g: EstateGraph) {
  return g.kubernetes.filter((k) => k.kind === 'Namespace' && !g.index.byNamespace.has(k.name)
    && typeof k.object.metadata?.annotations?.['tierkit.io/seed'] === 'string');
}

export const rule: Rule = {
  id: 'TK012',
  name: 'seed-profile',
  severity: 'error',
  title: "A sandbox's seed profile is allowed by its tier's data policy; golden needs a reasoned exception",
  explanation:
    'The seed decides what data a sandbox holds. A golden seed is an iso-prod copy: live data in a tier whose access '
    + 'controls are built for synthetic or sanitized data. It is allowed only as an explicit, reasoned opt-in, which '
    + 'this report lists under exceptions.',
  fix: "Use a seed of a data class the tier allows (synthetic:v1, sanitized:<name>), or declare the sandbox's reason.",
  suppressible: true,
  evaluate(g) {
    const out: RuleFinding[] = [];
    g.envs.forEach((env, i) => {
      if (!env.sandbox) return;
      const seed = env.sandbox.seed;
      const cls = seedDataClass(seed);
      const tier = g.tiers.get(env.tier);
      const source = { file: 'manifest.json', pointer: `/appEnvironments/${i}/sandbox/seed`, constructPath: env.constructPath };
      const exception = env.exceptions.find((e) => e.kind === 'seed' && e.value === seed);
      const needsException = seed === 'golden' || cls === undefined || !tier?.data.includes(cls);
      if (!needsException) return;
      if (!exception || !hasReason(exception.reason)) {
        out.push({
          env, source,
          message: `sandbox ${describeEnv(env)} is seeded "${seed}" (${cls ?? 'unknown data class'}), which tier ${env.tier} does not allow (${tier?.data.join(', ') ?? 'unknown tier'}) and no reasoned exception covers`,
        });
      }
    });
    for (const ns of unlistedSeeds(g)) {
      const seed = ns.object.metadata.annotations['tierkit.io/seed'] as string;
      const tierName = ns.object.metadata?.labels?.['tierkit.io/tier'];
      const tier = tierName ? g.tiers.get(tierName) : undefined;
      const cls = seedDataClass(seed);
      if (seed !== 'golden' && cls !== undefined && tier?.data.includes(cls)) continue;
      out.push({
        source: ns.source,
        message: `namespace "${ns.name}" outside the manifest is seeded "${seed}" on tier ${tierName ?? '(none)'}: no declared, reasoned exception can cover it`,
      });
    }
    return out;
  },
};
