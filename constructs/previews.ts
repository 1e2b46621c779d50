import type { App } from './app';
import type { AppEnvironment } from './app-environment';
import { DataClass } from './enums';
import type { ValidationIssue } from './errors';
import type { Estate } from './estate';
import { ORPHAN_AFTER_HOURS_MAX, ORPHAN_AFTER_HOURS_MIN } from './lifecycle/preview-collector';
import * as naming from './naming';
import { PREVIEW_DEFAULTS, type PreviewSettings } from './preview-settings';
import { Tier } from './tier';

export { PREVIEW_DEFAULTS, PREVIEW_SETTINGS, type PreviewSettings } from './preview-settings';

/** More open previews than this is a shared dev server's worth of databases: say so in a fork of tierkit, not a prop. */
export const PREVIEW_MAX_OPEN_LIMIT = 20;
/** The oldest server previews accept: before 16, CREATEROLE may grant itself any non-superuser role. */
export const PREVIEW_MIN_MAJOR = 16;
/** GitHub pull request numbers fit in 10 digits for the names' length budget. */
const PR_NUMBER_DIGITS = 10;
const PG_IDENTIFIER_MAX_BYTES = 63;
const K8S_LABEL_VALUE_MAX = 63;
/** GitHub labels: 1–50 characters; a comma would split the generator's label list. */
const LABEL = /^[^,\s](?:[^,]{0,48}[^,\s])?$/;
/** Vault names an auth mount `auth_<type>_<8 hex>` (vault/mount.go, generateMountAccessor). */
export const VAULT_KUBERNETES_ACCESSOR = /^auth_kubernetes_[0-9a-f]{8}$/;

/** The preview workload's Vault login exists only when the estate gave the Kubernetes auth mount's accessor. */
export function previewWorkloadAccessor(env: AppEnvironment): string | undefined {
  const a = env.app.previews?.vaultKubernetesAuthAccessor;
  return typeof a === 'string' && VAULT_KUBERNETES_ACCESSOR.test(a) ? a : undefined;
}

/**
 * The seed a preview's database is restored from: the app's synthetic seed (`synthetic:<version>`,
 * issue 22's producer), never a sanitized or golden one. An app without one gets empty preview databases.
 */
export function previewSeed(env: AppEnvironment): string | undefined {
  const v = env.app.synthetic?.version;
  return typeof v === 'string' ? `synthetic:${v}` : undefined;
}

/** The effective settings (defaults applied). */
export function previewSettings(p: PreviewSettings): Required<PreviewSettings> {
  return { ...PREVIEW_DEFAULTS, ...Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)) } as Required<PreviewSettings>;
}

/** Whether `env` is the one whose stack holds its app's preview admin and connection: the app's env in the previews' tier. */
export function hostsPreviews(env: AppEnvironment): boolean {
  const p = env.app.previews;
  return p !== undefined && p !== null && p.tier === env.tier && !env.isSandbox;
}

