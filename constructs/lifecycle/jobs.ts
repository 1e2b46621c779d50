/**
 * The lifecycle Jobs of an app-environment, rendered into its Kubernetes chart:
 * - golden dump (prod env of an app with a `golden` sandbox): a suspended CronJob, triggered on
 *   demand (`kubectl create job --from=cronjob/<name>`), logging in to Vault as its own service
 *   account and reading only the read-only role's credential;
 * - reset (sandboxes, demo tier): a CronJob — hourly where the tier sets a reset schedule
 *   (demo), suspended (on demand) otherwise. It scales the app to 0, runs RESET_SCRIPT with the
 *   env's own dynamic credential, and scales back. Its service account may only get/patch the
 *   scale of the env's own Deployment.
 * - TTL sweep (sandboxes): an hourly CronJob that, once the sandbox's expiry (fixed at synth time)
 *   has passed, scales the app to 0 and revokes every lease of the env's dynamic role, as its own
 *   service account (scale only) and Vault identity (revoke-prefix of its own creds path only: it
 *   never holds a database credential); a reset's scale-up keeps an expired sandbox at 0 too. The rest of the sandbox goes when its declaration is removed, through
 *   the reviewed destroy plans.
 * Each mounts the one seed it works on through its own namespace's claim (seed-store.ts):
 * read-write for the golden dump (the producer), read-only for a reset. The seed's expected hashes
 * live in a KV secret only the producer's Vault policy may write; the reset reads them from Vault,
 * never from beside the dump, and refuses a dump whose file hash differs before restoring it.
 */
import { Chart } from 'cdk8s';
import * as k8s from 'cdk8s-plus-32/lib/imports/k8s';
import { AppEnvironment } from '../app-environment';
import * as naming from '../naming';
import { Sandbox } from '../sandbox';
import { declaredFlags, hasGoldenDump, hasReset, resetRevokesLeases, resetSchedule, resetSeed } from './plan';
import { FLAGS_FILE_KEY, flagdDefinition, flagsResetPatch } from '../../contract/flags';
import { POD_PG_CA_FILE } from '../../contract/pg-ca';
import {
  FLAGS_RESET_SCRIPT, GOLDEN_DUMP_SCRIPT, PUBLISH_SEED_HASH_SCRIPT, RESET_REVOKE_LEASES_SCRIPT, RESET_SCRIPT, REVOKE_LEASES_SCRIPT, SCALE_SCRIPT, SEED_HASH_FILE, LIFECYCLE_PATHS, credentialsTemplate, seedHashTemplate,
} from './scripts';
import { buildSeedVolume } from './seed-store';
import { GOLDEN_TEMPLATE_LOAD_SCRIPT, TEMPLATE_RESET_SCRIPT } from './template-reset';
import { SandboxReset } from '../enums';
import { TEMPLATE_RESET_DRAIN_SECONDS } from '../../contract/template-reset-login';
import { CURL, KUBECTL, POSTGRES_CLIENT, VAULT_CLI, imageReference } from './images';
import { scrubSql } from '../scrub';
import { DATABASE_TOOL_RESOURCES, SCALE_STEP_RESOURCES } from '../runtime';
import {
  containerResources, containerSecurityContext, placement, podSecurityContext, tmpVolume, vaultAgentRuntimeAnnotations, vaultTokenVolume,
} from '../synth/pod-security';

/** The images of the lifecycle steps, each pinned by digest (`./images.ts` cites where each digest comes from). */
export const KUBECTL_IMAGE = imageReference(KUBECTL);
export const CURL_IMAGE = imageReference(CURL);
export const VAULT_CLI_IMAGE = imageReference(VAULT_CLI);
/** PostgreSQL client tools of the server's major; validation refuses a major with no pinned image where a Job needs one. */
export const postgresClientImage = (major: number): string => {
  const pinned = POSTGRES_CLIENT[major];
  if (!pinned) throw new Error(`no pinned PostgreSQL client image for major ${major} (validation should have refused it)`);
  return imageReference(pinned);
};
export const SEED_MOUNT_PATH = LIFECYCLE_PATHS.seedMount;
const CREDENTIALS_FILE = LIFECYCLE_PATHS.credentialsFile;
const VAULT_TOKEN_FILE = LIFECYCLE_PATHS.vaultTokenFile;
const HASHES_FILE = LIFECYCLE_PATHS.hashesFile;
const SCRATCH_DIR = LIFECYCLE_PATHS.scratchDir;
/** A schedule that never fires on its own: suspended CronJobs run only when triggered. */
const ON_DEMAND_SCHEDULE = '0 0 31 2 *';
/** The TTL sweep looks hourly; it acts only once the sandbox's expiry has passed. */
export const TTL_SWEEP_SCHEDULE = '17 * * * *';

