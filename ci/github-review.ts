import type { Manifest } from '../contract/manifest';
import {
  PR_WORKFLOW_PATH, REVIEW_HEAD_DIR, REVIEW_MAIN_DIR, ReviewAppToken, ReviewJob, reviewWorkflowPlan,
} from '../contract/review-workflow';
import { ASSEMBLE_PLANS_SCRIPT, COMMENT_SCRIPT } from './github-comment';
import { ACTIONS, NODE_VERSION, RUNNER } from './pins';
import { COMMENT_MAX_CHARS, Step, TIERKIT } from './steps';

/**
 * `tierkit-pr-review.yml` (contract/review-workflow.ts): on `workflow_run` (completed) of the PR
 * workflow, main's workflow file, main's checkout and main's tierkit judge the PR run's head dist
 * and plans as data, post the sticky comment and the `tierkit review` commit status on the head.
 */

const RUN = '${{ github.event.workflow_run.id }}';
const REVIEW_ARTIFACT = 'tierkit-review';

/**
 * Resolves the PR from GitHub's own records, never from an artifact: the triggering run must be a
 * `pull_request` run of the PR workflow's file in this repository, and exactly one open PR into
 * main must have that run's head repository, branch and head commit (`workflow_run.pull_requests`
 * is empty for a fork's PR, github/docs#22501: the open PRs are listed by `owner:branch`). A run
 * of an older head (the PR moved on) posts no comment.
 */
export const RESOLVE_SCRIPT = (triggeringPath: string) => `const { owner, repo } = context.repo;
const run = context.payload.workflow_run;
const refuse = (why) => core.setFailed('tierkit review: ' + why);
if (!run || run.event !== 'pull_request') return refuse('the triggering run was not a pull_request run (' + (run && run.event) + ')');
if (run.path !== '${triggeringPath}') return refuse('the triggering run is of ' + run.path + ', not ${triggeringPath}: a workflow of the same name in a branch is not the PR workflow');
if (!run.repository || run.repository.id !== context.payload.repository.id) return refuse('the triggering run belongs to another repository');
if (!run.head_repository || !run.head_repository.owner) return refuse('the triggering run has no head repository');
const prs = await github.paginate(github.rest.pulls.list, { owner, repo, state: 'open', base: 'main', head: run.head_repository.owner.login + ':' + run.head_branch, per_page: 100 });
const mine = prs.filter((p) => p.head && p.head.sha === run.head_sha && p.head.ref === run.head_branch && p.head.repo && p.head.repo.id === run.head_repository.id
  && p.base && p.base.ref === 'main' && p.base.repo && p.base.repo.id === context.payload.repository.id);
if (mine.length !== 1) return refuse(mine.length + ' open pull requests into main have head ' + run.head_repository.full_name + ':' + run.head_branch + ' at ' + run.head_sha + ' (the PR moved on, was closed, or is ambiguous): nothing to review; push to the PR to run its checks again');
core.setOutput('pr-number', String(mine[0].number));
core.info('PR #' + mine[0].number + ' at ' + run.head_sha + ', run ' + run.html_url + ' concluded ' + run.conclusion);
`;

/**
 * The check instant: this review job's own clock (the runner's, which GitHub sets), never a commit's
 * date. A commit's committer date is whatever its author wrote (GIT_COMMITTER_DATE), head or main
 * alike: a forward-dated one would move the instant past a sandbox's expiry or creation (TK123).
 * The diff step reuses it, so the comment and the status judge the same instant.
 */
export const REVIEW_NOW = 'now="$(date -u +%Y-%m-%dT%H:%M:%SZ)"\n';

/** Each downloaded plan's sha256, computed here from the planfile (never the artifact's own tfplan.sha256). */
export const HASH_PLANS_SCRIPT = [
  'shopt -s nullglob',
  'mkdir -p review/plans',
  `for f in ${REVIEW_HEAD_DIR}/plans/*/tfplan; do`,
  '  dir="$(basename "$(dirname "$f")")"',
  '  mkdir -p "review/plans/$dir"',
  '  sha256sum "$f" | cut -d" " -f1 > "review/plans/$dir/tfplan.sha256"',
  'done',
  '',
].join('\n');

/**
 * The PR run's plan index (tierkit-plans.json) is what the apply's `locate` reads: its head sha,
 * its dist hash (main must synthesize to it) and its plans' sha256 must be those of the run this
 * review judged, or the verdict covers a dist and plans other than the ones applied.
 */
