import { ApplyGate, EgressPolicy } from './enums';
import {
  CONTAINER_RESOURCES, ContainerResources, DATABASE_CAPS, DEFAULT_DATABASE_CAPS, DEFAULT_RATE_LIMIT_INTERVAL_SECONDS, DEFAULT_VAULT_QUOTAS, DatabaseCaps, NODE_POOL, NodePool, VAULT_QUOTAS, VaultQuotas,
  defaultWorkloadResources,
} from './runtime';
import { propTypes, Types } from './prop-types';
import { compareStrings } from '../contract/order';
import { SecretTtl, Tier, TierDefaults } from './tier';

/** One port of an egress target. */
export interface EgressPort {
  readonly protocol: 'TCP' | 'UDP';
  readonly port: number;
}

/** A destination of a tier's egress with the ports its pods may reach there (and no other). */
export interface EgressTarget {
  /** The destination network, a CIDR without host bits. */
  readonly cidr: string;
  /** At least one: a target without ports would open every port. */
  readonly ports: readonly EgressPort[];
}

/** An estate's adjustments to one built-in tier. Tightening is free; loosening needs `reason`. */
export interface TierSettings {
  readonly tier: Tier;
  /** @default - the tier's secret TTLs */
  readonly secretTtl?: SecretTtl;
  /** @default - the tier's apply gate */
  readonly applyGate?: ApplyGate;
  /** @default - the tier's egress policy */
  readonly egress?: EgressPolicy;
  /**
   * CIDRs a namespace of this tier may reach when egress is allow-listed. Each widens the tier's egress: a loosening that
   * needs `reason`, and none may overlap a Postgres server of a stricter tier (TK115). @default - none
   */
  readonly egressAllowList?: readonly string[];
  /**
   * Destinations a namespace of this tier may reach on the listed ports only: like `egressAllowList`
   * (a loosening that needs `reason`, judged by TK115), but the NetworkPolicy carries `ports`.
   * A live-data tier's egress beyond DNS and its platform endpoints must be declared here (TK048).
   * @default - none
   */
  readonly egressTargets?: readonly EgressTarget[];
  /** @default - the tier's sandbox maximum (168 hours on most tiers) */
  readonly sandboxMaxTtlHours?: number;
  /**
   * The app containers' CPU and memory in this tier (an app's own `resources` wins; on prod requests
   * are raised to the limits).
   * @default - built-in: prod 500m/512Mi Guaranteed; staging, preprod 250m/256Mi requests, 500m/512Mi limits; others 100m/128Mi, 500m/256Mi
   */
  readonly workloadResources?: ContainerResources;
  /**
   * What each env of this tier may take of its PostgreSQL server (connections enforced; timeouts
   * as overridable defaults).
   * @default - DEFAULT_DATABASE_CAPS (20 connections per database, 10 per credential, 300 s timeouts) on every tier but prod; none on prod
   */
  readonly databaseCaps?: DatabaseCaps;
  /**
   * Vault quotas on each env's database credentials path: a rate limit always, a lease count where
   * the estate's Vault is Enterprise (`vault.edition`).
   * @default - DEFAULT_VAULT_QUOTAS (50 leases, 30 requests per 60 s) on every tier but prod; none on prod
   */
  readonly vaultQuotas?: VaultQuotas;
  /**
   * Nodes of the tier's own: every pod of its envs selects them and tolerates their taint.
   * @default - none: the tier's pods schedule on the cluster's shared nodes
   */
  readonly nodePool?: NodePool;
  /**
   * The cluster the tier's envs run in (Argo CD destination server): a cluster of its own is the
   * only placement a pod author in the namespace cannot undo.
   * @default - the estate's argocd.destinationServer
   */
  readonly argocdDestinationServer?: string;
  /**
   * IngressClass of the tier's Ingresses (a controller of its own keeps a lower tier's Ingress
   * from being merged with prod's).
   * @default - the estate's ingressController.className
   */
  readonly ingressClassName?: string;
  /**
   * GPG long key ids (16 hex digits) of the tier publisher's commit-signing key(s): written as the
   * `signatureKeys` of the tier's Argo CD AppProjects, so Argo CD syncs only commits of the rendered
   * branch signed by one of them (it verifies with GnuPG). A human-gated tier must declare them (TK098).
   * @default - none: Argo CD syncs unsigned commits
   */
  readonly signatureKeyIds?: readonly string[];
  /** Why a setting is looser than the built-in default. Required for any loosening. @default - none */
  readonly reason?: string;
}

