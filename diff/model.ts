/**
 * The semantic change set between two synthesized dists: what `tierkit diff` computes, renders as
 * Markdown for the pull-request comment, and writes as JSON for CI (the plan matrix).
 */
export type ChangeAction = 'add' | 'change' | 'destroy';

/** One attribute that differs, as a dotted path (`postgresql.password_wo`, `spec.egress[0].to`). */
export interface AttributeChange {
  readonly path: string;
  /** Absent when the attribute did not exist before. Masked values are the string `(sensitive)`. */
  readonly before?: unknown;
  readonly after?: unknown;
  readonly masked?: true;
}

export interface TerraformChange {
  readonly kind: 'terraform';
  /** `<stack>/<address>`: unique across the estate. */
  readonly key: string;
  readonly stack: string;
  /** `<type>.<name>`, or a stack section (`provider`, `terraform`, `variable`, …) for stack settings. */
  readonly address: string;
  readonly type: string;
  /** The resource's own name attribute (`name`, `role_name`), for messages. */
  readonly label?: string;
  readonly tier?: string;
  readonly app?: string;
  readonly file: string;
  readonly action: ChangeAction;
  readonly changes: readonly AttributeChange[];
}

export interface KubernetesChange {
  readonly kind: 'kubernetes';
  /** `<apiVersion>/<kind>/<namespace or ->/<name>`. */
  readonly key: string;
  readonly apiVersion: string;
  readonly objectKind: string;
  readonly namespace?: string;
  readonly name: string;
  readonly tier?: string;
  readonly app?: string;
  readonly file: string;
  readonly action: ChangeAction;
  readonly changes: readonly AttributeChange[];
}

export type ResourceChange = TerraformChange | KubernetesChange;

/** A change of the manifest itself: a stack, tier, server, app-environment or the estate settings. */
export interface ManifestChange {
  readonly section: 'estate' | 'tiers' | 'servers' | 'stacks' | 'appEnvironments';
  readonly key: string;
  readonly action: ChangeAction;
  readonly changes: readonly AttributeChange[];
}

export type AttentionCategory =
  | 'prod'
  | 'human-gate'
  | 'destroy'
  | 'meta-argument'
  | 'ownership'
  | 'membership'
  | 'grant'
  | 'role-attributes'
  | 'statements'
  | 'allowed-roles'
  | 'connection'
  | 'vault-policy'
  | 'auth-role'
  | 'network-policy'
  | 'service'
  | 'server-address'
  | 'sandbox-added'
  | 'sandbox-removed'
  | 'sandbox-changed'
  | 'sandbox-extended'
  | 'sandbox-approval'
  | 'gate-changed'
  | 'seed-store'
  | 'retired-stack'
  | 'retired-stack-problem'
  | 'state-key-moved'
  | 'suppression'
  | 'exception'
  | 'integrity'
  | 'unresolved'
  | 'unmodelled'
  | 'ci-identity';

/** Something a reviewer must look at. Never dropped from any rendering. */
export interface AttentionItem {
  readonly category: AttentionCategory;
  /** The resource, object, stack or sandbox the item is about. */
  readonly subject: string;
  readonly stack?: string;
  readonly tier?: string;
  /**
   * One line of tierkit's wording: its own code spans in backticks, every value in it built with
   * `said` (diff/markdown-text.ts) so it cannot open one; the comment renders it with prose().
   */
  readonly message: string;
  /** Supporting lines (added/removed policy paths, statements); may be shortened when rendering. */
  readonly details: readonly string[];
}

/**
 * A change that gives a lower env (or a lower tier's platform stack) something of an env of a
 * stricter tier. `message` is Markdown, built from templates: names in code(), every other value in text().
 */
export interface ReachItem {
  /** The same subject as the attention item(s) of that resource or object. */
  readonly subject: string;
  readonly stack?: string;
  /** The tier of the env (or stack) that gains the reach. */
  readonly tier: string;
  readonly targetTier: string;
  readonly targetEnv?: string;
  /** The stricter env's name (or server id) reached. */
  readonly name: string;
  readonly message: string;
}

export interface AffectedStack {
  readonly name: string;
  readonly action: ChangeAction;
  readonly tier: string;
  readonly gatingTier: string;
  readonly applyGate: string;
  readonly humanGate: boolean;
  /** The Postgres server the stack's provider reaches, if any (its admin credential is needed to plan/apply). */
  readonly server?: string;
  /** Artifact path of the stack, in the head dist (in the base dist for a destroyed stack). */
  readonly artifact: string;
  readonly resources: { readonly add: number; readonly change: number; readonly destroy: number };
}

export interface Counts {
  add: number;
  change: number;
  destroy: number;
}

export interface TierSummary {
  readonly tier: string;
  readonly stacks: Counts;
  readonly resources: Counts;
  readonly kubernetes: Counts;
}

export interface ChangeSet {
  readonly schemaVersion: 1;
  readonly identical: boolean;
  readonly estate: string;
  readonly summary: readonly TierSummary[];
  readonly affectedStacks: readonly AffectedStack[];
  readonly attention: readonly AttentionItem[];
  /** Severity 2 of the PR comment: reach into a stricter tier. */
  readonly reach: readonly ReachItem[];
  readonly manifest: readonly ManifestChange[];
  readonly resources: readonly ResourceChange[];
}

/** The `--fail-on` conditions CI can gate a job on. */
export const FAIL_ON = ['destroy', 'prod', 'attention', 'any'] as const;
export type FailOn = (typeof FAIL_ON)[number];
