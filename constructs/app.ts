import { Construct } from 'constructs';
import { AppEnvironment } from './app-environment';
import { Estate } from './estate';
import { Sandbox } from './sandbox';
import { Tier } from './tier';
import { claimId, isDuplicate } from './duplicates';
import { propTypes, Types } from './prop-types';
import { checkProps, childPath, recordIssues, recordProps } from './props';
import { CONTAINER_RESOURCES, ContainerResources } from './runtime';
import { TableScrub } from './scrub';
import { SyntheticSeedSpec } from './synthetic';
import { SanitizedProfileSpec } from './sanitize';
import { Releases } from './releases';
import { PROMOTE_TABLE_GRANT, PromoteTableGrant } from './promote-grants';
import { PREVIEW_SETTINGS, PreviewSettings } from './preview-settings';

export interface AppProps {
  /** The tiers the app runs in; one `AppEnvironment` (env = tier name) is created per tier. */
  readonly tiers: readonly Tier[];
  /** The prefix of the app's own database objects (`llx_` for Dolibarr): golden dumps are scoped to it. */
  readonly objectPrefix: string;
  /** Container image, pinned by tag or digest. */
  readonly image: string;
  /** @default 8080 */
  readonly port?: number;
  /**
   * The UID (and GID) the app container runs as. Explicit, so an image built to run as root fails
   * the non-root check at admission rather than at start-up, where the fix looks like "drop the hardening".
   * @default 10001
   */
  readonly runAsUser?: number;
  /**
   * The app container's CPU and memory in every tier it runs in (on prod requests are raised to
   * the limits: Guaranteed).
   * @default - the tier's (TierSettings.workloadResources, else the built-in per-tier defaults)
   */
  readonly resources?: ContainerResources;
  /** HTTP path of the app's readiness and liveness probes, on its port. @default '/healthz' */
  readonly healthPath?: string;
  /** Feature flags and their defaults for every env of this app. @default - none */
  readonly flags?: Readonly<Record<string, boolean>>;
  /**
   * What the golden dump scrubs before the golden leaves prod's namespace: credentials, keys,
   * tokens (docs/seed-data.md). @default - none: a golden sandbox of this app then needs `scrubReason`
   */
  readonly scrub?: readonly TableScrub[];
  /** Why this app's golden needs no scrub rules (at least 10 characters). @default - none */
  readonly scrubReason?: string;
  /**
   * The generator of the app's synthetic seed (`synthetic:<version>`): schema, tables, row counts and
   * column generators, with a fixed seed; `tierkit seed generate <app>` writes its SQL and dump
   * (constructs/synthetic.ts). @default - none: the synthetic seed is not produced by tierkit
   */
  readonly synthetic?: SyntheticSeedSpec;
  /**
   * The app's sanitized profiles (`sanitized:<name>`): per table, rows deleted or sampled, columns
   * masked (App.scrub's actions) or generalized, and the k-anonymity each must meet; produced from
   * the golden by SANITIZE_SCRIPT, which refuses a seed that fails its checks (constructs/sanitize.ts).
   * @default - none: no sanitized seed of the app is produced by tierkit
   */
  readonly sanitized?: readonly SanitizedProfileSpec[];
  /**
   * What runs in each env (image by digest, config, flags, strategy), as data `tierkit promote`
   * edits: `Releases.fromFile(join(__dirname, '<app>.releases.json'))`. Every tier env needs an entry.
   * @default - every env runs `image` with the app's flags, no config, strategy immediate
   */
  readonly releases?: Releases;
  /**
   * The prod tables a reviewed data promote may write, and how (DML only): with a golden sandbox,
   * prod gets the `<app>-promote` credential holding exactly these grants (docs/data-promote.md).
   * @default - none: no promote credential, no data promote
   */
  readonly promoteGrants?: readonly PromoteTableGrant[];
  /**
   * Per-PR preview environments (docs/previews.md): `<app>-pr-<number>` for each labelled pull
   * request, on synthetic data, on a PostgreSQL 16+ server.
   * @default - none: the app gets no previews
   */
  readonly previews?: PreviewSettings;
}

export const APP_PROPS = propTypes<AppProps>()({
  tiers: Types.listOf('tiers (e.g. [Tier.DEV, Tier.PROD])'), objectPrefix: Types.string, image: Types.string, port: Types.integer,
  runAsUser: Types.integer, resources: CONTAINER_RESOURCES, healthPath: Types.string, flags: Types.record(Types.boolean),
  scrub: Types.list(Types.object), scrubReason: Types.string, synthetic: Types.object, sanitized: Types.list(Types.object),
  releases: Types.instance(Releases, 'Releases.fromFile(join(__dirname, "<app>.releases.json"))'),
  promoteGrants: Types.list(PROMOTE_TABLE_GRANT),
  previews: PREVIEW_SETTINGS,
});

/** An application: one coordinate `<app>-<env>` per tier it runs in, plus its sandboxes. */
export class App extends Construct {
  readonly appName: string;
  readonly tiers: readonly Tier[];
  readonly objectPrefix: string;
  readonly image: string;
  readonly port: number;
  readonly runAsUser: number;
  readonly resources?: ContainerResources;
  readonly healthPath: string;
  readonly flags: Readonly<Record<string, boolean>>;
  readonly scrub: readonly TableScrub[];
  readonly scrubReason?: string;
  readonly synthetic?: SyntheticSeedSpec;
  readonly sanitized: readonly SanitizedProfileSpec[];
  readonly releases?: Releases;
  readonly promoteGrants: readonly PromoteTableGrant[];
  readonly previews?: PreviewSettings;

  constructor(scope: Estate, id: string, declared: AppProps) {
    const { props, issues } = checkProps<AppProps>(childPath(scope, id), declared, APP_PROPS, ['tiers', 'objectPrefix', 'image']);
    super(claimId(scope, id, 'app', 'give every app a unique name'), id);
    recordIssues(this, issues);
    recordProps(this, props, APP_PROPS);
    this.appName = id;
    this.tiers = props.tiers;
    this.objectPrefix = props.objectPrefix;
    this.image = props.image;
    this.port = props.port ?? 8080;
    this.runAsUser = props.runAsUser ?? 10001;
    this.resources = props.resources;
    this.healthPath = props.healthPath ?? '/healthz';
    this.scrub = props.scrub ?? [];
    this.scrubReason = props.scrubReason;
    this.synthetic = props.synthetic;
    this.sanitized = props.sanitized ?? [];
    this.flags = props.flags ?? {};
    this.releases = props.releases;
    this.promoteGrants = Array.isArray(props.promoteGrants) ? props.promoteGrants : [];
    this.previews = props.previews;
    const tiers = Array.isArray(props.tiers) ? props.tiers : [];
    for (const tier of tiers) {
      // Tier names are a closed set, so these ids are stable public API.
      if (!(tier instanceof Tier)) continue; // reported by validation as an unknown tier
      if (isDuplicate(this, tier.name, 'tier', 'list each tier once')) continue;
      new AppEnvironment(this, tier.name, { tier });
    }
  }

  get environments(): AppEnvironment[] {
    return this.node.children.filter((c): c is AppEnvironment => c instanceof AppEnvironment);
  }

  get sandboxes(): Sandbox[] {
    return this.environments.filter((e): e is Sandbox => e instanceof Sandbox);
  }

  environment(env: string): AppEnvironment | undefined {
    return this.environments.find((e) => e.env === env);
  }
}
