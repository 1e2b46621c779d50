import type { Manifest } from '../contract/manifest';
import { PR_WORKFLOW_NAME } from '../contract/review-workflow';
import { commentJobs } from './github-comment';
import { MATRIX_OUTPUTS, planJobs, planMatrixStep } from './github-plan';
import { ACTIONS, RUNNER } from './pins';
import { ARTIFACT, caEnv, checkout, COMMENT_MAX_CHARS, setupNode, Step, TIERKIT } from './steps';

/**
 * On pull_request: synth head and base, `check` (SARIF to code scanning), the semantic diff, a
 * `terraform plan` of the affected stacks only (behind a `<tier>-plan` environment when the stack's
 * gating tier has a human gate: ci/github-plan.ts), and the plan index. All of it is the PR's own
 * code: the comment and the required check are the review workflow's (ci/github-review.ts), which
 * main's tierkit runs on this run's artifacts once it completed.
 */


/** The later committer time of head and base: the instant `check` (and the comment's check) judges expiry at. */
/** Where the PR run checks the rendered branch out (outside promotions/, never synthesized). */
const RENDERED_CHECKOUT = '.tierkit-rendered';

/**
 * The sha256 of dist/ as check judged it goes to the step's own output in the step that computed it
 * (read back at once from a fresh temporary file, never from the workspace), becomes the job output
 * `dist-digest`, and the plan jobs recompute it on their fresh runners with main's tierkit
 * (ci/github-plan.ts). docs/pr-flow.md says what this does not stop.
 */
const DIST_DIGEST_OUTPUT = 'dist-digest';

const COMMIT_NOW = 'now="$(git show -s --format=\'%ct %cI\' "$HEAD_SHA" "$BASE_SHA" | sort -n | tail -n 1 | cut -d" " -f2)"';

function diffJob(m: Manifest): Record<string, unknown> {
  const steps: Step[] = [
    checkout({ 'fetch-depth': 0 }),
    ...setupNode(),
    { name: 'Generated workflows are up to date', run: `${TIERKIT} ci github --check` },
    { name: 'Synthesize head', run: `${TIERKIT} synth --out dist` },
    {
      id: 'check',
      name: 'Policy check (SARIF)',
      'continue-on-error': true,
      // Sandbox expiry is judged at a time the commits fix, not the wall clock: re-running a PR's
      // checks gives the same verdict. The later of the head's and the base's committer time, so a
      // head commit back-dated by its author cannot revive a sandbox main already saw expire.
      env: { HEAD_SHA: '${{ github.event.pull_request.head.sha }}', BASE_SHA: '${{ github.event.pull_request.base.sha }}' },
      run: [
        COMMIT_NOW,
        'echo "Sandbox expiry evaluated at $now (latest committer time of head $HEAD_SHA and base $BASE_SHA)"',
        'digest_file="$(mktemp)"',
        'rc=0',
        `${TIERKIT} check dist --format sarif --output tierkit.sarif --now "$now" --digest-out "$digest_file" || rc=$?`,
        `echo "${DIST_DIGEST_OUTPUT}=$(cat "$digest_file")" >> "$GITHUB_OUTPUT"`,
        'rm -f "$digest_file"',
        'exit "$rc"',
        '',
      ].join('\n'),
    },
    { name: 'Upload SARIF to code scanning', if: "${{ !cancelled() && hashFiles('tierkit.sarif') != '' }}", uses: ACTIONS.uploadSarif, with: { sarif_file: 'tierkit.sarif', category: 'tierkit' } },
    {
      // The gated jobs' promotion outcome logs (<tier>/.tierkit-promotions/): diff asks conflict_free
      // again from them. Read-only; absent (no tier published yet) leaves every open promotion unknown.
      id: 'rendered',
      ...checkout({ ref: m.estate.argocd.targetRevision, path: RENDERED_CHECKOUT }),
      name: 'Check out the rendered branch (promotion outcomes)',
      'continue-on-error': true,
    },
    {
      id: 'semantic',
      name: 'Semantic diff against the base (synthesized in a temporary worktree)',
      // The comment embeds the head's check result: judged at the same instant as the check step.
      env: { HEAD_SHA: '${{ github.event.pull_request.head.sha }}', BASE_SHA: '${{ github.event.pull_request.base.sha }}', REPORT_HINT: 'the `tierkit-diff` artifact of run ${{ github.run_id }} (tierkit-diff.json)' },
      run: [
        COMMIT_NOW,
        `rendered=(); if [ -d ${RENDERED_CHECKOUT}/.git ]; then rendered=(--rendered ${RENDERED_CHECKOUT}); fi`,
        `${TIERKIT} diff --base-ref "$BASE_SHA" --head-dist dist --now "$now" --max-chars ${COMMENT_MAX_CHARS} --report-hint "$REPORT_HINT" --output tierkit-diff/comment.md --json tierkit-diff/tierkit-diff.json "\${rendered[@]}"`,
        '',
      ].join('\n'),
    },
    planMatrixStep(m),
    { name: 'Upload diff', uses: ACTIONS.uploadArtifact, with: { name: ARTIFACT.diff, path: 'tierkit-diff/', 'if-no-files-found': 'error' } },
    // The plan jobs plan what is uploaded: it must be the dist/ check judged, whatever a process the
    // estate's code or a repo rule started has done since (no digest file: refused too).
    { name: 'Head dist is the one check judged', env: { EXPECTED: `\${{ steps.check.outputs.${DIST_DIGEST_OUTPUT} }}` }, run: `${TIERKIT} check dist --verify-digest "$EXPECTED"\n` },
    { name: 'Upload head dist', uses: ACTIONS.uploadArtifact, with: { name: ARTIFACT.dist, path: 'dist/', 'if-no-files-found': 'error' } },
    { name: 'Fail on policy errors', if: "steps.check.outcome == 'failure'", run: 'echo "::error::tierkit check found errors (see code scanning)"; exit 1' },
  ];
  return {
    name: 'synth, check, diff',
    'runs-on': RUNNER,
    permissions: { contents: 'read', 'security-events': 'write' },
    outputs: { ...MATRIX_OUTPUTS, [DIST_DIGEST_OUTPUT]: `\${{ steps.check.outputs.${DIST_DIGEST_OUTPUT} }}` },
    steps,
  };
}

export function pullRequestWorkflow(m: Manifest): Record<string, unknown> {
  return {
    name: PR_WORKFLOW_NAME,
    on: { pull_request: { branches: ['main'] } },
    permissions: { contents: 'read' },
    concurrency: { group: 'tierkit-pr-${{ github.event.pull_request.number }}', 'cancel-in-progress': true },
    ...(caEnv(m) ? { env: caEnv(m) } : {}),
    jobs: { diff: diffJob(m), ...planJobs(m), ...commentJobs(m) },
  };
}
