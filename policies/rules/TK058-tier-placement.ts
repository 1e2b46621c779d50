import { EstateGraph } from '../graph/types';
import { FoundTemplate, podTemplates, sharesNodesWithProd, templatePointer } from './support/pod-templates';
import { Rule, RuleFinding, describeEnv, envOfNamespace } from './support/rule';
import { isLiveTier } from '../../contract/tiers';

interface Toleration { key?: string; operator?: string; value?: string; effect?: string }

/** Whether toleration `t` lets a pod onto nodes tainted like prod's pods' toleration `taint` says. */
function tolerates(t: Toleration, taint: Toleration): boolean {
  if (t.effect && taint.effect && t.effect !== taint.effect) return false;
  if (t.operator === 'Exists') return !t.key || t.key === taint.key;
  return t.key === taint.key && (t.value ?? '') === (taint.value ?? '');
}

const key = (t: Toleration) => JSON.stringify([t.key ?? '', t.operator ?? 'Equal', t.value ?? '', t.effect ?? '']);

/**
 * Prod's node pool as prod's own pod templates select it: the nodeSelector entries and
 * tolerations every prod template carries. Undefined when prod's pods select no pool.
 */
function prodPool(templates: readonly FoundTemplate[], g: EstateGraph): { selector: Record<string, string>; taints: Toleration[] } | undefined {
  const prod = templates.filter((t) => isLiveTier(g.tiers, envOfNamespace(g, t.object.namespace)?.tier));
  if (prod.length === 0) return undefined;
  const specs = prod.map((t) => t.template.spec ?? {});
  const selector: Record<string, string> = { ...(specs[0].nodeSelector ?? {}) };
  for (const s of specs) for (const k of Object.keys(selector)) if (s.nodeSelector?.[k] !== selector[k]) delete selector[k];
  if (Object.keys(selector).length === 0) return undefined;
  const taints = ((specs[0].tolerations ?? []) as Toleration[]).filter((t) => specs.every((s) => ((s.tolerations ?? []) as Toleration[]).some((x) => key(x) === key(t))));
  return { selector, taints };
}

export const rule: Rule = {
  id: 'TK058',
  name: 'tier-placement',
  severity: 'error',
  title: 'No pod of a lower tier is scheduled onto prod\'s node pool',
  explanation:
    'Pods on one node share its kernel, its kubelet and its disk: a lower tier\'s pod next to prod\'s is one container escape '
    + 'from prod\'s /vault/secrets and tokens, and one noisy neighbour from prod\'s evictions. When prod\'s pods select a node '
    + 'pool of their own (TierSettings.nodePool), no pod of another tier in the same cluster may select that pool, tolerate its '
    + 'taint, name a node, or set a node affinity tierkit does not model; and an untainted prod pool lets any pod without a '
    + 'selector of its own land there. A cluster per tier (argocdDestinationServer) is the placement a pod author cannot undo.',
  fix: 'Remove the selector, toleration, nodeName or affinity that reaches prod\'s pool; taint prod\'s pool (nodePool.taint); or run the tier in its own cluster.',
  suppressible: false,
  evaluate(g: EstateGraph) {
    const out: RuleFinding[] = [];
    const { templates } = podTemplates(g);
    const pool = prodPool(templates, g);
    if (!pool) return out;
    for (const t of templates) {
      const env = envOfNamespace(g, t.object.namespace);
      if (isLiveTier(g.tiers, env?.tier)) continue;
      // Only pods of prod's cluster can reach prod's nodes.
      if (!sharesNodesWithProd(g, t.object.namespace)) continue;
      const spec = t.template.spec ?? {};
      const where = `${t.object.kind} ${t.object.namespace ?? ''}/${t.object.name} (${env ? describeEnv(env) : 'no declared app-environment'})`;
      const push = (rel: string, message: string) => out.push({ env, source: templatePointer(t, rel), message: `${where}: ${message}` });
      if (spec.nodeName !== undefined) push('/spec/nodeName', `names node ${spec.nodeName}, bypassing the scheduler and every taint`);
      if (spec.affinity?.nodeAffinity !== undefined) push('/spec/affinity/nodeAffinity', 'sets a node affinity tierkit does not model; it may select prod\'s pool');
      const selector: Record<string, string> = spec.nodeSelector ?? {};
      const selectsProd = Object.entries(pool.selector).every(([k, v]) => selector[k] === v);
      const excluded = Object.entries(pool.selector).some(([k, v]) => selector[k] !== undefined && selector[k] !== v);
      const tolerated = pool.taints.filter((taint) => ((spec.tolerations ?? []) as Toleration[]).some((x) => tolerates(x, taint)));
      if (selectsProd) push('/spec/nodeSelector', `selects prod's node pool ${JSON.stringify(pool.selector)}`);
      if (tolerated.length > 0) push('/spec/tolerations', `tolerates the taint of prod's node pool (${tolerated.map((x) => `${x.key}=${x.value ?? ''}:${x.effect ?? '*'}`).join(', ')})`);
      else if (pool.taints.length === 0 && !excluded && !selectsProd) push('/spec', `may land on prod's node pool ${JSON.stringify(pool.selector)}: the pool has no taint and the pod selects no other pool`);
    }
    return out;
  },
};