export const VERIFY_INDEX_SCRIPT = [
  `index=${REVIEW_HEAD_DIR}/index/tierkit-plans.json`,
  'fail() { echo "::error::the PR run\'s plan index $1: refusing the review (the apply would act on what this review did not judge); push to the PR to run its checks again"; exit 1; }',
  '[ -f "$index" ] || fail "is missing"',
  '[ "$(jq -r .headSha "$index")" = "$HEAD_SHA" ] || fail "is not of the head $HEAD_SHA"',
  `[ "$(jq -r .distSha256 "$index")" = "$(sha256sum ${REVIEW_HEAD_DIR}/dist/manifest.json | cut -d" " -f1)" ] || fail "names a dist other than the one judged"`,
  'shopt -s nullglob',
  'mine="{}"',
  'for f in review/plans/*/tfplan.sha256; do',
  '  dir="$(basename "$(dirname "$f")")"',
  '  mine="$(jq -c --arg s "${dir#tierkit-plan-}" --arg h "$(cat "$f")" \'. + {($s): $h}\' <<< "$mine")"',
  'done',
  'jq -e --argjson mine "$mine" \'(.plans | type == "object") and .plans == $mine\' "$index" > /dev/null || fail "lists plans other than those judged"',
  'echo "the plan index names the judged dist and plans"',
  '',
].join('\n');

function reviewSteps(m: Manifest, j: ReviewJob): Step[] {
  const [main] = j.checkouts;
  const download = j.headArtifacts.map((a): Step => ({
    name: `Download the PR run's ${a.name} (data)`,
    uses: ACTIONS.downloadArtifact,
    with: { ...(a.name.includes('*') ? { pattern: a.name } : { name: a.name }), path: a.path, 'run-id': RUN, 'github-token': '${{ github.token }}' },
  }));
  return [
    { id: 'pr', name: 'Resolve the pull request from GitHub (never from an artifact)', uses: ACTIONS.githubScript, with: { script: RESOLVE_SCRIPT(PR_WORKFLOW_PATH) } },
    { name: 'Check out main', uses: ACTIONS.checkout, with: { 'persist-credentials': false, ref: main, path: REVIEW_MAIN_DIR, 'fetch-depth': 1 } },
    { name: 'Set up Node', uses: ACTIONS.setupNode, with: { 'node-version': NODE_VERSION, cache: 'npm', 'cache-dependency-path': `${REVIEW_MAIN_DIR}/package-lock.json` } },
    { name: "Install main's tierkit", 'working-directory': REVIEW_MAIN_DIR, run: 'npm ci\n' },
    { name: 'Synthesize main', 'working-directory': REVIEW_MAIN_DIR, run: `${TIERKIT} synth --out ../main-dist --quiet\n` },
    ...download,
    ...j.dataCheckouts.map((c): Step => ({
      id: 'rendered', name: 'Check out the rendered branch (promotion outcomes, data)', uses: ACTIONS.checkout, 'continue-on-error': true,
      with: { 'persist-credentials': false, ref: c.ref, path: c.path },
    })),
    {
      id: 'check', name: "Policy check of the head dist with main's tierkit", 'working-directory': REVIEW_MAIN_DIR,
      run: `${REVIEW_NOW}echo "now=$now" >> "$GITHUB_OUTPUT"\nrc=0\n${TIERKIT} check ../${REVIEW_HEAD_DIR}/dist --now "$now" || rc=$?\necho "rc=$rc" >> "$GITHUB_OUTPUT"\n`,
    },
    { name: 'Plan summaries for tierkit diff --plans', 'working-directory': REVIEW_HEAD_DIR, run: ASSEMBLE_PLANS_SCRIPT },
    {
      name: "Semantic diff of main and the head dist, with the plans, by main's tierkit", 'working-directory': REVIEW_MAIN_DIR,
      env: { NOW: '${{ steps.check.outputs.now }}', REPORT_HINT: `the \`${REVIEW_ARTIFACT}\` artifact of run \${{ github.run_id }}` },
      run: [
        'mkdir -p ../review/tierkit-diff',
        'rendered=(); if [ -d ../.tierkit-rendered/.git ]; then rendered=(--rendered ../.tierkit-rendered); fi',
        `${TIERKIT} diff ../main-dist ../${REVIEW_HEAD_DIR}/dist --plans ../${REVIEW_HEAD_DIR}/tierkit-plans-diff/plans.json --now "$NOW" --max-chars ${COMMENT_MAX_CHARS} --report-hint "$REPORT_HINT" --output ../review/tierkit-diff/comment.md --json ../review/tierkit-diff/tierkit-diff.json "\${rendered[@]}"`,
        '',
      ].join('\n'),
    },
    { name: 'Hash the plans', run: HASH_PLANS_SCRIPT },
    { name: 'Upload the review', uses: ACTIONS.uploadArtifact, with: { name: REVIEW_ARTIFACT, path: 'review/', 'if-no-files-found': 'error' } },
    { name: "The PR run's plan index is what this review judged", env: { HEAD_SHA: '${{ github.event.workflow_run.head_sha }}' }, run: VERIFY_INDEX_SCRIPT },
    // The PR run failed (a plan, synth) or check found errors: the status says so; the comment still shows why.
    { name: 'Fail on policy errors', if: "steps.check.outputs.rc != '0'", run: 'echo "::error::tierkit check found errors in the head dist"; exit 1\n' },
  ];
}

