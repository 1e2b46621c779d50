import type { Manifest } from '../constructs/synth/manifest';
import { compareStrings } from '../constructs/synth/serialize';
import { ACTIONS, RUNNER } from './pins';
import { ARTIFACT, checkout, ephemeralPassword, setupNode, setupTerraform, stateCredentials, Step, TIERKIT, vaultLogin } from './steps';

/**
 * On pull_request: synth head and base, `check` (SARIF to code scanning), the semantic diff, a
 * `terraform plan` of the affected stacks only, and one sticky comment with the plans' sha256.
 */

/** The comment leaves room for the plan table the comment job appends. */
const COMMENT_MAX_CHARS = 60_000;

function diffJob(): Record<string, unknown> {
  const steps: Step[] = [
    checkout({ 'fetch-depth': 0 }),
    ...setupNode(),
    { name: 'Generated workflows are up to date', run: `${TIERKIT} ci github --check` },
    { name: 'Synthesize head', run: `${TIERKIT} synth --out dist` },
    { id: 'check', name: 'Policy check (SARIF)', 'continue-on-error': true, run: `${TIERKIT} check dist --format sarif --output tierkit.sarif` },
    { name: 'Upload SARIF to code scanning', if: "${{ !cancelled() && hashFiles('tierkit.sarif') != '' }}", uses: ACTIONS.uploadSarif, with: { sarif_file: 'tierkit.sarif', category: 'tierkit' } },
    {
      name: 'Semantic diff against the base (synthesized in a temporary worktree)',
      env: { BASE_SHA: '${{ github.event.pull_request.base.sha }}', REPORT_HINT: 'the `tierkit-diff` artifact of run ${{ github.run_id }} (tierkit-diff.json)' },
      run: `${TIERKIT} diff --base-ref "$BASE_SHA" --head-dist dist --max-chars ${COMMENT_MAX_CHARS} --report-hint "$REPORT_HINT" --output tierkit-diff/comment.md --json tierkit-diff/tierkit-diff.json\n`,
    },
    {
      id: 'matrix',
      name: 'Plan matrix: affected stacks that CI applies',
      run: [
        "matrix=\"$(jq -c '{include: [.affectedStacks[] | select(.applyGate != \"none\") | {stack: .name, action, artifact, gatingTier, server: (.server // \"\")}]}' tierkit-diff/tierkit-diff.json)\"",
        'echo "matrix=$matrix" >> "$GITHUB_OUTPUT"',
        'echo "any=$(jq -r \'.include | length > 0\' <<< "$matrix")" >> "$GITHUB_OUTPUT"',
        '',
      ].join('\n'),
    },
    { name: 'Upload diff', uses: ACTIONS.uploadArtifact, with: { name: ARTIFACT.diff, path: 'tierkit-diff/', 'if-no-files-found': 'error' } },
    { name: 'Upload head dist', uses: ACTIONS.uploadArtifact, with: { name: ARTIFACT.dist, path: 'dist/', 'if-no-files-found': 'error' } },
    { name: 'Fail on policy errors', if: "steps.check.outcome == 'failure'", run: 'echo "::error::tierkit check found errors (see code scanning)"; exit 1' },
  ];
  return {
    name: 'synth, check, diff',
    'runs-on': RUNNER,
    permissions: { contents: 'read', 'security-events': 'write' },
    outputs: { matrix: '${{ steps.matrix.outputs.matrix }}', any: '${{ steps.matrix.outputs.any }}' },
    steps,
  };
}

function planJob(m: Manifest): Record<string, unknown> {
  const servers = [...m.servers].sort((a, b) => compareStrings(a.id, b.id));
  const stackDir = 'stack';
  const steps: Step[] = [
    checkout({ ref: '${{ github.event.pull_request.base.sha }}', path: 'base' }),
    { name: 'Download head dist', uses: ACTIONS.downloadArtifact, with: { name: ARTIFACT.dist, path: 'dist' } },
    {
      name: 'Synthesize the base (a destroyed stack is planned from it)',
      if: "matrix.action == 'destroy'",
      'working-directory': 'base',
      run: `npm ci\n${TIERKIT} synth --out ../base-dist --quiet\n`,
    },
    {
      name: 'Stage the stack',
      env: { ARTIFACT_PATH: '${{ matrix.artifact }}', ACTION: '${{ matrix.action }}' },
      run: `src="dist/$ARTIFACT_PATH"\nif [ "$ACTION" = destroy ]; then src="base-dist/$ARTIFACT_PATH"; fi\nmkdir -p ${stackDir}\ncp "$src" ${stackDir}/\n`,
    },
    setupTerraform(),
    stateCredentials(),
    // Planning reads state, Vault and the database: a read-only planner identity, never an applier.
    vaultLogin(m, '${{ vars.TIERKIT_PLAN_VAULT_ROLE }}', undefined, "matrix.server == ''"),
    ...servers.map((s) => vaultLogin(m, '${{ vars.TIERKIT_PLAN_VAULT_ROLE }}', s, `matrix.server == '${s.id}'`)),
    ephemeralPassword(),
    {
      name: 'terraform plan',
      'working-directory': stackDir,
      env: { ACTION: '${{ matrix.action }}' },
      run: [
        'terraform init -input=false',
        'flags=""; if [ "$ACTION" = destroy ]; then flags="-destroy"; fi',
        'terraform plan -input=false -lock=false $flags -out=tfplan',
        'terraform show -no-color tfplan > plan.txt',
        'sha256sum tfplan > tfplan.sha256',
        'cat tfplan.sha256',
        '',
      ].join('\n'),
    },
    {
      name: 'Upload the plan',
      uses: ACTIONS.uploadArtifact,
      with: {
        name: `${ARTIFACT.plan('${{ matrix.stack }}')}`,
        path: `${stackDir}/cdk.tf.json\n${stackDir}/.terraform.lock.hcl\n${stackDir}/tfplan\n${stackDir}/tfplan.sha256\n${stackDir}/plan.txt\n`,
        'if-no-files-found': 'error',
        'include-hidden-files': true,
        'retention-days': 30,
      },
    },
  ];
  return {
    name: 'plan ${{ matrix.stack }}',
    needs: 'diff',
    if: "needs.diff.outputs.any == 'true'",
    'runs-on': RUNNER,
    permissions: { contents: 'read', 'id-token': 'write' },
    strategy: { 'fail-fast': false, matrix: '${{ fromJSON(needs.diff.outputs.matrix) }}' },
    steps,
  };
}

