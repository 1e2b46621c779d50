import { Construct, IConstruct } from 'constructs';
import { Backend } from './backend';
import { EstateNaming } from './naming';
import { PostgresServer } from './postgres-server';
import { Tier } from './tier';
import { EffectiveTier, TierSettings, effectiveTier } from './tier-settings';

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

export interface CiSettings {
  /** `owner/name` of the repository that holds this estate; bound into the appliers' JWT roles. */
  readonly repository: string;
  /** @default 'https://token.actions.githubusercontent.com' */
  readonly oidcIssuer?: string;
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
}

export interface ResolvedVaultSettings extends Required<VaultSettings> {}
export interface ResolvedArgoCdSettings extends Required<ArgoCdSettings> {}

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
  readonly tierSettings: readonly TierSettings[];
  private readonly effectiveTiers = new Map<Tier, EffectiveTier>();

  constructor(props: EstateProps) {
    super(undefined as unknown as Construct, '');
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
    this.ci = { repository: props.ci.repository, oidcIssuer: props.ci.oidcIssuer ?? 'https://token.actions.githubusercontent.com' };
    this.backend = props.backend ?? Backend.local();
    this.sandboxQuotaPerOwner = props.sandboxQuotaPerOwner ?? 3;
    this.tierSettings = props.tiers ?? [];
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
