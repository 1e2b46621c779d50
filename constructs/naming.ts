/**
 * The one naming module. Every database, role, Vault path, host, namespace and stack name is
 * derived here from the `<app>-<env>` coordinate (docs/design.md, Naming). Nobody else formats
 * a name: constructs, the synthesizer and the tests all call these functions.
 */

/** The environment name that maps to the unsuffixed names (`erp`, `erp_role`). */
export const PROD_ENV = 'prod';

export interface Coordinate {
  readonly app: string;
  readonly env: string;
}

export interface EstateNaming {
  readonly domain: string;
  readonly databaseMount: string;
  readonly kvMount: string;
  readonly kubernetesAuthPath: string;
}

/** `erp` for prod, `erp-sandbox` otherwise: database, namespace, Vault names, host label. */
export function slug(c: Coordinate): string {
  return c.env === PROD_ENV ? c.app : `${c.app}-${c.env}`;
}

function snake(c: Coordinate): string {
  return slug(c).replace(/-/g, '_');
}

export function databaseName(c: Coordinate): string {
  return slug(c);
}

/** NOLOGIN group role that owns the env's database and objects. */
export function groupRoleName(c: Coordinate): string {
  return `${snake(c)}_role`;
}

/** Per-env LOGIN CREATEROLE role that Vault's database connection uses. */
export function vaultConnectionRoleName(c: Coordinate): string {
  return `${snake(c)}_vault`;
}

/** Read-only role for the golden dump (`pg_read_all_data` only). */
export function goldenDumpRoleName(c: Coordinate): string {
  return `${snake(c)}_golden`;
}

export function vaultConnectionName(c: Coordinate): string {
  return slug(c);
}

export function vaultRoleName(c: Coordinate): string {
  return slug(c);
}

export function vaultCredsPath(c: Coordinate, n: EstateNaming): string {
  return `${n.databaseMount}/creds/${vaultRoleName(c)}`;
}

/** The lease-count quota on the env's creds path (Vault quota names are global: the slug keeps them apart). */
export function vaultLeaseQuotaName(c: Coordinate): string {
  return `${slug(c)}-creds-leases`;
}

/** The rate-limit quota on the env's creds path. */
export function vaultRateQuotaName(c: Coordinate): string {
  return `${slug(c)}-creds-rate`;
}

/** The API paths that write a quota (Vault API docs: POST /sys/quotas/lease-count/:name, /sys/quotas/rate-limit/:name). */
export function vaultQuotaApiPath(kind: 'lease-count' | 'rate-limit', name: string): string {
  return `sys/quotas/${kind}/${name}`;
}

/** The logical KV v2 path (`kvv2/erp-sandbox/config`), as people and the CLI write it. */
export function kvConfigPath(c: Coordinate, n: EstateNaming): string {
  return `${n.kvMount}/${slug(c)}/config`;
}

/** The name of the KV v2 secret inside its mount. */
export function kvSecretName(c: Coordinate): string {
  return `${slug(c)}/config`;
}

/** The API paths a Vault policy must name for a KV v2 secret. */
export function kvApiPaths(c: Coordinate, n: EstateNaming): { data: string; metadata: string } {
  return {
    data: `${n.kvMount}/data/${kvSecretName(c)}`,
    metadata: `${n.kvMount}/metadata/${kvSecretName(c)}`,
  };
}

export function vaultPolicyName(c: Coordinate): string {
  return slug(c);
}

export function kubernetesAuthRoleName(c: Coordinate): string {
  return slug(c);
}

export function host(c: Coordinate, n: EstateNaming): string {
  return `${slug(c)}.${n.domain}`;
}

export function namespace(c: Coordinate): string {
  return slug(c);
}

/** The workload's Deployment and Service (and container): the app's name, inside the env's namespace. */
export function workloadName(c: Coordinate): string {
  return c.app;
}

