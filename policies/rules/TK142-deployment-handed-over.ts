import { at } from './support/k8s-scope';
import { isDeployment, rolloutsOf } from './support/rollouts';
import { Rule, RuleFinding, describeEnv, envOfNamespace } from './support/rule';

export const rule: Rule = {
  id: 'TK142',
  name: 'deployment-handed-over',
  severity: 'error',
  title: 'A Deployment declared at 0 replicas is one a Rollout takes over (the workloadRef-delete trap)',
  explanation:
    'tierkit hands a Deployment\'s pods to an Argo Rollout by declaring the Deployment at 0 replicas. Deleting the Rollout — '
    + 'removing it from dist/, or a strategy change that keeps the zero — leaves the Deployment at 0: the env serves nothing, '
    + 'and Argo CD reports it Synced and Healthy. A Deployment at 0 replicas with no Rollout in its namespace naming it is that trap.',
  fix: 'Switch the env\'s release strategy in apps/<app>.releases.json (immediate restores the replicas) and synthesize again; never remove a Rollout from dist/ by hand.',
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    for (const d of g.kubernetes) {
      if (!isDeployment(d) || d.object.spec?.replicas !== 0) continue;
      if (rolloutsOf(g, d).length > 0) continue;
      const env = envOfNamespace(g, d.namespace);
      out.push({ env, source: at(d, '/spec/replicas'), message: `Deployment ${d.namespace ?? ''}/${d.name} (${describeEnv(env)}) declares 0 replicas and no Rollout takes it over: it runs no pod` });
    }
    return out;
  },
};
