// The preview orphan collector's CronJob in the tier's bootstrap (docs/previews.md, "The automatic
// collector"), and the database steps' env it shares with the preview Jobs (preview-manifests.ts).
import { Chart } from 'cdk8s';
import * as k8s from 'cdk8s-plus-32/lib/imports/k8s';
import type { AppEnvironment } from '../app-environment';
import { POD_PG_CA_FILE } from '../../contract/pg-ca';
import { POSTGRES_CLIENT, imageReference } from '../lifecycle/images';
import {
  ORPHAN_AFTER_HOURS_MAX, ORPHAN_AFTER_HOURS_MIN, PREVIEW_COLLECT_DEADLINE_SECONDS, PREVIEW_COLLECT_SCHEDULE, PREVIEW_COLLECT_TIME_ZONE, previewCollectScript,
} from '../lifecycle/preview-collector';
import { LIFECYCLE_PATHS, credentialsTemplate } from '../lifecycle/scripts';
import * as naming from '../naming';
import { previewSettings } from '../previews';
import { DATABASE_TOOL_RESOURCES } from '../runtime';
import { containerResources, containerSecurityContext, placement, podSecurityContext, tmpVolume, vaultAgentRuntimeAnnotations, vaultTokenVolume } from './pod-security';

/**
 * The app's orphan collector (docs/previews.md, "Orphaned preview databases"): hourly, as the Jobs'
 * ServiceAccount and Vault login, so the egress above and the Jobs' auth role serve it and it gains
 * no privilege the PostDelete Job lacks. Its agent renders the preview admin's credential only (no
 * Vault token: the collector never calls Vault). TK180 compares it whole.
 */
export function previewCollector(chart: Chart, env: AppEnvironment, appLabels: Record<string, string>): void {
  const app = env.app.appName;
  const hours = previewSettings(env.app.previews!).orphanAfterHours;
  // Validation refuses such a window (previews.ts); never throw from synth, render no collector (TK180 reports it missing).
  if (!Number.isInteger(hours) || hours < ORPHAN_AFTER_HOURS_MIN || hours > ORPHAN_AFTER_HOURS_MAX) return;
  const labels = { ...appLabels, [naming.LABELS.job]: 'preview-collect' };
  new k8s.KubeCronJob(chart, `${app}_previews_collector`, {
    metadata: { name: naming.previewCollectorName(app), namespace: naming.PREVIEW_JOBS_NAMESPACE, labels },
    spec: {
      schedule: PREVIEW_COLLECT_SCHEDULE,
      timeZone: PREVIEW_COLLECT_TIME_ZONE,
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: PREVIEW_COLLECT_DEADLINE_SECONDS,
      successfulJobsHistoryLimit: 1,
      failedJobsHistoryLimit: 3,
      jobTemplate: {
        spec: {
          backoffLimit: 0,
          activeDeadlineSeconds: PREVIEW_COLLECT_DEADLINE_SECONDS,
          template: {
            metadata: {
              labels,
              annotations: previewAdminAgentAnnotations(env, { token: false }),
            },
            spec: {
              ...previewAdminPod(env),
              containers: [{
                name: 'collect-orphans', image: imageReference(POSTGRES_CLIENT[env.server!.majorVersion]),
                command: ['bash', '-c', previewCollectScript(app, hours)],
                env: pgVars(env, {}),
                resources: containerResources(env.tier, DATABASE_TOOL_RESOURCES),
                securityContext: containerSecurityContext(JOB_UID),
                volumeMounts: [{ name: 'tmp', mountPath: LIFECYCLE_PATHS.tmpMount }],
              }],
              volumes: [tmpVolume(), vaultTokenVolume()],
            },
          },
        },
      },
    },
  });
}

/**
 * The Vault agent of every pod that runs as the preview admin (the Jobs, the collector): it logs in
 * as the Jobs' auth role and renders the admin's credential, init only. `token` leaves the agent's
 * Vault token in the pod for a step that calls Vault (the Jobs' Vault steps); the collector never
 * does. `extra` (the seed's hash) goes before the tier's runtime settings, which always come last.
 */
export function previewAdminAgentAnnotations(env: AppEnvironment, options: { readonly token: boolean; readonly extra?: Record<string, string> }): Record<string, string> {
  const app = env.app.appName;
  const secret = `${env.estate.naming.kvMount}/data/${naming.previewAdminKvSecretName(app)}`;
  return {
    'vault.hashicorp.com/agent-inject': 'true',
    'vault.hashicorp.com/agent-pre-populate-only': 'true',
    'vault.hashicorp.com/agent-init-first': 'true',
    'vault.hashicorp.com/role': naming.previewApplicationSetName(app),
    'vault.hashicorp.com/agent-inject-secret-database': secret,
    'vault.hashicorp.com/agent-inject-template-database': credentialsTemplate(secret, true),
    ...(options.token ? { 'vault.hashicorp.com/agent-inject-token': 'true' } : {}),
    ...(options.extra ?? {}),
    ...vaultAgentRuntimeAnnotations(env.tier),
  };
}

/** The pod of every Job that runs as the preview admin: the Jobs' ServiceAccount (no API token), restricted, run once. */
export function previewAdminPod(env: AppEnvironment): Pick<k8s.PodSpec, 'serviceAccountName' | 'automountServiceAccountToken' | 'securityContext' | 'nodeSelector' | 'tolerations' | 'restartPolicy'> {
  return {
    serviceAccountName: naming.previewApplicationSetName(env.app.appName),
    automountServiceAccountToken: false,
    securityContext: podSecurityContext(JOB_UID),
    ...placement(env),
    restartPolicy: 'Never',
  };
}

/** `postgres` of the official image; the curl image runs as it too. */
export const JOB_UID = 999;

/** The database steps' env but the PR number (the collector serves every PR of the app). */
export function pgVars(env: AppEnvironment, extra: Record<string, string>): k8s.EnvVar[] {
  const server = env.server!;
  const ca: Record<string, string> = server.sslMode === 'verify-full' && server.caCertificatePem !== undefined
    ? { PGSSLROOTCERT: POD_PG_CA_FILE, TIERKIT_PG_CA_BASE64: Buffer.from(server.caCertificatePem, 'utf8').toString('base64') } : {};
  const vars: Record<string, string> = {
    PGHOST: server.host, PGPORT: String(server.port), PGSSLMODE: server.sslMode, PGDATABASE: naming.previewHomeDatabaseName(env.app.appName), ...ca,
    TIERKIT_CREDENTIALS_FILE: LIFECYCLE_PATHS.credentialsFile, ...extra,
  };
  return Object.keys(vars).sort().map((name) => ({ name, value: vars[name] }));
}