/** The `postgres` user of the official image; kubectl runs as it too (it needs no user of its own). */
export const LIFECYCLE_UID = 999;
export const securityContext = containerSecurityContext(LIFECYCLE_UID);

/**
 * The API server token, mounted only into the kubectl steps (where kubectl's in-cluster config
 * looks for it): the pods do not automount it, so the database tools and the agent never see it.
 */
const KUBE_API_TOKEN_VOLUME = 'kube-api-token';
const kubeApiTokenMount = { name: KUBE_API_TOKEN_VOLUME, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true };
function kubeApiTokenVolume(): k8s.Volume {
  return {
    name: KUBE_API_TOKEN_VOLUME,
    projected: {
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        { downwardApi: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
      ],
    },
  };
}

/** Vault agent as an init container only (a sidecar would keep the Job from completing). */
export function vaultAnnotations(role: string, secretPath: string, template: string): Record<string, string> {
  return {
    'vault.hashicorp.com/agent-inject': 'true',
    'vault.hashicorp.com/agent-pre-populate-only': 'true',
    'vault.hashicorp.com/agent-init-first': 'true',
    'vault.hashicorp.com/role': role,
    'vault.hashicorp.com/agent-inject-secret-database': secretPath,
    'vault.hashicorp.com/agent-inject-template-database': template,
  };
}

function pgEnv(env: AppEnvironment, extra: Record<string, string>): k8s.EnvVar[] {
  const server = env.server!;
  // verify-full: the declared CA (public; base64, one line) rides in the env; the script writes it where PGSSLROOTCERT points.
  const ca: Record<string, string> = server.sslMode === 'verify-full' && server.caCertificatePem !== undefined
    ? { PGSSLROOTCERT: POD_PG_CA_FILE, TIERKIT_PG_CA_BASE64: Buffer.from(server.caCertificatePem, 'utf8').toString('base64') } : {};
  const vars: Record<string, string> = {
    PGHOST: server.host, PGPORT: String(server.port), PGSSLMODE: server.sslMode, ...ca,
    TIERKIT_CREDENTIALS_FILE: CREDENTIALS_FILE, TIERKIT_OBJECT_PREFIX: env.app.objectPrefix, ...extra,
  };
  return Object.keys(vars).sort().map((name) => ({ name, value: vars[name] }));
}

export function seedVolume(claimName: string, readOnly: boolean): k8s.Volume {
  return { name: 'seeds', persistentVolumeClaim: { claimName, readOnly } };
}

export function cronJob(chart: Chart, id: string, meta: k8s.ObjectMeta, props: {
  placement: Pick<k8s.PodSpec, 'nodeSelector' | 'tolerations'>;
  schedule?: string; annotations?: Record<string, string>; serviceAccountName: string;
  initContainers?: k8s.Container[]; containers: k8s.Container[]; volumes: k8s.Volume[]; labels: Record<string, string>;
}): void {
  const all = [...(props.initContainers ?? []), ...props.containers];
  const vault = props.annotations?.['vault.hashicorp.com/agent-inject'] === 'true';
  const kubeApi = all.some((c) => (c.volumeMounts ?? []).some((m) => m.name === KUBE_API_TOKEN_VOLUME));
  new k8s.KubeCronJob(chart, id, {
    metadata: meta,
    spec: {
      schedule: props.schedule ?? ON_DEMAND_SCHEDULE,
      suspend: props.schedule === undefined,
      concurrencyPolicy: 'Forbid',
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      jobTemplate: {
        spec: {
          backoffLimit: 0,
          template: {
            metadata: { labels: props.labels, annotations: props.annotations },
            spec: {
              serviceAccountName: props.serviceAccountName,
              automountServiceAccountToken: false,
              securityContext: podSecurityContext(LIFECYCLE_UID),
              ...props.placement,
              restartPolicy: 'Never',
              initContainers: props.initContainers,
              containers: props.containers,
              volumes: [
                ...props.volumes, tmpVolume(),
                ...(vault ? [vaultTokenVolume()] : []), ...(kubeApi ? [kubeApiTokenVolume()] : []),
              ],
            },
          },
        },
      },
    },
  });
}