export const TIER_SETTINGS = propTypes<TierSettings>()({
  tier: Types.instance(Tier, 'Tier.DEV'),
  secretTtl: Types.shape('SecretTtl', propTypes<SecretTtl>()({ defaultSeconds: Types.integer, maxSeconds: Types.integer }), ['defaultSeconds', 'maxSeconds']),
  applyGate: Types.instance(ApplyGate, 'ApplyGate.TWO_APPROVALS'), egress: Types.instance(EgressPolicy, 'EgressPolicy.DENY'),
  egressAllowList: Types.list(Types.string), sandboxMaxTtlHours: Types.number,
  egressTargets: Types.list(Types.shape('EgressTarget', propTypes<EgressTarget>()({
    cidr: Types.string,
    ports: Types.list(Types.shape('EgressPort', propTypes<EgressPort>()({ protocol: Types.oneOf(['TCP', 'UDP']), port: Types.integer }), ['protocol', 'port'])),
  }), ['cidr', 'ports'])),
  workloadResources: CONTAINER_RESOURCES, databaseCaps: DATABASE_CAPS, vaultQuotas: VAULT_QUOTAS, nodePool: NODE_POOL,
  argocdDestinationServer: Types.string, ingressClassName: Types.string, signatureKeyIds: Types.list(Types.string), reason: Types.string,
});

/** A loosening the estate declared on purpose; the manifest carries it to the policy report. */
export interface TierException {
  readonly property: string;
  readonly defaultValue: string;
  readonly value: string;
  readonly reason: string;
}

/** The tier as this estate runs it: defaults, then the estate's settings. */
export interface EffectiveTier {
  readonly tier: Tier;
  readonly config: TierDefaults;
  /** Every CIDR the tier's egress opens: the port-less list and the targets' networks, sorted. */
  readonly egressAllowList: readonly string[];
  /** The targets declared with ports, sorted by CIDR (their ports by protocol, then port). */
  readonly egressTargets: readonly EgressTarget[];
  /** The app containers' default resources in this tier (before prod's Guaranteed raise). */
  readonly workloadResources: ContainerResources;
  /** Server-side caps of the tier's envs; undefined on prod unless the estate sets them. */
  readonly databaseCaps?: DatabaseCaps;
  /** Vault quotas on each env's creds path; undefined on prod unless the estate sets them. */
  readonly vaultQuotas?: VaultQuotas;
  readonly nodePool?: NodePool;
  readonly argocdDestinationServer?: string;
  readonly ingressClassName?: string;
  /** The AppProjects' signatureKeys (upper-case, sorted, once each); empty when none is declared. */
  readonly signatureKeyIds: readonly string[];
  /** Loosenings (each with `reason`); the validator refuses unreasoned ones. */
  readonly loosenings: readonly Omit<TierException, 'reason'>[];
  readonly reason?: string;
}

