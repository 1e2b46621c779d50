import { EstateGraph } from '../graph/types';
import { podTemplates, quantity, sharesNodesWithProd, templatePointer } from './support/pod-templates';
import { Rule, RuleFinding, describeEnv, envOfNamespace } from './support/rule';
import { isLiveTier } from '../../contract/tiers';

export const rule: Rule = {
  id: 'TK052',
  name: 'container-resources',
  severity: 'error',
  title: 'Every container requests and limits CPU and memory; every prod pod is Guaranteed',
  explanation:
    'A container without requests is BestEffort: the scheduler reserves nothing for it and the kubelet evicts it first when '
    + 'a node runs short — on shared nodes, a sandbox filling memory evicts prod. A container without limits takes the '
    + "node's memory and CPU. On prod every container (the injected Vault agent's included, sized through the injector's "
    + 'agent-requests-*/agent-limits-* annotations) requests exactly its limits, so prod pods are Guaranteed and evicted last.',
  fix: 'Give every container resources.requests and resources.limits for cpu and memory (App resources or TierSettings.workloadResources); on prod, requests equal to limits.',
  suppressible: true,
  evaluate(g: EstateGraph) {
    const out: RuleFinding[] = [];
    for (const t of podTemplates(g).templates) {
      const o = t.object;
      const env = envOfNamespace(g, o.namespace);
      const prod = isLiveTier(g.tiers, env?.tier);
      const unsuppressible = sharesNodesWithProd(g, o.namespace);
      const where = `${o.kind} ${o.namespace ?? ''}/${o.name} (${describeEnv(env)})`;
      for (const list of ['initContainers', 'containers'] as const) {
        const containers: any[] = Array.isArray(t.injected.spec?.[list]) ? t.injected.spec![list] : [];
        for (const c of containers) {
          const index = ((t.template.spec?.[list] ?? []) as any[]).findIndex((x) => x?.name === c?.name);
          const source = templatePointer(t, index < 0 ? '/metadata/annotations' : `/spec/${list}/${index}/resources`);
          const who = `${where}: container ${c?.name}${index < 0 ? ' (injected Vault agent)' : ''}`;
          const problems: string[] = [];
          for (const r of ['cpu', 'memory']) {
            const req = quantity(c?.resources?.requests?.[r]);
            const lim = quantity(c?.resources?.limits?.[r]);
            if (req === undefined || req <= 0) problems.push(`no readable ${r} request`);
            if (lim === undefined || lim <= 0) problems.push(`no readable ${r} limit`);
            if (prod && req !== undefined && lim !== undefined && req !== lim) problems.push(`${r} request ${c.resources.requests[r]} differs from its limit ${c.resources.limits[r]} (prod pods are Guaranteed)`);
          }
          if (problems.length > 0) out.push({ env, source, unsuppressible, message: `${who}: ${problems.join('; ')}` });
        }
      }
    }
    return out;
  },
};
