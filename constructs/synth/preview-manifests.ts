import { Chart } from 'cdk8s';
import * as k8s from 'cdk8s-plus-32/lib/imports/k8s';
import type { AppEnvironment } from '../app-environment';
import { CURL, POSTGRES_CLIENT, imageReference } from '../lifecycle/images';
import {
  previewCreateScript, previewDrainScript, previewDropScript, previewSeedScript, previewVaultCreateScript, previewVaultDropScript, previewWorkloadCredsAgentTemplate,
} from '../lifecycle/preview-scripts';
import { LIFECYCLE_PATHS, SEED_HASH_FILE, seedHashTemplate } from '../lifecycle/scripts';
import * as naming from '../naming';
import { seedVolumeAndClaim } from '../lifecycle/seed-store';
import { JOB_UID, pgVars, previewAdminAgentAnnotations, previewAdminPod, previewCollector } from './preview-collector';
import { hostsPreviews, previewSeed, previewSettings, previewWorkloadAccessor } from '../previews';
import { DATABASE_TOOL_RESOURCES, SCALE_STEP_RESOURCES } from '../runtime';
import {
  REPLICAS, containerResources, containerSecurityContext, placement, podSecurityContext, podSecurityLabels, tmpVolume, vaultAgentRuntimeAnnotations, vaultTokenVolume, workloadResources,
} from './pod-security';

/**
 * The per-PR manifests of an app's previews (docs/previews.md), at `k8s/<tier>/previews/<app>/`,
 * which every preview Application deploys from the rendered branch. One directory serves every
 * pull request: the Application varies only by `{{.number}}` in its name and destination namespace
 * (TK174), and its `source.kustomize` (TK176) adds the suffix `-pr-<n>` to every name and the
 * annotation `tierkit.io/pr: <n>` to every object and pod template. So:
 * - the preview's own objects carry no namespace: Argo CD applies a namespaced object without one
 *   in the Application's destination namespace `<app>-pr-<n>`, which it creates (`CreateNamespace=true`)
 *   with the restricted Pod Security labels of `managedNamespaceMetadata`;
 * - the PreSync (create) and PostDelete (drop) Jobs name `tierkit-previews` explicitly: they run
 *   as the preview admin's Vault identity, never beside a pull request's code, and read the PR
 *   number from their own pod's annotation (downward API); the scripts refuse anything but digits.
 * With `previews.vaultKubernetesAuthAccessor`, the workload's Vault agent logs in as
 * `<app>-pr-workload` and renders its own PR's credential (terraform-previews.ts), and it may reach
 * the previews' server and Vault; without it, the workload has DNS only. TK179 compares this
 * directory, whole, with this rendering.
 */

/** The Jobs and the workload read the PR number from their own pod's annotation, stamped by kustomize. */
const PR_NUMBER_ENV: k8s.EnvVar = {
  name: 'TIERKIT_PR_NUMBER',
  valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: `metadata.annotations['${naming.PREVIEW_PR_ANNOTATION}']` } },
};
/** Kubernetes deletes a finished hook Job's pods this long after it ends (Argo CD deletes the Job per its policy). */
const JOB_TTL_AFTER_FINISHED_SECONDS = 3600;

export function previewLabels(env: AppEnvironment): Record<string, string> {
  return {
    'app.kubernetes.io/managed-by': 'tierkit', 'app.kubernetes.io/part-of': env.estate.estateName,
    'tierkit.io/tier': env.tier.name, [naming.PREVIEW_OF_LABEL]: env.app.appName,
  };
}

/** The kustomization: tierkit's one objects file, nothing else (no namespace, patches, generators or remote bases). */
export function previewKustomization(): Record<string, unknown> {
  return { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: [naming.PREVIEW_OBJECTS_FILE] };
}

/** What the ApplicationSet's template sets in `source.kustomize`: the number into every name and onto every object. */
export function previewKustomizeSource(): { nameSuffix: string; commonAnnotations: Record<string, string> } {
  return { nameSuffix: `-pr-${naming.PREVIEW_NUMBER_PARAMETER}`, commonAnnotations: { [naming.PREVIEW_PR_ANNOTATION]: naming.PREVIEW_NUMBER_PARAMETER } };
}

function pgEnv(env: AppEnvironment, extra: Record<string, string>): k8s.EnvVar[] {
  return [...pgVars(env, extra), PR_NUMBER_ENV];
}

function vaultEnv(env: AppEnvironment): k8s.EnvVar[] {
  return [{ name: 'TIERKIT_VAULT_TOKEN_FILE', value: LIFECYCLE_PATHS.vaultTokenFile }, { name: 'VAULT_ADDR', value: env.estate.vault.address }, PR_NUMBER_ENV];
}