/** Builds `tierkit-plans.json` (stack → sha256, head sha, dist hash) and the one sticky comment. */
const COMMENT_SCRIPT = `const fs = require('fs');
const path = require('path');
const marker = '<!-- tierkit-diff -->';
const plans = {};
const root = 'plans';
for (const dir of fs.existsSync(root) ? fs.readdirSync(root).sort() : []) {
  const file = path.join(root, dir, 'tfplan.sha256');
  if (!fs.existsSync(file)) continue;
  plans[dir.replace(/^tierkit-plan-/, '')] = fs.readFileSync(file, 'utf8').trim().split(/\\s+/)[0];
}
const index = {
  headSha: context.payload.pull_request.head.sha,
  distSha256: require('crypto').createHash('sha256').update(fs.readFileSync('dist/manifest.json')).digest('hex'),
  plans,
};
fs.writeFileSync('tierkit-plans.json', JSON.stringify(index, null, 2) + '\\n');
let body = fs.readFileSync('tierkit-diff/comment.md', 'utf8');
const stacks = Object.keys(plans).sort();
body += '\\n### Plans\\n\\n';
body += stacks.length === 0 ? 'No stack to plan.\\n' : '| stack | plan sha256 |\\n|---|---|\\n' + stacks.map((s) => '| ' + s + ' | \`' + plans[s] + '\` |').join('\\n') + '\\n';
body += '\\nOn merge, only these plan files are applied (their sha256 is verified), each behind its tier\\'s environment. Plan job result: ' + process.env.PLAN_RESULT + '.\\n';
const { owner, repo } = context.repo;
const issue_number = context.payload.pull_request.number;
const comments = await github.paginate(github.rest.issues.listComments, { owner, repo, issue_number, per_page: 100 });
const mine = comments.find((c) => c.user && c.user.type === 'Bot' && c.body && c.body.startsWith(marker));
if (mine) await github.rest.issues.updateComment({ owner, repo, comment_id: mine.id, body });
else await github.rest.issues.createComment({ owner, repo, issue_number, body });
`;

function commentJob(): Record<string, unknown> {
  return {
    name: 'PR comment',
    needs: ['diff', 'plan'],
    if: "${{ !cancelled() && needs.diff.result == 'success' }}",
    'runs-on': RUNNER,
    permissions: { contents: 'read', 'pull-requests': 'write' },
    steps: [
      { name: 'Download diff', uses: ACTIONS.downloadArtifact, with: { name: ARTIFACT.diff, path: 'tierkit-diff' } },
      { name: 'Download head dist', uses: ACTIONS.downloadArtifact, with: { name: ARTIFACT.dist, path: 'dist' } },
      { name: 'Download plans', if: "needs.diff.outputs.any == 'true'", uses: ACTIONS.downloadArtifact, with: { pattern: ARTIFACT.plan('*'), path: 'plans' } },
      { name: 'Post the sticky comment and the plan index', uses: ACTIONS.githubScript, env: { PLAN_RESULT: '${{ needs.plan.result }}' }, with: { script: COMMENT_SCRIPT } },
      { name: 'Upload the plan index', uses: ACTIONS.uploadArtifact, with: { name: ARTIFACT.plans, path: 'tierkit-plans.json', 'if-no-files-found': 'error' } },
    ],
  };
}

export function pullRequestWorkflow(m: Manifest): Record<string, unknown> {
  return {
    name: 'tierkit pull request',
    on: { pull_request: { branches: ['main'] } },
    permissions: { contents: 'read' },
    concurrency: { group: 'tierkit-pr-${{ github.event.pull_request.number }}', 'cancel-in-progress': true },
    jobs: { diff: diffJob(), plan: planJob(m), comment: commentJob() },
  };
}
