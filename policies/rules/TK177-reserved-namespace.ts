import { namespaceReservation } from '../../contract/reserved-namespaces';
import * as naming from '../../constructs/naming';
import { networkPolicyPeerNamespaces } from './support/reserved-namespaces';
import { Rule, RuleFinding, describeEnv } from './support/rule';

export const rule: Rule = {
  id: 'TK177',
  name: 'reserved-namespace',
  severity: 'error',
  title: "No env's namespace is one the cluster, Argo CD, the ingress controller, DNS or tierkit's own Jobs use",
  explanation:
    "An env's Application applies into its namespace a Namespace, a default-deny NetworkPolicy (podSelector {}: every pod "
    + 'there), a ResourceQuota and a LimitRange, and pruning the env deletes them. An env owning kube-system or the ingress '
    + "controller's namespace cuts DNS or ingress for every tier on the cluster; owning Argo CD's stops every sync; owning "
    + "tierkit-previews places its pods where the preview Jobs' Vault auth role trusts service accounts.",
  fix: 'Rename the app or the env so its namespace <app>-<env> is none of default, argocd, ingress-nginx, kube-*, tierkit-*, Argo CD\'s or the namespaces the NetworkPolicies name.',
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    const estate = { argocd: g.manifest.estate?.argocd?.namespace, peers: networkPolicyPeerNamespaces(g) };
    g.envs.forEach((env, i) => {
      const ns = env.names?.namespace;
      const source = { file: 'manifest.json', pointer: `/appEnvironments/${i}/names/namespace`, constructPath: env.constructPath };
      if (typeof ns !== 'string' || ns === '') {
        out.push({ env, source, message: `${describeEnv(env)} names no namespace: check cannot tell whether it is a reserved one` });
        return;
      }
      // The manifest's name, and the one naming derives from app and env (a hand-edited manifest may tell them apart).
      const derived = typeof env.app === 'string' && typeof env.env === 'string' ? naming.namespace({ app: env.app, env: env.env }) : ns;
      for (const name of new Set([ns, derived])) {
        const why = namespaceReservation(name, estate);
        if (why !== undefined) out.push({ env, source, message: `${describeEnv(env)} owns namespace "${name}", which is ${why}` });
      }
    });
    return out;
  },
};
