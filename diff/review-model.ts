/**
 * What the PR comment says, before it is laid out: items ranked by what a reviewer must act on.
 * Every source — check findings, reach, destroys, gates, attention items, plan summaries — becomes
 * a ReviewItem; the renderer knows only severities, never the sources, so a new attention kind or
 * a new rule's findings slot in by severity without a change to it.
 */
export type Severity = 1 | 2 | 3 | 4 | 5;

export const SEVERITIES: readonly Severity[] = [1, 2, 3, 4, 5];

/** Section titles, in the words a reviewer acts on. */
export const SEVERITY_TITLE: Readonly<Record<Severity, string>> = {
  1: 'Policy failures, and what the policy check could not judge',
  2: 'Reach into a stricter tier',
  3: 'Prod data destroyed',
  4: 'Gates and identities: who may apply what',
  5: 'Also needs attention',
};

export interface ReviewItem {
  readonly severity: Severity;
  /** A rule id, an attention category, `reach`, `prod-data`, `stack`, `plan`, …: the tag shown before the line. */
  readonly kind: string;
  /** What the item is about (`<stack>: <address>`, `stack <name>`, …): one change, one item. */
  readonly subject: string;
  /** Items with the same key are one change and merge (default: the subject). */
  readonly key?: string;
  /** One line of Markdown (names already in code spans, free text escaped). */
  readonly line: string;
  /** Supporting lines, plain text (shown in a code block, may be shortened). */
  readonly details: readonly string[];
  /**
   * For the compact rendering of many items: the line's words without the name (`DROPS prod
   * database`), and the name (the database's). Items sharing a group render as one line listing the names.
   */
  readonly group?: string;
  readonly name?: string;
}

/** A collapsed section of the comment's second part, in the order given. */
export interface DetailSection {
  /** The items' details and the list of every change go first when space runs out. */
  readonly role: 'item-details' | 'changes' | 'summary';
  readonly title: string;
  /** Markdown lines, full and shortened renderings (the renderer picks what fits). */
  readonly full: readonly string[];
  readonly short: readonly string[];
}

export interface Review {
  readonly estate: string;
  /** The lines under the title: the check verdict, the counts. */
  readonly headline: readonly string[];
  /** Sorted by severity, then by their sources' own order. */
  readonly items: readonly ReviewItem[];
  readonly sections: readonly DetailSection[];
}
