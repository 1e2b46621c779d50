import { rolloutProblems } from '../../contract/rollout';
import { at } from './support/k8s-scope';
import { Rule, RuleFinding, describeEnv, envOfNamespace } from './support/rule';

export const rule: Rule = {
  id: 'TK140',
  name: 'rollout-strict',
  severity: 'error',
  title: 'Every Argo Rollout is one tierkit can vouch for: canary XOR blue-green, rising weights ending at 100, setCanaryScale only with traffic routing, no unknown fields',
  explanation:
    'A Rollout decides how much of an env\'s traffic a new version gets and when. The CRD\'s schema accepts unknown fields '
    + '(a misspelt `autoPromotionEnabeld` is silently dropped, and blue-green then promotes itself), a step list ending below '
    + '100 % leaves the rollout paused on a mix of versions, `setCanaryScale` without traffic routing changes the share of '
    + 'requests the canary gets behind the reviewer\'s back, and steps tierkit does not model (analysis, experiments, plugins) '
    + 'hand the decision to something the review never sees. What cannot be judged is refused.',
  fix: 'Let tierkit render the Rollout (release strategy canary or blue_green; per-tier steps in the estate\'s promotion.tiers); do not hand-edit it in dist/.',
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    for (const k of g.kubernetes) {
      if (k.kind !== 'Rollout') continue;
      const env = envOfNamespace(g, k.namespace);
      for (const p of rolloutProblems(k.object)) {
        out.push({ env, source: at(k, p.pointer), message: `Rollout ${k.namespace ?? ''}/${k.name} (${describeEnv(env)}): ${p.pointer || '/'} ${p.message}` });
      }
    }
    return out;
  },
};
