import { Construct, IConstruct } from 'constructs';
import { Backend } from './backend';
import { TierkitValidationError, ValidationIssue } from './errors';
import { EstateNaming } from './naming';
import { PostgresServer, endpointIssues } from './postgres-server';
import { databaseCapsIssues, nodePoolIssues, resourcesIssues } from './runtime';
import { Tier } from './tier';
import { propTypes, Types } from './prop-types';
import { assertPropTypes, recordProps } from './props';
import { EffectiveTier, TierSettings, effectiveTier } from './tier-settings';
import { PromotionChain, PromotionProps } from './promotion';

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
  /** @default - the ingress-nginx chart's defaults (class `nginx`) */
  readonly ingressController?: IngressControllerSettings;
  /**
   * Where pods reach the Kubernetes API server: only the reset Job pods get egress to it.
   * @default - not declared: no egress to the API server is written, so a reset cannot scale its app
   */
  readonly kubernetesApi?: KubernetesApiSettings;
  /**
   * The promotion chain (`tierkit promote`): the tiers a release moves along, the tiers fed from
   * a source, and the strategies and canary steps each tier takes.
   * @default - local → ci → dev → staging → preprod → prod, demo fed from staging (docs/promotion.md)
   */
  readonly promotion?: PromotionProps;
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

export const ESTATE_PROPS = propTypes<EstateProps>()({
  name: Types.string, domain: Types.string, vault: Types.object, argocd: Types.object, ci: Types.object,
  backend: Types.instance(Backend, 'Backend.s3({ bucket, region })'), tiers: Types.list(Types.object), sandboxQuotaPerOwner: Types.integer,
  kubernetesApi: Types.object, ingressController: Types.object, promotion: Types.object,
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
  readonly ci: Required<CiSettings>;
  readonly backend: Backend;
  readonly sandboxQuotaPerOwner: number;
  /** Where pods reach Vault, when declared (`vault.cidr`). */
  readonly vaultEndpoint?: NetworkEndpoint;
  /** Where pods reach the Kubernetes API server, when declared. */
  readonly kubernetesApi?: NetworkEndpoint;
  readonly tierSettings: readonly TierSettings[];
  readonly promotion: PromotionChain;
  readonly ingressController: Required<Omit<IngressControllerSettings, 'clusterIssuer'>> & Pick<IngressControllerSettings, 'clusterIssuer'>;
  private readonly effectiveTiers = new Map<Tier, EffectiveTier>();

  constructor(props: EstateProps) {
    assertPropTypes(typeof props?.name === 'string' ? props.name : '(estate)', props, ESTATE_PROPS, ['name', 'domain', 'vault', 'argocd', 'ci']);
    super(undefined as unknown as Construct, '');
    recordProps(this, props, ESTATE_PROPS, true);
    this.estateName = props.name;
    this.domain = props.domain;
    this.vault = {
      address: props.vault.address,
      databaseMount: props.vault.databaseMount ?? 'postgres',
      kvMount: props.vault.kvMount ?? 'kvv2',
      kubernetesAuthPath: props.vault.kubernetesAuthPath ?? 'kubernetes',
      jwtAuthPath: props.vault.jwtAuthPath ?? 'jwt',
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
    };
    this.backend = props.backend ?? Backend.local();
    this.sandboxQuotaPerOwner = props.sandboxQuotaPerOwner ?? 3;
    this.tierSettings = props.tiers ?? [];
    this.promotion = new PromotionChain(props.promotion);
    this.ingressController = {
      className: props.ingressController?.className ?? 'nginx',
      namespace: props.ingressController?.namespace ?? 'ingress-nginx',
      podLabels: props.ingressController?.podLabels ?? { 'app.kubernetes.io/name': 'ingress-nginx', 'app.kubernetes.io/component': 'controller' },
      clusterIssuer: props.ingressController?.clusterIssuer,
    };
    // Declared network destinations are checked here: a bad CIDR must not reach a NetworkPolicy.
    const issues: ValidationIssue[] = [];
    if (props.vault.cidr !== undefined || props.vault.port !== undefined) {
      this.vaultEndpoint = { cidr: props.vault.cidr as string, port: props.vault.port ?? addressPort(props.vault.address) };
      issues.push(...endpointIssues(this.estateName, 'vault', this.vaultEndpoint));
    }
    if (props.kubernetesApi) {
      this.kubernetesApi = { cidr: props.kubernetesApi.cidr, port: props.kubernetesApi.port ?? 443 };
      issues.push(...endpointIssues(this.estateName, 'kubernetesApi', this.kubernetesApi));
    }
    for (const [i, s] of this.tierSettings.entries()) {
      if (s.nodePool !== undefined) {
        issues.push(...nodePoolIssues(s.nodePool).map((x) => ({ ...x, path: this.estateName, property: `tiers[${i}].nodePool.${x.property}` })));
      }
      if (s.argocdDestinationServer !== undefined && !/^https:\/\/[^\s/]+/.test(String(s.argocdDestinationServer))) {
        issues.push({ path: this.estateName, property: `tiers[${i}].argocdDestinationServer`, value: s.argocdDestinationServer, message: 'is not an https URL of a Kubernetes API server', fix: 'e.g. "https://prod.k8s.example:6443"' });
      }
      if (s.databaseCaps !== undefined) {
        issues.push(...databaseCapsIssues(s.databaseCaps).map((x) => ({ ...x, path: this.estateName, property: `tiers[${i}].databaseCaps${x.property ? `.${x.property}` : ''}` })));
      }
      if (s.workloadResources === undefined) continue;
      issues.push(...resourcesIssues(s.workloadResources).map((x) => ({ ...x, path: this.estateName, property: `tiers[${i}].workloadResources${x.property ? `.${x.property}` : ''}` })));
    }
    issues.push(...this.promotion.issues(this.estateName, (t) => this.tier(t).config.applyGate.human));
    if (!/^[1-9][0-9]*$/.test(String(props.ci.repositoryId ?? ''))) {
      issues.push({
        path: this.estateName, property: 'ci.repositoryId', value: props.ci.repositoryId,
        message: "must be the repository's numeric GitHub id (a string of digits): Vault's CI roles bind the token's repository_id claim to it",
        fix: `run \`gh api repos/${props.ci.repository} --jq .id\` and set ci.repositoryId to its output (as a string)`,
      });
    }
    const age = this.ci.maxPlanAgeHours;
    if (!Number.isInteger(age) || age < 1 || age > 720) {
      issues.push({
        path: this.estateName, property: 'ci.maxPlanAgeHours', value: age,
        message: 'must be a whole number of hours between 1 and 720: the apply refuses reviewed plans older than this',
        fix: 'set ci.maxPlanAgeHours to e.g. 24 (or leave it out for the default)',
      });
    }
    if (issues.length > 0) throw new TierkitValidationError(issues);
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
      eff = effectiveTier(tier, this.tierSettings.find((s) => s.tier === tier));
      this.effectiveTiers.set(tier, eff);
    }
    return eff;
  }

  get servers(): PostgresServer[] {
    return this.node.children.filter((c): c is PostgresServer => c instanceof PostgresServer);
  }

  /** The server a tier's environments live on by default. */
  serverForTier(tier: Tier): PostgresServer | undefined {
    return this.servers.find((s) => s.tiers.includes(tier));
  }

  /** Where errors point: `<estate>/<construct path>`. */
  displayPath(c: IConstruct): string {
    return c.node.path ? `${this.estateName}/${c.node.path}` : this.estateName;
  }
}
