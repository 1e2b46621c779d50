/**
 * What tierkit renders at `k8s/<tier>/previews/<app>/` (constructs/synth/preview-manifests.ts),
 * derived again from the manifest, for TK179 (and TK178, which leaves exactly these Jobs to it).
 * Every preview Application deploys this directory; its hook Jobs run as the preview admin's Vault
 * identity in `tierkit-previews`, so each of their fields that steers what runs, as whom, with
 * which inputs, is compared whole: the scripts verbatim (constructs/lifecycle/preview-scripts.ts),
 * the pinned images, the env, the Vault agent's role, secret and template, the service account,
 * the volumes. The preview's own objects (policies, workload) carry no namespace and no identity.
 */
import { POD_PG_CA_FILE } from '../../../contract/pg-ca';
import { CURL, POSTGRES_CLIENT, imageReference } from '../../../constructs/lifecycle/images';
import {
  previewCreateScript, previewDrainScript, previewDropScript, previewSeedScript, previewVaultCreateScript, previewVaultDropScript, previewWorkloadCredsAgentTemplate,
} from '../../../constructs/lifecycle/preview-scripts';
import { LIFECYCLE_PATHS, SEED_HASH_FILE, credentialsTemplate, seedHashTemplate } from '../../../constructs/lifecycle/scripts';
import * as naming from '../../../constructs/naming';
import type { Env, EstateGraph } from '../../graph/types';
import { previewSeedOf } from './preview-seed';
import { expectedWorkloadLogin } from './preview-workload';

export interface ExpectedStep {
  readonly name: string;
  readonly image: string;
  readonly command: readonly string[];
  readonly env: readonly unknown[];
  /** Exactly these mounts: the tmp emptyDir, and for the seed step the seed volume read-only. */
  readonly volumeMounts: readonly unknown[];
}

export interface ExpectedJob {
  readonly name: string;
  readonly hook: Record<string, string>;
  readonly labels: Record<string, string>;
  /** Every `vault.hashicorp.com/*` annotation but the agent's runtime sizing (judged by the pod-security rules). */
  readonly vault: Record<string, string>;
  readonly steps: readonly ExpectedStep[];
  /** The pod's volumes by name: tmp, vault-token, and with a seed step the seed claim (`seed`, whole). */
  readonly volumes: readonly string[];
  readonly seedVolume?: Record<string, unknown>;
}

export interface ExpectedPreview {
  readonly tier: string;
  readonly app: string;
  readonly dir: string;
  readonly kustomization: Record<string, unknown>;
  readonly labels: Record<string, string>;
  /** NetworkPolicies and the workload's ServiceAccount: compared whole. */
  readonly whole: readonly Record<string, any>[];
  readonly workload: {
    readonly name: string; readonly image: string; readonly env: readonly unknown[]; readonly selector: Record<string, string>;
    /** Its Vault agent's annotations but the runtime sizing (with a workload login only), and its volumes. */
    readonly vault?: Record<string, string>;
    readonly volumes: readonly string[];
  };
  readonly jobs: readonly ExpectedJob[];
}

/** Agent sizing and token volume: values the pod-security rules judge (TK051/TK052), not identity. */
export const AGENT_RUNTIME_KEYS = ['agent-limits-cpu', 'agent-limits-mem', 'agent-requests-cpu', 'agent-requests-mem', 'agent-service-account-token-volume-name']
  .map((k) => `vault.hashicorp.com/${k}`);

const PR_NUMBER_ENV = {
  name: 'TIERKIT_PR_NUMBER',
  valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: `metadata.annotations['${naming.PREVIEW_PR_ANNOTATION}']` } },
};

