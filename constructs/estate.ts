import { Construct, IConstruct } from 'constructs';
import { Backend } from './backend';
import { EstateNaming } from './naming';
import { PostgresServer } from './postgres-server';
import { Tier } from './tier';
import { SandboxTemplate } from './sandbox-template';
import { propTypes, Types } from './prop-types';
import { checkProps, recordIssues, recordProps } from './props';
import { EffectiveTier, TIER_SETTINGS, TierSettings, effectiveTier } from './tier-settings';
import { PromotionChain, PromotionProps } from './promotion';
import { RETIRED_STACK, ResolvedRetiredStack, RetiredStack } from './retired-stacks';

export { RetiredStack } from './retired-stacks';

export interface VaultSettings {
  readonly address: string;
  /** @default 'postgres' */
  readonly databaseMount?: string;
  /** @default 'kvv2' */
  readonly kvMount?: string;
  /** @default 'kubernetes' */
  readonly kubernetesAuthPath?: string;
  /** @default 'jwt' */
  readonly jwtAuthPath?: string;
  /**
   * Where pods reach Vault: its listeners' addresses as a CIDR (e.g. `10.0.8.0/28`). Every env
   * gets an egress NetworkPolicy to it on `port` for its pods (they all run the Vault agent).
   * @default - not declared: no egress to Vault is written, so pods whose tier denies egress cannot log in
   */
  readonly cidr?: string;
  /** The TCP port pods reach Vault on. @default - the port of `address` (443 for https, 80 for http when it names none) */
  readonly port?: number;
  /**
   * The Vault edition: lease-count quotas exist on Enterprise only (a community Vault answers 404 on
   * sys/quotas/lease-count), so only there does each capped env get one besides its rate limit.
   * @default 'community'
   */
  readonly edition?: 'community' | 'enterprise';
}

/** Where pods reach the Kubernetes API server (the reset Jobs scale their app through it). */
export interface KubernetesApiSettings {
  /** The API server's addresses as pods see them after the service's translation, as a CIDR (e.g. `10.0.1.0/28`). */
  readonly cidr: string;
  /** The TCP port of those addresses (kubeadm: 6443). @default 443 */
  readonly port?: number;
}

export interface ArgoCdSettings {
  /** The git repository whose rendered branch holds `dist/k8s`. */
  readonly repoUrl: string;
  /** @default 'rendered' */
  readonly targetRevision?: string;
  /** @default 'argocd' */
  readonly namespace?: string;
  /** @default 'https://kubernetes.default.svc' */
  readonly destinationServer?: string;
}

/** The ingress controller that serves the estate's hosts (defaults: the ingress-nginx Helm chart's). */
export interface IngressControllerSettings {
  /** @default 'nginx' */
  readonly className?: string;
  /** @default 'ingress-nginx' */
  readonly namespace?: string;
  /** Labels of the controller's pods: the only pods an app accepts traffic from. @default { 'app.kubernetes.io/name': 'ingress-nginx', 'app.kubernetes.io/component': 'controller' } */
  readonly podLabels?: Readonly<Record<string, string>>;
  /** cert-manager ClusterIssuer that issues each Ingress's TLS secret. @default - none: the platform provides `<app>-tls` in each namespace */
  readonly clusterIssuer?: string;
}