/** The Service a blue-green Rollout points at the new version before it is promoted. */
export function previewServiceName(c: Coordinate): string {
  return `${workloadName(c)}-preview`;
}

/** The TLS Secret of an env's Ingress (issued by cert-manager or provided by the platform). */
export function tlsSecretName(c: Coordinate): string {
  return `${c.app}-tls`;
}

export function serviceAccountName(c: Coordinate): string {
  return slug(c);
}

export function argoApplicationName(c: Coordinate): string {
  return slug(c);
}

export function appEnvironmentStackName(c: Coordinate): string {
  return slug(c);
}

/** Shared mounts and auth backends: one stack for the whole estate. */
/**
 * The databases every PostgreSQL server is born with that a login could connect to: PUBLIC has
 * CONNECT and TEMPORARY on them (template0 refuses connections). Each env's stack revokes them.
 */
export const MAINTENANCE_DATABASES: readonly string[] = ['postgres', 'template1'];

export const SHARED_PLATFORM_STACK = 'platform';

export function tierPlatformStackName(tier: string): string {
  return `platform-${tier}`;
}

/** Vault policy and JWT auth role of the CI identity that applies a tier's stacks. */
export function applierRoleName(tier: string): string {
  return `tierkit-apply-${tier}`;
}

/** The tier whose CI applier a policy or role name is (`tierkit-apply-<tier>`), if it is one. */
export function applierTierOf(name: string): string | undefined {
  return /^tierkit-apply-(.+)$/.exec(name)?.[1];
}

/** Vault policy and JWT auth role of the read-only CI identity that plans a tier's stacks on pull requests. */
export function plannerRoleName(tier: string): string {
  return `tierkit-plan-${tier}`;
}

/** The tier whose CI planner a policy or role name is (`tierkit-plan-<tier>`), if it is one. */
export function plannerTierOf(name: string): string | undefined {
  return /^tierkit-plan-(.+)$/.exec(name)?.[1];
}

/**
 * Vault policy and JWT auth role of the CI identity that applies the platform stacks (mounts, auth
 * backends, the CI roles and their policies); its GitHub environment is PLATFORM_ADMIN_ENVIRONMENT.
 */
export const PLATFORM_ADMIN_ROLE = 'tierkit-platform-admin';

// The CI and Terraform-state names the contract's artifacts are made of (contract/ci-names.ts).
export {
  CI_MAIN_REF, CI_WORKFLOW_FILES, DATA_PROMOTE_WORKFLOW_FILE, PLATFORM_ADMIN_ENVIRONMENT, jobWorkflowRef, planEnvironmentName, publishEnvironmentName,
  stateKey, stateLockKey, stateRoleName, stackStateKey, CURRENT_STATE_KEY_LAYOUT,
} from '../contract/ci-names';
import { k8sAppOfApps, k8sTierDir, renderedPath } from '../contract/ci-names';
// The planners' read-only PostgreSQL identity (contract/planner.ts: policies read it too).
export {
  PLANNER_GROUP_ROLE, PLANNER_ISSUER_ROLE, PLANNER_LOGIN_ROLE, plannerIssuerPasswordVariable, plannerVaultName,
  serverPlannerIssuerSecretName, serverPlannerSecretName,
} from '../contract/planner';

/**
 * The committed provider lock file of a stack, per provider set (the sorted keys of its
 * `terraform.required_providers`, joined by `+`: `postgresql+vault`, `vault`), in the estate repo.
 * Plans and applies run `terraform init -lockfile=readonly` with it: no provider package whose
 * checksum main's lock file does not record is ever installed.
 */
export const PROVIDER_LOCKS_DIR = 'terraform-locks';
export function providerLockFile(providerSet: string): string {
  return `${PROVIDER_LOCKS_DIR}/${providerSet === '' ? 'none' : providerSet}.terraform.lock.hcl`;
}

