/**
 * What binds an apply to its review: the apply jobs (ci/steps.ts `applySteps`) never apply the PR
 * run's planfile; they plan main's stack themselves and compare (docs/pr-flow.md).
 */

/**
 * Run by `node -e` with `terraform show -json` of the reviewed plan (argv 1), of the plan this job
 * made itself from main's stack, backend and state (argv 2), and optionally the counts the approval
 * showed (argv 3, the job name's label). The reviewed planfile is the PR run's: besides tfconfig/ and
 * the lock (verified) it carries its own backend, prior state and variables, and its actions may come
 * from `-replace`, `-destroy` or `-target`. So it is never applied: the job applies its own plan, and
 * only if that plan does exactly what the reviewed one does (the same actions on the same instances)
 * and what the approval showed. Field names: Terraform's JSON output format
 * (developer.hashicorp.com/terraform/internals/json-format; `action_reason` values from
 * internal/command/jsonplan/plan.go).
 */
export const BIND_PLAN_SCRIPT = [
  "const fs = require('fs');",
  "const read = (f) => JSON.parse(fs.readFileSync(f, 'utf8'));",
  'const reviewed = read(process.argv[1]);',
  'const own = read(process.argv[2]);',
  'const approved = process.argv[3];',
  'const why = [];',
  "if (reviewed.errored !== false) why.push('the reviewed plan is errored (or says nothing of it)');",
  "if (reviewed.complete !== true) why.push('the reviewed plan is incomplete (-target, or deferred actions)');",
  "for (const r of reviewed.resource_changes || []) if (r.action_reason === 'replace_by_request') why.push('the reviewed plan replaces ' + r.address + ' on request (-replace)');",
  // An instance is its address and, for an object a create_before_destroy left behind, its deposed key.
  "const actions = (p) => new Map((p.resource_changes || []).filter((r) => !r.change.actions.every((a) => a === 'no-op' || a === 'read')).map((r) => [r.address + (r.deposed ? ' (deposed ' + r.deposed + ')' : ''), r.change.actions.join('+')]));",
  'const a = actions(reviewed);',
  'const b = actions(own);',
  'for (const k of [...new Set([...a.keys(), ...b.keys()])].sort()) {',
  "  if (a.get(k) !== b.get(k)) why.push(k + ': the reviewed plan does ' + (a.get(k) || 'nothing') + ', main\\'s plan does ' + (b.get(k) || 'nothing'));",
  '}',
  "const n = (f) => [...b.values()].filter((x) => f(x.split('+'))).length;",
  "const counts = n((x) => x.includes('create')) + ' to add, ' + n((x) => x.length === 1 && x[0] === 'update') + ' to change, ' + n((x) => x.includes('delete')) + ' to destroy';",
  "if (approved !== undefined && approved !== counts) why.push('the approval showed ' + JSON.stringify(approved) + ', main\\'s plan does ' + counts);",
  "if (why.length > 0) { console.log('::error::refusing to apply ' + process.env.STACK + ': ' + why.join('; ') + '. Re-run the PR checks on the merged head (its plans are made again), then re-run this workflow'); process.exit(1); }",
  "console.log(process.env.STACK + ': main\\'s own plan does what the reviewed plan does (' + counts + ')');",
].join('\n');

/**
 * A removed stack's destroy: main's stack before the push (staged, verified) planned with `-destroy`
 * against its own backend by this job; applied only if it deletes and nothing else, and does exactly
 * what the reviewed destroy plan does (whose own prior state and backend are the PR run's choice).
 */
export const DESTROY_SCRIPT = [
  'terraform init -input=false -lockfile=readonly',
  'terraform show -json tfplan > reviewed.json',
  'terraform plan -destroy -input=false -out=main.tfplan',
  'terraform show -json main.tfplan > plan.json',
  'node -e "${BIND_PLAN:?}" reviewed.json plan.json',
  'node -e "${ONLY_DELETES:?}" plan.json',
  'terraform apply -input=false main.tfplan',
  '',
].join('\n');
