import type { PlanSummary } from '../contract/plan-summary';

export type { PlanSummary };

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
