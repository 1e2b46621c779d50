import { ApiObject, App as K8sApp, Chart } from 'cdk8s';
import * as k8s from 'cdk8s-plus-32/lib/imports/k8s';
import { AppEnvironment } from '../app-environment';
import { Estate, NetworkEndpoint } from '../estate';
import { buildLifecycleJobs } from '../lifecycle/jobs';
import { buildSeedProducers } from '../lifecycle/producers';
import { hasReset, resetRevokesLeases } from '../lifecycle/plan';
import { FLAGS_FILE_KEY } from '../../contract/flags';
import * as naming from '../naming';
import { Sandbox } from '../sandbox';
import { Tier } from '../tier';
import {
  containerResources, containerSecurityContext, podSecurityContext, podSecurityLabels, tmpVolume, vaultAgentRuntimeAnnotations, vaultTokenVolume,
  REPLICAS, placement, workloadResources,
} from './pod-security';
import { buildSandboxQuota } from './kubernetes-quota';
import { addPreviewsProject, addTierAppsProject, addTierProject } from './argocd-projects';
import { previewApplicationSet } from './preview-applicationset';
import { buildPreviewJobsNamespace } from './preview-manifests';
import { hostsPreviews } from '../previews';
import { environmentsOf } from '../query';
import { buildRollout, hasRollout } from './rollout';

/** Labels every object of an app-environment carries; the policy loader reads them back. */
export function environmentLabels(env: AppEnvironment): Record<string, string> {
  return {
    'app.kubernetes.io/managed-by': 'tierkit',
    'app.kubernetes.io/name': env.app.appName,
    'app.kubernetes.io/part-of': env.estate.estateName,
    'tierkit.io/app': env.app.appName,
    'tierkit.io/env': env.env,
    'tierkit.io/tier': env.tier.name,
  };
}

function sandboxAnnotations(env: AppEnvironment): Record<string, string> | undefined {
  if (!(env instanceof Sandbox)) return undefined;
  return {
    'tierkit.io/owner': env.owner,
    'tierkit.io/sandbox-kind': env.kind.name,
    'tierkit.io/seed': env.seed.name,
    'tierkit.io/expires-at': env.expiresAt ?? '',
  };
}

/** Set on the workload's pods (not on the lifecycle Jobs'), which the workload selector requires. */
export const COMPONENT_LABEL = naming.LABELS.component;



const DNS_PORTS = [{ protocol: 'UDP', port: k8s.IntOrString.fromNumber(53) }, { protocol: 'TCP', port: k8s.IntOrString.fromNumber(53) }];

/** Egress from some of the env's pods to one declared destination, TCP on its port only. */
function allowEgressTo(chart: Chart, id: string, meta: k8s.ObjectMeta, pods: Record<string, string>, to: NetworkEndpoint): void {
  new k8s.KubeNetworkPolicy(chart, id, {
    metadata: meta,
    spec: {
      podSelector: { matchLabels: pods },
      policyTypes: ['Egress'],
      egress: [{ to: [{ ipBlock: { cidr: to.cidr } }], ports: [{ protocol: 'TCP', port: k8s.IntOrString.fromNumber(to.port) }] }],
    },
  });
}

/**
 * The namespace of one app-environment: default-deny in both directions, then the few allows
 * (DNS, the tier's egress allow list, the platform destinations its pods need, the ingress
 * controller), the workload and its Vault role.
 * The chart has no namespace of its own: cdk8s would stamp it onto the Namespace object too.
 */
