import { PROVIDER_LOCKS_DIR } from '../constructs/naming';
import type { Manifest, ManifestStack } from '../contract/manifest';
import { compareStrings } from '../contract/order';
import { PR_WORKFLOW_NAME } from '../contract/review-workflow';
import { ACTIONS, RUNNER } from './pins';
import { behindStep, catchUpPlanStep, catchUpStageStep } from './github-catch-up';
import { publishJobs } from './github-publish';
import { PROMOTIONS_OUTPUT, PROMOTIONS_STEP, promotionJobs } from './github-promotion';
import { REMOVED_OUTPUTS, removedStackJobs, removedStackSteps, synthMainBeforeStep } from './github-remove';
import { applyIdentity, applySteps, ARTIFACT, caEnv, checkout, ciStacks, setupNode, TIERKIT, WORKFLOW_FILES } from './steps';

/**
 * On push to main: find the merged PR's last successful `tierkit pull request` run, refuse unless
 * main synthesizes to exactly the dist that run planned, then apply exactly those plan files — one
 * job per stack, in the GitHub environment of its gating tier (protection rules = the human gate;
 * the environment is also the `environment` claim Vault's `tierkit-apply-<tier>` JWT role binds).
 * Reviewed destroy plans of stacks main no longer has are applied too (ci/github-remove.ts); then
 * each tier's manifests are published to the branch Argo CD tracks (ci/github-publish.ts).
 */

/**
 * The merged PR and the run whose plans are applied. Every run of the PR workflow for the merged head
 * is listed, whatever its outcome: the newest decides, so a later rejected (failed, cancelled, still
 * running) run is never bypassed by falling back to an older approved one. The run must be a
 * `pull_request` run of this repository for the merged PR's head commit, repository and branch
 * (`pull_requests` of a run lists only open PRs, so the branch identifies the PR after its merge),
 * and younger than maxPlanAgeHours.
 * Each refusal says what to do next.
 */
export const LOCATE_SCRIPT = (maxAgeHours: number) => `const { owner, repo } = context.repo;
const sha = context.sha;
const rerun = 're-run every job of that run (its plans are made again and need their approvals again), then re-run this workflow';
const prs = await github.paginate(github.rest.repos.listPullRequestsAssociatedWithCommit, { owner, repo, commit_sha: sha });
const pr = prs.find((p) => p.merged_at && p.merge_commit_sha === sha);
if (!pr) { core.setFailed('refusing to apply: ' + sha + ' is not the merge of a reviewed pull request (push to main only through pull requests)'); return; }
const runs = await github.paginate(github.rest.actions.listWorkflowRuns, { owner, repo, workflow_id: '${WORKFLOW_FILES.pullRequest}', head_sha: pr.head.sha });
runs.sort((a, b) => b.run_number - a.run_number || (b.run_attempt || 1) - (a.run_attempt || 1));
const run = runs[0];
const where = run ? ' (run ' + run.html_url + ')' : '';
const refuse = (why) => core.setFailed('refusing to apply PR #' + pr.number + ': ' + why + where);
if (!run) refuse('no tierkit pull request run for its head ' + pr.head.sha + '; push to the PR (or re-open it) so the checks run, then re-run this workflow');
else if (run.event !== 'pull_request') refuse('the newest run for ' + pr.head.sha + ' was triggered by ' + run.event + ', not pull_request; ' + rerun);
else if (run.name !== '${PR_WORKFLOW_NAME}') refuse('the newest run is named ' + JSON.stringify(run.name) + ', not "${PR_WORKFLOW_NAME}": the review workflow (workflow_run by name) never judged it; ' + rerun);
else if (!run.repository || run.repository.id !== context.payload.repository.id) refuse('the newest run belongs to another repository');
else if (run.head_sha !== pr.head.sha || !run.head_repository || !pr.head.repo || run.head_repository.full_name !== pr.head.repo.full_name) refuse('the newest run is not of the merged head ' + pr.head.sha);
else if (run.head_branch !== pr.head.ref) refuse('the newest run is of branch ' + run.head_branch + ', not PR #' + pr.number + "'s " + pr.head.ref);
else if (run.status !== 'completed') refuse('the newest run is still ' + run.status + '; wait for it to finish (and its plans to be approved), then re-run this workflow');
else if (run.conclusion !== 'success') refuse('the newest run concluded ' + run.conclusion + ' — a later run that failed or was rejected is never bypassed by an older approved one; ' + rerun);
else {
  const ageHours = (Date.now() - Date.parse(run.run_started_at)) / 3600000;
  if (!(ageHours <= ${maxAgeHours})) refuse('its plans are ' + Math.floor(ageHours) + ' h old, more than ci.maxPlanAgeHours (${maxAgeHours}); ' + rerun);
  else {
    core.setOutput('run-id', String(run.id));
    core.setOutput('head-sha', pr.head.sha);
    core.info('PR #' + pr.number + ', reviewed run ' + run.html_url);
  }
}
`;