/** Posts the status on the run's head commit (GitHub's, not an artifact's), success only if the review succeeded on a successful PR run. */
export const STATUS_SCRIPT = (context: string) => `const { owner, repo } = context.repo;
const run = context.payload.workflow_run;
const ok = process.env.REVIEW === 'success' && run.conclusion === 'success';
const description = ok ? 'main\\'s tierkit: check passed, PR run succeeded'
  : process.env.REVIEW !== 'success' ? 'main\\'s tierkit review ' + process.env.REVIEW + ' (see the run)' : 'the PR run concluded ' + run.conclusion;
await github.rest.repos.createCommitStatus({ owner, repo, sha: run.head_sha, state: ok ? 'success' : 'failure', context: '${context}', description, target_url: context.payload.repository.html_url + '/actions/runs/' + context.runId });
`;

/** The review App's token step (actions/create-github-app-token): the App id is the estate's, the key the environment's. */
export function appTokenStep(t: ReviewAppToken): Step {
  const permissions = Object.fromEntries(Object.keys(t.permissions).sort().map((k) => [`permission-${k}`, t.permissions[k]]));
  return {
    id: 'app', name: "The review App's token (this repository: statuses, pull requests)", uses: ACTIONS.createAppToken,
    // No App declared: an empty app-id fails the step (check refuses the estate, TK019).
    with: { 'app-id': t.appId === null ? '' : String(t.appId), 'private-key': `\${{ secrets.${t.privateKeySecret} }}`, owner: t.owner, repositories: t.repositories.join(','), ...permissions },
  };
}

function postSteps(m: Manifest, j: ReviewJob): Step[] {
  const plan = reviewWorkflowPlan(m.estate);
  const token = '${{ steps.app.outputs.token }}';
  return [
    ...(j.appToken ? [appTokenStep(j.appToken)] : []),
    { name: 'Download the review', if: "needs.review.outputs.pr-number != ''", uses: ACTIONS.downloadArtifact, with: { name: REVIEW_ARTIFACT, path: '.' } },
    {
      name: 'Post the sticky comment', if: "needs.review.outputs.pr-number != ''", uses: ACTIONS.githubScript,
      env: { PHASE: 'review', PR_NUMBER: '${{ needs.review.outputs.pr-number }}', PLAN_RESULTS: 'PR run ${{ github.event.workflow_run.conclusion }}' },
      with: { 'github-token': token, script: COMMENT_SCRIPT },
    },
    // Not after a cancel: a newer review of the same branch cancelled this one and posts its own.
    {
      name: `Commit status ${plan.statusContext}`, if: '${{ !cancelled() }}', uses: ACTIONS.githubScript, env: { REVIEW: '${{ needs.review.result }}' },
      with: { 'github-token': token, script: STATUS_SCRIPT(plan.statusContext) },
    },
  ];
}

export function reviewWorkflow(m: Manifest): Record<string, unknown> {
  const plan = reviewWorkflowPlan(m.estate);
  const jobs: Record<string, unknown> = {};
  for (const j of plan.jobs) {
    const steps = j.job === 'review' ? reviewSteps(m, j) : postSteps(m, j);
    jobs[j.job] = {
      name: j.job === 'review' ? "review the head dist with main's tierkit" : 'post the comment and the status',
      ...(j.needs.length > 0 ? { needs: [...j.needs], if: '${{ !cancelled() }}' } : {}),
      'runs-on': RUNNER,
      ...(j.environment !== undefined ? { environment: j.environment } : {}),
      permissions: { ...j.permissions },
      ...(j.job === 'review' ? { outputs: { 'pr-number': '${{ steps.pr.outputs.pr-number }}' } } : {}),
      steps,
    };
  }
  return {
    name: 'tierkit review',
    on: { workflow_run: { workflows: [...plan.on.workflow_run.workflows], types: [...plan.on.workflow_run.types] } },
    // Every job names its own (contract/review-workflow.ts); this is the default of none.
    permissions: { contents: 'read' },
    concurrency: { group: 'tierkit-review-${{ github.event.workflow_run.head_repository.full_name }}-${{ github.event.workflow_run.head_branch }}', 'cancel-in-progress': true },
    jobs,
  };
}