export function buildEnvironmentChart(app: K8sApp, env: AppEnvironment): Chart {
  const estate = env.estate;
  const c = env.coordinate;
  const ns = naming.namespace(c);
  const labels = environmentLabels(env);
  const tier = estate.tier(env.tier);
  const chart = new Chart(app, env.slug, { disableResourceNameHashes: true });
  const meta = (name: string) => ({ name, namespace: ns, labels });

  new k8s.KubeNamespace(chart, 'namespace', {
    metadata: { name: ns, labels: { ...labels, ...podSecurityLabels() }, annotations: sandboxAnnotations(env) },
  });
  const sa = new k8s.KubeServiceAccount(chart, 'service_account', {
    metadata: meta(naming.serviceAccountName(c)), automountServiceAccountToken: false,
  });
  new k8s.KubeNetworkPolicy(chart, 'default_deny', {
    metadata: meta('default-deny'), spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
  });
  new k8s.KubeNetworkPolicy(chart, 'allow_dns', {
    metadata: meta('allow-dns'),
    spec: {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [{
        to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
        ports: DNS_PORTS,
      }],
    },
  });
  const targeted = new Set(tier.egressTargets.map((t) => t.cidr));
  const portless = tier.egressAllowList.filter((cidr) => !targeted.has(cidr));
  if (tier.config.egress.name !== 'deny' && tier.egressAllowList.length > 0 && env.egressAllowed) {
    new k8s.KubeNetworkPolicy(chart, 'allow_egress_listed', {
      metadata: meta('allow-egress-listed'),
      spec: {
        podSelector: {}, policyTypes: ['Egress'],
        // Port-less CIDRs (egressAllowList) in one rule; each target with its own ports (egressTargets).
        egress: [
          ...(portless.length > 0 ? [{ to: portless.map((cidr) => ({ ipBlock: { cidr } })) }] : []),
          ...tier.egressTargets.map((t) => ({
            to: [{ ipBlock: { cidr: t.cidr } }], ports: t.ports.map((p) => ({ protocol: p.protocol, port: k8s.IntOrString.fromNumber(p.port) })),
          })),
        ],
      },
    });
  }
  // What the env's own pods need whatever the tier's egress: the server holding its database
  // (which may be another tier's, as erp-sandbox's is prod's), Vault for the agent of every pod,
  // and the API server for the scale steps of the reset and TTL-sweep Jobs only.
  const envPods = { 'tierkit.io/app': c.app, 'tierkit.io/env': c.env };
  const server = env.server!;
  if (server.cidr) allowEgressTo(chart, 'allow_egress_postgres', meta('allow-egress-postgres'), envPods, { cidr: server.cidr, port: server.port });
  if (estate.vaultEndpoint) allowEgressTo(chart, 'allow_egress_vault', meta('allow-egress-vault'), envPods, estate.vaultEndpoint);
  if (estate.kubernetesApi && hasReset(env)) {
    allowEgressTo(chart, 'allow_egress_kubernetes_api', meta('allow-egress-kubernetes-api'), { ...envPods, [naming.LABELS.job]: 'reset' }, estate.kubernetesApi);
    if (env.isSandbox) {
      allowEgressTo(chart, 'allow_egress_kubernetes_api_ttl_sweep', meta('allow-egress-kubernetes-api-ttl-sweep'),
        { ...envPods, [naming.LABELS.job]: 'ttl-sweep' }, estate.kubernetesApi);
    }
  }
  // The workload's pods only: the lifecycle Job pods carry the env labels too, and must never get
  // the Service's traffic or the ingress controller's. The Deployment keeps the env selector: a
  // selector is immutable, and its ReplicaSets never adopt pods a Job owns.
  const selector = { ...envPods, [COMPONENT_LABEL]: 'workload' };
  new k8s.KubeNetworkPolicy(chart, 'allow_ingress_controller', {
    metadata: meta('allow-ingress-controller'),
    spec: {
      podSelector: { matchLabels: selector },
      policyTypes: ['Ingress'],
      ingress: [{
        // The controller's pods only: anything else in its namespace gets nothing.
        from: [{
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': estate.ingressController.namespace } },
          podSelector: { matchLabels: { ...estate.ingressController.podLabels } },
        }],
        ports: [{ protocol: 'TCP', port: k8s.IntOrString.fromNumber(env.app.port) }],
      }],
    },
  });
  // A Rollout (canary, blue-green) runs the Deployment's pods itself: the Deployment hands them over at 0.
  const rollout = hasRollout(env);
  const flags = resetRevokesLeases(env);
  new k8s.KubeDeployment(chart, 'deployment', {
    metadata: meta(naming.workloadName(c)),
    spec: {
      replicas: rollout ? 0 : REPLICAS,
      selector: { matchLabels: envPods },
      template: {
        metadata: {
          labels: { ...labels, [COMPONENT_LABEL]: 'workload' },
          annotations: {
            // The Vault agent logs in with the env's Kubernetes auth role and renders its own creds only.
            'vault.hashicorp.com/agent-inject': 'true',
            'vault.hashicorp.com/role': naming.kubernetesAuthRoleName(c),
            'vault.hashicorp.com/agent-inject-secret-database': naming.vaultCredsPath(c, estate.naming),
            'vault.hashicorp.com/agent-inject-secret-config': naming.kvApiPaths(c, estate.naming).data,
            ...vaultAgentRuntimeAnnotations(env.tier),
          },
        },
        spec: {
          serviceAccountName: sa.name,
          // The app never talks to the API server; the agent gets its audience-bound token instead.
          automountServiceAccountToken: false,
          securityContext: podSecurityContext(env.app.runAsUser),
          ...placement(env),
          containers: [{
            name: naming.workloadName(c),
            image: env.image,
            ports: [{ containerPort: env.app.port, name: 'http' }],
            env: [
              { name: 'TIERKIT_TIER', value: env.tier.name },
              { name: 'TIERKIT_ENV', value: c.env },
              { name: 'TIERKIT_ALLOWED_HOST', value: env.host },
              // The release's config values (apps/<app>.releases.json), sorted by name.
              ...Object.keys(env.config).sort().map((name) => ({ name, value: env.config[name] })),
              // An hourly-reset env reads its flags from the flags ConfigMap its reset restores.
              ...(flags ? [{ name: 'TIERKIT_FLAGS_FILE', value: `${FLAGS_MOUNT_PATH}/${FLAGS_FILE_KEY}` }] : []),
            ],
            resources: containerResources(env.tier, workloadResources(env)),
            readinessProbe: { httpGet: { path: env.app.healthPath, port: k8s.IntOrString.fromString('http') }, periodSeconds: 10, failureThreshold: 3 },
            livenessProbe: { httpGet: { path: env.app.healthPath, port: k8s.IntOrString.fromString('http') }, initialDelaySeconds: 10, periodSeconds: 20, failureThreshold: 6 },
            volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }, ...(flags ? [{ name: 'flags', mountPath: FLAGS_MOUNT_PATH, readOnly: true }] : [])],
            securityContext: containerSecurityContext(env.app.runAsUser),
          }],
          volumes: [tmpVolume(), vaultTokenVolume(), ...(flags ? [{ name: 'flags', configMap: { name: naming.flagsConfigMapName(c) } }] : [])],
        },
      },
    },
  });
  new k8s.KubeService(chart, 'service', {
    metadata: meta(naming.workloadName(c)),
    spec: { selector, ports: [{ name: 'http', port: 80, targetPort: k8s.IntOrString.fromNumber(env.app.port) }] },
  });
  if (rollout) buildRollout(chart, env, meta, selector, REPLICAS);
  const issuer = estate.ingressController.clusterIssuer;
  new k8s.KubeIngress(chart, 'ingress', {
    metadata: { ...meta(naming.workloadName(c)), ...(issuer ? { annotations: { 'cert-manager.io/cluster-issuer': issuer } } : {}) },
    spec: {
      ingressClassName: tier.ingressClassName ?? estate.ingressController.className,
      tls: [{ hosts: [env.host], secretName: naming.tlsSecretName(c) }],
      rules: [{
        host: env.host,
        http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: naming.workloadName(c), port: { name: 'http' } } } }] },
      }],
    },
  });
  buildLifecycleJobs(chart, env, labels, REPLICAS);
  buildSeedProducers(chart, env, labels);
  if (env.isSandbox) buildSandboxQuota(chart, env, meta);
  return chart;
}