const VERIFY_INDEX = [
  'test "$(jq -r .headSha reviewed/tierkit-plans.json)" = "$HEAD_SHA" || { echo "::error::the plan index is not from the merged head $HEAD_SHA"; exit 1; }',
  'want="$(jq -r .distSha256 reviewed/tierkit-plans.json)"',
  'got="$(sha256sum dist/manifest.json | cut -d" " -f1)"',
  'if [ "$want" != "$got" ]; then',
  '  echo "::error::main synthesizes to a different dist than the reviewed plan (manifest sha256 $got, reviewed $want); re-run the PR checks on the current base and merge again"',
  '  exit 1',
  'fi',
  '{',
  '  echo "stacks=$(jq -c \'.plans | keys\' reviewed/tierkit-plans.json)"',
  '  echo "plans=$(jq -c .plans reviewed/tierkit-plans.json)"',
  '  echo "dist-sha256=$want"',
  // Labels for the apply job names only (the reviewed run wrote them); each apply job summarizes its own plan.
  '  echo "counts=$(jq -c \'.counts // {} | with_entries(select(.value | type == "string" and test("^[0-9]+ to add, [0-9]+ to change, [0-9]+ to destroy$")))\' reviewed/tierkit-plans.json)"',
  '} >> "$GITHUB_OUTPUT"',
  '',
].join('\n');

/** `tierkit check` of main's dist at the runner's clock; errors fail locate, so no apply job runs. */
export const MAIN_CHECK = [
  'now="$(date -u +%Y-%m-%dT%H:%M:%SZ)"',
  'echo "Sandbox expiry evaluated at $now (the runner clock)"',
  `${TIERKIT} check dist --now "$now"`,
  '',
].join('\n');

function locateJob(m: Manifest): Record<string, unknown> {
  return {
    name: 'locate the reviewed plans',
    'runs-on': RUNNER,
    permissions: { contents: 'read', actions: 'read', 'pull-requests': 'read' },
    outputs: { 'run-id': '${{ steps.pr.outputs.run-id }}', stacks: '${{ steps.verify.outputs.stacks }}', plans: '${{ steps.verify.outputs.plans }}',
      'dist-sha256': '${{ steps.verify.outputs.dist-sha256 }}', counts: '${{ steps.verify.outputs.counts }}', 'catch-up': '${{ steps.behind.outputs.catch-up }}', ...REMOVED_OUTPUTS, ...PROMOTIONS_OUTPUT },
    steps: [
      { id: 'pr', name: 'Find the merged pull request and its reviewed run', uses: ACTIONS.githubScript, with: { script: LOCATE_SCRIPT(m.estate.ci.maxPlanAgeHours) } },
      // Full history: the commit main was at before this push is synthesized (catch-up check, removed stacks).
      checkout({ 'fetch-depth': 0 }),
      ...setupNode(),
      { name: 'Synthesize main', run: `${TIERKIT} synth --out dist --quiet` },
      // The review judged an uploaded dist, and catch-up re-plans from main: main's own dist must
      // pass main's check (repo rules included) before anything is planned, applied or caught up.
      // At the runner's clock, never a commit's date (its author wrote it).
      { name: "Policy check of main's synthesized dist", run: `${MAIN_CHECK}` },
      {
        name: 'Download the reviewed plan index',
        uses: ACTIONS.downloadArtifact,
        with: { name: ARTIFACT.plans, path: 'reviewed', 'run-id': '${{ steps.pr.outputs.run-id }}', 'github-token': '${{ github.token }}' },
      },
      { id: 'verify', name: 'Main is what was reviewed', env: { HEAD_SHA: '${{ steps.pr.outputs.head-sha }}' }, run: VERIFY_INDEX },
      synthMainBeforeStep(),
      behindStep(m),
      {
        // The apply jobs check each plan's embedded configuration and provider lock against these; the
        // publish jobs push its manifests (they never install or synthesize while able to write).
        name: "Upload main's synthesized stacks and committed provider lock files",
        uses: ACTIONS.uploadArtifact,
        with: { name: ARTIFACT.main, path: `dist/manifest.json\ndist/terraform/\ndist/k8s/\n${PROVIDER_LOCKS_DIR}/\n`, 'if-no-files-found': 'error', 'retention-days': 30 },
      },
      ...removedStackSteps(),
      PROMOTIONS_STEP,
    ],
  };
}

