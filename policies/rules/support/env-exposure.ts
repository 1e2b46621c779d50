/**
 * What tierkit renders in an app-environment's file that exposes its pods or captures traffic
 * (constructs/synth/kubernetes.ts buildEnvironmentChart, synth/rollout.ts): the Service `<app>`
 * (and a blue-green Rollout's `<app>-preview`), the Ingress `<app>`, and the two NetworkPolicies of
 * the ingress side, `default-deny` and `allow-ingress-controller`. Derived again from the manifest
 * and the env's own Deployment (the app's port), for TK063, which compares each object whole.
 *
 * The ingress controller (class, namespace, pod labels, cert-manager issuer) is estate
 * configuration the manifest does not carry (a dist written before it must still read): tierkit
 * renders one per estate (a tier may name its own class), so every env must name the same one —
 * `controllerSettings` finds the values the envs disagree on.
 *
 * Whole, not a deny-list of fields: some Service fields tierkit does not write are harmless
 * (sessionAffinity, internalTrafficPolicy, ipFamilyPolicy — https://kubernetes.io/docs/reference/kubernetes-api/service-resources/service-v1/),
 * but none is rendered, so any is a hand edit, and a comparison with what tierkit renders needs no
 * per-field judgment that a future field (or a controller-specific annotation) could slip past.
 */
import * as naming from '../../../constructs/naming';
import type { Env, EstateGraph, K8sObject } from '../../graph/types';
import { k8sNamed } from './graph-index';
import { fileScope } from './k8s-scope';

export const EXPOSURE_KINDS: readonly string[] = ['Service', 'Ingress', 'NetworkPolicy'];
export const CERT_MANAGER_ISSUER = 'cert-manager.io/cluster-issuer';
export const INGRESS_CONTROLLER_POLICY = 'allow-ingress-controller';
export const DEFAULT_DENY_POLICY = 'default-deny';

const isRecord = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** constructs/synth/kubernetes.ts environmentLabels, from the manifest. */
export function envLabels(g: EstateGraph, env: Env): Record<string, string> {
  return {
    'app.kubernetes.io/managed-by': 'tierkit', 'app.kubernetes.io/name': env.app, 'app.kubernetes.io/part-of': g.manifest.estate.name,
    'tierkit.io/app': env.app, 'tierkit.io/env': env.env, 'tierkit.io/tier': env.tier,
  };
}

/** The workload's pods only (the Service's and the ingress policy's selector). */
export function workloadSelector(env: Env): Record<string, string> {
  return { 'tierkit.io/app': env.app, 'tierkit.io/env': env.env, [naming.LABELS.component]: 'workload' };
}

/** The app's port: the first container port of the env's own Deployment `<app>`, or why it cannot be read. */
export function appPort(g: EstateGraph, env: Env): number | string {
  const name = naming.workloadName(env);
  const found = k8sNamed(g, 'Deployment', env.names.namespace, name);
  const port = found.length === 1 ? found[0].object.spec?.template?.spec?.containers?.[0]?.ports?.[0]?.containerPort : undefined;
  if (Number.isInteger(port)) return port;
  return `the env's Deployment ${env.names.namespace}/${name} is ${found.length === 0 ? 'not in dist/' : found.length > 1 ? 'declared twice' : `without a container port (${JSON.stringify(port ?? null)})`}, so the app's port is unknown`;
}

/** Whether the env's Rollout `<app>` is blue-green with `<app>-preview` as its preview Service (the only case tierkit renders it). */
export function rendersPreviewService(g: EstateGraph, env: Env): boolean {
  const name = naming.workloadName(env);
  return k8sNamed(g, 'Rollout', env.names.namespace, name).some((k) => k.object.spec?.strategy?.blueGreen?.previewService === naming.previewServiceName(env));
}

export function expectedService(g: EstateGraph, env: Env, name: string, port: number): Record<string, unknown> {
  return {
    apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: env.names.namespace, labels: envLabels(g, env) },
    spec: { selector: workloadSelector(env), ports: [{ name: 'http', port: 80, targetPort: port }] },
  };
}

export function expectedIngress(g: EstateGraph, env: Env, className: unknown, issuer: unknown): Record<string, unknown> {
  const name = naming.workloadName(env);
  const host = env.names.host;
  return {
    apiVersion: 'networking.k8s.io/v1', kind: 'Ingress',
    metadata: { name, namespace: env.names.namespace, labels: envLabels(g, env), ...(issuer !== undefined ? { annotations: { [CERT_MANAGER_ISSUER]: issuer } } : {}) },
    spec: {
      ingressClassName: className,
      tls: [{ hosts: [host], secretName: naming.tlsSecretName(env) }],
      rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name, port: { name: 'http' } } } }] } }],
    },
  };
}

export function expectedDefaultDeny(g: EstateGraph, env: Env): Record<string, unknown> {
  return {
    apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: DEFAULT_DENY_POLICY, namespace: env.names.namespace, labels: envLabels(g, env) },
    spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
  };
}

export function expectedIngressPolicy(g: EstateGraph, env: Env, from: unknown, port: number): Record<string, unknown> {
  return {
    apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: INGRESS_CONTROLLER_POLICY, namespace: env.names.namespace, labels: envLabels(g, env) },
    spec: { podSelector: { matchLabels: workloadSelector(env) }, policyTypes: ['Ingress'], ingress: [{ from, ports: [{ port, protocol: 'TCP' }] }] },
  };
}

