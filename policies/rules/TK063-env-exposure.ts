import { isDeepStrictEqual } from 'node:util';
import * as naming from '../../constructs/naming';
import type { Env, EstateGraph, K8sObject } from '../graph/types';
import {
  CERT_MANAGER_ISSUER, DEFAULT_DENY_POLICY, EXPOSURE_KINDS, INGRESS_CONTROLLER_POLICY, appPort, controllerPeerProblem, controllerSettings,
  expectedDefaultDeny, expectedIngress, expectedIngressPolicy, expectedService, opensIngressSide, rendersPreviewService,
} from './support/env-exposure';
import { at, fileScope } from './support/k8s-scope';
import { Rule, RuleFinding } from './support/rule';

const show = (v: unknown) => JSON.stringify(v ?? null);

/** One object of an env's file against tierkit's rendering of it: the problems, each [pointer, message]. */
function judge(g: EstateGraph, env: Env, k: K8sObject): [string, string][] {
  const settings = controllerSettings(g);
  const port = appPort(g, env);
  const workload = naming.workloadName(env);
  const whole = (want: Record<string, unknown>): [string, string][] => (isDeepStrictEqual(k.object, want) ? [] : [['', `is ${show(k.object)}; tierkit renders exactly ${show(want)}`]]);
  if (k.kind === 'Service') {
    const names = [workload, ...(rendersPreviewService(g, env) ? [naming.previewServiceName(env)] : [])];
    if (!names.includes(k.name)) return [['', `tierkit renders no Service ${k.name} there, only ${names.join(', ')} (a Service's externalIPs, type or externalName capture or redirect traffic of the whole cluster)`]];
    if (typeof port === 'string') return [['', `cannot be compared: ${port}`]];
    return whole(expectedService(g, env, k.name, port));
  }
  if (k.kind === 'Ingress') {
    if (k.name !== workload) return [['', `tierkit renders no Ingress ${k.name} there, only ${workload}`]];
    const out: [string, string][] = [];
    const cls = k.object.spec?.ingressClassName;
    const issuer = k.object.metadata?.annotations?.[CERT_MANAGER_ISSUER];
    const classes = settings.classes.get(env.tier);
    if (classes?.outliers.has(show(cls))) out.push(['/spec/ingressClassName', `names class ${show(cls)}, while the envs of tier ${env.tier} name ${classes.values.join(', ')}: tierkit writes one class per tier (TierSettings.ingressClassName, else the estate's ingressController.className)`]);
    if (settings.issuers.outliers.has(show(issuer))) out.push(['/metadata/annotations', `names cert-manager issuer ${show(issuer)}, while the estate's envs name ${settings.issuers.values.join(', ')}: tierkit writes the estate's one ingressController.clusterIssuer`]);
    // Then whole, with the class and issuer it names (judged above).
    return [...out, ...whole(expectedIngress(g, env, cls, typeof issuer === 'string' && issuer !== '' ? issuer : undefined))];
  }
  // NetworkPolicy: the ingress side only (TK011 and TK048 judge egress).
  if (k.name === DEFAULT_DENY_POLICY) return whole(expectedDefaultDeny(g, env));
  if (k.name === INGRESS_CONTROLLER_POLICY) {
    const from = k.object.spec?.ingress?.[0]?.from;
    const peer = controllerPeerProblem(g, from);
    if (peer !== undefined) return [['/spec/ingress/0/from', `its peer ${show(from)} ${peer}; tierkit admits the estate's ingress controller pods only`]];
    if (settings.peers.outliers.has(show(from))) return [['/spec/ingress/0/from', `admits ${show(from)}, while the estate's envs admit ${settings.peers.values.join(', ')}: tierkit admits the estate's one ingress controller`]];
    if (typeof port === 'string') return [['', `cannot be compared: ${port}`]];
    return whole(expectedIngressPolicy(g, env, from, port));
  }
  if (opensIngressSide(k)) {
    return [['/spec', `is an ingress policy (policyTypes ${show(k.object.spec?.policyTypes)}, ingress ${show(k.object.spec?.ingress)}) tierkit does not render: only ${DEFAULT_DENY_POLICY} and ${INGRESS_CONTROLLER_POLICY} decide who reaches the env's pods`]];
  }
  return [];
}

