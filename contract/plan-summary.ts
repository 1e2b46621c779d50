// The plan summary is an artifact of the apply chain: ci/ writes it, diff/ reads it.
/**
 * The plan summary of one stack, for the PR comment (diff/ renders it): what `terraform plan` will
 * really do, per action, with resource addresses — read from `terraform show -json tfplan`, so
 * reviewers see the plan's actions (drift and unapplied merges included), not only a sha256.
 *
 * Shape (`plan-summary.json` in each `tierkit-plan-<stack>` artifact; keys sorted, lists sorted):
 * ```json
 * { "stack": "crm", "create": ["postgresql_role.group"], "update": [], "delete": [],
 *   "replace": ["vault_database_secret_backend_role.role"], "forget": [],
 *   "drift": ["postgresql_grant.connect"] }
 * ```
 * - `create` / `update` / `delete`: `resource_changes[].change.actions` is exactly that one action;
 * - `replace`: `["delete","create"]` or `["create","delete"]` (create-before-destroy);
 * - `forget`: removed from state without being destroyed (`removed` blocks, Terraform 1.7+);
 * - `drift`: `resource_drift[]` — objects changed outside Terraform since the last apply, which this
 *   plan will put back (or which an earlier merge has not been applied to yet);
 * - `no-op` and `read` are left out. Any other action list fails the step (the summary would not
 *   say what the plan does).
 */
export interface PlanSummary {
  readonly stack: string;
  readonly create: readonly string[];
  readonly update: readonly string[];
  readonly delete: readonly string[];
  readonly replace: readonly string[];
  readonly forget: readonly string[];
  readonly drift: readonly string[];
}

/** GitHub rejects issue and PR comments longer than this (the diff's comment and CI's plan table share it). */
export const GITHUB_COMMENT_LIMIT = 65_535;