/** Kubernetes label keys tierkit writes on pods, which selectors and the policies read back. */
export const LABELS = {
  /** `workload` on the app's pods: what the Service and the ingress policy select. */
  component: 'tierkit.io/component',
  /** On lifecycle Job pods: `golden-dump`, `reset` or `ttl-sweep` (see API_SCALER_JOBS). */
  job: 'tierkit.io/job',
  /** On seed PVs and claims: the seed's slug (informative: rules judge the export path). */
  seed: 'tierkit.io/seed',
} as const;

/** Lifecycle Jobs that scale the env's Deployment: the only pods that may reach the API server. */
export const API_SCALER_JOBS: readonly string[] = ['reset', 'ttl-sweep'];

/** KV path of a Postgres server's admin credential, read by the gated apply job. */
export function serverAdminSecretName(serverId: string): string {
  return `tierkit/postgres-admin/${serverId}`;
}

export function argoTierApplicationName(tier: string): string {
  return `tier-${tier}`;
}

/** The Argo CD AppProject of a tier's app-environment Applications. */
export function argoProjectName(tier: string): string {
  return `tierkit-${tier}`;
}

/** The Argo CD AppProject of a tier's app of apps (it writes Applications and the tier's project only). */
export function argoAppsProjectName(tier: string): string {
  return `tierkit-${tier}-apps`;
}

/** Every ServiceAccount an app-environment owns in its namespace: the workload's, the reset's, the TTL sweep's and the golden dump's. */
export function serviceAccountNames(c: Coordinate): string[] {
  return [serviceAccountName(c), resetName(c), ttlSweepName(c), goldenDumpName(c)];
}

/** Every Vault Kubernetes auth role an app-environment owns (the Vault agent annotation names one). */
export function kubernetesAuthRoleNames(c: Coordinate): string[] {
  return [kubernetesAuthRoleName(c), resetName(c), ttlSweepName(c), goldenDumpName(c)];
}

export const dist = {
  manifest: 'manifest.json',
  /** The Terraform state identities (AWS IAM trust and permission documents) of an S3 backend. */
  ciStateAccess: 'ci/state-access.json',
  terraformStack: (stack: string) => `terraform/${stack}/cdk.tf.json`,
  /** A tier's Kubernetes manifests (its app-environments and its Applications). */
  k8sTierDir,
  k8sAppEnvironment: (tier: string, c: Coordinate) => `k8s/${tier}/${slug(c)}.k8s.yaml`,
  k8sTierApplications: (tier: string) => `k8s/${tier}/argocd/applications.k8s.yaml`,
  k8sAppOfApps,
  /** Argo CD source paths are relative to the rendered branch, which holds dist/k8s. */
  argoTierPath: (tier: string) => tier,
  argoTierApplicationsPath: (tier: string) => `${tier}/argocd`,
  argoInclude: (c: Coordinate) => `${slug(c)}.k8s.yaml`,
  /** Where a `dist/k8s/…` file lives on the rendered branch (which holds dist/k8s at its root). */
  renderedPath,
} as const;

// Lifecycle (golden dump, reset): names of its Vault and Kubernetes pieces.

/** KV v2 secret (inside the KV mount) holding the golden dump role's credential. */
export function goldenDumpKvSecretName(c: Coordinate): string {
  return `${slug(c)}/golden-dump`;
}

/** Vault policy, Kubernetes auth role, service account and CronJob of the golden dump. */
export function goldenDumpName(c: Coordinate): string {
  return `${slug(c)}-golden-dump`;
}

/** Service account, Role, Vault auth role and CronJob of the env's reset. */
export function resetName(c: Coordinate): string {
  return `${slug(c)}-reset`;
}

/**
 * A template-reset sandbox's NOLOGIN CREATEDB role (issue 19, fast reset): a member of the env's
 * group (to drop its database and create the clone OWNER the group) and owner of its golden.
 */
export function templateResetRoleName(c: Coordinate): string {
  return `${snake(c)}_template`;
}

