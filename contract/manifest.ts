/**
 * `dist/manifest.json`: what every artifact is. It is the contract that `check`, `diff`, `ci`
 * and the real-PostgreSQL tests read; they never import the constructs.
 */
import type { ManifestVaultQuotas } from './vault-quotas';
export const MANIFEST_SCHEMA_VERSION = 1;

export type ArtifactKind = 'terraform-stack' | 'kubernetes-manifests' | 'ci-state-access' | 'ci-github-ruleset' | 'ci-data-promote' | 'ci-review';

/** Where the stacks keep their Terraform state (estate `backend`). */
export type ManifestBackend =
  | { readonly type: 'local' }
  | {
    readonly type: 's3'; readonly bucket: string; readonly region: string; readonly keyPrefix: string; readonly accountId?: string;
    /** How state keys are formed (contract/ci-names.ts `stackStateKey`); absent: 1, `<keyPrefix>/<stack>.tfstate`. */
    readonly stateKeyLayout?: number;
  };
export type StackKind = 'app-environment' | 'tier-platform' | 'shared-platform';

export interface ManifestArtifact {
  readonly path: string;
  readonly kind: ArtifactKind;
  readonly tier?: string;
  readonly app?: string;
  readonly env?: string;
  readonly stack?: string;
  readonly constructPaths: readonly string[];
  readonly sha256: string;
}

export interface ManifestTier {
  readonly name: string;
  readonly rank: number;
  readonly data: readonly string[];
  readonly secretTtl: { readonly defaultSeconds: number; readonly maxSeconds: number };
  readonly egress: string;
  readonly egressAllowList: readonly string[];
  /**
   * The allow list's CIDRs declared with ports: the tier's NetworkPolicies may reach each on those
   * ports only (TK048). Absent: none (every CIDR of `egressAllowList` is then port-less).
   */
  readonly egressTargets?: readonly { readonly cidr: string; readonly ports: readonly { readonly protocol: string; readonly port: number }[] }[];
  readonly applyGate: { readonly name: string; readonly human: boolean; readonly requiredReviewers: number };
  readonly flagsDefault: string;
  readonly allowsSandboxes: boolean;
  readonly sandboxDefaultTtlHours: number;
  readonly sandboxMaxTtlHours: number;
  readonly resetSchedule?: string;
  readonly exceptions: readonly { property: string; defaultValue: string; value: string; reason: string }[];
  /** The cluster the tier's env Applications deploy to, when the tier has its own; absent = the estate's `argocd.destinationServer`. */
  readonly argocdDestinationServer?: string;
  /** The quotas each env of the tier gets on its creds path (`TierSettings.vaultQuotas`); absent: none (prod by default). */
  readonly vaultQuotas?: ManifestVaultQuotas;
}

/** A network destination pods may reach: a CIDR and one TCP port. */
export interface ManifestEndpoint {
  readonly cidr: string;
  readonly port: number;
}

export interface ManifestServer {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly majorVersion: number;
  readonly adminKind: string;
  readonly superuser: boolean;
  /** Where pods reach the server (egress to it is written for the envs it hosts), if declared. */
  readonly cidr?: string;
  /** Managed servers: the role the provider logs in as, a declared member of every group on the server. */
  readonly adminRole?: string;
  /** Set when the server is older than PostgreSQL 16 and hosts envs: the accepted CREATEROLE risk. */
  readonly legacyCreateRoleReason?: string;
  /** The libpq sslmode tierkit writes for the server (TK045 refuses a weaker one); absent in older manifests = require. */
  readonly sslMode?: string;
  /** sha256 (hex) of the CA certificate the server declares for verify-full; its Vault connections carry that PEM as tls_ca (TK049). */
  readonly caCertificateSha256?: string;
  /** The CA certificate itself (public): CI writes it to a file for the stacks' provider (`sslrootcert`). */
  readonly caCertificatePem?: string;
  /** A platform role holding SET on temp_file_limit; the server's Vault connection users are its members. */
  readonly tempFileLimitRole?: string;
  readonly tiers: readonly string[];
  /** The tier whose gate governs every stack whose provider reaches this server. */
  readonly gatingTier?: string;
  readonly adminSecretPath: string;
  readonly constructPath: string;
}

