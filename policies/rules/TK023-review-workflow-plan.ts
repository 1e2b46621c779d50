import { canonicalJson } from '../../contract/order';
import { PR_WORKFLOW_NAME, PR_WORKFLOW_PATH, REVIEW_PLAN_FILE, REVIEW_STATUS_CONTEXT, REVIEW_WORKFLOW_FILE, reviewWorkflowPlan } from '../../contract/review-workflow';
import { at, compact, readReview } from './support/review-workflow';
import { Rule, RuleFinding } from './support/rule';

export const rule: Rule = {
  id: 'TK023',
  name: 'review-workflow-plan',
  severity: 'error',
  title: "The PR comment and main's required check come from the review workflow: on workflow_run of the PR workflow, posting the `tierkit review` status",
  explanation:
    'The PR workflow runs on `pull_request` from the head\'s own workflow file: its jobs, and anything they post, are what the PR '
    + 'author wrote. The comment and the required check are produced instead by `tierkit-pr-review.yml`, on `workflow_run` '
    + '(completed) of the PR workflow — GitHub runs that from the default branch\'s file. Synth writes its plan to '
    + 'dist/ci/review.json and `tierkit ci github` renders the workflow from the same function. The rule reads the plan as '
    + 'written: missing, unreadable, triggered otherwise, accepting a run of another file or event, posting another status '
    + 'context, or different from the derivation, is a finding.',
  fix: 'Re-run `tierkit synth` and `tierkit ci github`; never edit dist/ci/review.json or .github/workflows/tierkit-pr-review.yml by hand.',
  suppressible: false,
  evaluate(g) {
    const read = readReview(g);
    if ('finding' in read) return [read.finding];
    const d = read.doc;
    const out: RuleFinding[] = [];
    const wr = d.on?.workflow_run;
    if (d.workflow !== REVIEW_WORKFLOW_FILE) out.push({ source: at('/workflow'), message: `the review workflow is ${JSON.stringify(d.workflow)}, not ${REVIEW_WORKFLOW_FILE}` });
    if (!wr || canonicalJson(wr.workflows) !== canonicalJson([PR_WORKFLOW_NAME]) || canonicalJson(wr.types) !== canonicalJson(['completed']) || Object.keys(d.on).length !== 1) {
      out.push({ source: at('/on'), message: `the review workflow is triggered by ${compact(d.on)}, not only by workflow_run (completed) of "${PR_WORKFLOW_NAME}": any other trigger (pull_request, pull_request_target, push) runs it from a ref the PR may control or before the PR run's artifacts exist` });
    }
    if (d.triggering?.path !== PR_WORKFLOW_PATH || d.triggering?.event !== 'pull_request') {
      out.push({ source: at('/triggering'), message: `the review accepts a triggering run of ${compact(d.triggering)}, not only a pull_request run of ${PR_WORKFLOW_PATH}: workflow_run matches by name, and a branch may add a workflow of the same name` });
    }
    if (d.statusContext !== REVIEW_STATUS_CONTEXT) out.push({ source: at('/statusContext'), message: `the review posts the status ${JSON.stringify(d.statusContext)}, not "${REVIEW_STATUS_CONTEXT}" which main's ruleset requires` });
    if (canonicalJson(d) !== canonicalJson(reviewWorkflowPlan(g.manifest.estate))) out.push({ source: at(''), message: `${REVIEW_PLAN_FILE} is not the plan tierkit derives (trigger, jobs, permissions, checkouts or artifacts differ): it was edited by hand` });
    return out;
  },
};