/**
 * The Vault database role issuing a template-reset sandbox's reset Job its short-lived login
 * (`erp-fast-template-reset`): a plain LOGIN IN ROLE the template role, on the env's own connection.
 */
export function templateResetVaultRoleName(c: Coordinate): string {
  return `${slug(c)}-template-reset`;
}

export function templateResetCredsPath(c: Coordinate, n: EstateNaming): string {
  return `${n.databaseMount}/creds/${templateResetVaultRoleName(c)}`;
}

/** The suspended CronJob that loads a template-reset sandbox's golden from its seed (on demand, when the seed changes). */
export function goldenLoadName(c: Coordinate): string {
  return `${slug(c)}-golden-load`;
}

/** A template-reset sandbox's golden template database (`erp-sandbox_golden`): the clone's source. */
export function goldenTemplateDatabaseName(c: Coordinate): string {
  return `${databaseName(c)}_golden`;
}

/**
 * The Vault policy of an hourly reset (demo tier) that revokes the env's leases after restoring
 * it: the same one path as the TTL sweep's (`ttlSweepRevokePath`), update + sudo.
 */
export function resetRevokeName(c: Coordinate): string {
  return `${slug(c)}-reset-revoke`;
}

/** The ConfigMap holding an hourly-reset env's feature flags (flagd definition), which its reset restores. */
export function flagsConfigMapName(c: Coordinate): string {
  return `${workloadName(c)}-flags`;
}

/** A sandbox's TTL sweep: its CronJob, service account, Role, Vault policy and Vault auth role. */
export function ttlSweepName(c: Coordinate): string {
  return `${slug(c)}-ttl-sweep`;
}

/**
 * The one Vault path the TTL sweep may write: revoke every lease of the env's dynamic role.
 * Vault appends the `/` a prefix lacks (expiration.go revokePrefixCommon), so `…/creds/erp-sandbox`
 * never reaches `…/creds/erp-sandbox2`.
 */
export function ttlSweepRevokePath(c: Coordinate, n: EstateNaming): string {
  return `sys/leases/revoke-prefix/${vaultCredsPath(c, n)}`;
}

/**
 * @deprecated The one shared seed volume per app is gone (issue 22): each consuming namespace
 * mounts one seed through `seedClaimName`. Kept for callers of the old name only.
 */
export function seedVolumeClaimName(app: string): string {
  return `tierkit-seeds-${app}`;
}

/** Path of a seed dump inside the seed volume; its content hash sits beside it (`.sha256`). */
export function seedDumpPath(mountPath: string, seed: string): string {
  return `${mountPath}/${seed.replace(/[^A-Za-z0-9._-]/g, '-')}.dump`;
}

/**
 * A seed's name as a path segment and Kubernetes name part: `synthetic:v1` → `synthetic-v1`.
 * Seeds are `golden`, `demo`, `synthetic:<v>` or `sanitized:<dataset>`: one to one.
 */
export function seedSlug(seed: string): string {
  return seed.replace(/:/g, '-');
}

/** The PersistentVolumeClaim through which a namespace mounts one seed. */
export function seedClaimName(seed: string): string {
  return `tierkit-seed-${seedSlug(seed)}`;
}

/** The PersistentVolume (cluster-scoped) binding one seed's export to one env's claim only. */
export function seedVolumeName(c: Coordinate, seed: string): string {
  return `tierkit-seed-${slug(c)}-${seedSlug(seed)}`;
}

/** The directory of one app's seed on the seed store's NFS server. */
export function seedExportPath(exportRoot: string, app: string, seed: string): string {
  return `${exportRoot}/${app}/${seedSlug(seed)}`;
}

/**
 * The promote credential of an app (issue 17): its Vault database role, Vault policy and CI JWT
 * role are all `<app>-promote` — the vault role name of an env `promote`, so prod claims it
 * (claimedNames) and validation refuses a sandbox of that name.
 */
