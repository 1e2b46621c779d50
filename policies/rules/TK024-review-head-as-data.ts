import { REVIEW_CHECKOUT_REF, REVIEW_HEAD_DIR, REVIEW_RENDERED_DIR } from '../../contract/review-workflow';
import { at, readReview, reviewJobs } from './support/review-workflow';
import { Rule, RuleFinding } from './support/rule';

/** A downloaded artifact's path is data only if it is inside head/: not the workspace root, not main's checkout, no `..`. */
function dataPath(p: unknown): boolean {
  return typeof p === 'string' && (p === REVIEW_HEAD_DIR || p.startsWith(`${REVIEW_HEAD_DIR}/`)) && !p.split('/').includes('..') && !p.includes('\\');
}

export const rule: Rule = {
  id: 'TK024',
  name: 'review-head-as-data',
  severity: 'error',
  title: "The review workflow checks out main only, runs main's tierkit, and reads the PR run's artifacts as data",
  explanation:
    'The review job holds a token that reads the repository and the PR, and its verdict is main\'s required check. Checking out '
    + 'the head (its ref, sha or branch), installing or running anything from the PR run\'s artifacts, or downloading them '
    + 'where main\'s checkout, its `policies/` rules or its lockfile are, would let the PR author run code there and decide '
    + 'the check. The rule reads dist/ci/review.json as written: each job checks out only `${{ github.sha }}` (in a '
    + 'workflow_run run, the default branch\'s last commit), downloads artifacts only under `head/`, runs only main\'s '
    + 'install of tierkit, and the posting job checks out, downloads from the PR run and runs nothing.',
  fix: 'Re-run `tierkit synth` and `tierkit ci github`; never make the review workflow check out the head or run an artifact.',
  suppressible: false,
  evaluate(g) {
    const read = readReview(g);
    if ('finding' in read) return [read.finding];
    const { jobs, findings } = reviewJobs(read.doc);
    const out: RuleFinding[] = [...findings];
    for (const { job, pointer } of jobs) {
      const name = JSON.stringify(job.job);
      const checkouts = Array.isArray(job.checkouts) ? job.checkouts : undefined;
      const artifacts = Array.isArray(job.headArtifacts) ? job.headArtifacts : undefined;
      if (!checkouts) out.push({ source: at(`${pointer}/checkouts`), message: `review job ${name}: its checkouts are not a list: cannot be judged` });
      else checkouts.forEach((ref: unknown, i: number) => {
        if (ref !== REVIEW_CHECKOUT_REF) out.push({ source: at(`${pointer}/checkouts/${i}`), message: `review job ${name} checks out ${JSON.stringify(ref)}: only ${REVIEW_CHECKOUT_REF} (main) — a head ref runs the PR's code (its package.json scripts, its rules) with the job's token` });
      });
      const data = Array.isArray(job.dataCheckouts) ? job.dataCheckouts : undefined;
      if (!data) out.push({ source: at(`${pointer}/dataCheckouts`), message: `review job ${name}: its data checkouts are not a list: cannot be judged` });
      else data.forEach((c: any, i: number) => {
        // Only the rendered branch, which only the tiers' publisher Apps write (TK094), beside main's checkout.
        if (c?.ref !== g.manifest.estate.argocd.targetRevision || c?.path !== REVIEW_RENDERED_DIR) {
          out.push({ source: at(`${pointer}/dataCheckouts/${i}`), message: `review job ${name} checks out ${JSON.stringify(c?.ref)} at ${JSON.stringify(c?.path)} as data: only the rendered branch ${JSON.stringify(g.manifest.estate.argocd.targetRevision)} at ${REVIEW_RENDERED_DIR}` });
        }
      });
      if (!artifacts) out.push({ source: at(`${pointer}/headArtifacts`), message: `review job ${name}: its artifacts are not a list: cannot be judged` });
      else artifacts.forEach((a: any, i: number) => {
        if (!dataPath(a?.path)) out.push({ source: at(`${pointer}/headArtifacts/${i}/path`), message: `review job ${name} downloads the PR run's ${JSON.stringify(a?.name)} to ${JSON.stringify(a?.path)}: only under ${REVIEW_HEAD_DIR}/, apart from main's checkout (its rules, lockfile and tierkit)` });
      });
      if (job.tierkit !== 'main' && job.tierkit !== 'none') out.push({ source: at(`${pointer}/tierkit`), message: `review job ${name} runs tierkit from ${JSON.stringify(job.tierkit)}: only main's install` });
      // The review App's token (and the environment holding its key) writes too (TK018).
      const writes = Object.entries(job.permissions ?? {}).some(([, v]) => v === 'write') || job.appToken !== undefined || job.environment !== undefined;
      if (writes && ((checkouts?.length ?? 1) > 0 || (data?.length ?? 1) > 0 || (artifacts?.length ?? 1) > 0 || job.tierkit !== 'none')) {
        out.push({ source: at(pointer), message: `review job ${name} holds a write permission (or the review App's token) and also checks out, downloads the PR run's artifacts or runs tierkit: the job that writes must only post what the read-only job produced` });
      }
    }
    return out;
  },
};