/** A removed stack whose state key its gating tier's applier keeps until its destroy ran. */
export interface ManifestRetiredStack {
  readonly stack: string;
  /** 'app-environment' (it names its server) or 'platform'. */
  readonly kind: 'app-environment' | 'platform';
  readonly gatingTier: string;
  readonly server?: string;
  readonly reason: string;
}

export interface ManifestStack {
  readonly name: string;
  readonly kind: StackKind;
  /** The tier the stack belongs to (for app-environment stacks, the env's tier). */
  readonly tier: string;
  /** The tier whose apply gate and GitHub environment govern the stack. */
  readonly gatingTier: string;
  readonly applyGate: string;
  readonly humanGate: boolean;
  readonly server?: string;
  readonly artifact: string;
  readonly constructPath: string;
}

export interface ManifestSandbox {
  readonly kind: string;
  readonly owner: string;
  readonly createdAt: string;
  readonly ttlHours: number;
  readonly expiresAt: string;
  readonly seed: string;
  readonly reason?: string;
  /** The template it is made from, if any. */
  readonly template?: string;
  /** The data file that declares it (`sandboxes/<app>/<name>.json`), if any, and whether tierkit wrote it. */
  readonly file?: string;
  readonly managed?: boolean;
  /** False when its template denies egress beyond the platform's destinations (absent: the tier's). */
  readonly egress?: boolean;
  /** `template` when its reset clones a golden template database (issue 19; absent: the pg_restore reset). */
  readonly reset?: 'template';
}

/** The promote credential as declared: TK160 holds its statements to `grants`, TK161 its readers to the replay job. */
export interface ManifestPromote {
  /** Vault database role, policy and JWT role name (`<app>-promote`). */
  readonly name: string;
  readonly credsPath: string;
  /** The data-promote workflow file whose replay job alone reads it. */
  readonly workflow: string;
  /**
   * The rehearsal (issue 17): its Vault policy and JWT role (`<app>-rehearse`), the golden sandbox
   * (an appEnvironments slug) it alone reaches, and the GitHub environment its job runs in (the
   * sandbox's tier). TK162 derives all three again; these say what synth meant.
   */
  readonly rehearse: { readonly name: string; readonly sandbox: string; readonly environment: string };
  readonly grants: readonly { readonly table: string; readonly privileges: readonly string[] }[];
}

/**
 * An app's per-PR previews, on the env whose stack holds their preview admin and connection (the
 * app's env in the previews' tier). Rules derive every name from `app` again (naming.ts): these
 * are what synth meant, never what a rule trusts.
 */
export interface ManifestPreviews {
  readonly maxOpen: number;
  readonly label: string;
  readonly requeueAfterSeconds: number;
  /** Hours a preview stays stamped orphan before the collector CronJob drops it (its script embeds it). */
  readonly orphanAfterHours: number;
  readonly names: {
    readonly adminRole: string;
    readonly homeDatabase: string;
    readonly connection: string;
    readonly rolePattern: string;
    readonly adminKvSecret: string;
    /** The Jobs' Vault policy, Kubernetes auth role and service account, and the ApplicationSet. */
    readonly jobs: string;
    readonly jobsNamespace: string;
  };
  /**
   * The Vault Kubernetes auth mount's accessor the preview workload's templated policy names
   * (docs/previews.md). Absent: the workload has no Vault login (nor does a dist from before it).
   */
  readonly vaultKubernetesAuthAccessor?: string;
}

/** A seed producer: its seed (`synthetic:v1`, `sanitized:<dataset>`) and the name of its CronJob, ServiceAccount, Vault policy and auth role. */
export interface ManifestSeedProducer {
  readonly seed: string;
  readonly kind: 'synthetic' | 'sanitized';
  readonly name: string;
}

