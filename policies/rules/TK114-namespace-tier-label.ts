import { groupOf } from '../../contract/rendered-kinds';
import { at } from './support/k8s-scope';
import { Rule, RuleFinding, describeEnv } from './support/rule';

const LABELS = ['tierkit.io/tier', 'tierkit.io/app', 'tierkit.io/env'] as const;

export const rule: Rule = {
  id: 'TK114',
  name: 'namespace-tier-label',
  severity: 'error',
  title: "A Namespace carries its own env's tier, app and env labels, and no namespace outside the estate claims a tier",
  explanation:
    "The `tierkit.io/tier` label is how the rules (TK011: prod namespaces are judged differently) and the cluster's own "
    + "selectors tell a namespace's tier. A dev namespace labelled prod escapes the non-prod egress rules; a hand-written "
    + 'namespace labelled with a tier passes for part of the estate.',
  fix: "Label each env's Namespace with its own tier, app and env (tierkit writes them); remove tierkit labels from other namespaces.",
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    for (const k of g.kubernetes) {
      if (k.kind !== 'Namespace' || groupOf(k.object.apiVersion) !== '') continue;
      const labels = k.object.metadata?.labels ?? {};
      const env = g.index.byNamespace.get(k.name);
      if (!env) {
        const claimed = LABELS.filter((l) => labels[l] !== undefined);
        if (claimed.length > 0) out.push({ source: at(k, '/metadata/labels'), message: `Namespace "${k.name}" is no env's namespace but is labelled ${claimed.map((l) => `${l}=${labels[l]}`).join(', ')}` });
        continue;
      }
      const want: Record<string, string> = { 'tierkit.io/tier': env.tier, 'tierkit.io/app': env.app, 'tierkit.io/env': env.env };
      const wrong = LABELS.filter((l) => labels[l] !== want[l]);
      if (wrong.length > 0) {
        out.push({
          env, source: at(k, '/metadata/labels'),
          message: `Namespace "${k.name}" of ${describeEnv(env)} is labelled ${wrong.map((l) => `${l}=${labels[l] ?? '(none)'}`).join(', ')}; its own are ${wrong.map((l) => `${l}=${want[l]}`).join(', ')}`,
        });
      }
    }
    return out;
  },
};