export function expectedPreview(g: EstateGraph, env: Env): ExpectedPreview | string {
  const app = env.app;
  const tier = env.tier;
  const server = g.manifest.servers.find((s) => s.id === env.server);
  if (!server) return `its env ${env.slug} names server ${JSON.stringify(env.server)}, which the manifest does not declare`;
  const pinned = POSTGRES_CLIENT[server.majorVersion];
  if (!pinned) return `server ${server.id} is PostgreSQL ${server.majorVersion}, for which tierkit pins no client image`;
  const ttl = g.tiers.get(tier)?.secretTtl;
  if (!ttl) return `tier ${tier} has no secretTtl in the manifest`;
  const maxOpen = (env.previews as { maxOpen?: unknown } | undefined)?.maxOpen;
  if (!Number.isInteger(maxOpen)) return `the manifest's previews.maxOpen of ${env.slug} is ${JSON.stringify(maxOpen ?? null)}, not a whole number`;
  const vault = g.manifest.estate.vault;
  const labels = { 'app.kubernetes.io/managed-by': 'tierkit', 'app.kubernetes.io/part-of': g.manifest.estate.name, 'tierkit.io/tier': tier, [naming.PREVIEW_OF_LABEL]: app };
  const meta = (name: string) => ({ name, labels });
  const pg = imageReference(pinned);
  const curl = imageReference(CURL);
  const ca: Record<string, string> = server.sslMode === 'verify-full' && server.caCertificatePem !== undefined
    ? { PGSSLROOTCERT: POD_PG_CA_FILE, TIERKIT_PG_CA_BASE64: Buffer.from(server.caCertificatePem, 'utf8').toString('base64') } : {};
  const pgEnv = (extra: Record<string, string>) => {
    const vars: Record<string, string> = {
      PGHOST: server.host, PGPORT: String(server.port), PGSSLMODE: String(server.sslMode), PGDATABASE: naming.previewHomeDatabaseName(app), ...ca,
      TIERKIT_CREDENTIALS_FILE: LIFECYCLE_PATHS.credentialsFile, ...extra,
    };
    return [...Object.keys(vars).sort().map((name) => ({ name, value: vars[name] })), PR_NUMBER_ENV];
  };
  const vaultEnv = [{ name: 'TIERKIT_VAULT_TOKEN_FILE', value: LIFECYCLE_PATHS.vaultTokenFile }, { name: 'VAULT_ADDR', value: vault.address }, PR_NUMBER_ENV];
  const secret = `${vault.kvMount}/data/${naming.previewAdminKvSecretName(app)}`;
  const agent = {
    'vault.hashicorp.com/agent-inject': 'true', 'vault.hashicorp.com/agent-pre-populate-only': 'true', 'vault.hashicorp.com/agent-init-first': 'true',
    'vault.hashicorp.com/role': naming.previewApplicationSetName(app), 'vault.hashicorp.com/agent-inject-secret-database': secret,
    'vault.hashicorp.com/agent-inject-template-database': credentialsTemplate(secret, true), 'vault.hashicorp.com/agent-inject-token': 'true',
  };
  const tmpMount = { mountPath: LIFECYCLE_PATHS.tmpMount, name: 'tmp' };
  const step = (name: string, image: string, shell: string, script: string, e: readonly unknown[], mounts: readonly unknown[] = [tmpMount]): ExpectedStep => ({ name, image, command: [shell, '-c', script], env: e, volumeMounts: mounts });
  // The synthetic seed step (with the app's synthetic seed): its volume, read-only, and its hashes from the producer's KV secret.
  const seed = previewSeedOf(g, app);
  if ('problem' in seed) return seed.problem;
  const objectPrefix = (env as { objectPrefix?: unknown }).objectPrefix;
  if (seed.seed !== undefined && typeof objectPrefix !== 'string') return `the manifest's objectPrefix of ${env.slug} is ${JSON.stringify(objectPrefix ?? null)}, not a string: the seed step's hash cannot be derived`;
  const seedMount = { mountPath: LIFECYCLE_PATHS.seedMount, name: 'seeds', readOnly: true };
  const seedSteps = seed.seed === undefined ? [] : [step('restore-seed', pg, 'bash', previewSeedScript(app),
    pgEnv({ TIERKIT_DUMP_FILE: `${LIFECYCLE_PATHS.seedMount}/${naming.SEED_DUMP_FILE}`, TIERKIT_OBJECT_PREFIX: String(objectPrefix), TIERKIT_SEED_HASH_FILE: SEED_HASH_FILE }),
    [tmpMount, seedMount])];
  const seedAgent: Record<string, string> = seed.seed === undefined ? {} : { 'vault.hashicorp.com/agent-inject-secret-seed': seed.hashPath, 'vault.hashicorp.com/agent-inject-template-seed': seedHashTemplate(seed.hashPath) };
  const dnsPorts = [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }];
  const workload = naming.previewWorkloadName(app);
  const selector = { [naming.PREVIEW_OF_LABEL]: app, [naming.LABELS.component]: 'workload' };
  // With a workload login: the agent reads its own PR's creds, and the pod reaches the server and Vault only.
  const login = expectedWorkloadLogin(g, env);
  const workloadEgress: Record<string, any>[] = [];
  if (login) {
    const wEgress = (name: string, to: { cidr?: string; port: number } | undefined) => {
      if (to?.cidr) workloadEgress.push({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: meta(name), spec: { egress: [{ ports: [{ port: to.port, protocol: 'TCP' }], to: [{ ipBlock: { cidr: to.cidr } }] }], podSelector: { matchLabels: selector }, policyTypes: ['Egress'] } });
    };
    wEgress('allow-postgres', server);
    wEgress('allow-vault', g.manifest.estate.network?.vault);
  }
  const workloadVault = login ? {
    'vault.hashicorp.com/agent-inject': 'true', 'vault.hashicorp.com/role': login.name,
    'vault.hashicorp.com/agent-inject-secret-database': `${vault.databaseMount}/creds/${naming.previewNamespacePattern(app)}`,
    'vault.hashicorp.com/agent-inject-template-database': previewWorkloadCredsAgentTemplate(vault.databaseMount),
  } : undefined;
  return {
    tier, app, dir: naming.k8sPreviewDir(tier, app), labels,
    kustomization: { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: [naming.PREVIEW_OBJECTS_FILE] },
    whole: [
      { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: meta('default-deny'), spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] } },
      {
        apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: meta('allow-dns'),
        spec: {
          egress: [{ ports: dnsPorts, to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }] }],
          podSelector: {}, policyTypes: ['Egress'],
        },
      },
      { apiVersion: 'v1', kind: 'ServiceAccount', automountServiceAccountToken: false, metadata: meta(workload) },
      ...workloadEgress,
    ],
    workload: {
      name: workload, image: env.image,
      env: [{ name: 'TIERKIT_TIER', value: tier }, { name: 'TIERKIT_ENV', value: 'preview' }, PR_NUMBER_ENV],
      selector, ...(workloadVault ? { vault: workloadVault } : {}), volumes: login ? ['tmp', 'vault-token'] : ['tmp'],
    },
    jobs: [
      {
        name: naming.previewJobName(app, 'create'), labels: { ...labels, [naming.LABELS.job]: 'preview-create' }, vault: { ...agent, ...seedAgent },
        hook: { 'argocd.argoproj.io/hook': 'PreSync', 'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation' },
        steps: [
          step('create-database', pg, 'bash', previewCreateScript(app), pgEnv({ TIERKIT_MAX_OPEN: String(maxOpen) })),
          ...seedSteps,
          step('write-vault-role', curl, 'sh', previewVaultCreateScript(app, vault.databaseMount, ttl), vaultEnv),
        ],
        ...(seed.seed === undefined ? { volumes: ['tmp', 'vault-token'] } : {
          volumes: ['tmp', 'vault-token', 'seeds'], seedVolume: { name: 'seeds', persistentVolumeClaim: { claimName: seed.claim, readOnly: true } },
        }),
      },
      {
        name: naming.previewJobName(app, 'drop'), labels: { ...labels, [naming.LABELS.job]: 'preview-drop' }, vault: agent,
        hook: { 'argocd.argoproj.io/hook': 'PostDelete', 'argocd.argoproj.io/hook-delete-policy': 'HookSucceeded' },
        steps: [
          step('drain-database', pg, 'bash', previewDrainScript(app), pgEnv({})),
          step('remove-vault-role', curl, 'sh', previewVaultDropScript(app, vault.databaseMount), vaultEnv),
          step('drop-database', pg, 'bash', previewDropScript(app), pgEnv({})),
        ],
        volumes: ['tmp', 'vault-token'],
      },
    ],
  };
}

