import { canonicalJson } from '../../contract/order';
import { REVIEW_ENVIRONMENT, reviewAppToken } from '../../contract/review-workflow';
import { at, compact, readReview, reviewJobs } from './support/review-workflow';
import { Rule, RuleFinding } from './support/rule';

export const rule: Rule = {
  id: 'TK018',
  name: 'review-app-token',
  severity: 'error',
  title: "Only the review's `post` job holds the review App's token, minted in the `tierkit-review` environment, for the status and the comment on this repository",
  explanation:
    'Main requires the `tierkit review` status from the estate\'s review App (TK019); what keeps a branch\'s own workflow from '
    + 'posting it is that the App\'s private key is a secret of the `tierkit-review` environment, whose deployment branch policy '
    + 'is main only, and that only main\'s review workflow uses it. The rule reads dist/ci/review.json as written: the `post` '
    + 'job must run in exactly that environment and mint exactly the declared App\'s token (`ci.reviewAppId`), scoped to '
    + '`ci.repository` with only `statuses: write` and `pull-requests: write`; no other job may name the environment or a token '
    + '(the `review` job runs main\'s tierkit on the PR\'s data), and the token\'s job checks out, downloads from the PR run '
    + 'and runs nothing. Anything else is a finding.',
  fix: 'Declare the review App in `ci.reviewAppId`, re-run `tierkit synth` and `tierkit ci github`; never edit dist/ci/review.json or the review workflow by hand.',
  suppressible: false,
  evaluate(g) {
    const read = readReview(g);
    if ('finding' in read) return [read.finding];
    const { jobs, findings } = reviewJobs(read.doc);
    const out: RuleFinding[] = [...findings];
    const want = reviewAppToken(g.manifest.estate.ci);
    // No App declared (appId null) is TK019's finding.
    const holders = jobs.filter(({ job }) => job.job === 'post');
    if (holders.length !== 1) out.push({ source: at('/jobs'), message: `the review workflow plan has ${holders.length} \`post\` jobs, not one: who posts the status cannot be judged` });
    for (const { job, pointer } of jobs) {
      const name = JSON.stringify(job.job);
      if (job.job !== 'post') {
        if (job.environment !== undefined || job.appToken !== undefined) {
          out.push({ source: at(pointer), message: `review job ${name} names the environment ${compact(job.environment)} or an App token: only \`post\` may hold the review App's key, never a job that reads the PR run or runs tierkit` });
        }
        continue;
      }
      if (job.environment !== REVIEW_ENVIRONMENT) out.push({ source: at(`${pointer}/environment`), message: `review job "post" runs in the environment ${compact(job.environment)}, not "${REVIEW_ENVIRONMENT}" (deployment branches main only): the review App's key would be readable from another branch's workflow, or missing` });
      const t = job.appToken;
      if (canonicalJson(t) !== canonicalJson(want)) {
        out.push({ source: at(`${pointer}/appToken`), message: `review job "post" mints ${compact(t)}, not ${compact(want)}: the token must be the declared review App's, for the one repository, with statuses and pull-requests write only` });
      }
      const busy = [job.checkouts, job.dataCheckouts, job.headArtifacts].some((l) => !Array.isArray(l) || l.length > 0) || job.tierkit !== 'none';
      if (busy) out.push({ source: at(pointer), message: 'review job "post" holds the review App\'s token and also checks out, downloads from the PR run or runs tierkit: code the token\'s job runs could post any verdict' });
    }
    return out;
  },
};