export function jobId(stack: string): string {
  return `apply-${stack.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

/** Shared platform first, then tier platforms, then app-environments: mounts exist before their users. */
const KIND_ORDER = ['shared-platform', 'tier-platform', 'app-environment'];

function applyJob(m: Manifest, s: ManifestStack, after: readonly string[]): Record<string, unknown> {
  const needs = ['locate', ...after];
  const identity = applyIdentity(s);
  const reviewed = `contains(fromJSON(needs.locate.outputs.stacks), '${s.name}')`;
  const behind = `contains(fromJSON(needs.locate.outputs.catch-up), '${s.name}')`;
  return {
    // GitHub evaluates `needs` in a job name: the reviewed plan's counts show in the run graph and
    // the approval prompt ("apply crm (prod, …) — 2 to add, 0 to change, 1 to destroy").
    // A stack behind its last apply (its merge's run was cancelled) says so: its approval is for re-planning main's stack.
    name: `apply ${s.name} (${identity.environment}, gated by ${s.gatingTier}: ${s.applyGate}) — \${{ ${behind} && 'catch-up: behind its last apply, re-planned from main' || needs.locate.outputs.counts && fromJSON(needs.locate.outputs.counts)['${s.name}'] || 'no reviewed plan' }}`,
    needs,
    // Runs when this stack has a reviewed plan or is behind, even if an earlier stack had none (skipped), never after a failure.
    if: `\${{ !cancelled() && needs.locate.result == 'success' && !contains(needs.*.result, 'failure') && (${reviewed} || ${behind}) }}`,
    'runs-on': RUNNER,
    // Its protection rules are the human gate; it is also the `environment` claim the role binds.
    environment: identity.environment,
    permissions: { contents: 'read', actions: 'read', 'id-token': 'write' },
    concurrency: { group: `tierkit-apply-${s.name}`, 'cancel-in-progress': false },
    steps: applySteps(m, { name: s.name, server: s.server, artifact: s.artifact }, identity.role, identity.stateRole, {
      catchUp: { reviewed, steps: (cond) => ({ stage: catchUpStageStep(s.artifact, cond), plan: catchUpPlanStep(cond) }) },
    }),
  };
}

export function applyWorkflow(m: Manifest): Record<string, unknown> {
  const stacks = [...ciStacks(m)].sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || compareStrings(a.name, b.name));
  // Removed app-environments are destroyed first (their tier platform's applier policy still lets
  // the applier reach them), removed platform stacks last (after everything that used them).
  const removed = removedStackJobs(m, stacks.map((s) => jobId(s.name)));
  const jobs: Record<string, unknown> = { locate: locateJob(m), ...removed.first };
  for (const s of stacks) {
    // Every stack of an earlier kind: skipped ones (no plan) do not block, failed ones do.
    const before = stacks.filter((x) => KIND_ORDER.indexOf(x.kind) < KIND_ORDER.indexOf(s.kind));
    jobs[jobId(s.name)] = applyJob(m, s, [...Object.keys(removed.first), ...before.map((x) => jobId(x.name))]);
  }
  Object.assign(jobs, removed.last, publishJobs(m, stacks, jobId), promotionJobs(m));
  return {
    name: 'tierkit apply',
    on: { push: { branches: ['main'] } },
    permissions: { contents: 'read' },
    concurrency: { group: 'tierkit-apply', 'cancel-in-progress': false },
    ...(caEnv(m) ? { env: caEnv(m) } : {}),
    jobs,
  };
}