export interface CiSettings {
  /** `owner/name` of the repository that holds this estate; bound into the appliers' JWT roles. */
  readonly repository: string;
  /**
   * GitHub's numeric id of that repository (`gh api repos/<owner>/<name> --jq .id`), bound as the
   * `repository_id` claim: a repository deleted and re-created (or renamed onto) under the same
   * name gets a new id, so its tokens match no role.
   */
  readonly repositoryId: string;
  /** @default 'https://token.actions.githubusercontent.com' */
  readonly oidcIssuer?: string;
  /**
   * The apply refuses reviewed plans older than this (hours since their pull request run started):
   * state, drift and the servers move on; re-run the PR checks for a fresh plan.
   * @default 24
   */
  readonly maxPlanAgeHours?: number;
  /**
   * The GitHub App that publishes each tier's manifests to the rendered branch (tier → App id): the
   * only actor the emitted rulesets (dist/ci/rulesets/) let write that tier's paths. Its id and
   * private key are the secrets TIERKIT_PUBLISHER_APP_ID / TIERKIT_PUBLISHER_PRIVATE_KEY of the
   * `publish-<tier>` environment.
   * @default {} - no publisher: the rulesets let nobody write the rendered branch, so publishing fails until one is declared
   */
  readonly publisherAppIds?: Readonly<Record<string, number>>;
  /**
   * The GitHub App that posts the `tierkit review` status and the PR comment (docs/pr-flow.md): main's
   * ruleset requires the status from this App only (`integration_id`), and only main's review workflow
   * holds its key (secret TIERKIT_REVIEW_APP_PRIVATE_KEY of the `tierkit-review` environment, deployment
   * branches `main` only). Its own App: not GitHub Actions (15368, which any workflow posts as), not a publisher.
   * @default - none: the review cannot post, and check refuses the estate (TK018, TK019) until one is declared
   */
  readonly reviewAppId?: number;
  /**
   * Why Argo CD reads the rendered branch from `argocd.repoUrl` when that is not `ci.repository` on
   * GitHub (a mirror): who writes the mirror, and what keeps it identical. The publishers' rulesets
   * guard GitHub only; whoever can push to the mirror changes every tier's pods (TK095).
   * @default '' - none: `argocd.repoUrl` must be `https://github.com/<ci.repository>.git`
   */
  readonly argocdMirrorReason?: string;
}

export interface EstateProps {
  /** The estate's name, used in labels. A DNS-1123 label. */
  readonly name: string;
  /** Apps are served at `<app>-<env>.<domain>`. */
  readonly domain: string;
  readonly vault: VaultSettings;
  readonly argocd: ArgoCdSettings;
  readonly ci: CiSettings;
  /** @default Backend.local() */
  readonly backend?: Backend;
  /** Tighten (or, with a reason, loosen) built-in tiers. @default - the built-in defaults */
  readonly tiers?: readonly TierSettings[];
  /** Most sandboxes one owner may hold at once. @default 3 */
  readonly sandboxQuotaPerOwner?: number;
  /**
   * Who may own a data-file or template-made sandbox: engineers and groups (their SSO names). One
   * whose owner is not listed is refused at synth. @default - not declared: every data-file sandbox is refused
   */
  readonly sandboxOwners?: readonly string[];
  /** @default - the ingress-nginx chart's defaults (class `nginx`) */
  readonly ingressController?: IngressControllerSettings;
  /**
   * Where pods reach the Kubernetes API server: only the reset Job pods get egress to it.
   * @default - not declared: no egress to the API server is written, so a reset cannot scale its app
   */
  readonly kubernetesApi?: KubernetesApiSettings;
  /**
   * Clusters that tiers of different strictness deploy to together, each with why. Two tiers whose
   * Applications target one API server (`argocd.destinationServer` or a tier's
   * `argocdDestinationServer`) share its nodes, admission and cluster-scoped objects; `check`
   * (TK044) refuses that unless it is declared here with every tier that shares it.
   * @default - none: each stricter tier must have a cluster of its own
   */
  readonly sharedClusters?: readonly SharedCluster[];
  /**
   * Where seed dumps live (docs/seed-data.md): one NFS export directory per app and seed,
   * `<exportRoot>/<app>/<seed>`, mounted through a PersistentVolume per consuming namespace.
   * @default - server `seeds.<domain>`, exportRoot `/tierkit-seeds`
   */
  readonly seedStore?: SeedStoreSettings;
  /**
   * The promotion chain (`tierkit promote`): the tiers a release moves along, the tiers fed from
   * a source, and the strategies and canary steps each tier takes.
   * @default - local → ci → dev → staging → preprod → prod, demo fed from staging (docs/promotion.md)
   */
  readonly promotion?: PromotionProps;
  /**
   * Stacks removed from the estate whose Terraform state the gated apply must still destroy
   * (docs/pr-flow.md, "Removed stacks"). The state identities are derived from the estate, so a
   * removed stack's key would vanish from its tier's applier with the stack; each entry keeps it
   * there — for that tier's applier (platform-admin for a platform stack) only, never for a
   * planner — until the entry is dropped after the destroy ran. `check` (TK150) refuses an entry
   * granted to a tier laxer than its server's.
   * @default - none: a removed stack's state is reachable by no CI identity
   */
  readonly retiredStacks?: readonly RetiredStack[];
}

