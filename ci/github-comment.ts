import type { Manifest } from '../contract/manifest';
import { planJobs } from './github-plan';
import { ACTIONS, RUNNER } from './pins';
import { ARTIFACT } from './steps';
import { PLAN_SUMMARY_FILE } from './plan-summary';
import { GITHUB_COMMENT_LIMIT } from '../contract/plan-summary';

/**
 * The ONE sticky pull-request comment, posted by main's review workflow (ci/github-review.ts) once
 * the PR run completed, with the plans' sha256 and actions; and the PR run's `index` job, which
 * uploads `tierkit-plans.json` (head sha, dist hash, plans: stack → sha256, planned: stack →
 * {action, gatingTier}) that the apply workflow verifies.
 */

/** PHASE=index builds `tierkit-plans.json` (the PR run); PHASE=review builds and posts the comment (main's review workflow). */
export const COMMENT_SCRIPT = `const fs = require('fs');
const path = require('path');
const marker = '<!-- tierkit-diff -->';
// index: the plan index only (the PR run; it posts nothing); review: the comment main's review
// workflow posts (PR_NUMBER resolved by it from GitHub, never from an artifact).
const phase = process.env.PHASE;
if (phase !== 'index' && phase !== 'review') throw new Error('PHASE must be index or review, not ' + phase);
const plans = {};
const root = 'plans';
for (const dir of fs.existsSync(root) ? fs.readdirSync(root).sort() : []) {
  const file = path.join(root, dir, 'tfplan.sha256');
  if (!fs.existsSync(file)) continue;
  plans[dir.replace(/^tierkit-plan-/, '')] = fs.readFileSync(file, 'utf8').trim().split(/\\s+/)[0];
}
if (phase === 'index') {
  // How each stack was planned (action, gating tier): the apply of a removed stack checks it.
  const matrix = JSON.parse(fs.readFileSync('tierkit-diff/plan-matrix.json', 'utf8'));
  const planned = {};
  for (const e of matrix) if (plans[e.stack]) planned[e.stack] = { action: e.action, gatingTier: e.gatingTier };
  // Terraform's wording of each plan's counts (a replace adds and destroys), for the apply job names.
  const counts = {};
  for (const stack of Object.keys(plans)) {
    const file = path.join(root, 'tierkit-plan-' + stack, 'plan-summary.json');
    if (!fs.existsSync(file)) continue;
    const p = JSON.parse(fs.readFileSync(file, 'utf8'));
    const n = (k) => (Array.isArray(p[k]) ? p[k].length : 0);
    counts[stack] = (n('create') + n('replace')) + ' to add, ' + n('update') + ' to change, ' + (n('delete') + n('replace')) + ' to destroy';
  }
  const index = {
    headSha: context.payload.pull_request.head.sha,
    distSha256: require('crypto').createHash('sha256').update(fs.readFileSync('dist/manifest.json')).digest('hex'),
    plans,
    planned,
    counts,
  };
  fs.writeFileSync('tierkit-plans.json', JSON.stringify(index, null, 2) + '\\n');
  return;
}
// The whole comment stays within GitHub's limit: plan rows that do not fit are counted, not listed
// (the review artifact has them all); a diff that alone does not fit is cut at a line.
const limit = ${GITHUB_COMMENT_LIMIT};
const artifact = (name) => 'the \`' + name + '\` artifact of run ' + context.runId;
let diff = fs.readFileSync('tierkit-diff/comment.md', 'utf8');
if (!diff.startsWith(marker)) diff = marker + '\\n' + diff;
// A stack name is a directory the PR run named: every character but a letter, digit, dot or hyphen
// is a numeric entity, so none of it is Markdown or HTML (as diff/markdown-text.ts text()); an @ is
// written inside a code element, where GitHub reads no mention (an entity would be decoded first).
const cell = (x) => x.replace(/[^A-Za-z0-9.-]/gu, (c) => (c === '@' ? '<code>@</code>' : '&#' + c.codePointAt(0) + ';'));
const rows = Object.keys(plans).sort().map((s) => '| ' + cell(s) + ' | \`' + plans[s] + '\` |\\n');
const lead = rows.length === 0 ? 'No stack to plan.\\n' : '';
const outro = '\\nOn merge, each stack is planned again from main and applied only if that plan does what the reviewed one does, behind its tier\\'s environment. ' + process.env.PLAN_RESULTS + '.\\n';
const header = '| stack | plan sha256 |\\n|---|---|\\n';
const table = (k) => (k === 0 ? '' : header + rows.slice(0, k).join(''));
const more = (n) => (n === 0 ? '' : '\\n… ' + n + ' of ' + rows.length + ' plans not listed (comment size limit): ' + artifact('tierkit-review') + ' (plans/*/tfplan.sha256) has every sha256.\\n');
const compose = (d, k) => d + '\\n### Plans\\n\\n' + lead + table(k) + more(rows.length - k) + outro;
const fixed = compose(diff, 0).length - more(rows.length).length + header.length;
let kept = 0;
let size = 0;
while (kept < rows.length && fixed + size + rows[kept].length + more(rows.length - kept - 1).length <= limit) size += rows[kept++].length;
let body = compose(diff, kept);
if (body.length > limit) {
  const cut = '\\n\\n… cut here to fit the comment size limit: ' + artifact('tierkit-review') + ' has the whole diff (tierkit-diff/tierkit-diff.json).\\n';
  let d = diff.slice(0, Math.max(marker.length, limit - compose('', 0).length - cut.length - 4));
  if (d.lastIndexOf('\\n') > marker.length) d = d.slice(0, d.lastIndexOf('\\n'));
  if ((d.split('\`\`\`').length - 1) % 2 === 1) d += '\\n\`\`\`';
  body = compose(d + cut, 0);
}
const { owner, repo } = context.repo;
const issue_number = Number(process.env.PR_NUMBER);
if (!Number.isSafeInteger(issue_number) || issue_number <= 0) throw new Error('no pull request to comment on: ' + process.env.PR_NUMBER);
const comments = await github.paginate(github.rest.issues.listComments, { owner, repo, issue_number, per_page: 100 });
const mine = comments.find((c) => c.user && c.user.type === 'Bot' && c.body && c.body.startsWith(marker));
if (mine) await github.rest.issues.updateComment({ owner, repo, comment_id: mine.id, body });
else await github.rest.issues.createComment({ owner, repo, issue_number, body });
`;

