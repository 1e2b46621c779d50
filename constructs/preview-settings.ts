import { propTypes, Types } from './prop-types';
import { Tier } from './tier';

// The App's `previews` prop, apart from its validation (previews.ts): the model imports only this.

/**
 * Per-PR preview environments of one app (docs/previews.md): opt-in, synthetic data only, on a
 * PostgreSQL 16+ server, at most `maxOpen` at a time.
 */
export interface PreviewSettings {
  /**
   * The tier previews run in: its server holds their databases (PostgreSQL 16 or newer), its
   * cluster their namespaces. A tier that allows sandboxes and synthetic data (e.g. Tier.DEV).
   */
  readonly tier: Tier;
  /**
   * How many previews of the app may be open at once. Argo CD's pull-request generator has no cap:
   * the label is the gate, and the preview Job refuses a PR beyond the cap (docs/previews.md).
   * @default 3
   */
  readonly maxOpen?: number;
  /** The GitHub label a pull request needs before it gets a preview. @default 'preview' */
  readonly label?: string;
  /** How often the ApplicationSet polls GitHub for pull requests (`requeueAfterSeconds`). @default 300 */
  readonly requeueAfterSeconds?: number;
  /**
   * The accessor of the estate's Vault Kubernetes auth mount (`vault auth list -format=json` →
   * `"<kubernetesAuthPath>/".accessor`, `auth_kubernetes_<8 hex>`), known once the shared platform
   * stack is applied. With it, each preview's workload logs in to Vault and reads only its own PR's
   * database credential (a policy templated on the auth alias's namespace names the mount by accessor).
   * @default - none: the preview workload gets no Vault login and no database reach
   */
  readonly vaultKubernetesAuthAccessor?: string;
  /**
   * Hours a preview database stays stamped orphan (no live login of its PR) before the hourly
   * collector CronJob drops it (docs/previews.md, "Orphaned preview databases"); 1 to 2160.
   * A PR whose workload is down longer loses its database and gets it back on its next sync.
   * @default 72
   */
  readonly orphanAfterHours?: number;
}

export const PREVIEW_SETTINGS = Types.shape('PreviewSettings', propTypes<PreviewSettings>()({
  tier: Types.instance(Tier, 'Tier.DEV'), maxOpen: Types.integer, label: Types.string, requeueAfterSeconds: Types.integer, vaultKubernetesAuthAccessor: Types.string,
  orphanAfterHours: Types.integer,
}), ['tier']);

export const PREVIEW_DEFAULTS = { maxOpen: 3, label: 'preview', requeueAfterSeconds: 300, orphanAfterHours: 72 } as const;