/** One API server that several tiers deploy to, on purpose. */
export interface SharedCluster {
  /** The API server URL, as the Applications name it (e.g. `https://kubernetes.default.svc`). */
  readonly server: string;
  /** Every tier whose Applications target it. */
  readonly tiers: readonly Tier[];
  /** Why these tiers share one cluster, and what separates them there (node pools, admission). */
  readonly reason: string;
}

/** A shared cluster as the manifest records it: tier names, sorted. */
export interface ResolvedSharedCluster {
  readonly server: string;
  readonly tiers: readonly string[];
  readonly reason: string;
}

/** The NFS server that holds the seed dumps. */
export interface SeedStoreSettings {
  /** Host name or address of the NFS server. */
  readonly server: string;
  /** Absolute directory under which each app's seeds are exported (`<exportRoot>/<app>/<seed>`). @default '/tierkit-seeds' */
  readonly exportRoot?: string;
  /**
   * Why the seeds live on this store rather than tierkit's default (`seeds.<domain>:/tierkit-seeds`):
   * who runs it, who can write its exports. Every seed, the scrubbed golden included, is written and
   * read there, so a store other than the default is a reasoned exception in every report (TK136).
   * @default - none: only the default store needs none
   */
  readonly reason?: string;
}

export interface ResolvedVaultSettings extends Required<Omit<VaultSettings, 'cidr' | 'port'>> {}

/** A declared network destination of the estate's pods (resolved: port filled in). */
export interface NetworkEndpoint {
  readonly cidr: string;
  readonly port: number;
}
export interface ResolvedArgoCdSettings extends Required<ArgoCdSettings> {}

/** The port a URL names, else its scheme's (an unparsable address is left to its consumers). */
function addressPort(address: string): number {
  try {
    const url = new URL(address);
    return url.port ? Number(url.port) : url.protocol === 'http:' ? 80 : 443;
  } catch {
    return 443;
  }
}

export const VAULT_SETTINGS = propTypes<VaultSettings>()({
  address: Types.string, databaseMount: Types.string, kvMount: Types.string, kubernetesAuthPath: Types.string, jwtAuthPath: Types.string,
  cidr: Types.string, port: Types.integer, edition: Types.oneOf(['community', 'enterprise']),
});
export const KUBERNETES_API_SETTINGS = propTypes<KubernetesApiSettings>()({ cidr: Types.string, port: Types.integer });
export const ARGOCD_SETTINGS = propTypes<ArgoCdSettings>()({ repoUrl: Types.string, targetRevision: Types.string, namespace: Types.string, destinationServer: Types.string });
export const INGRESS_CONTROLLER_SETTINGS = propTypes<IngressControllerSettings>()({
  className: Types.string, namespace: Types.string, podLabels: Types.record(Types.string), clusterIssuer: Types.string,
});
export const SHARED_CLUSTER = propTypes<SharedCluster>()({ server: Types.string, tiers: Types.list(Types.instance(Tier, 'Tier.DEV')), reason: Types.string });
export const SEED_STORE_SETTINGS = propTypes<SeedStoreSettings>()({ server: Types.string, exportRoot: Types.string, reason: Types.string });
export const CI_SETTINGS = propTypes<CiSettings>()({ repository: Types.string, repositoryId: Types.string, oidcIssuer: Types.string, maxPlanAgeHours: Types.integer,
  publisherAppIds: Types.record(Types.integer), argocdMirrorReason: Types.string, reviewAppId: Types.integer,
});