export function promoteName(app: string): string {
  return `${app}-promote`;
}

export function promoteCredsPath(app: string, n: EstateNaming): string {
  return `${n.databaseMount}/creds/${promoteName(app)}`;
}

/**
 * The data promote's rehearsal identity of an app (issue 17): Vault policy and CI JWT role
 * `<app>-rehearse`, reaching the app's golden sandbox credential only. Prod claims the name, so
 * no env's policy (`<app>-<env>`) can take it.
 */
export function rehearseName(app: string): string {
  return `${app}-rehearse`;
}

/** The KV directory (under the KV mount) of every seed's published hashes. */
export const SEED_HASH_KV_ROOT = 'tierkit-seeds';

/**
 * The KV secret (under the KV mount) holding a seed's expected hashes: written by its producer
 * only. `<app>.<seed>` in one segment (a `.` no env slug holds): a path segment equal to an app's
 * prod slug would read as that env's own path.
 */
export function seedHashKvSecretName(app: string, seed: string): string {
  return `${SEED_HASH_KV_ROOT}/${app}.${seedSlug(seed)}`;
}

/**
 * A seed producer's CronJob, ServiceAccount, Vault policy and Kubernetes auth role (issue 22,
 * constructs/lifecycle/producers.ts): `crm-ci-seed-synthetic-v1`, `erp-seed-sanitized-customers`.
 */
export function seedProducerName(c: Coordinate, seed: string): string {
  return `${slug(c)}-seed-${seedSlug(seed)}`;
}

/** The ConfigMap holding a synthetic producer's generated SQL (mounted read-only into its pod). */
export function seedProducerSqlName(c: Coordinate, seed: string): string {
  return `${seedProducerName(c, seed)}-sql`;
}

/** The dump file of a seed inside its mounted volume; hashes are never read from beside it. */
export const SEED_DUMP_FILE = 'seed.dump';

/** A name an app-environment claims in one of the estate's shared namespaces. */
export interface ClaimedName {
  /** The namespace the name lives in: names of different kinds never clash. */
  readonly kind: string;
  readonly name: string;
}

/**
 * Every name an app-environment claims in a namespace shared with other envs: Postgres roles
 * and databases of a server, Vault policies, auth roles, database roles and KV secrets, Kubernetes
 * namespaces, stacks. Lifecycle names are reserved whether or not the env uses them today (an
 * env `golden-dump` of app `erp` would otherwise take over `erp`'s golden dump policy the day
 * `erp` gets a golden sandbox). Validation refuses two envs claiming one name.
 */
export function claimedNames(c: Coordinate): ClaimedName[] {
  return [
    { kind: 'Postgres database', name: databaseName(c) },
    { kind: 'Postgres role', name: groupRoleName(c) },
    { kind: 'Postgres role', name: vaultConnectionRoleName(c) },
    { kind: 'Postgres role', name: goldenDumpRoleName(c) },
    { kind: 'Vault database connection', name: vaultConnectionName(c) },
    { kind: 'Vault database role', name: vaultRoleName(c) },
    { kind: 'Vault KV secret', name: kvSecretName(c) },
    { kind: 'Vault KV secret', name: goldenDumpKvSecretName(c) },
    { kind: 'Vault policy', name: vaultPolicyName(c) },
    { kind: 'Vault policy', name: goldenDumpName(c) },
    { kind: 'Vault policy', name: ttlSweepName(c) },
    { kind: 'Vault policy', name: resetName(c) },
    { kind: 'Vault policy', name: resetRevokeName(c) },
    { kind: 'Vault Kubernetes auth role', name: kubernetesAuthRoleName(c) },
    { kind: 'Vault Kubernetes auth role', name: goldenDumpName(c) },
    { kind: 'Vault Kubernetes auth role', name: resetName(c) },
    { kind: 'Vault Kubernetes auth role', name: ttlSweepName(c) },
    { kind: 'Kubernetes namespace', name: namespace(c) },
    { kind: 'Terraform stack', name: appEnvironmentStackName(c) },
    // Prod holds its app's promote credential, whether or not the app declares grants today.
    ...(c.env === PROD_ENV ? [
      { kind: 'Vault database role', name: promoteName(c.app) },
      { kind: 'Vault policy', name: promoteName(c.app) },
      { kind: 'Vault policy', name: rehearseName(c.app) },
    ] : []),
  ];
}