/** Issues of an app's `previews` (its type problems were recorded when the App was built). */
export function previewIssues(estate: Estate, app: App, environments: readonly AppEnvironment[]): ValidationIssue[] {
  const declared = app.previews;
  if (declared === undefined || typeof declared !== 'object' || declared === null || !(declared.tier instanceof Tier)) return [];
  const p = previewSettings(declared);
  const path = estate.displayPath(app);
  const out: ValidationIssue[] = [];
  const at = (property: string, value: unknown, message: string, fix: string) => out.push({ path, property: `previews.${property}`, value, message, fix });
  const tier = estate.tier(p.tier).config;
  if (!tier.allowsSandboxes || !tier.data.includes(DataClass.SYNTHETIC)) {
    at('tier', p.tier.name, 'previews run a pull request\'s unreviewed code on synthetic data: the tier must allow sandboxes and synthetic data',
      'use a lower tier, e.g. Tier.DEV');
  }
  const server = estate.servers.find((s) => s.tiers.includes(p.tier));
  if (!server) {
    at('tier', p.tier.name, `no Postgres server hosts tier ${p.tier.name}, so previews have no server`, 'add the tier to a PostgresServer\'s tiers');
  } else if (!Number.isInteger(server.majorVersion) || server.majorVersion < PREVIEW_MIN_MAJOR) {
    // No reason can accept this: before 16 the preview admin's CREATEROLE reaches every non-superuser role.
    at('tier', p.tier.name,
      `previews need PostgreSQL ${PREVIEW_MIN_MAJOR}+ (server ${server.serverId} is ${server.majorVersion}): before 16 the preview admin's CREATEROLE could grant itself any role of the server, prod's group included`,
      `upgrade server ${server.serverId} to ${PREVIEW_MIN_MAJOR} or newer, or run previews on a tier whose server is`);
  }
  const holdsLive = (t: unknown) => t instanceof Tier && estate.tier(t).config.data.includes(DataClass.LIVE);
  if (server && (server.tiers.some(holdsLive) || environments.some((e) => e.server === server && holdsLive(e.tier)))) {
    at('tier', p.tier.name, `server ${server.serverId} holds live data; the preview admin (CREATEDB CREATEROLE, applied without a human gate) never sits beside it`,
      'run previews on a tier whose server holds no live data');
  }
  if (!Number.isInteger(p.maxOpen) || p.maxOpen < 1 || p.maxOpen > PREVIEW_MAX_OPEN_LIMIT) {
    at('maxOpen', p.maxOpen, `is not a whole number from 1 to ${PREVIEW_MAX_OPEN_LIMIT}`, 'e.g. maxOpen: 3');
  }
  if (typeof p.label !== 'string' || !LABEL.test(p.label)) {
    at('label', p.label, 'is not a GitHub label of 1 to 50 characters without commas or surrounding spaces', 'e.g. label: "preview"');
  }
  if (!Number.isInteger(p.requeueAfterSeconds) || p.requeueAfterSeconds < 30 || p.requeueAfterSeconds > 3600) {
    at('requeueAfterSeconds', p.requeueAfterSeconds,
      'is not a whole number of seconds from 30 to 3600 (GitHub rate-limits the generator below; above, closed previews linger an hour)', 'e.g. 300');
  }
  if (!Number.isInteger(p.orphanAfterHours) || p.orphanAfterHours < ORPHAN_AFTER_HOURS_MIN || p.orphanAfterHours > ORPHAN_AFTER_HOURS_MAX) {
    // Below an hour a pod restart looks orphaned; beyond 90 days an orphan holds the server's space for a quarter.
    at('orphanAfterHours', p.orphanAfterHours, `is not a whole number of hours from ${ORPHAN_AFTER_HOURS_MIN} to ${ORPHAN_AFTER_HOURS_MAX}`, 'e.g. orphanAfterHours: 72');
  }
  const accessor = declared.vaultKubernetesAuthAccessor;
  if (accessor !== undefined && (typeof accessor !== 'string' || !VAULT_KUBERNETES_ACCESSOR.test(accessor))) {
    // The accessor is spliced into a Vault policy path: anything but Vault's own format could widen it.
    at('vaultKubernetesAuthAccessor', accessor, 'is not a Vault Kubernetes auth accessor (auth_kubernetes_ and 8 lowercase hex digits)',
      `copy it from \`vault auth list -format=json\` ("${estate.naming.kubernetesAuthPath}/".accessor), e.g. "auth_kubernetes_0a1b2c3d"`);
  }
  if (!app.environments.some(hostsPreviews)) {
    at('tier', p.tier.name, `app ${app.appName} does not run in tier ${p.tier.name}: previews live beside the app's env there`,
      `add Tier.${p.tier.name.toUpperCase()} to the app's tiers, or use one of its tiers`);
  }
  // The Jobs may write any Vault role `<app>-pr-*`, and the connection serves any: a declared env
  // (of any app: `erp-pr` / `dev` is `erp-pr-dev`) must own no name under that prefix.
  const prefix = naming.previewSlug(app.appName, '');
  // The home database, the connection, the Jobs' policy and auth role are all `<app>-previews`.
  const home = naming.previewHomeDatabaseName(app.appName);
  for (const other of environments) {
    const name = naming.vaultRoleName(other.coordinate);
    if (name === home) {
      out.push({ path: estate.displayPath(other), property: 'env', value: other.env,
        message: `derives "${name}", the name of app ${app.appName}'s preview home database, connection and Jobs' policy`,
        fix: other.app === app ? 'rename the env' : `rename app ${other.app.appName} or this env` });
    } else if (name.startsWith(prefix)) {
      out.push({ path: estate.displayPath(other), property: 'env', value: other.env,
        message: `derives "${name}", a name of app ${app.appName}'s previews (every "${prefix}*" Vault role and database is theirs)`,
        fix: other.app === app ? 'rename the env so it does not start with "pr-"' : `rename app ${other.app.appName} or this env` });
    }
  }
  const widest = '9'.repeat(PR_NUMBER_DIGITS);
  for (const [what, name] of [['preview admin role', naming.previewAdminRoleName(app.appName)], ['preview group role', naming.previewGroupRoleName(app.appName, widest)],
    ['preview database', naming.previewSlug(app.appName, widest)]] as const) {
    if (Buffer.byteLength(name) > PG_IDENTIFIER_MAX_BYTES) {
      at('tier', p.tier.name, `the ${what} "${name}" would be ${Buffer.byteLength(name)} bytes; PostgreSQL's limit is ${PG_IDENTIFIER_MAX_BYTES}`, 'shorten the app name');
    }
  }
  // The PreSync Job's name, suffixed per PR by kustomize, becomes its pods' `batch.kubernetes.io/job-name`
  // label: a label value, at most 63 characters, or Kubernetes refuses the Job and no preview syncs.
  const job = `${naming.previewJobName(app.appName, 'create')}-pr-${widest}`;
  if (job.length > K8S_LABEL_VALUE_MAX) {
    at('tier', p.tier.name, `the preview Job "${job}" would be ${job.length} characters; a Job's name is its pods' job-name label, at most ${K8S_LABEL_VALUE_MAX}`, 'shorten the app name');
  }
  return out;
}