export const ESTATE_PROPS = propTypes<EstateProps>()({
  name: Types.string, domain: Types.string,
  vault: Types.shape('VaultSettings', VAULT_SETTINGS, ['address']),
  argocd: Types.shape('ArgoCdSettings', ARGOCD_SETTINGS, ['repoUrl']),
  ci: Types.shape('CiSettings', CI_SETTINGS, ['repository', 'repositoryId']),
  backend: Types.instance(Backend, 'Backend.s3({ bucket, region })'),
  tiers: Types.list(Types.shape('TierSettings', TIER_SETTINGS, ['tier'])), sandboxQuotaPerOwner: Types.integer, sandboxOwners: Types.list(Types.string),
  kubernetesApi: Types.shape('KubernetesApiSettings', KUBERNETES_API_SETTINGS, ['cidr']),
  ingressController: Types.shape('IngressControllerSettings', INGRESS_CONTROLLER_SETTINGS),
  sharedClusters: Types.list(Types.shape('SharedCluster', SHARED_CLUSTER, ['server', 'tiers', 'reason'])),
  seedStore: Types.shape('SeedStoreSettings', SEED_STORE_SETTINGS, ['server']),
  promotion: Types.object,
  retiredStacks: Types.list(Types.shape('RetiredStack', RETIRED_STACK, ['stack', 'tier', 'reason'])),
});

/** The root of the construct tree: one estate, its servers, apps and their environments. */
export class Estate extends Construct {
  static of(c: IConstruct): Estate {
    const root = c.node.root;
    if (!(root instanceof Estate)) throw new Error(`${c.node.path} is not inside an Estate`);
    return root;
  }

  readonly estateName: string;
  readonly domain: string;
  readonly vault: ResolvedVaultSettings;
  readonly argocd: ResolvedArgoCdSettings;
  readonly ci: Required<Omit<CiSettings, 'reviewAppId'>> & Pick<CiSettings, 'reviewAppId'>;
  readonly backend: Backend;
  readonly sandboxQuotaPerOwner: number;
  readonly sandboxOwners?: readonly string[];
  /**
   * The directory of sandbox data files, set by `loadSandboxFiles` (the CLI writes there). Its
   * last segment names the files in errors and the manifest. @default - none loaded
   */
  sandboxFilesDir?: string;
  /** Where pods reach Vault, when declared (`vault.cidr`). */
  readonly vaultEndpoint?: NetworkEndpoint;
  /** Where pods reach the Kubernetes API server, when declared. */
  readonly kubernetesApi?: NetworkEndpoint;
  readonly seedStore: Required<Omit<SeedStoreSettings, 'reason'>> & Pick<SeedStoreSettings, 'reason'>;
  readonly tierSettings: readonly TierSettings[];
  readonly sharedClusters: readonly ResolvedSharedCluster[];
  readonly retiredStacks: readonly ResolvedRetiredStack[];
  readonly promotion: PromotionChain;
  readonly ingressController: Required<Omit<IngressControllerSettings, 'clusterIssuer'>> & Pick<IngressControllerSettings, 'clusterIssuer'>;
  private readonly effectiveTiers = new Map<Tier, EffectiveTier>();