/** The seed volume of the create Job (read-only claim and mount) and its hashes' Vault agent annotations. */
interface SeedInputs {
  readonly volume: k8s.Volume;
  readonly mount: k8s.VolumeMount;
  readonly annotations: Record<string, string>;
}

function seedInputs(env: AppEnvironment, seed: string): SeedInputs {
  const path = `${env.estate.naming.kvMount}/data/${naming.seedHashKvSecretName(env.app.appName, seed)}`;
  return {
    volume: { name: 'seeds', persistentVolumeClaim: { claimName: naming.previewSeedClaimName(env.app.appName, seed), readOnly: true } },
    mount: { name: 'seeds', mountPath: LIFECYCLE_PATHS.seedMount, readOnly: true },
    annotations: { 'vault.hashicorp.com/agent-inject-secret-seed': path, 'vault.hashicorp.com/agent-inject-template-seed': seedHashTemplate(path) },
  };
}

type HookStep = { name: string; image: string; script: string; shell: 'bash' | 'sh'; env: k8s.EnvVar[]; seed?: boolean };

function hookJob(chart: Chart, env: AppEnvironment, step: 'create' | 'drop', steps: HookStep[], seed?: SeedInputs): void {
  const app = env.app.appName;
  const labels = { ...previewLabels(env), [naming.LABELS.job]: `preview-${step}` };
  const containers: k8s.Container[] = steps.map((s) => ({
    name: s.name, image: s.image, command: [s.shell, '-c', s.script], env: s.env,
    resources: containerResources(env.tier, s.shell === 'bash' ? DATABASE_TOOL_RESOURCES : SCALE_STEP_RESOURCES),
    securityContext: containerSecurityContext(JOB_UID),
    volumeMounts: [{ name: 'tmp', mountPath: LIFECYCLE_PATHS.tmpMount }, ...(s.seed && seed ? [seed.mount] : [])],
  }));
  new k8s.KubeJob(chart, `${step}_job`, {
    metadata: {
      name: naming.previewJobName(app, step), namespace: naming.PREVIEW_JOBS_NAMESPACE, labels,
      annotations: step === 'create'
        // Runs before every sync (idempotent); the last run is kept until the next one replaces it.
        ? { 'argocd.argoproj.io/hook': 'PreSync', 'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation' }
        // Runs once the Application's resources are gone; a failed run stays for inspection.
        : { 'argocd.argoproj.io/hook': 'PostDelete', 'argocd.argoproj.io/hook-delete-policy': 'HookSucceeded' },
    },
    spec: {
      backoffLimit: 0,
      ttlSecondsAfterFinished: JOB_TTL_AFTER_FINISHED_SECONDS,
      template: {
        metadata: {
          labels,
          // The agent leaves its token for the Vault step.
          annotations: previewAdminAgentAnnotations(env, { token: true, extra: seed?.annotations }),
        },
        spec: {
          ...previewAdminPod(env),
          // Steps in order: every one but the last as an init container.
          initContainers: containers.slice(0, -1),
          containers: containers.slice(-1),
          volumes: [tmpVolume(), vaultTokenVolume(), ...(seed ? [seed.volume] : [])],
        },
      },
    },
  });
}

/**
 * The preview workload's Vault agent: the role `<app>-pr-workload`, and a template reading the creds
 * of the pod's own namespace (preview-scripts.ts). The secret annotation only names the file
 * (`/vault/secrets/database`): its path feeds the injector's default template only, never a given
 * one (hashicorp/vault-k8s agent-inject/agent/config.go, newTemplateConfigs).
 */
export function previewWorkloadAgentAnnotations(env: AppEnvironment): Record<string, string> {
  const db = env.estate.naming.databaseMount;
  return {
    'vault.hashicorp.com/agent-inject': 'true',
    'vault.hashicorp.com/role': naming.previewWorkloadLoginName(env.app.appName),
    'vault.hashicorp.com/agent-inject-secret-database': `${db}/creds/${naming.previewNamespacePattern(env.app.appName)}`,
    'vault.hashicorp.com/agent-inject-template-database': previewWorkloadCredsAgentTemplate(db),
    ...vaultAgentRuntimeAnnotations(env.tier),
  };
}