export interface ManifestAppEnvironment {
  readonly app: string;
  readonly env: string;
  readonly slug: string;
  readonly tier: string;
  readonly kind: 'tier' | 'sandbox';
  readonly server: string;
  readonly stack: string;
  readonly constructPath: string;
  readonly objectPrefix: string;
  readonly image: string;
  readonly flags: Readonly<Record<string, boolean>>;
  readonly names: {
    readonly database: string;
    readonly groupRole: string;
    readonly vaultConnectionRole: string;
    readonly goldenDumpRole: string;
    readonly vaultConnection: string;
    readonly vaultRole: string;
    readonly vaultCredsPath: string;
    readonly kvPath: string;
    readonly vaultPolicy: string;
    readonly kubernetesAuthRole: string;
    readonly namespace: string;
    readonly serviceAccount: string;
    readonly host: string;
    readonly argoApplication: string;
  };
  readonly sandbox?: ManifestSandbox;
  /** Prod of an app with a golden sandbox and declared promote grants: its promote credential (issue 17). */
  readonly promote?: ManifestPromote;
  /** Only on the env holding its app's per-PR previews (docs/previews.md). */
  readonly previews?: ManifestPreviews;
  /**
   * The seed producers this env's namespace runs (issue 22, docs/seed-data.md): each writes only
   * its seed's store and published hashes. Absent: none.
   */
  readonly seedProducers?: readonly ManifestSeedProducer[];
  /** Reasoned exceptions the env relies on (e.g. a golden seed). */
  readonly exceptions: readonly { kind: string; value: string; reason: string }[];
  readonly suppressions: readonly { ruleId: string; reason: string }[];
  readonly artifacts: readonly string[];
}

export interface Manifest {
  readonly schemaVersion: number;
  readonly generator: { readonly name: 'tierkit'; readonly version: string };
  readonly estate: {
    readonly name: string;
    readonly domain: string;
    readonly vault: Readonly<Record<'address' | 'databaseMount' | 'kvMount' | 'kubernetesAuthPath' | 'jwtAuthPath', string>> & {
      /** 'community' | 'enterprise'; absent in a dist from before quotas (read as enterprise: a lease-count quota is required). */
      readonly edition?: string;
    };
    readonly argocd: Readonly<Record<'repoUrl' | 'targetRevision' | 'namespace' | 'destinationServer', string>>;
    readonly ci: {
      readonly repository: string; readonly repositoryId: string; readonly oidcIssuer: string; readonly maxPlanAgeHours: number;
      /** tier → the publisher GitHub App's id (absent in a dist from before publishers). */
      readonly publisherAppIds?: Readonly<Record<string, number>>;
      /** The review App's id (`ci.reviewAppId`): the only actor main's `tierkit review` check accepts. Absent: none declared. */
      readonly reviewAppId?: number;
      /** Why argocd.repoUrl is a mirror of ci.repository ('' or absent: it is none). */
      readonly argocdMirrorReason?: string;
    };
    readonly sandboxQuotaPerOwner: number;
    /** @default - absent in a dist from before state identities: read as unknown (TK092 reports it) */
    readonly backend?: ManifestBackend;
    /** Where pods reach Vault and the Kubernetes API: the only egress beyond a tier's allow list (TK011). */
    readonly network?: { readonly vault?: ManifestEndpoint; readonly kubernetesApi?: ManifestEndpoint };
    /** API servers several tiers deploy to on purpose (TK044), each with its tiers and why. */
    readonly sharedClusters?: readonly { readonly server: string; readonly tiers: readonly string[]; readonly reason: string }[];
    /**
     * The NFS server and export root of the seed store (TK130–TK131); absent: every seed volume is
     * unmodelled. `reason`: why it is not tierkit's default `seeds.<domain>:/tierkit-seeds` (TK136).
     */
    readonly seedStore?: { readonly server: string; readonly exportRoot: string; readonly reason?: string };
    /**
     * Stacks removed from the estate whose state the gated apply must still destroy (estate
     * `retiredStacks`), sorted by stack: their gating tier's applier (platform-admin: a platform
     * stack, one without server) keeps their state key (contract/state-access.ts); TK150 judges them.
     * Absent: none.
     */
    readonly retiredStacks?: readonly ManifestRetiredStack[];
    /** The promotion chain (contract/promotion-chain.ts reads it strictly; TK143 judges it); absent: unknown. */
    readonly promotion?: { readonly chain: readonly string[]; readonly feeds: readonly { readonly tier: string; readonly from: string }[] };
  };
  readonly tiers: readonly ManifestTier[];
  readonly servers: readonly ManifestServer[];
  readonly stacks: readonly ManifestStack[];
  readonly appEnvironments: readonly ManifestAppEnvironment[];
  readonly artifacts: readonly ManifestArtifact[];
}
