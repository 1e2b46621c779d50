/**
 * What tierkit renders for an app's preview orphan collector (constructs/synth/preview-collector.ts),
 * derived again from the manifest, for TK180 (and TK178/TK179, which leave exactly it to TK180): the
 * CronJob `<app>-previews-collect` in `tierkit-previews`, in the bootstrap of the tier its previews
 * live in. It logs in as the preview Jobs' Vault role and renders the preview admin's credential, so
 * everything that steers what runs, as whom, when and with which inputs is compared whole: the
 * script verbatim (with the manifest's window), the image, the env, the schedule, the agent's role,
 * secret and template, the service account and the volumes.
 */
import { isDeepStrictEqual } from 'node:util';
import { POD_PG_CA_FILE } from '../../../contract/pg-ca';
import { POSTGRES_CLIENT, imageReference } from '../../../constructs/lifecycle/images';
import {
  ORPHAN_AFTER_HOURS_MAX, ORPHAN_AFTER_HOURS_MIN, PREVIEW_COLLECT_DEADLINE_SECONDS, PREVIEW_COLLECT_SCHEDULE, PREVIEW_COLLECT_TIME_ZONE, previewCollectScript,
} from '../../../constructs/lifecycle/preview-collector';
import { LIFECYCLE_PATHS, credentialsTemplate } from '../../../constructs/lifecycle/scripts';
import * as naming from '../../../constructs/naming';
import type { Env, EstateGraph, K8sObject } from '../../graph/types';
import { fileScope } from './k8s-scope';
import { AGENT_RUNTIME_KEYS } from './preview-manifests';

/**
 * The collector's container resources: constructs/runtime.ts DATABASE_TOOL_RESOURCES on a non-prod
 * tier (the only tiers previews may use), compared exactly: no ResourceQuota bounds tierkit-previews.
 */
export const PREVIEW_COLLECTOR_RESOURCES = { limits: { cpu: '1000m', memory: '1024Mi' }, requests: { cpu: '250m', memory: '256Mi' } };

/** The envs holding an app's previews in `tier`, by app. */
export function previewHostsOfTier(g: EstateGraph, tier: string): Env[] {
  return g.envs.filter((e) => e.tier === tier && e.previews !== undefined && e.previews !== null && typeof e.app === 'string')
    .sort((a, b) => (a.app < b.app ? -1 : a.app > b.app ? 1 : 0));
}

/** Whether `k` is a CronJob TK180 judges: named as a collector of an app whose previews live in its bootstrap's tier, in tierkit-previews. */
export function isPreviewCollectorObject(g: EstateGraph, k: K8sObject): boolean {
  const scope = fileScope(g, k.source.file);
  return scope.kind === 'bootstrap' && k.kind === 'CronJob' && k.namespace === naming.PREVIEW_JOBS_NAMESPACE
    && previewHostsOfTier(g, scope.tier).some((e) => naming.previewCollectorName(e.app) === k.name);
}

/**
 * The collector as tierkit renders it, but what the pod-security rules judge and TK180 holds to the
 * restricted profile instead: the pod's and container's securityContext, the container's resources,
 * the node placement, and the Vault agent's sizing annotations. A string names what cannot be modelled.
 */
