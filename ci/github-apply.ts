import type { Manifest, ManifestStack } from '../contract/manifest';
import { compareStrings } from '../constructs/synth/serialize';
import { ACTIONS, RUNNER } from './pins';
import { publishJobs } from './github-publish';
import { REMOVED_OUTPUTS, removedStackJobs, removedStackSteps } from './github-remove';
import { applierRole, applySteps, ARTIFACT, checkout, ciStacks, setupNode, TIERKIT, WORKFLOW_FILES } from './steps';

/**
 * On push to main: find the merged PR's last successful `tierkit pull request` run, refuse unless
 * main synthesizes to exactly the dist that run planned, then apply exactly those plan files — one
 * job per stack, in the GitHub environment of its gating tier (protection rules = the human gate;
 * the environment is also the `environment` claim Vault's `tierkit-apply-<tier>` JWT role binds).
 * Reviewed destroy plans of stacks main no longer has are applied too (ci/github-remove.ts); then
 * each tier's manifests are published to the branch Argo CD tracks (ci/github-publish.ts).
 */

const LOCATE_SCRIPT = () => `const { owner, repo } = context.repo;
const sha = context.sha;
const prs = await github.paginate(github.rest.repos.listPullRequestsAssociatedWithCommit, { owner, repo, commit_sha: sha });
const pr = prs.find((p) => p.merged_at && p.merge_commit_sha === sha);
if (!pr) core.setFailed('refusing to apply: ' + sha + ' is not the merge of a reviewed pull request');
else {
  const runs = await github.paginate(github.rest.actions.listWorkflowRuns, { owner, repo, workflow_id: '${WORKFLOW_FILES.pullRequest}', event: 'pull_request', head_sha: pr.head.sha, status: 'success' });
  runs.sort((a, b) => b.run_number - a.run_number);
  if (runs.length === 0) core.setFailed('refusing to apply: no successful tierkit pull request run for ' + pr.head.sha + ' (PR #' + pr.number + ')');
  else {
    core.setOutput('run-id', String(runs[0].id));
    core.setOutput('head-sha', pr.head.sha);
    core.info('PR #' + pr.number + ', reviewed run ' + runs[0].html_url);
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
  'echo "stacks=$(jq -c \'.plans | keys\' reviewed/tierkit-plans.json)" >> "$GITHUB_OUTPUT"',
  'echo "plans=$(jq -c .plans reviewed/tierkit-plans.json)" >> "$GITHUB_OUTPUT"',
  'echo "dist-sha256=$want" >> "$GITHUB_OUTPUT"',
  '',
].join('\n');

function locateJob(): Record<string, unknown> {
  return {
    name: 'locate the reviewed plans',
    'runs-on': RUNNER,
    permissions: { contents: 'read', actions: 'read', 'pull-requests': 'read' },
    outputs: { 'run-id': '${{ steps.pr.outputs.run-id }}', stacks: '${{ steps.verify.outputs.stacks }}', plans: '${{ steps.verify.outputs.plans }}',
      'dist-sha256': '${{ steps.verify.outputs.dist-sha256 }}', ...REMOVED_OUTPUTS },
    steps: [
      { id: 'pr', name: 'Find the merged pull request and its reviewed run', uses: ACTIONS.githubScript, with: { script: LOCATE_SCRIPT() } },
      // Full history: the commit main was at before this push is synthesized when a stack was removed.
      checkout({ 'fetch-depth': 0 }),
      ...setupNode(),
      { name: 'Synthesize main', run: `${TIERKIT} synth --out dist --quiet` },
      {
        name: 'Download the reviewed plan index',
        uses: ACTIONS.downloadArtifact,
        with: { name: ARTIFACT.plans, path: 'reviewed', 'run-id': '${{ steps.pr.outputs.run-id }}', 'github-token': '${{ github.token }}' },
      },
      { id: 'verify', name: 'Main is what was reviewed', env: { HEAD_SHA: '${{ steps.pr.outputs.head-sha }}' }, run: VERIFY_INDEX },
      ...removedStackSteps(),
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
  return {
    name: `apply ${s.name} (${s.gatingTier}: ${s.applyGate})`,
    needs,
    // Runs when this stack has a reviewed plan, even if an earlier stack had none (skipped), never after a failure.
    if: `\${{ !cancelled() && needs.locate.result == 'success' && !contains(needs.*.result, 'failure') && contains(fromJSON(needs.locate.outputs.stacks), '${s.name}') }}`,
    'runs-on': RUNNER,
    environment: s.gatingTier,
    permissions: { contents: 'read', actions: 'read', 'id-token': 'write' },
    concurrency: { group: `tierkit-apply-${s.name}`, 'cancel-in-progress': false },
    steps: applySteps(m, { name: s.name, server: s.server }, applierRole(s.gatingTier)),
  };
}

export function applyWorkflow(m: Manifest): Record<string, unknown> {
  const stacks = [...ciStacks(m)].sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || compareStrings(a.name, b.name));
  // Removed app-environments are destroyed first (their tier platform's applier policy still lets
  // the applier reach them), removed platform stacks last (after everything that used them).
  const removed = removedStackJobs(m, stacks.map((s) => jobId(s.name)));
  const jobs: Record<string, unknown> = { locate: locateJob(), ...removed.first };
  for (const s of stacks) {
    // Every stack of an earlier kind: skipped ones (no plan) do not block, failed ones do.
    const before = stacks.filter((x) => KIND_ORDER.indexOf(x.kind) < KIND_ORDER.indexOf(s.kind));
    jobs[jobId(s.name)] = applyJob(m, s, [...Object.keys(removed.first), ...before.map((x) => jobId(x.name))]);
  }
  Object.assign(jobs, removed.last, publishJobs(m, stacks, jobId));
  return {
    name: 'tierkit apply',
    on: { push: { branches: ['main'] } },
    permissions: { contents: 'read' },
    concurrency: { group: 'tierkit-apply', 'cancel-in-progress': false },
    jobs,
  };
}