export function effectiveTier(tier: Tier, settings?: TierSettings): EffectiveTier {
  const d = tier.defaults;
  const s = settings ?? { tier };
  const config: TierDefaults = {
    ...d,
    secretTtl: s.secretTtl ?? d.secretTtl,
    applyGate: s.applyGate ?? d.applyGate,
    egress: s.egress ?? d.egress,
    sandboxMaxTtlHours: s.sandboxMaxTtlHours ?? d.sandboxMaxTtlHours,
  };
  const loosenings: Omit<TierException, 'reason'>[] = [];
  const looser = (property: string, before: string, after: string, isLooser: boolean) => {
    if (isLooser) loosenings.push({ property, defaultValue: before, value: after });
  };
  looser('secretTtl.defaultSeconds', String(d.secretTtl.defaultSeconds), String(config.secretTtl.defaultSeconds),
    config.secretTtl.defaultSeconds > d.secretTtl.defaultSeconds);
  looser('secretTtl.maxSeconds', String(d.secretTtl.maxSeconds), String(config.secretTtl.maxSeconds),
    config.secretTtl.maxSeconds > d.secretTtl.maxSeconds);
  looser('applyGate', d.applyGate.name, config.applyGate.name, config.applyGate.rank < d.applyGate.rank);
  looser('egress', d.egress.name, config.egress.name, config.egress.rank < d.egress.rank);
  looser('sandboxMaxTtlHours', String(d.sandboxMaxTtlHours), String(config.sandboxMaxTtlHours),
    config.sandboxMaxTtlHours > d.sandboxMaxTtlHours);
  // Quotas above the built-in ones on a quota'd tier let its envs hold more credentials on their server.
  const q = s.vaultQuotas;
  if (q && !tier.isProd) {
    const dq = DEFAULT_VAULT_QUOTAS;
    looser('vaultQuotas.maxLeases', String(dq.maxLeases), String(q.maxLeases), q.maxLeases > dq.maxLeases);
    const perSecond = (x: VaultQuotas) => x.rateLimitRequests / (x.rateLimitIntervalSeconds ?? DEFAULT_RATE_LIMIT_INTERVAL_SECONDS);
    looser('vaultQuotas.rateLimitRequests', `${dq.rateLimitRequests}/${dq.rateLimitIntervalSeconds}s`,
      `${q.rateLimitRequests}/${q.rateLimitIntervalSeconds ?? DEFAULT_RATE_LIMIT_INTERVAL_SECONDS}s`, perSecond(q) > perSecond(dq));
  }
  // A malformed target is a type issue (reported, synthesis refused); only well-formed ones take effect.
  const wellFormed = (t: EgressTarget) => typeof t?.cidr === 'string' && Array.isArray(t.ports)
    && t.ports.every((p) => (p?.protocol === 'TCP' || p?.protocol === 'UDP') && Number.isInteger(p.port));
  const egressTargets = [...(Array.isArray(s.egressTargets) ? s.egressTargets : [])].filter(wellFormed)
    .map((t) => ({ cidr: t.cidr, ports: [...(t.ports ?? [])].sort((a, b) => compareStrings(a.protocol, b.protocol) || a.port - b.port) }))
    .sort((a, b) => compareStrings(a.cidr, b.cidr));
  const egressAllowList = [...(s.egressAllowList ?? []), ...egressTargets.map((t) => t.cidr)].sort();
  // No built-in tier lists a destination: every CIDR a tier that is not `deny` opens widens its egress.
  looser('egressAllowList', 'none', egressAllowList.join(', '), config.egress !== EgressPolicy.DENY && egressAllowList.length > 0);
  return {
    tier, config, egressAllowList, egressTargets, loosenings, reason: s.reason,
    workloadResources: s.workloadResources ?? defaultWorkloadResources(tier),
    databaseCaps: s.databaseCaps ?? (tier.isProd ? undefined : DEFAULT_DATABASE_CAPS),
    vaultQuotas: s.vaultQuotas ?? (tier.isProd ? undefined : DEFAULT_VAULT_QUOTAS),
    nodePool: s.nodePool,
    argocdDestinationServer: s.argocdDestinationServer,
    ingressClassName: s.ingressClassName,
    signatureKeyIds: [...new Set((Array.isArray(s.signatureKeyIds) ? s.signatureKeyIds : []).map((k) => String(k).toUpperCase()))].sort(),
  };
}