// Per-PR previews (docs/previews.md). A preview is not an env of the estate: its names are
// derived from the app and the pull request's number, and all of them carry `-pr-` / `_pr_`.

/** A preview's coordinate: env `pr-<n>`, so its names are an env's names (`erp-pr-7`, `erp_pr_7_role`). */
export function previewCoordinate(app: string, pr: string): Coordinate {
  return { app, env: `pr-${pr}` };
}

/** `<app>-pr-<n>`: the preview's database, namespace, Argo CD Application and Vault role. */
export function previewSlug(app: string, pr: string): string {
  return slug(previewCoordinate(app, pr));
}

/** The NOLOGIN group role owning one preview's database: `<app>_pr_<n>_role`. */
export function previewGroupRoleName(app: string, pr: string): string {
  return groupRoleName(previewCoordinate(app, pr));
}

/**
 * The preview seed step's throwaway login (`<app>_pr_<n>_seed`): created by the preview admin for one
 * restore and hash, a member of the PR's group alone, dropped at the end (preview-scripts.ts).
 */
export function previewSeedLoginName(app: string, pr: string): string {
  return `${snake(previewCoordinate(app, pr))}_seed`;
}

/**
 * What a preview role is renamed to, followed by its oid, when another PR's code pinned it with a grant
 * in that PR's database (preview-scripts.ts, ROLE_REMOVE_SQL): `<app>_retired_<oid>`, never longer than
 * a group role of a ten-digit PR. The orphan collector drops it once the grant's database is gone.
 */
export function previewRetiredRolePrefix(app: string): string {
  return `${app.replace(/-/g, '_')}_retired_`;
}

/** The database the preview admin and the preview connection log in to (no preview's data lives there). */
export function previewHomeDatabaseName(app: string): string {
  return `${app}-previews`;
}

/** KV v2 secret (inside the KV mount) holding the preview admin's credential, read by the preview Jobs only. */
export function previewAdminKvSecretName(app: string): string {
  return `${app}-previews/admin`;
}

/**
 * The app's preview admin on the server hosting its previews: LOGIN CREATEDB CREATEROLE (16+),
 * owning only the preview databases and roles it creates itself. It is also the preview Vault
 * connection's user, so every credential Vault mints for a preview is a role it created.
 */
export function previewAdminRoleName(app: string): string {
  return `${app.replace(/-/g, '_')}_preview_admin`;
}

/** The app's preview Vault database connection (`allowed_roles` = `previewVaultRolePattern`). */
export function previewConnectionName(app: string): string {
  return `${app}-previews`;
}

/** The only Vault roles the preview connection serves: a glob Vault matches against role names. */
export function previewVaultRolePattern(app: string): string {
  return `${previewSlug(app, '')}*`;
}

/** The Argo CD ApplicationSet generating the app's previews, and its Jobs' service account and Vault role. */
export function previewApplicationSetName(app: string): string {
  return `${app}-previews`;
}

/** Where the preview Jobs (create / drop a preview's database) run: never inside a preview's namespace. */
export const PREVIEW_JOBS_NAMESPACE = 'tierkit-previews';

/** The Argo CD AppProject of a tier's preview Applications (`<app>-pr-<n>`): never the tier's own project. */
export function previewsArgoProjectName(tier: string): string {
  return `tierkit-${tier}-previews`;
}