export function expectedPreviewCollector(g: EstateGraph, env: Env): Record<string, any> | string {
  const app = env.app;
  const hours = (env.previews as { orphanAfterHours?: unknown } | undefined)?.orphanAfterHours;
  if (typeof hours !== 'number' || !Number.isInteger(hours) || hours < ORPHAN_AFTER_HOURS_MIN || hours > ORPHAN_AFTER_HOURS_MAX) {
    return `the manifest's previews.orphanAfterHours of ${env.slug} is ${JSON.stringify(hours ?? null)}, not a whole number of hours from ${ORPHAN_AFTER_HOURS_MIN} to ${ORPHAN_AFTER_HOURS_MAX}`;
  }
  const server = g.manifest.servers.find((s) => s.id === env.server);
  if (!server) return `its env ${env.slug} names server ${JSON.stringify(env.server)}, which the manifest does not declare`;
  const pinned = POSTGRES_CLIENT[server.majorVersion];
  if (!pinned) return `server ${server.id} is PostgreSQL ${server.majorVersion}, for which tierkit pins no client image`;
  const ca: Record<string, string> = server.sslMode === 'verify-full' && server.caCertificatePem !== undefined
    ? { PGSSLROOTCERT: POD_PG_CA_FILE, TIERKIT_PG_CA_BASE64: Buffer.from(server.caCertificatePem, 'utf8').toString('base64') } : {};
  const vars: Record<string, string> = {
    PGHOST: server.host, PGPORT: String(server.port), PGSSLMODE: String(server.sslMode), PGDATABASE: naming.previewHomeDatabaseName(app), ...ca,
    TIERKIT_CREDENTIALS_FILE: LIFECYCLE_PATHS.credentialsFile,
  };
  const jobs = naming.previewApplicationSetName(app);
  const secret = `${g.manifest.estate.vault.kvMount}/data/${naming.previewAdminKvSecretName(app)}`;
  const labels = {
    'app.kubernetes.io/managed-by': 'tierkit', 'app.kubernetes.io/part-of': g.manifest.estate.name, [naming.LABELS.job]: 'preview-collect', [naming.PREVIEW_OF_LABEL]: app,
  };
  return {
    apiVersion: 'batch/v1', kind: 'CronJob',
    metadata: { labels, name: naming.previewCollectorName(app), namespace: naming.PREVIEW_JOBS_NAMESPACE },
    spec: {
      concurrencyPolicy: 'Forbid', failedJobsHistoryLimit: 3, schedule: PREVIEW_COLLECT_SCHEDULE, startingDeadlineSeconds: PREVIEW_COLLECT_DEADLINE_SECONDS,
      successfulJobsHistoryLimit: 1, timeZone: PREVIEW_COLLECT_TIME_ZONE,
      jobTemplate: {
        spec: {
          activeDeadlineSeconds: PREVIEW_COLLECT_DEADLINE_SECONDS, backoffLimit: 0,
          template: {
            metadata: {
              annotations: {
                'vault.hashicorp.com/agent-init-first': 'true', 'vault.hashicorp.com/agent-inject': 'true',
                'vault.hashicorp.com/agent-inject-secret-database': secret, 'vault.hashicorp.com/agent-inject-template-database': credentialsTemplate(secret, true),
                'vault.hashicorp.com/agent-pre-populate-only': 'true', 'vault.hashicorp.com/role': jobs,
              },
              labels,
            },
            spec: {
              automountServiceAccountToken: false,
              containers: [{
                command: ['bash', '-c', previewCollectScript(app, hours)],
                env: Object.keys(vars).sort().map((name) => ({ name, value: vars[name] })),
                image: imageReference(pinned), name: 'collect-orphans', resources: PREVIEW_COLLECTOR_RESOURCES,
                volumeMounts: [{ mountPath: LIFECYCLE_PATHS.tmpMount, name: 'tmp' }],
              }],
              restartPolicy: 'Never', serviceAccountName: jobs,
              volumes: [
                { emptyDir: { sizeLimit: '256Mi' }, name: 'tmp' },
                { name: 'vault-token', projected: { sources: [{ serviceAccountToken: { audience: 'vault', expirationSeconds: 600, path: 'token' } }] } },
              ],
            },
          },
        },
      },
    },
  };
}

const isRecord = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A copy of a collector without the fields other rules judge (see expectedPreviewCollector); a
 * field of the wrong shape is kept, so it shows as a difference.
 */
export function withoutRuntimeFields(o: unknown): unknown {
  const c = structuredClone(o) as any;
  const pod = c?.spec?.jobTemplate?.spec?.template;
  if (isRecord(pod?.metadata?.annotations)) for (const key of AGENT_RUNTIME_KEYS) delete pod.metadata.annotations[key];
  if (isRecord(pod?.spec)) {
    for (const key of ['securityContext', 'nodeSelector', 'tolerations']) delete pod.spec[key];
    if (Array.isArray(pod.spec.containers)) for (const ct of pod.spec.containers) if (isRecord(ct)) delete ct.securityContext;
  }
  return c;
}

/** Where two JSON values differ: JSON pointers with both sides, at most `max`. */
export function differences(got: unknown, want: unknown, pointer = '', max = 8, out: [string, unknown, unknown][] = []): [string, unknown, unknown][] {
  if (out.length >= max || isDeepStrictEqual(got, want)) return out;
  if (isRecord(got) && isRecord(want)) {
    for (const key of [...new Set([...Object.keys(got), ...Object.keys(want)])].sort()) differences(got[key], want[key], `${pointer}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`, max, out);
  } else if (Array.isArray(got) && Array.isArray(want) && got.length === want.length) {
    got.forEach((v, i) => differences(v, want[i], `${pointer}/${i}`, max, out));
  } else {
    out.push([pointer, got, want]);
  }
  return out;
}