/** The env holding each app's previews, by its previews directory. */
export function previewHostsByDir(g: EstateGraph): Map<string, Env> {
  const out = new Map<string, Env>();
  for (const e of g.envs) {
    if (e.previews !== undefined && e.previews !== null && typeof e.app === 'string') out.set(naming.k8sPreviewDir(e.tier, e.app), e);
  }
  return out;
}

/**
 * What the tier's bootstrap holds for the preview Jobs (synth/preview-manifests.ts
 * `buildPreviewJobsNamespace`): namespace `tierkit-previews` (restricted), its default-deny and DNS
 * policies, and per app whose previews live in the tier its Jobs' ServiceAccount and egress to its
 * server and to Vault — each whole, from the manifest.
 */
export function expectedPreviewJobsNamespace(g: EstateGraph, tier: string): Record<string, any>[] {
  const hosts = g.envs.filter((e) => e.tier === tier && e.previews !== undefined && e.previews !== null && typeof e.app === 'string')
    .sort((a, b) => (a.app < b.app ? -1 : a.app > b.app ? 1 : 0));
  if (hosts.length === 0) return [];
  const ns = naming.PREVIEW_JOBS_NAMESPACE;
  const labels = { 'app.kubernetes.io/managed-by': 'tierkit', 'app.kubernetes.io/part-of': g.manifest.estate.name };
  const pss: Record<string, string> = {};
  for (const mode of ['enforce', 'audit', 'warn']) {
    pss[`pod-security.kubernetes.io/${mode}`] = 'restricted';
    pss[`pod-security.kubernetes.io/${mode}-version`] = PREVIEW_POD_SECURITY_VERSION;
  }
  const np = (name: string, l: Record<string, string>, spec: Record<string, unknown>) => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { labels: l, name, namespace: ns }, spec });
  const out: Record<string, any>[] = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { labels: { ...labels, ...pss }, name: ns } },
    np('default-deny', labels, { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }),
    np('allow-dns', labels, {
      egress: [{ ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }], to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }] }],
      podSelector: {}, policyTypes: ['Egress'],
    }),
  ];
  const vault = g.manifest.estate.network?.vault;
  for (const env of hosts) {
    const jobs = naming.previewApplicationSetName(env.app);
    const l = { ...labels, [naming.PREVIEW_OF_LABEL]: env.app };
    out.push({ apiVersion: 'v1', kind: 'ServiceAccount', automountServiceAccountToken: false, metadata: { labels: l, name: jobs, namespace: ns } });
    const server = g.manifest.servers.find((s) => s.id === env.server);
    const egress = (name: string, to: { cidr?: string; port: number } | undefined) => {
      if (to?.cidr) out.push(np(name, l, { egress: [{ ports: [{ port: to.port, protocol: 'TCP' }], to: [{ ipBlock: { cidr: to.cidr } }] }], podSelector: { matchLabels: { [naming.PREVIEW_OF_LABEL]: env.app } }, policyTypes: ['Egress'] }));
    };
    egress(`${jobs}-egress-postgres`, server);
    egress(`${jobs}-egress-vault`, vault);
    // The app's synthetic seed, read-only, bound to its Jobs' claim only (synth/preview-manifests.ts previewSeedVolume).
    const seed = previewSeedOf(g, env.app);
    const store = g.manifest.estate.seedStore;
    if (seed.seed !== undefined && store) {
      const sl = { ...l, [naming.LABELS.seed]: naming.seedSlug(seed.seed) };
      const common = { accessModes: ['ReadOnlyMany'], storageClassName: '', volumeMode: 'Filesystem' };
      out.push({
        apiVersion: 'v1', kind: 'PersistentVolume', metadata: { labels: sl, name: seed.volume },
        spec: {
          ...common, capacity: { storage: PREVIEW_SEED_CAPACITY },
          claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', name: seed.claim, namespace: ns },
          mountOptions: ['nfsvers=4.1', 'ro'],
          nfs: { path: naming.seedExportPath(store.exportRoot, env.app, seed.seed), readOnly: true, server: store.server },
          persistentVolumeReclaimPolicy: 'Retain',
        },
      });
      out.push({
        apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { labels: sl, name: seed.claim, namespace: ns },
        spec: { ...common, resources: { requests: { storage: PREVIEW_SEED_CAPACITY } }, volumeName: seed.volume },
      });
    }
  }
  return out;
}

/** synth/preview-manifests.ts SEED_CAPACITY (NFS ignores it; a PV and its claim must state one). */
const PREVIEW_SEED_CAPACITY = '100Gi';

/** The Pod Security Standards version tierkit pins on namespaces (synth/pod-security.ts POD_SECURITY_VERSION). */
export const PREVIEW_POD_SECURITY_VERSION = 'v1.32';

/** Whether an object of a tier's bootstrap is one of the preview Jobs' namespace objects (TK179 judges them). */
export const isPreviewJobsNamespaceObject = (k: { kind: string; name: string; namespace?: string; object?: any }) =>
  k.namespace === naming.PREVIEW_JOBS_NAMESPACE || (k.kind === 'Namespace' && k.name === naming.PREVIEW_JOBS_NAMESPACE)
  // A cluster-scoped seed volume bound to a claim there (the preview Jobs' seed, or one that is not).
  || (k.kind === 'PersistentVolume' && k.object?.spec?.claimRef?.namespace === naming.PREVIEW_JOBS_NAMESPACE);
