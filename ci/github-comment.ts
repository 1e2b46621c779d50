import type { Manifest } from '../constructs/synth/manifest';
import { planJobs } from './github-plan';
import { ACTIONS, RUNNER } from './pins';
import { ARTIFACT, humanTiers, planEnvironment } from './steps';

/**
 * The ONE sticky pull-request comment. `comment-diff` posts the diff as soon as it exists, so the
 * reviewers of a `<tier>-plan` environment read it before they approve the plan; `comment`
 * replaces it once every plan job has finished, with the plans' sha256, and uploads
 * `tierkit-plans.json` (head sha, dist hash, plans: stack → sha256, planned: stack → {action,
 * gatingTier}) that the apply workflow verifies.
 */

/** Builds `tierkit-plans.json` and the comment body; PHASE=diff posts the diff with the plans pending. */
export const COMMENT_SCRIPT = `const fs = require('fs');
const path = require('path');
const marker = '<!-- tierkit-diff -->';
const final = process.env.PHASE === 'plans';
const plans = {};
const root = 'plans';
for (const dir of final && fs.existsSync(root) ? fs.readdirSync(root).sort() : []) {
  const file = path.join(root, dir, 'tfplan.sha256');
  if (!fs.existsSync(file)) continue;
  plans[dir.replace(/^tierkit-plan-/, '')] = fs.readFileSync(file, 'utf8').trim().split(/\\s+/)[0];
}
if (final) {
  // How each stack was planned (action, gating tier): the apply of a removed stack checks it.
  const matrix = JSON.parse(fs.readFileSync('tierkit-diff/plan-matrix.json', 'utf8'));
  const planned = {};
  for (const e of matrix) if (plans[e.stack]) planned[e.stack] = { action: e.action, gatingTier: e.gatingTier };
  const index = {
    headSha: context.payload.pull_request.head.sha,
    distSha256: require('crypto').createHash('sha256').update(fs.readFileSync('dist/manifest.json')).digest('hex'),
    plans,
    planned,
  };
  fs.writeFileSync('tierkit-plans.json', JSON.stringify(index, null, 2) + '\\n');
}
let body = fs.readFileSync('tierkit-diff/comment.md', 'utf8');
body += '\\n### Plans\\n\\n';
if (!final) {
  const environments = JSON.parse(process.env.PLAN_ENVIRONMENTS || '{}');
  const gated = JSON.parse(process.env.GATED_TIERS || '[]').map((t) => environments[t] || t + '-plan');
  body += 'Planning…' + (gated.length === 0 ? '' : ' Plans of human-gated stacks wait for an approval of the environment(s) ' + gated.map((e) => '\`' + e + '\`').join(', ') + ': approve only after reading this diff, since the plan runs this pull request\\'s code with the server\\'s admin credential.') + '\\n';
} else {
  const stacks = Object.keys(plans).sort();
  body += stacks.length === 0 ? 'No stack to plan.\\n' : '| stack | plan sha256 |\\n|---|---|\\n' + stacks.map((s) => '| ' + s + ' | \`' + plans[s] + '\` |').join('\\n') + '\\n';
  body += '\\nOn merge, only these plan files are applied (their sha256 is verified), each behind its tier\\'s environment. Plan jobs: ' + process.env.PLAN_RESULTS + '.\\n';
}
const { owner, repo } = context.repo;
const issue_number = context.payload.pull_request.number;
const comments = await github.paginate(github.rest.issues.listComments, { owner, repo, issue_number, per_page: 100 });
const mine = comments.find((c) => c.user && c.user.type === 'Bot' && c.body && c.body.startsWith(marker));
if (mine) await github.rest.issues.updateComment({ owner, repo, comment_id: mine.id, body });
else await github.rest.issues.createComment({ owner, repo, issue_number, body });
`;

const PERMISSIONS = { contents: 'read', 'pull-requests': 'write' };
const downloadDiff = { name: 'Download diff', uses: ACTIONS.downloadArtifact, with: { name: ARTIFACT.diff, path: 'tierkit-diff' } };

function diffCommentJob(m: Manifest): Record<string, unknown> {
  const environments = Object.fromEntries(humanTiers(m).map((t) => [t.name, planEnvironment(t.name)]));
  return {
    name: 'PR comment (diff)',
    needs: ['diff'],
    'runs-on': RUNNER,
    permissions: PERMISSIONS,
    steps: [
      downloadDiff,
      {
        name: 'Post the diff, plans pending',
        uses: ACTIONS.githubScript,
        // The gated tiers the diff job routed stacks to: their `<tier>-plan` environments wait for approval.
        env: { PHASE: 'diff', GATED_TIERS: '${{ needs.diff.outputs.gated-tiers }}', PLAN_ENVIRONMENTS: JSON.stringify(environments) },
        with: { script: COMMENT_SCRIPT },
      },
    ],
  };
}

function finalCommentJob(m: Manifest): Record<string, unknown> {
  const plans = Object.keys(planJobs(m));
  return {
    name: 'PR comment',
    needs: ['diff', 'comment-diff', ...plans],
    if: "${{ !cancelled() && needs.diff.result == 'success' }}",
    'runs-on': RUNNER,
    permissions: PERMISSIONS,
    steps: [
      downloadDiff,
      { name: 'Download head dist', uses: ACTIONS.downloadArtifact, with: { name: ARTIFACT.dist, path: 'dist' } },
      { name: 'Download plans', if: "needs.diff.outputs.any == 'true' || needs.diff.outputs.gated-tiers != '[]'", uses: ACTIONS.downloadArtifact, with: { pattern: ARTIFACT.plan('*'), path: 'plans' } },
      {
        name: 'Post the sticky comment and the plan index',
        uses: ACTIONS.githubScript,
        env: { PHASE: 'plans', PLAN_RESULTS: plans.map((j) => `${j} \${{ needs.${j}.result }}`).join(', ') },
        with: { script: COMMENT_SCRIPT },
      },
      { name: 'Upload the plan index', uses: ACTIONS.uploadArtifact, with: { name: ARTIFACT.plans, path: 'tierkit-plans.json', 'if-no-files-found': 'error' } },
    ],
  };
}

export function commentJobs(m: Manifest): Record<string, Record<string, unknown>> {
  return { 'comment-diff': diffCommentJob(m), comment: finalCommentJob(m) };
}
