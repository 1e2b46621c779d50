import type { Manifest } from '../contract/manifest';
import { layoutComment } from './comment';
import type { CheckOutcome } from './check-result';
import type { ChangeSet } from './model';
import type { PlanSummaries } from './plans';
import { buildReview } from './review';

import { GITHUB_COMMENT_LIMIT } from '../contract/plan-summary';

export { GITHUB_COMMENT_LIMIT };

export interface MarkdownOptions {
  /** Where the full JSON report is (an artifact name, a URL); shown whenever detail is left out. */
  readonly reportHint?: string;
  /** @default GITHUB_COMMENT_LIMIT; CI passes less to leave room for the plan table it appends. */
  readonly maxChars?: number;
  /** The head dist's `tierkit check` result. Absent: the comment says the check was not run. */
  readonly check?: CheckOutcome;
  /** Plan summaries per stack, when CI has them. */
  readonly plans?: PlanSummaries;
  /** The promotion records the PR carries (diff/promotion.ts), shown first. */
  readonly top?: readonly string[];
}

/** The PR comment: items by severity on the first screen, details collapsed, within `maxChars`. */
export function renderMarkdown(set: ChangeSet, base: Manifest, head: Manifest, options: MarkdownOptions = {}): string {
  const review = buildReview(set, base, head, { check: options.check, plans: options.plans });
  return layoutComment(review, { maxChars: options.maxChars ?? GITHUB_COMMENT_LIMIT, reportHint: options.reportHint, top: options.top });
}