/**
 * The template reset's inputs: the names, the CONNECT grants and connection limit the apply gives
 * the database (app-environment-stack.ts: database_connect, planner_connect, connection_limit),
 * and a drain that outlasts Vault's pooled sessions (contract/template-reset-login.ts).
 */
function goldenLoadEnv(env: AppEnvironment): Record<string, string> {
  const c = env.coordinate;
  return {
    PGDATABASE: env.database.name, TIERKIT_TEMPLATE_ROLE: naming.templateResetRoleName(c), TIERKIT_GROUP_ROLE: env.groupRole.name,
    TIERKIT_DATABASE: env.database.name, TIERKIT_GOLDEN_DATABASE: naming.goldenTemplateDatabaseName(c), TIERKIT_SEED_HASH_FILE: SEED_HASH_FILE,
    TIERKIT_VAULT_CONNECTION_ROLE: env.vaultConnectionRole.name,
  };
}

function templateResetEnv(env: AppEnvironment): Record<string, string> {
  const caps = env.estate.tier(env.tier).databaseCaps;
  return {
    ...goldenLoadEnv(env),
    TIERKIT_CONNECT_ROLES: `${env.groupRole.name} ${naming.PLANNER_GROUP_ROLE}`,
    TIERKIT_CONNECTION_LIMIT: String(caps ? caps.connectionLimit : -1),
    TIERKIT_DRAIN_TIMEOUT_SECONDS: String(TEMPLATE_RESET_DRAIN_SECONDS),
    // A stale golden (its marker is not the seed's hash) is loaded from the seed by the reset itself.
    TIERKIT_DUMP_FILE: `${SEED_MOUNT_PATH}/${naming.SEED_DUMP_FILE}`,
  };
}