export const rule: Rule = {
  id: 'TK063',
  name: 'env-exposure',
  severity: 'error',
  title: "An env's Services, Ingress and ingress-side NetworkPolicies are exactly what tierkit renders",
  explanation:
    'A Service is not only a name: its externalIPs are programmed by kube-proxy on every node, so a Service in a dev namespace listing '
    + "prod's database or Vault address takes every pod's traffic to them, cluster-wide (CVE-2020-8554, "
    + 'https://kubernetes.io/docs/concepts/services-networking/service/#external-ips); type NodePort or LoadBalancer opens the pods '
    + 'outside every NetworkPolicy, and type ExternalName points whoever follows the name (an Ingress controller) anywhere. An Ingress '
    + "annotation configures the controller every tier shares (an nginx server-snippet is raw configuration in its process, which holds a "
    + "token reading the cluster's Secrets: CVE-2021-25742), and a NetworkPolicy with an ingress rule — `ingress: [{}]` — admits every pod of the cluster. "
    + 'tierkit renders one ClusterIP Service (and a blue-green preview Service), one Ingress for the env\'s host with TLS and no annotation '
    + "but the estate's cert-manager issuer, and admits the estate's ingress controller only: anything else there is a finding no suppression accepts.",
  fix: 'Remove the object or field from the env\'s file and re-run `tierkit synth`; never edit k8s/<tier>/<env>.k8s.yaml by hand. '
    + 'Expose an app through its Ingress (App.port, the estate\'s ingressController), never a Service of another type.',
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    const denied = new Set<Env>();
    for (const k of g.kubernetes) {
      if (!EXPOSURE_KINDS.includes(k.kind)) continue;
      const scope = fileScope(g, k.source.file);
      const owner = k.namespace ? g.index.byNamespace.get(k.namespace) : undefined;
      const where = `${k.kind} ${k.namespace ?? '(no namespace)'}/${k.name}`;
      if (scope.kind === 'env' && k.namespace === scope.env.names.namespace) {
        if (k.kind === 'NetworkPolicy' && k.name === DEFAULT_DENY_POLICY) denied.add(scope.env);
        for (const [pointer, message] of judge(g, scope.env, k)) out.push({ env: scope.env, source: at(k, pointer), message: `${k.source.file}: ${where} ${message}` });
      } else if (scope.kind === 'env' || owner !== undefined || k.kind !== 'NetworkPolicy') {
        // Previews' and the previews' Jobs namespace policies are TK179's; tierkit renders Services and Ingresses in env files only.
        if (k.kind === 'NetworkPolicy' && (scope.kind === 'previews' || scope.kind === 'bootstrap') && owner === undefined) continue;
        out.push({ env: owner ?? (scope.kind === 'env' ? scope.env : undefined), source: at(k, ''), message: `${k.source.file}: ${where} is not rendered there: tierkit writes an env's ${k.kind === 'NetworkPolicy' ? 'policies' : `${k.kind}`} only in its own file k8s/<tier>/<env>.k8s.yaml, in its own namespace` });
      }
    }
    // Without its default-deny every pod of the cluster reaches the env's pods (whatever else says).
    for (const env of g.envs.filter((e) => !denied.has(e))) {
      const file = naming.dist.k8sAppEnvironment(env.tier, env);
      out.push({ env, source: { file, pointer: '', constructPath: env.constructPath }, message: `${file}: namespace ${env.names.namespace} has no NetworkPolicy ${DEFAULT_DENY_POLICY}: tierkit denies ingress and egress to every pod of an env by default` });
    }
    return out;
  },
};
