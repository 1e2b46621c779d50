import { hasShortLivedPlanner } from '../contract/planner';
import { plannerMembersPreflight } from './planner-preflight';
import type { Manifest, ManifestServer, ManifestTier } from '../contract/manifest';
import { compareStrings } from '../contract/order';
import { ACTIONS, NODE_VERSION, RUNNER } from './pins';
import {
  ARTIFACT, checkout, ephemeralPassword, revokeVaultToken, humanTiers, planEnvironment, plannerRole, refuseServer, setupTerraform, STAGE_LOCK_SCRIPT,
  stateCredentials, Step, TIERKIT, ungatedServers, vaultLogin, caFileStep, plannerIssuerPlanVariables,
} from './steps';
import { PROVIDER_LOCKS_DIR, stateRoleName } from '../constructs/naming';
import { PLAN_SUMMARY_FILE, PLAN_SUMMARY_JQ, planSummaryCommands } from './plan-summary';

/**
 * The pull request's `terraform plan` jobs. Planning runs the pull request's own code, and the
 * provider must connect to refresh: it logs in as the server's read-only planner login
 * (contract/planner.ts: CONNECT and catalog reads, nothing else), never the admin credential, so:
 * - `plan`: stacks whose gating tier applies automatically, on servers without a superuser admin;
 *   no environment, the read-only planner role of the entry's tier (`tierkit-plan-<tier>`, bound to
 *   `event_name: pull_request`);
 * - `plan-<tier>`, one per human-gated tier: stacks gated by that tier, in the GitHub environment
 *   `<tier>-plan` whose required reviewers must approve first; its planner role is bound to that
 *   `environment` claim too.
 * A stack is planned under the strictest gating tier it has before or after the change.
 */


export function planJobId(tier?: string): string {
  return tier ? `plan-${tier.replace(/[^A-Za-z0-9_-]/g, '_')}` : 'plan';
}

/** Everything `plan-matrix.json` records per planned stack, and the job outputs derived from it. */
const MATRIX_JQ = `(reduce (.manifest[]? | select(.section == "stacks")) as $c ({};
    .[$c.key] = [$c.changes[]? | select(.path == "gatingTier") | .before | strings]))
  as $before
| [.affectedStacks[] | select(.applyGate != "none")
    | (([.gatingTier] + ($before[.name] // [])) | max_by($tiers[.].rank // 1000)) as $gt
    | {stack: .name, action, artifact, gatingTier: $gt, server: (.server // ""),
       human: (.humanGate or (if $tiers[$gt] == null then true else $tiers[$gt].human end))}]`;

export function planMatrixStep(m: Manifest): Step {
  const tiers = Object.fromEntries([...m.tiers].sort((a, b) => compareStrings(a.name, b.name)).map((t) => [t.name, { rank: t.rank, human: t.applyGate.human }]));
  const gatedJobs = humanTiers(m).map((t) => t.name);
  return {
    id: 'matrix',
    name: 'Plan matrices: affected stacks that CI applies, per gate',
    env: { TIERS: JSON.stringify(tiers), GATED_TIERS: JSON.stringify(gatedJobs), PROGRAM: MATRIX_JQ },
    run: [
      'plans="$(jq -c --argjson tiers "$TIERS" "$PROGRAM" tierkit-diff/tierkit-diff.json)"',
      'echo "$plans" > tierkit-diff/plan-matrix.json',
      'missing="$(jq -r --argjson jobs "$GATED_TIERS" \'[.[] | select(.human) | .gatingTier] - $jobs | unique | join(" ")\' <<< "$plans")"',
      'if [ -n "$missing" ]; then echo "::error::no gated plan job for tier(s) $missing: regenerate the workflows"; exit 1; fi',
      '{',
      '  echo "matrix=$(jq -c \'{include: [.[] | select(.human | not)]}\' <<< "$plans")"',
      '  echo "any=$(jq -r \'map(select(.human | not)) | length > 0\' <<< "$plans")"',
      '  echo "gated=$(jq -c \'map(select(.human)) | group_by(.gatingTier) | map({key: .[0].gatingTier, value: {include: .}}) | from_entries\' <<< "$plans")"',
      '  echo "gated-tiers=$(jq -c \'map(select(.human) | .gatingTier) | unique\' <<< "$plans")"',
      '} >> "$GITHUB_OUTPUT"',
      '',
    ].join('\n'),
  };
}

/** Job outputs of the diff job the plan jobs read. */
export const MATRIX_OUTPUTS = {
  matrix: '${{ steps.matrix.outputs.matrix }}',
  any: '${{ steps.matrix.outputs.any }}',
  gated: '${{ steps.matrix.outputs.gated }}',
  'gated-tiers': '${{ steps.matrix.outputs.gated-tiers }}',
};

