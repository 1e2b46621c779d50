import { REVIEW_PLAN_FILE } from '../../../contract/review-workflow';
import type { EstateGraph, Source } from '../../graph/types';
import type { RuleFinding } from './rule';

/** The review workflow's plan as written in dist/ (ci/review.json), or the finding that it cannot be judged. */
export type ReadReview = { readonly doc: Record<string, any> } | { readonly finding: RuleFinding };

export const isObj = (v: unknown): v is Record<string, any> => !!v && typeof v === 'object' && !Array.isArray(v);

/** One-line JSON with sorted keys, for messages. */
export function compact(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(compact).join(',')}]`;
  if (isObj(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${compact(v[k])}`).join(',')}}`;
  return JSON.stringify(v) ?? 'undefined';
}

export const at = (pointer: string): Source => ({ file: REVIEW_PLAN_FILE, pointer });

/** Missing or unreadable is a finding (fail closed): without it nobody judged who produces the required check. */
export function readReview(g: EstateGraph): ReadReview {
  const got = g.review;
  if (!got) return { finding: { source: at(''), message: `${REVIEW_PLAN_FILE} is missing: the workflow that posts the PR comment and main's required check cannot be judged` } };
  if (got.error !== undefined || !isObj(got.document)) return { finding: { source: at(''), message: `${REVIEW_PLAN_FILE} cannot be read (${got.error ?? 'not a JSON object'}): the review workflow cannot be judged` } };
  return { doc: got.document };
}

/** The plan's jobs with their JSON pointers; a malformed list is a finding. */
export function reviewJobs(doc: Record<string, any>): { jobs: { job: Record<string, any>; pointer: string }[]; findings: RuleFinding[] } {
  if (!Array.isArray(doc.jobs) || doc.jobs.length === 0) return { jobs: [], findings: [{ source: at('/jobs'), message: 'the review workflow plan lists no jobs: it cannot be judged' }] };
  const jobs: { job: Record<string, any>; pointer: string }[] = [];
  const findings: RuleFinding[] = [];
  doc.jobs.forEach((j: unknown, i: number) => {
    if (isObj(j) && typeof j.job === 'string') jobs.push({ job: j, pointer: `/jobs/${i}` });
    else findings.push({ source: at(`/jobs/${i}`), message: 'not a job entry (no job id): it cannot be judged' });
  });
  return { jobs, findings };
}
