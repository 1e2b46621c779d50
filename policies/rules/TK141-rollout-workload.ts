import type { K8sObject } from '../graph/types';
import { at } from './support/k8s-scope';
import { isDeployment } from './support/rollouts';
import { Rule, RuleFinding, describeEnv, envOfNamespace } from './support/rule';

export const rule: Rule = {
  id: 'TK141',
  name: 'rollout-workload',
  severity: 'error',
  title: 'A Rollout takes over a Deployment of its own file at 0 replicas, selects its pods, switches Services that exist, and waits for a human on a human-gated tier',
  explanation:
    'With `workloadRef` the Rollout runs the pods of the Deployment it names: a name the dist does not hold (or one in another '
    + 'file, synced by another Application) is a pod template no rule has judged. A Deployment that still declares replicas runs '
    + 'its own pods beside the Rollout\'s, behind the same Service: the canary\'s weights are then not the share of traffic it '
    + 'gets. A selector that does not match the template selects no pod. Blue-green switches Services by name; on a tier whose '
    + 'apply needs a human, the switch of live traffic must wait for one (autoPromotionEnabled: false).',
  fix: 'Let tierkit render the Rollout and its Deployment (release strategy canary or blue_green): one file, Deployment at 0 replicas, the env\'s Services.',
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    // The objects of each file, in graph order: built at the first Rollout (an estate without one needs none),
    // appended in place (a copy of the file's list per object was quadratic in a file's objects).
    let inFile: Map<string, K8sObject[]> | undefined;
    const filesOf = (): Map<string, K8sObject[]> => {
      if (inFile) return inFile;
      inFile = new Map();
      for (const k of g.kubernetes) {
        const list = inFile.get(k.source.file);
        if (list) list.push(k);
        else inFile.set(k.source.file, [k]);
      }
      return inFile;
    };
    for (const r of g.kubernetes) {
      if (r.kind !== 'Rollout') continue;
      const env = envOfNamespace(g, r.namespace);
      const where = `Rollout ${r.namespace ?? ''}/${r.name} (${describeEnv(env)})`;
      const add = (pointer: string, message: string) => out.push({ env, source: at(r, pointer), message: `${where} ${message}` });
      const spec = r.object.spec ?? {};
      const siblings = filesOf().get(r.source.file) ?? [];
      const ref = spec.workloadRef;
      if (ref !== undefined) {
        const dep = siblings.find((k) => isDeployment(k) && k.namespace === r.namespace && k.name === ref?.name);
        if (!dep) {
          add('/spec/workloadRef', `runs the pods of Deployment "${ref?.name}", which its file (${r.source.file}) does not hold in namespace ${r.namespace ?? '(none)'}: no rule has judged those pods`);
        } else {
          if (dep.object.spec?.replicas !== 0) {
            add('/spec/workloadRef', `takes over Deployment ${dep.name}, which still declares ${JSON.stringify(dep.object.spec?.replicas ?? 1)} replicas: both run pods behind the same Service, so the rollout's weights are not the share of traffic`);
          }
          const labels: Record<string, unknown> = dep.object.spec?.template?.metadata?.labels ?? {};
          const wanted: Record<string, unknown> = spec.selector?.matchLabels ?? {};
          const missing = Object.keys(wanted).filter((l) => labels[l] !== wanted[l]);
          if (missing.length > 0 || Object.keys(wanted).length === 0) {
            add('/spec/selector', `selects ${missing.length > 0 ? `labels its Deployment's pods do not carry (${missing.join(', ')})` : 'no label'}: it would run or find no pod`);
          }
        }
      }
      const bg = spec.strategy?.blueGreen;
      if (bg && typeof bg === 'object') {
        for (const field of ['activeService', 'previewService'] as const) {
          const name = bg[field];
          if (name === undefined && field === 'previewService') continue;
          if (!siblings.some((k) => k.kind === 'Service' && k.namespace === r.namespace && k.name === name)) {
            add(`/spec/strategy/blueGreen/${field}`, `switches Service "${name}", which its file does not hold in namespace ${r.namespace ?? '(none)'}`);
          }
        }
        const tier = env ? g.tiers.get(env.tier) : undefined;
        if ((!tier || tier.applyGate.human) && bg.autoPromotionEnabled !== false) {
          add('/spec/strategy/blueGreen/autoPromotionEnabled', `${tier ? `is on tier ${tier.name}, whose apply gate needs a human` : 'belongs to no declared env'}, but promotes the new version to live traffic by itself (autoPromotionEnabled is ${JSON.stringify(bg.autoPromotionEnabled ?? true)})`);
        }
      }
    }
    return out;
  },
};