/** Kubernetes' default: policyTypes absent means Ingress, plus Egress when egress rules are present. */
export function opensIngressSide(np: K8sObject): boolean {
  const spec = isRecord(np.object.spec) ? np.object.spec : {};
  const types = Array.isArray(spec.policyTypes) ? spec.policyTypes : ['Ingress'];
  return spec.ingress !== undefined || types.includes('Ingress') || !Array.isArray(spec.policyTypes);
}

/**
 * The one controller peer tierkit writes: the controller's namespace by its name label and its
 * pods by their labels, both non-empty — never every namespace, every pod, or an env's own namespace.
 */
export function controllerPeerProblem(g: EstateGraph, from: unknown): string | undefined {
  if (!Array.isArray(from) || from.length !== 1 || !isRecord(from[0])) return 'is not exactly one peer';
  const peer = from[0];
  const keys = Object.keys(peer).sort();
  if (keys.join() !== 'namespaceSelector,podSelector') return `has the peer keys ${JSON.stringify(keys)}; exactly namespaceSelector and podSelector`;
  const ns = peer.namespaceSelector;
  if (!isRecord(ns) || Object.keys(ns).join() !== 'matchLabels' || !isRecord(ns.matchLabels) || Object.keys(ns.matchLabels).join() !== 'kubernetes.io/metadata.name'
    || typeof ns.matchLabels['kubernetes.io/metadata.name'] !== 'string' || ns.matchLabels['kubernetes.io/metadata.name'] === '') {
    return 'does not select one namespace by its kubernetes.io/metadata.name label';
  }
  if (g.index.byNamespace.has(ns.matchLabels['kubernetes.io/metadata.name'])) return `names the app-environment namespace ${ns.matchLabels['kubernetes.io/metadata.name']} as the ingress controller's`;
  const pods = peer.podSelector;
  if (!isRecord(pods) || Object.keys(pods).join() !== 'matchLabels' || !isRecord(pods.matchLabels) || Object.keys(pods.matchLabels).length === 0
    || Object.values(pods.matchLabels).some((v) => typeof v !== 'string')) {
    return 'does not select the controller\'s pods by their labels';
  }
  return undefined;
}

/**
 * Estate-wide values the manifest does not carry, as the envs' files name them: tierkit writes one
 * of each (per tier for the class). Each list holds the values (JSON) that disagree with the most
 * common one — all of them on a tie — so one env naming another controller is a finding, and the
 * envs that kept tierkit's are not, unless no value is the clear majority.
 */
export interface ControllerSettings {
  /** tier → the ingress classes its env Ingresses name, when they disagree. */
  readonly classes: ReadonlyMap<string, Disagreement>;
  /** The well-formed `from` of the envs' allow-ingress-controller policies (a malformed one is judged by itself). */
  readonly peers: Disagreement;
  /** The cert-manager issuers of the envs' Ingresses (`null`: none). */
  readonly issuers: Disagreement;
}

export interface Disagreement {
  /** Every value seen, sorted. */
  readonly values: readonly string[];
  /** The values to report: none when all agree. */
  readonly outliers: ReadonlySet<string>;
}

function disagreement(counts: Map<string, number>): Disagreement {
  const values = [...counts.keys()].sort();
  if (values.length <= 1) return { values, outliers: new Set() };
  const top = Math.max(...counts.values());
  const leaders = values.filter((v) => counts.get(v) === top);
  return { values, outliers: new Set(leaders.length === 1 ? values.filter((v) => v !== leaders[0]) : values) };
}

const cache = new WeakMap<EstateGraph, ControllerSettings>();

export function controllerSettings(g: EstateGraph): ControllerSettings {
  const hit = cache.get(g);
  if (hit) return hit;
  const classes = new Map<string, Map<string, number>>();
  const peers = new Map<string, number>();
  const issuers = new Map<string, number>();
  const count = (m: Map<string, number>, v: unknown) => m.set(JSON.stringify(v ?? null), (m.get(JSON.stringify(v ?? null)) ?? 0) + 1);
  for (const k of g.kubernetes) {
    const scope = k.kind === 'Ingress' || k.kind === 'NetworkPolicy' ? fileScope(g, k.source.file) : undefined;
    if (scope?.kind !== 'env' || k.namespace !== scope.env.names.namespace || k.name !== (k.kind === 'Ingress' ? naming.workloadName(scope.env) : INGRESS_CONTROLLER_POLICY)) continue;
    if (k.kind === 'Ingress') {
      const tier = classes.get(scope.env.tier) ?? new Map<string, number>();
      count(tier, k.object.spec?.ingressClassName);
      classes.set(scope.env.tier, tier);
      count(issuers, k.object.metadata?.annotations?.[CERT_MANAGER_ISSUER]);
    } else {
      const from = k.object.spec?.ingress?.[0]?.from;
      if (controllerPeerProblem(g, from) === undefined) count(peers, from);
    }
  }
  const settings: ControllerSettings = {
    classes: new Map([...classes].map(([t, m]) => [t, disagreement(m)])), peers: disagreement(peers), issuers: disagreement(issuers),
  };
  cache.set(g, settings);
  return settings;
}
