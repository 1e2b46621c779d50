import { canonicalJson } from '../../contract/order';
import { POST_PERMISSIONS, REVIEW_PERMISSIONS } from '../../contract/review-workflow';
import { at, compact, readReview, reviewJobs } from './support/review-workflow';
import { Rule, RuleFinding } from './support/rule';

const ALLOWED: Record<string, Readonly<Record<string, string>>> = { review: REVIEW_PERMISSIONS, post: POST_PERMISSIONS };

export const rule: Rule = {
  id: 'TK025',
  name: 'review-permissions',
  severity: 'error',
  title: 'The review workflow\'s jobs hold exactly their least permissions',
  explanation:
    'A `workflow_run` run gets the repository\'s token with write access by default, even when the triggering run was a '
    + 'fork\'s PR. The review job needs `actions: read` (the PR run\'s artifacts), `contents: read` (main) and '
    + '`pull-requests: read` (resolving the PR); the posting job none (it posts with the review App\'s token, TK018: a status '
    + 'its GITHUB_TOKEN posted would be GitHub Actions\', which any workflow posts as). Anything more '
    + '(`contents: write`, `id-token: write`, `actions: write`, …) in a job that reads what the PR produced is a token the '
    + 'PR\'s data can steer. The rule reads dist/ci/review.json: a job other than `review` and `post`, or other permissions, is a finding.',
  fix: 'Re-run `tierkit synth` and `tierkit ci github`; never widen the review workflow\'s permissions.',
  suppressible: false,
  evaluate(g) {
    const read = readReview(g);
    if ('finding' in read) return [read.finding];
    const { jobs, findings } = reviewJobs(read.doc);
    const out: RuleFinding[] = [...findings];
    for (const { job, pointer } of jobs) {
      const want = Object.prototype.hasOwnProperty.call(ALLOWED, job.job) ? ALLOWED[job.job] : undefined;
      if (!want) { out.push({ source: at(pointer), message: `review workflow job ${JSON.stringify(job.job)} is not one tierkit writes (review, post): its token cannot be judged` }); continue; }
      if (canonicalJson(job.permissions) !== canonicalJson(want)) {
        out.push({ source: at(`${pointer}/permissions`), message: `review workflow job ${job.job} has permissions ${compact(job.permissions)}, not exactly ${compact(want)}` });
      }
    }
    return out;
  },
};