/** The objects file: the preview's namespace policies, workload, and the two hook Jobs. */
export function buildPreviewChart(chart: Chart, env: AppEnvironment): Chart {
  if (!hostsPreviews(env)) throw new Error(`${env.slug} holds no previews`);
  const app = env.app.appName;
  const labels = previewLabels(env);
  const n = env.estate.naming;
  const settings = previewSettings(env.app.previews!);
  const pg = imageReference(POSTGRES_CLIENT[env.server!.majorVersion]);
  const curl = imageReference(CURL);
  // No namespace: Argo CD puts these into the Application's destination namespace, `<app>-pr-<n>`.
  const meta = (name: string) => ({ name, labels });
  // The sandboxes' default-deny and DNS policies (synth/kubernetes.ts), the same objects.
  new k8s.KubeNetworkPolicy(chart, 'default_deny', { metadata: meta('default-deny'), spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] } });
  new k8s.KubeNetworkPolicy(chart, 'allow_dns', {
    metadata: meta('allow-dns'),
    spec: {
      podSelector: {}, policyTypes: ['Egress'],
      egress: [{
        to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
        ports: [{ protocol: 'UDP', port: k8s.IntOrString.fromNumber(53) }, { protocol: 'TCP', port: k8s.IntOrString.fromNumber(53) }],
      }],
    },
  });
  const workload = naming.previewWorkloadName(app);
  new k8s.KubeServiceAccount(chart, 'service_account', { metadata: meta(workload), automountServiceAccountToken: false });
  const selector = { [naming.PREVIEW_OF_LABEL]: app, [naming.LABELS.component]: 'workload' };
  const login = previewWorkloadAccessor(env) !== undefined;
  if (login) {
    // The workload's egress: its PR's database on the previews' server, and Vault; nothing else (no prod).
    const egress = (id: string, name: string, to: { cidr: string; port: number } | undefined) => {
      if (!to) return;
      new k8s.KubeNetworkPolicy(chart, id, {
        metadata: meta(name),
        spec: {
          podSelector: { matchLabels: selector }, policyTypes: ['Egress'],
          egress: [{ to: [{ ipBlock: { cidr: to.cidr } }], ports: [{ protocol: 'TCP', port: k8s.IntOrString.fromNumber(to.port) }] }],
        },
      });
    };
    const server = env.server!;
    egress('allow_postgres', 'allow-postgres', server.cidr ? { cidr: server.cidr, port: server.port } : undefined);
    egress('allow_vault', 'allow-vault', env.estate.vaultEndpoint);
  }
  new k8s.KubeDeployment(chart, 'deployment', {
    metadata: meta(workload),
    spec: {
      replicas: REPLICAS,
      selector: { matchLabels: selector },
      template: {
        metadata: {
          labels: { ...labels, ...selector },
          ...(login ? { annotations: previewWorkloadAgentAnnotations(env) } : {}),
        },
        spec: {
          serviceAccountName: workload,
          automountServiceAccountToken: false,
          securityContext: podSecurityContext(env.app.runAsUser),
          ...placement(env),
          containers: [{
            name: workload, image: env.image,
            ports: [{ containerPort: env.app.port, name: 'http' }],
            env: [{ name: 'TIERKIT_TIER', value: env.tier.name }, { name: 'TIERKIT_ENV', value: 'preview' }, PR_NUMBER_ENV],
            resources: containerResources(env.tier, workloadResources(env)),
            readinessProbe: { httpGet: { path: env.app.healthPath, port: k8s.IntOrString.fromString('http') }, periodSeconds: 10, failureThreshold: 3 },
            livenessProbe: { httpGet: { path: env.app.healthPath, port: k8s.IntOrString.fromString('http') }, initialDelaySeconds: 10, periodSeconds: 20, failureThreshold: 6 },
            volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
            securityContext: containerSecurityContext(env.app.runAsUser),
          }],
          volumes: login ? [tmpVolume(), vaultTokenVolume()] : [tmpVolume()],
        },
      },
    },
  });
  const ttl = env.estate.tier(env.tier).config.secretTtl;
  // The synthetic seed, when the app has one, before the Vault role: nothing logs in to an unseeded preview.
  const seed = previewSeed(env);
  const seedStep: HookStep[] = seed === undefined ? [] : [{
    name: 'restore-seed', image: pg, shell: 'bash', script: previewSeedScript(app), seed: true,
    env: pgEnv(env, { TIERKIT_DUMP_FILE: `${LIFECYCLE_PATHS.seedMount}/${naming.SEED_DUMP_FILE}`, TIERKIT_OBJECT_PREFIX: env.app.objectPrefix, TIERKIT_SEED_HASH_FILE: SEED_HASH_FILE }),
  }];
  hookJob(chart, env, 'create', [
    { name: 'create-database', image: pg, shell: 'bash', script: previewCreateScript(app), env: pgEnv(env, { TIERKIT_MAX_OPEN: String(settings.maxOpen) }) },
    ...seedStep,
    { name: 'write-vault-role', image: curl, shell: 'sh', script: previewVaultCreateScript(app, n.databaseMount, ttl), env: vaultEnv(env) },
  ], seed === undefined ? undefined : seedInputs(env, seed));
  hookJob(chart, env, 'drop', [
    { name: 'drain-database', image: pg, shell: 'bash', script: previewDrainScript(app), env: pgEnv(env, {}) },
    { name: 'remove-vault-role', image: curl, shell: 'sh', script: previewVaultDropScript(app, n.databaseMount), env: vaultEnv(env) },
    { name: 'drop-database', image: pg, shell: 'bash', script: previewDropScript(app), env: pgEnv(env, {}) },
  ]);
  return chart;
}

