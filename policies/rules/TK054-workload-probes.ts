import { EstateGraph } from '../graph/types';
import { podTemplates, templatePointer } from './support/pod-templates';
import { Rule, RuleFinding, describeEnv, envOfNamespace } from './support/rule';

const SERVING = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Rollout']);

export const rule: Rule = {
  id: 'TK054',
  name: 'workload-probes',
  severity: 'error',
  title: 'Every long-running app container has a readiness and a liveness probe',
  explanation:
    'Without a readiness probe a Service sends traffic to a pod that is not serving yet (every rollout and every reset\'s '
    + 'scale-up drops requests); without a liveness probe a hung process holds its requests and limits forever. The injected '
    + 'Vault agent is judged by its own process supervision, not here.',
  fix: 'Set readinessProbe and livenessProbe on the app container (App healthPath; tierkit writes HTTP probes on the app port).',
  suppressible: true,
  evaluate(g: EstateGraph) {
    const out: RuleFinding[] = [];
    for (const t of podTemplates(g).templates) {
      const o = t.object;
      if (!SERVING.has(o.kind)) continue;
      const env = envOfNamespace(g, o.namespace);
      const containers: any[] = Array.isArray(t.template.spec?.containers) ? t.template.spec!.containers : [];
      containers.forEach((c, i) => {
        const missing = ['readinessProbe', 'livenessProbe'].filter((p) => typeof c?.[p] !== 'object' || c[p] === null);
        if (missing.length === 0) return;
        out.push({ env, source: templatePointer(t, `/spec/containers/${i}`),
          message: `${o.kind} ${o.namespace ?? ''}/${o.name} (${describeEnv(env)}): container ${c?.name} has no ${missing.join(' and no ')}` });
      });
    }
    return out;
  },
};