/**
 * An Argo CD Application tracking rendered manifests, synced automatically with self-heal.
 * `resetDeployment`: a reset Job scales this Deployment to 0 (and leaves it there when the reset
 * fails); self-heal must not scale it back meanwhile, so Argo CD ignores its replicas, in the diff
 * and, with RespectIgnoreDifferences, when it syncs.
 */
function argoApplication(chart: Chart, id: string, estate: Estate, props: {
  name: string; project: string; path: string; include?: string; destinationNamespace: string; labels: Record<string, string>; resetDeployment?: string;
  destinationServer?: string; resetFlagsConfigMap?: string;
}): ApiObject {
  const ignoreReplicas = props.resetDeployment !== undefined;
  // An hourly reset's flags ConfigMap may be toggled during the hour (demo flags are the
  // presenter's); the reset, not self-heal, brings it back to the declared defaults.
  const ignoreFlags = props.resetFlagsConfigMap !== undefined
    ? [{ group: '', kind: 'ConfigMap', name: props.resetFlagsConfigMap, namespace: props.destinationNamespace, jsonPointers: ['/data'] }]
    : [];
  return new ApiObject(chart, id, {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name: props.name, namespace: estate.argocd.namespace, labels: props.labels },
    spec: {
      project: props.project,
      source: {
        repoURL: estate.argocd.repoUrl,
        targetRevision: estate.argocd.targetRevision,
        path: props.path,
        directory: props.include ? { include: props.include } : undefined,
      },
      destination: { server: props.destinationServer ?? estate.argocd.destinationServer, namespace: props.destinationNamespace },
      ignoreDifferences: ignoreReplicas
        ? [{ group: 'apps', kind: 'Deployment', name: props.resetDeployment, namespace: props.destinationNamespace, jsonPointers: ['/spec/replicas'] }, ...ignoreFlags]
        : undefined,
      syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ignoreReplicas ? ['RespectIgnoreDifferences=true'] : undefined },
    },
  });
}