  constructor(declared: EstateProps) {
    const path = typeof (declared as { name?: unknown } | undefined)?.name === 'string' ? declared.name : '(estate)';
    const { props, issues } = checkProps<EstateProps>(path, declared, ESTATE_PROPS, ['name', 'domain', 'vault', 'argocd', 'ci']);
    super(undefined as unknown as Construct, '');
    recordIssues(this, issues);
    recordProps(this, props, ESTATE_PROPS, true);
    this.estateName = props.name;
    this.domain = props.domain;
    this.vault = {
      address: props.vault.address,
      databaseMount: props.vault.databaseMount ?? 'postgres',
      kvMount: props.vault.kvMount ?? 'kvv2',
      kubernetesAuthPath: props.vault.kubernetesAuthPath ?? 'kubernetes',
      jwtAuthPath: props.vault.jwtAuthPath ?? 'jwt',
      edition: props.vault.edition ?? 'community',
    };
    this.argocd = {
      repoUrl: props.argocd.repoUrl,
      targetRevision: props.argocd.targetRevision ?? 'rendered',
      namespace: props.argocd.namespace ?? 'argocd',
      destinationServer: props.argocd.destinationServer ?? 'https://kubernetes.default.svc',
    };
    this.ci = {
      repository: props.ci.repository, repositoryId: props.ci.repositoryId,
      oidcIssuer: props.ci.oidcIssuer ?? 'https://token.actions.githubusercontent.com',
      maxPlanAgeHours: props.ci.maxPlanAgeHours ?? 24,
      argocdMirrorReason: props.ci.argocdMirrorReason ?? '',
      publisherAppIds: Object.fromEntries(Object.entries(props.ci.publisherAppIds ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
      ...(props.ci.reviewAppId !== undefined ? { reviewAppId: props.ci.reviewAppId } : {}),
    };
    this.backend = props.backend ?? Backend.local();
    this.sandboxQuotaPerOwner = props.sandboxQuotaPerOwner ?? 3;
    this.sandboxOwners = props.sandboxOwners;
    this.tierSettings = props.tiers ?? [];
    this.sharedClusters = (props.sharedClusters ?? []).map((c) => ({
      server: c?.server, reason: c?.reason,
      tiers: Array.isArray(c?.tiers) ? c.tiers.map((t) => (t instanceof Tier ? t.name : String(t))).sort() : [],
    }));
    // (An element that is no object is a type issue, already recorded.)
    this.retiredStacks = (props.retiredStacks ?? []).filter((r) => typeof r === 'object' && r !== null).map((r) => ({
      stack: r.stack, tier: r.tier, reason: r.reason, ...(r.server !== undefined ? { server: r.server } : {}),
    }));
    this.promotion = new PromotionChain(props.promotion);
    this.ingressController = {
      className: props.ingressController?.className ?? 'nginx',
      namespace: props.ingressController?.namespace ?? 'ingress-nginx',
      podLabels: props.ingressController?.podLabels ?? { 'app.kubernetes.io/name': 'ingress-nginx', 'app.kubernetes.io/component': 'controller' },
      clusterIssuer: props.ingressController?.clusterIssuer,
    };
    // Declared network destinations; validation judges them (a bad CIDR must not reach a NetworkPolicy).
    this.seedStore = {
      server: props.seedStore?.server ?? `seeds.${props.domain}`, exportRoot: props.seedStore?.exportRoot ?? '/tierkit-seeds',
      ...(props.seedStore?.reason !== undefined ? { reason: props.seedStore.reason } : {}),
    };
    if (props.vault.cidr !== undefined || props.vault.port !== undefined) {
      this.vaultEndpoint = { cidr: props.vault.cidr as string, port: props.vault.port ?? addressPort(props.vault.address) };
    }
    if (props.kubernetesApi) this.kubernetesApi = { cidr: props.kubernetesApi.cidr, port: props.kubernetesApi.port ?? 443 };
  }

  get naming(): EstateNaming {
    return {
      domain: this.domain,
      databaseMount: this.vault.databaseMount,
      kvMount: this.vault.kvMount,
      kubernetesAuthPath: this.vault.kubernetesAuthPath,
    };
  }

  /** The tier as this estate runs it (defaults plus `tiers` settings). */
  tier(tier: Tier): EffectiveTier {
    let eff = this.effectiveTiers.get(tier);
    if (!eff) {
      // (An element that is no object is a type issue; it settles nothing.)
      eff = effectiveTier(tier, this.tierSettings.find((s) => typeof s === 'object' && s !== null && s.tier === tier));
      this.effectiveTiers.set(tier, eff);
    }
    return eff;
  }

  get servers(): PostgresServer[] {
    return this.node.children.filter((c): c is PostgresServer => c instanceof PostgresServer);
  }

  /** The sandbox templates declared in the estate (`new SandboxTemplate(estate, name, …)`). */
  get sandboxTemplates(): SandboxTemplate[] {
    return this.node.children.filter((c): c is SandboxTemplate => c instanceof SandboxTemplate);
  }

  /** The server a tier's environments live on by default. */
  serverForTier(tier: Tier): PostgresServer | undefined {
    return this.servers.find((s) => s.tiers.includes(tier));
  }

  /** Where errors point: `<estate>/<construct path>`. */
  displayPath(c: IConstruct): string {
    const name = typeof this.estateName === 'string' ? this.estateName : '(estate)';
    return c.node.path ? `${name}/${c.node.path}` : name;
  }
}
