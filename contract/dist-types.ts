import type { Manifest } from './manifest';
import type { DistProblem } from './problems';
import type { Unknown } from './terraform/unknown';

/**
 * The one strict reader of a synthesized `dist/` (docs/design.md, "The flow"). Policies, diff, CI and
 * the real-PostgreSQL tests all start here; they never import the constructs. It checks the
 * manifest's schema version, every artifact's sha256, that dist/ holds exactly the files tierkit
 * writes, and normalizes Terraform JSON's alternative forms; what it finds is returned as
 * `problems` (check turns each into an unsuppressible TK020 error). Hashes give integrity against
 * stray edits, not authenticity — an author can rewrite files and hashes — so everything found
 * is still read and judged by the rules, listed or not.
 */
export interface TerraformResource {
  readonly stack: string;
  readonly type: string;
  readonly name: string;
  /** `resource` blocks; data sources are in `TerraformStackJson.dataSources`. @default 'resource' */
  readonly kind?: 'resource' | 'data';
  /** `<type>.<name>`, or `<type>.<name>[0]` / `<type>.<name>["k"]` / `<type>.<name>[?]` for an instance of `count` / `for_each`. */
  readonly address: string;
  /** The instance's count index or for_each key (an Unknown when the expansion cannot be computed). */
  readonly key?: string | number | Unknown;
  /**
   * Attributes evaluated against the stack (references, locals, variable defaults, functions,
   * directives, count.index / each.*): literals, or `Unknown` where the stack does not compute the value.
   */
  readonly attributes: Readonly<Record<string, unknown>>;
  /** Attributes as written. */
  readonly raw: Readonly<Record<string, unknown>>;
  readonly file: string;
  /** RFC 6901 pointer to the block inside `file`. */
  readonly pointer: string;
  /** cdktf's construct path of the resource (`erp-sandbox/group_role`), if cdktf wrote it. */
  readonly constructPath?: string;
  /** Whether anything in `attributes` or `key` is an Unknown (a resource built by hand may leave it out: then walk). */
  readonly hasUnknown?: boolean;
}

export interface TerraformStackJson {
  readonly name: string;
  readonly file: string;
  /** False for a stack found in dist/ that the manifest does not list (hand-written or stale). */
  readonly listed: boolean;
  /** The stack's configuration as Terraform loads it: every `.tf.json` of its directory, overrides merged, in one-object form. */
  readonly json: Readonly<Record<string, any>>;
  readonly resources: readonly TerraformResource[];
  readonly dataSources: readonly TerraformResource[];
  /** Provider blocks, evaluated (`provider.postgresql[0].host` with a variable default resolved). */
  readonly providers: Readonly<Record<string, readonly Readonly<Record<string, unknown>>[]>>;
}

export interface KubernetesObject {
  readonly file: string;
  readonly listed: boolean;
  /** Index of the document in its YAML stream. */
  readonly index: number;
  readonly object: Readonly<Record<string, any>>;
}

export interface DistContents {
  readonly dir: string;
  readonly manifest: Manifest;
  readonly stacks: readonly TerraformStackJson[];
  readonly kubernetes: readonly KubernetesObject[];
  /**
   * `ci/state-access.json` (the Terraform state identities), when the dist holds one: its parsed
   * JSON, or why it could not be read (TK093 reports either; it never passes what it cannot read).
   */
  readonly stateAccess?: CiDocument;
  /** `ci/rulesets/*.json` (GitHub rulesets), listed or not: TK094 judges each as written. */
  readonly githubRulesets?: readonly CiDocument[];
  /** `ci/data-promote.json` (the data-promote workflow's plan), when the dist holds one: TK163 judges it as written. */
  readonly dataPromote?: CiDocument;
  /** `ci/review.json` (the review workflow's plan), when the dist holds one: TK023–TK025 judge it as written. */
  readonly review?: CiDocument;
  /** What the strict reader refuses; empty for a dist exactly as tierkit wrote it. */
  readonly problems: readonly DistProblem[];
}

/** A JSON file of dist/ci/ as read: its parsed JSON, or why it could not be read. */
export interface CiDocument { readonly file: string; readonly listed: boolean; readonly document?: unknown; readonly error?: string }

/** A dist that cannot be read at all (no manifest, wrong schema version, unparseable artifact). */
export class DistReadError extends Error {
  constructor(readonly file: string, readonly reason: string, readonly pointer?: string) {
    super(`${file}${pointer ? `#${pointer}` : ''}: ${reason}`);
    this.name = 'DistReadError';
  }
}