/** The Argo CD Applications of a tier's app-environments, each tracking its rendered file, and their AppProject. */
export function buildTierApplicationsChart(app: K8sApp, estate: Estate, tier: Tier, envs: readonly AppEnvironment[]): Chart {
  const chart = new Chart(app, `applications-${tier.name}`, { disableResourceNameHashes: true });
  const server = estate.tier(tier).argocdDestinationServer ?? estate.argocd.destinationServer;
  addTierProject(chart, estate, tier.name, envs, server, estate.tier(tier).signatureKeyIds);
  const previewEnvs = envs.filter(hostsPreviews);
  if (previewEnvs.length > 0) {
    addPreviewsProject(chart, estate, tier.name, previewEnvs.map((e) => e.app.appName), server, estate.tier(tier).signatureKeyIds);
    for (const env of previewEnvs) new ApiObject(chart, `${env.slug}_previews`, previewApplicationSet(env)! as any);
  }
  for (const env of envs) {
    argoApplication(chart, env.slug, estate, {
      name: naming.argoApplicationName(env.coordinate),
      project: naming.argoProjectName(tier.name),
      path: naming.dist.argoTierPath(tier.name),
      include: naming.dist.argoInclude(env.coordinate),
      destinationNamespace: naming.namespace(env.coordinate),
      labels: environmentLabels(env),
      resetDeployment: hasReset(env) ? naming.workloadName(env.coordinate) : undefined,
      resetFlagsConfigMap: resetRevokesLeases(env) ? naming.flagsConfigMapName(env.coordinate) : undefined,
      destinationServer: estate.tier(env.tier).argocdDestinationServer,
    });
  }
  return chart;
}

/** Where an hourly-reset env's workload reads its flags ConfigMap. */
const FLAGS_MOUNT_PATH = '/etc/tierkit/flags';

/** App of apps: one Application per tier that tracks the tier's Applications, and its AppProject. */
export function buildAppOfAppsChart(app: K8sApp, estate: Estate, tier: Tier): Chart {
  const chart = new Chart(app, `app-of-apps-${tier.name}`, { disableResourceNameHashes: true });
  const previews = environmentsOf(estate).some((e) => e.tier === tier && hostsPreviews(e));
  addTierAppsProject(chart, estate, tier.name, estate.tier(tier).signatureKeyIds, previews);
  argoApplication(chart, 'app_of_apps', estate, {
    name: naming.argoTierApplicationName(tier.name),
    project: naming.argoAppsProjectName(tier.name),
    path: naming.dist.argoTierApplicationsPath(tier.name),
    destinationNamespace: estate.argocd.namespace,
    labels: { 'app.kubernetes.io/managed-by': 'tierkit', 'app.kubernetes.io/part-of': estate.estateName, 'tierkit.io/tier': tier.name },
  });
  // The preview Jobs' namespace, applied with the bootstrap (preview-manifests.ts).
  buildPreviewJobsNamespace(chart, environmentsOf(estate).filter((e) => e.tier === tier));
  return chart;
}