function planSteps(m: Manifest, role: string, stateRole: string, servers: readonly ManifestServer[], why: string): Step[] {
  const stackDir = 'stack';
  const sorted = [...servers].sort((a, b) => compareStrings(a.id, b.id));
  return [
    refuseServer(sorted, why),
    checkout({ ref: '${{ github.event.pull_request.base.sha }}', path: 'base' }),
    // The head's committed provider lock files (what the diff job synthesized is the same checkout).
    checkout({ path: 'head', 'sparse-checkout': PROVIDER_LOCKS_DIR }),
    { name: 'Download head dist', uses: ACTIONS.downloadArtifact, with: { name: ARTIFACT.dist, path: 'dist' } },
    // No npm cache: one a pull request's run saved could feed main's verifier.
    { name: 'Set up Node', uses: ACTIONS.setupNode, with: { 'node-version': NODE_VERSION } },
    {
      // Plan only the dist/ check judged: its digest is recomputed here, on a runner where none of
      // the pull request's code has run, by main's tierkit (the PR's own could be made to agree).
      name: 'Downloaded dist is the one check judged',
      'working-directory': 'base',
      env: { EXPECTED: '${{ needs.diff.outputs.dist-digest }}' },
      run: `npm ci\n${TIERKIT} check ../dist --verify-digest "$EXPECTED"\n`,
    },
    {
      name: 'Synthesize the base (a destroyed stack is planned from it)',
      if: "matrix.action == 'destroy'",
      'working-directory': 'base',
      run: `${TIERKIT} synth --out ../base-dist --quiet\n`,
    },
    {
      name: 'Stage the stack',
      env: { ARTIFACT_PATH: '${{ matrix.artifact }}', ACTION: '${{ matrix.action }}' },
      run: `src="dist/$ARTIFACT_PATH"\nif [ "$ACTION" = destroy ]; then src="base-dist/$ARTIFACT_PATH"; fi\nmkdir -p ${stackDir}\ncp "$src" ${stackDir}/\n`,
    },
    {
      name: 'Stage the committed provider lock file',
      env: { STACK: '${{ matrix.stack }}', ACTION: '${{ matrix.action }}' },
      run: STAGE_LOCK_SCRIPT,
    },
    setupTerraform(),
    ...stateCredentials(m, stateRole),
    vaultLogin(m, role, undefined, "matrix.server == ''"),
    // The server's read-only planner login, never its admin credential (contract/planner.ts).
    ...sorted.map((s) => vaultLogin(m, role, s, `matrix.server == '${s.id}'`, 'planner')),
    ...sorted.flatMap((s) => caFileStep(s, `matrix.server == '${s.id}'`)),
    // 16+: the issued login lists the planner group's members before any PR Terraform runs (ci/planner-preflight.ts).
    ...sorted.filter((s) => hasShortLivedPlanner(s.majorVersion)).map((s) => plannerMembersPreflight(s, m.estate.vault.databaseMount, `matrix.server == '${s.id}'`)),
    ephemeralPassword(plannerIssuerPlanVariables(m)),
    {
      name: 'terraform plan',
      'working-directory': stackDir,
      env: { ACTION: '${{ matrix.action }}', STACK: '${{ matrix.stack }}', PLAN_SUMMARY: PLAN_SUMMARY_JQ },
      run: [
        'terraform init -input=false -lockfile=readonly',
        'flags=""; if [ "$ACTION" = destroy ]; then flags="-destroy"; fi',
        'terraform plan -input=false -lock=false $flags -out=tfplan',
        'terraform show -no-color tfplan > plan.txt',
        ...planSummaryCommands(),
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
        path: `${stackDir}/cdk.tf.json\n${stackDir}/.terraform.lock.hcl\n${stackDir}/tfplan\n${stackDir}/tfplan.sha256\n${stackDir}/plan.txt\n${stackDir}/${PLAN_SUMMARY_FILE}\n`,
        'if-no-files-found': 'error',
        'include-hidden-files': true,
        'retention-days': 30,
      },
    },
    revokeVaultToken(m),
  ];
}

function ungatedPlanJob(m: Manifest): Record<string, unknown> {
  return {
    name: 'plan ${{ matrix.stack }}',
    needs: 'diff',
    if: "needs.diff.outputs.any == 'true'",
    'runs-on': RUNNER,
    // No environment: nothing here may read a credential that a human gate protects.
    permissions: { contents: 'read', 'id-token': 'write' },
    strategy: { 'fail-fast': false, matrix: '${{ fromJSON(needs.diff.outputs.matrix) }}' },
    // The matrix entry's tier: its planner (platform-<tier>) reads only that tier's servers and paths.
    steps: planSteps(m, plannerRole('${{ matrix.gatingTier }}'), stateRoleName({ role: 'plan', tier: '${{ matrix.gatingTier }}' }), ungatedServers(m), 'its planner login is only read behind a human gate (superuser admin or human-gated tier)'),
  };
}

function gatedPlanJob(m: Manifest, tier: ManifestTier): Record<string, unknown> {
  const servers = m.servers.filter((s) => s.gatingTier === tier.name);
  const env = planEnvironment(tier.name);
  return {
    name: `plan \${{ matrix.stack }} (${env}: ${tier.applyGate.name})`,
    needs: 'diff',
    if: `contains(fromJSON(needs.diff.outputs.gated-tiers), '${tier.name}')`,
    'runs-on': RUNNER,
    // Required reviewers of this environment approve running the PR's code with the server's planner login.
    environment: env,
    permissions: { contents: 'read', 'id-token': 'write' },
    strategy: { 'fail-fast': false, matrix: `\${{ fromJSON(needs.diff.outputs.gated)['${tier.name}'] }}` },
    steps: planSteps(m, plannerRole(tier.name), stateRoleName({ role: 'plan', tier: tier.name }), servers, `its gating tier is not ${tier.name}`),
  };
}

/** `plan` (automatic gates), then `plan-<tier>` per human-gated tier, strictest first. */
export function planJobs(m: Manifest): Record<string, Record<string, unknown>> {
  const jobs: Record<string, Record<string, unknown>> = { [planJobId()]: ungatedPlanJob(m) };
  for (const t of humanTiers(m)) jobs[planJobId(t.name)] = gatedPlanJob(m, t);
  return jobs;
}