/** The namespaces of an app's previews, as an Argo CD destination glob: `<app>-pr-*`. */
export function previewNamespacePattern(app: string): string {
  return `${previewSlug(app, '')}*`;
}

/** Where an app's per-PR manifests live on the rendered branch: a literal path, never a pull request's branch. */
export function previewsRenderedPath(tier: string, app: string): string {
  return `${tier}/previews/${app}`;
}

/**
 * The Secret (in Argo CD's namespace) of the GitHub App the pull-request generator polls with:
 * read-only on pull requests of the estate's repository, created by hand with the app of apps.
 */
export const PREVIEW_GITHUB_APP_SECRET = 'tierkit-previews-github';

/** Where `dist/` holds an app's per-PR manifests (published to the rendered branch at `previewsRenderedPath`). */
export function k8sPreviewDir(tier: string, app: string): string {
  return `k8s/${previewsRenderedPath(tier, app)}`;
}

/** The two files of that directory: kustomize's entry point, and tierkit's objects it lists. */
export const PREVIEW_KUSTOMIZATION_FILE = 'kustomization.yaml';
export const PREVIEW_OBJECTS_FILE = 'preview.k8s.yaml';

/** A preview's workload and its service account, before kustomize's `-pr-<n>` suffix. */
export function previewWorkloadName(app: string): string {
  return `${app}-preview`;
}

/**
 * The preview workload's Vault Kubernetes auth role and policy: under `<app>-pr-`, which no declared
 * env may own (validation), and no PR namespace (`<app>-pr-<digits>`) is.
 */
export function previewWorkloadLoginName(app: string): string {
  return `${previewSlug(app, '')}workload`;
}

/**
 * The one path the preview workload's policy reads: the creds of the Vault role named after the
 * pod's own namespace (`<app>-pr-<n>`, which the PreSync Job writes), from the Kubernetes auth
 * alias's `service_account_namespace` (hashicorp/vault-plugin-auth-kubernetes path_login.go).
 */
export function previewWorkloadCredsTemplate(databaseMount: string, kubernetesAuthAccessor: string): string {
  return `${databaseMount}/creds/{{identity.entity.aliases.${kubernetesAuthAccessor}.metadata.service_account_namespace}}`;
}

/** The PreSync (`create`) and PostDelete (`drop`) Jobs of an app's previews, before the `-pr-<n>` suffix. */
export function previewJobName(app: string, step: 'create' | 'drop'): string {
  return `${previewApplicationSetName(app)}-${step}`;
}

/** The orphan collector CronJob `<app>-previews-collect` in tierkit-previews (lifecycle/preview-collector.ts). */
export function previewCollectorName(app: string): string {
  return `${previewApplicationSetName(app)}-collect`;
}

/**
 * The PersistentVolume (cluster-scoped) binding an app's synthetic seed export to the preview Jobs'
 * claim in `tierkit-previews`: `tierkit-seed-<app>-previews-<seed>`, the name `seedVolumeName` would
 * give an env `previews`, which validation refuses (previews.ts), so no env's volume can take it.
 */
export function previewSeedVolumeName(app: string, seed: string): string {
  return `tierkit-seed-${previewHomeDatabaseName(app)}-${seedSlug(seed)}`;
}

/** The preview Jobs' claim on that volume, in `tierkit-previews`: per app, since apps share the namespace. */
export function previewSeedClaimName(app: string, seed: string): string {
  return `${previewApplicationSetName(app)}-seed-${seedSlug(seed)}`;
}

/** The annotation kustomize (`commonAnnotations`) stamps on every preview object and pod: the PR number. */
export const PREVIEW_PR_ANNOTATION = 'tierkit.io/pr';
/** The label that names the app whose previews an object is. */
export const PREVIEW_OF_LABEL = 'tierkit.io/previews-of';

/** The one template parameter a preview's names may use (Argo CD pull-request generator, goTemplate): the PR number. */
export const PREVIEW_NUMBER_PARAMETER = '{{.number}}';
