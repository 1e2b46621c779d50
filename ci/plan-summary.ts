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

/** File name of the summary inside the plan artifact. */
export const PLAN_SUMMARY_FILE = 'plan-summary.json';

/** jq program: `jq -S --arg stack <name> -f … plan.json` → PlanSummary. */
export const PLAN_SUMMARY_JQ = `def kind: (.change.actions | sort) as $a
  | if $a == ["create"] then "create" elif $a == ["update"] then "update" elif $a == ["delete"] then "delete"
    elif $a == ["create", "delete"] then "replace" elif $a == ["forget"] then "forget"
    elif $a == ["no-op"] or $a == ["read"] then empty
    else error("\\(.address): action \\(.change.actions | join("+")) is not one the plan summary knows; update tierkit") end;
[.resource_changes[]? | {k: kind, a: .address}] as $c
| {stack: $stack, create: [], update: [], delete: [], replace: [], forget: []}
  + ($c | group_by(.k) | map({key: .[0].k, value: (map(.a) | sort)}) | from_entries)
  + {drift: ([.resource_drift[]? | .address] | unique)}`;

/** Plan step lines (in the stack directory, after `terraform plan -out=tfplan`) writing the summary. */
export function planSummaryCommands(): string[] {
  return [
    'terraform show -json tfplan > plan.json',
    `jq -S --arg stack "$STACK" "$PLAN_SUMMARY" plan.json > ${PLAN_SUMMARY_FILE}`,
  ];
}