const downloadDiff = { name: 'Download diff', uses: ACTIONS.downloadArtifact, with: { name: ARTIFACT.diff, path: 'tierkit-diff' } };

/**
 * The plan index the apply workflow's `locate` reads (tierkit-plans.json: head sha, dist hash, each
 * plan's sha256). Written by the PR run, which the PR controls: the apply refuses a plan whose
 * sha256 differs, whose configuration is not main's, or whose actions differ from main's own plan
 * (ci/steps.ts). It posts nothing: the comment is the review workflow's (ci/github-review.ts).
 */
function indexJob(m: Manifest): Record<string, unknown> {
  const plans = Object.keys(planJobs(m));
  return {
    name: 'plan index',
    needs: ['diff', ...plans],
    if: "${{ !cancelled() && needs.diff.result == 'success' }}",
    'runs-on': RUNNER,
    permissions: { contents: 'read' },
    steps: [
      downloadDiff,
      { name: 'Download head dist', uses: ACTIONS.downloadArtifact, with: { name: ARTIFACT.dist, path: 'dist' } },
      { name: 'Download plans', if: "needs.diff.outputs.any == 'true' || needs.diff.outputs.gated-tiers != '[]'", uses: ACTIONS.downloadArtifact, with: { pattern: ARTIFACT.plan('*'), path: 'plans' } },
      { name: 'Write the plan index', uses: ACTIONS.githubScript, env: { PHASE: 'index' }, with: { script: COMMENT_SCRIPT } },
      { name: 'Upload the plan index', uses: ACTIONS.uploadArtifact, with: { name: ARTIFACT.plans, path: 'tierkit-plans.json', 'if-no-files-found': 'error' } },
    ],
  };
}

/**
 * `tierkit diff --plans` input (contract/plan-summary.ts → diff/plans.ts) from the downloaded plan
 * artifacts: one plan-summary.json per `plans/tierkit-plan-<stack>/`, whose `stack` must be that
 * directory's (a summary filed under another stack would show one stack's plan as another's).
 */
export const ASSEMBLE_PLANS_SCRIPT = [
  'shopt -s nullglob',
  'mkdir -p tierkit-plans-diff',
  `summaries=(plans/*/${PLAN_SUMMARY_FILE})`,
  'for f in "${summaries[@]}"; do',
  '  dir="$(basename "$(dirname "$f")")"',
  '  stack="$(jq -r .stack "$f")"',
  '  if [ "$stack" != "${dir#tierkit-plan-}" ]; then',
  '    echo "::error::$f summarizes stack $stack, not ${dir#tierkit-plan-}: refusing to show it as that stack\'s plan"',
  '    exit 1',
  '  fi',
  'done',
  'if [ "${#summaries[@]}" -eq 0 ]; then',
  `  echo '{"plans":[],"schemaVersion":1}' > tierkit-plans-diff/plans.json`,
  'else',
  "  jq -S -s '{schemaVersion: 1, plans: sort_by(.stack)}' \"${summaries[@]}\" > tierkit-plans-diff/plans.json",
  'fi',
  'echo "plan summaries of $(jq \'.plans | length\' tierkit-plans-diff/plans.json) stack(s)"',
  '',
].join('\n');

/** The PR workflow's own jobs after the plans: the plan index only (the comment is the review workflow's). */
export function commentJobs(m: Manifest): Record<string, Record<string, unknown>> {
  return { index: indexJob(m) };
}