/**
 * Namespace `tierkit-previews` and what the hook Jobs need there, written into the tier's Argo CD
 * bootstrap (`k8s/argocd/<tier>.k8s.yaml`, applied by hand, never by a preview Application: the
 * previews project would prune them with a preview). Restricted Pod Security, default-deny both
 * ways, DNS, and per app: its Jobs' ServiceAccount `<app>-previews` and egress from its Jobs' pods
 * to its previews' server and to Vault, nothing else, and its orphan collector CronJob
 * (preview-collector.ts; TK180). No tier label: two tiers with previews write the same shared
 * objects. TK179 compares them whole; TK178 admits exactly these accounts.
 */
export function buildPreviewJobsNamespace(chart: Chart, envs: readonly AppEnvironment[]): void {
  const hosts = envs.filter(hostsPreviews);
  if (hosts.length === 0) return;
  const estate = hosts[0].estate;
  const ns = naming.PREVIEW_JOBS_NAMESPACE;
  const labels = { 'app.kubernetes.io/managed-by': 'tierkit', 'app.kubernetes.io/part-of': estate.estateName };
  new k8s.KubeNamespace(chart, 'previews_namespace', { metadata: { name: ns, labels: { ...labels, ...podSecurityLabels() } } });
  new k8s.KubeNetworkPolicy(chart, 'previews_default_deny', { metadata: { name: 'default-deny', namespace: ns, labels }, spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] } });
  new k8s.KubeNetworkPolicy(chart, 'previews_allow_dns', {
    metadata: { name: 'allow-dns', namespace: ns, labels },
    spec: {
      podSelector: {}, policyTypes: ['Egress'],
      egress: [{
        to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
        ports: [{ protocol: 'UDP', port: k8s.IntOrString.fromNumber(53) }, { protocol: 'TCP', port: k8s.IntOrString.fromNumber(53) }],
      }],
    },
  });
  for (const env of [...hosts].sort((a, b) => (a.app.appName < b.app.appName ? -1 : 1))) {
    const app = env.app.appName;
    const jobs = naming.previewApplicationSetName(app);
    const appLabels = { ...labels, [naming.PREVIEW_OF_LABEL]: app };
    new k8s.KubeServiceAccount(chart, `${app}_previews_service_account`, { metadata: { name: jobs, namespace: ns, labels: appLabels }, automountServiceAccountToken: false });
    const egress = (id: string, name: string, to: { cidr: string; port: number } | undefined) => {
      if (!to) return;
      new k8s.KubeNetworkPolicy(chart, id, {
        metadata: { name, namespace: ns, labels: appLabels },
        spec: {
          podSelector: { matchLabels: { [naming.PREVIEW_OF_LABEL]: app } }, policyTypes: ['Egress'],
          egress: [{ to: [{ ipBlock: { cidr: to.cidr } }], ports: [{ protocol: 'TCP', port: k8s.IntOrString.fromNumber(to.port) }] }],
        },
      });
    };
    const server = env.server!;
    egress(`${app}_previews_egress_postgres`, `${jobs}-egress-postgres`, server.cidr ? { cidr: server.cidr, port: server.port } : undefined);
    egress(`${app}_previews_egress_vault`, `${jobs}-egress-vault`, estate.vaultEndpoint);
    const seed = previewSeed(env);
    if (seed !== undefined) previewSeedVolume(chart, env, seed, appLabels);
    previewCollector(chart, env, appLabels);
  }
}

/**
 * The app's synthetic seed, read-only, for its preview Jobs: a PV whose claimRef pins it to the
 * Jobs' claim in `tierkit-previews` (no other namespace can bind it), `nfs.readOnly` (the kubelet
 * mounts the export read-only whatever a pod asks) — as lifecycle/seed-store.ts renders every
 * consumer's. TK130 admits exactly this volume there; TK179 compares both objects whole.
 */
function previewSeedVolume(chart: Chart, env: AppEnvironment, seed: string, labels: Record<string, string>): void {
  const app = env.app.appName;
  seedVolumeAndClaim(chart, `${app}_previews_seed`, {
    app, seed, namespace: naming.PREVIEW_JOBS_NAMESPACE, claim: naming.previewSeedClaimName(app, seed), volume: naming.previewSeedVolumeName(app, seed),
    readOnly: true, labels, store: env.estate.seedStore,
  });
}