export function buildLifecycleJobs(chart: Chart, env: AppEnvironment, labels: Record<string, string>, replicas: number): void {
  const c = env.coordinate;
  const ns = naming.namespace(c);
  const meta = (name: string) => ({ name, namespace: ns, labels });
  const major = env.server!.majorVersion;
  const tmpMount = { name: 'tmp', mountPath: '/tmp' };
  const agent = vaultAgentRuntimeAnnotations(env.tier);
  const dbToolResources = containerResources(env.tier, DATABASE_TOOL_RESOURCES);
  const scaleResources = containerResources(env.tier, SCALE_STEP_RESOURCES);

  if (hasGoldenDump(env)) {
    const name = naming.goldenDumpName(c);
    const secret = `${env.estate.naming.kvMount}/data/${naming.goldenDumpKvSecretName(c)}`;
    const claim = buildSeedVolume(chart, env, 'golden', 'write', labels);
    new k8s.KubeServiceAccount(chart, 'golden_dump_service_account', { metadata: meta(name), automountServiceAccountToken: false });
    cronJob(chart, 'golden_dump', meta(name), {
      placement: placement(env),
      labels: { ...labels, [naming.LABELS.job]: 'golden-dump' },
      annotations: { ...vaultAnnotations(name, secret, credentialsTemplate(secret, true)), 'vault.hashicorp.com/agent-inject-token': 'true', ...agent },
      serviceAccountName: name,
      // Dump first (init), then publish its hashes: a failed dump publishes nothing.
      initContainers: [{
        name: 'golden-dump', image: postgresClientImage(major), command: ['/bin/bash', '-c', GOLDEN_DUMP_SCRIPT],
        env: pgEnv(env, {
          PGDATABASE: env.database.name, TIERKIT_DUMP_FILE: `${SEED_MOUNT_PATH}/${naming.SEED_DUMP_FILE}`, TIERKIT_HASHES_FILE: HASHES_FILE,
          TIERKIT_SCRATCH_DIR: SCRATCH_DIR, TIERKIT_SCRUB_SQL: scrubSql(env.app.scrub),
        }),
        volumeMounts: [{ name: 'seeds', mountPath: SEED_MOUNT_PATH }, { name: 'scratch', mountPath: SCRATCH_DIR }, tmpMount],
        securityContext, resources: dbToolResources,
      }],
      containers: [{
        name: 'publish-seed-hash', image: VAULT_CLI_IMAGE, command: ['/bin/sh', '-c', PUBLISH_SEED_HASH_SCRIPT],
        env: [
          { name: 'TIERKIT_HASHES_FILE', value: HASHES_FILE },
          { name: 'TIERKIT_SEED_KV_MOUNT', value: env.estate.naming.kvMount },
          { name: 'TIERKIT_SEED_KV_NAME', value: naming.seedHashKvSecretName(c.app, 'golden') },
          { name: 'TIERKIT_VAULT_TOKEN_FILE', value: VAULT_TOKEN_FILE },
          { name: 'VAULT_ADDR', value: env.estate.vault.address },
        ],
        volumeMounts: [tmpMount], securityContext, resources: scaleResources,
      }],
      volumes: [seedVolume(claim, false), { name: 'scratch', emptyDir: {} }],
    });
  }

  if (hasReset(env)) {
    const name = naming.resetName(c);
    new k8s.KubeServiceAccount(chart, 'reset_service_account', { metadata: meta(name), automountServiceAccountToken: false });
    // An hourly reset also restores the env's flags: its Role may patch that one ConfigMap too.
    const revoke = resetRevokesLeases(env);
    const flagsName = naming.flagsConfigMapName(c);
    new k8s.KubeRole(chart, 'reset_role', {
      metadata: meta(name),
      rules: [
        { apiGroups: ['apps'], resources: ['deployments/scale'], resourceNames: [naming.workloadName(c)], verbs: ['get', 'patch'] },
        ...(revoke ? [{ apiGroups: [''], resources: ['configmaps'], resourceNames: [flagsName], verbs: ['get', 'patch'] }] : []),
      ],
    });
    if (revoke) {
      // The env's flags, as Argo CD renders them: the declared defaults the workload mounts
      // (synth/kubernetes.ts) and the hour may change (Argo CD ignores its data); the reset restores them.
      new k8s.KubeConfigMap(chart, 'flags', { metadata: meta(flagsName), data: { [FLAGS_FILE_KEY]: flagdDefinition(declaredFlags(env)) } });
    }
    new k8s.KubeRoleBinding(chart, 'reset_role_binding', {
      metadata: meta(name),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', name, namespace: ns }],
    });
    // A sandbox's expiry travels with every scale-up: after it, the sandbox stays at 0.
    const expiresAt = env instanceof Sandbox ? env.expiresAt : undefined;
    const scale = (name: string, to: number, onlyWhenExpired = false): k8s.Container => ({
      name, image: KUBECTL_IMAGE, command: ['/bin/bash', '-c', SCALE_SCRIPT],
      env: [
        { name: 'TIERKIT_DEPLOYMENT', value: naming.workloadName(c) }, { name: 'TIERKIT_NAMESPACE', value: ns },
        { name: 'TIERKIT_REPLICAS', value: String(to) },
        ...(expiresAt && (to > 0 || onlyWhenExpired) ? [
          { name: 'TIERKIT_EXPIRES_AT', value: expiresAt }, { name: 'TIERKIT_EXPIRES_AT_EPOCH', value: String(Date.parse(expiresAt) / 1000) },
        ] : []),
        ...(onlyWhenExpired ? [{ name: 'TIERKIT_ONLY_WHEN_EXPIRED', value: 'true' }] : []),
      ],
      volumeMounts: [kubeApiTokenMount],
      securityContext, resources: scaleResources,
    });
    // A template-reset sandbox clones its golden as a login of its template role (template-reset.ts).
    const template = env instanceof Sandbox && env.reset === SandboxReset.TEMPLATE;
    const creds = template ? naming.templateResetCredsPath(c, env.estate.naming) : naming.vaultCredsPath(c, env.estate.naming);
    const seed = resetSeed(env);
    const claim = buildSeedVolume(chart, env, seed, 'read', labels);
    const seedHashPath = `${env.estate.naming.kvMount}/data/${naming.seedHashKvSecretName(c.app, seed)}`;
    // An hourly reset revokes the env's leases once restored, before the app scales back up
    // (so the app's new pods get fresh credentials): the agent's token, its revoke policy. Then it
    // writes the declared flags back.
    const revokeStep: k8s.Container[] = revoke ? [{
      name: 'revoke-leases', image: CURL_IMAGE, command: ['/bin/sh', '-c', RESET_REVOKE_LEASES_SCRIPT],
      env: [
        { name: 'TIERKIT_VAULT_REVOKE_PATH', value: naming.ttlSweepRevokePath(c, env.estate.naming) },
        { name: 'TIERKIT_VAULT_TOKEN_FILE', value: VAULT_TOKEN_FILE },
        { name: 'VAULT_ADDR', value: env.estate.vault.address },
      ],
      volumeMounts: [tmpMount], securityContext, resources: scaleResources,
    }, {
      name: 'reset-flags', image: KUBECTL_IMAGE, command: ['/bin/bash', '-c', FLAGS_RESET_SCRIPT],
      env: [
        { name: 'TIERKIT_FLAGS_CONFIGMAP', value: flagsName }, { name: 'TIERKIT_FLAGS_PATCH', value: flagsResetPatch(declaredFlags(env)) },
        { name: 'TIERKIT_NAMESPACE', value: ns },
      ],
      volumeMounts: [kubeApiTokenMount], securityContext, resources: scaleResources,
    }] : [];
    cronJob(chart, 'reset', meta(name), {
      placement: placement(env),
      schedule: resetSchedule(env),
      labels: { ...labels, [naming.LABELS.job]: 'reset' },
      annotations: {
        ...vaultAnnotations(name, creds, credentialsTemplate(creds, false)),
        'vault.hashicorp.com/agent-inject-secret-seed': seedHashPath,
        'vault.hashicorp.com/agent-inject-template-seed': seedHashTemplate(seedHashPath),
        ...(revoke ? { 'vault.hashicorp.com/agent-inject-token': 'true' } : {}),
        ...agent,
      },
      serviceAccountName: name,
      // Init containers run in order; if the reset fails the app stays at 0 rather than run on
      // half-restored data.
      initContainers: [scale('scale-down', 0), {
        name: 'reset', image: postgresClientImage(major), command: ['/bin/bash', '-c', template ? TEMPLATE_RESET_SCRIPT : RESET_SCRIPT],
        env: pgEnv(env, template ? templateResetEnv(env) : {
          PGDATABASE: env.database.name, TIERKIT_GROUP_ROLE: env.groupRole.name, TIERKIT_VAULT_CONNECTION_ROLE: env.vaultConnectionRole.name,
          TIERKIT_DUMP_FILE: `${SEED_MOUNT_PATH}/${naming.SEED_DUMP_FILE}`, TIERKIT_SEED_HASH_FILE: SEED_HASH_FILE, TIERKIT_DRAIN_TIMEOUT_SECONDS: '120',
        }),
        volumeMounts: [{ name: 'seeds', mountPath: SEED_MOUNT_PATH, readOnly: true }, tmpMount], securityContext, resources: dbToolResources,
      }, ...revokeStep],
      containers: [scale('scale-up', replicas)],
      volumes: [seedVolume(claim, true)],
    });

    if (template) {
      // The golden load, on demand (when the seed changes): the reset's service account and Vault
      // identity (the template role's login, the seed's hashes), the seed read-only; it never touches
      // the sandbox's database, so no scale step and no API token.
      cronJob(chart, 'golden_load', meta(naming.goldenLoadName(c)), {
        placement: placement(env),
        labels: { ...labels, [naming.LABELS.job]: 'golden-load' },
        annotations: {
          ...vaultAnnotations(name, creds, credentialsTemplate(creds, false)),
          'vault.hashicorp.com/agent-inject-secret-seed': seedHashPath,
          'vault.hashicorp.com/agent-inject-template-seed': seedHashTemplate(seedHashPath),
          ...agent,
        },
        serviceAccountName: name,
        containers: [{
          name: 'golden-load', image: postgresClientImage(major), command: ['/bin/bash', '-c', GOLDEN_TEMPLATE_LOAD_SCRIPT],
          env: pgEnv(env, { ...goldenLoadEnv(env), TIERKIT_DUMP_FILE: `${SEED_MOUNT_PATH}/${naming.SEED_DUMP_FILE}` }),
          volumeMounts: [{ name: 'seeds', mountPath: SEED_MOUNT_PATH, readOnly: true }, tmpMount], securityContext, resources: dbToolResources,
        }],
        volumes: [seedVolume(claim, true)],
      });
    }

    if (expiresAt) {
      // Hourly rather than at the expiry minute: a CronJob never runs a schedule from before it
      // existed, and a sandbox may be merged, renewed or synced after its expiry.
      // Its own service account: scale only in Kubernetes; in Vault its auth role hands out the
      // sweep policy only (the reset's may read the env's database credential; the sweep never).
      const sweep = naming.ttlSweepName(c);
      new k8s.KubeServiceAccount(chart, 'ttl_sweep_service_account', { metadata: meta(sweep), automountServiceAccountToken: false });
      new k8s.KubeRole(chart, 'ttl_sweep_role', {
        metadata: meta(sweep),
        rules: [{ apiGroups: ['apps'], resources: ['deployments/scale'], resourceNames: [naming.workloadName(c)], verbs: ['get', 'patch'] }],
      });
      new k8s.KubeRoleBinding(chart, 'ttl_sweep_role_binding', {
        metadata: meta(sweep),
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: sweep },
        subjects: [{ kind: 'ServiceAccount', name: sweep, namespace: ns }],
      });
      // It scales the workload to 0, then revokes every lease of the env's dynamic role with a
      // Vault identity of its own (policy: that one revoke-prefix path, update + sudo): never the
      // reset's, never a database credential.
      cronJob(chart, 'ttl_sweep', meta(sweep), {
        placement: placement(env),
        schedule: TTL_SWEEP_SCHEDULE,
        labels: { ...labels, [naming.LABELS.job]: 'ttl-sweep' },
        annotations: {
          'vault.hashicorp.com/agent-inject': 'true',
          'vault.hashicorp.com/agent-pre-populate-only': 'true',
          'vault.hashicorp.com/agent-init-first': 'true',
          'vault.hashicorp.com/role': sweep,
          'vault.hashicorp.com/agent-inject-token': 'true',
          ...agent,
        },
        serviceAccountName: sweep,
        initContainers: [scale('ttl-sweep', 0, true)],
        containers: [{
          name: 'revoke-leases', image: CURL_IMAGE, command: ['/bin/sh', '-c', REVOKE_LEASES_SCRIPT],
          env: [
            { name: 'TIERKIT_EXPIRES_AT', value: expiresAt }, { name: 'TIERKIT_EXPIRES_AT_EPOCH', value: String(Date.parse(expiresAt) / 1000) },
            { name: 'TIERKIT_VAULT_REVOKE_PATH', value: naming.ttlSweepRevokePath(c, env.estate.naming) },
            { name: 'TIERKIT_VAULT_TOKEN_FILE', value: VAULT_TOKEN_FILE },
            { name: 'VAULT_ADDR', value: env.estate.vault.address },
          ],
          volumeMounts: [tmpMount], securityContext, resources: scaleResources,
        }],
        volumes: [],
      });
    }
  }
}
