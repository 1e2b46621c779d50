import { code, prose, text } from './markdown-text';
import { DetailSection, Review, ReviewItem, SEVERITIES, SEVERITY_TITLE, Severity } from './review-model';

/**
 * Lays a Review out as the PR comment. The first screen is the title, the verdict and counts, then
 * the items by severity — policy failures, reach into a stricter tier and prod data destroyed come
 * before anything else; details follow in collapsed sections. To fit the size limit it sheds
 * detail in a fixed order, and items of severity 1–3 are the last thing it shortens.
 */

export const MARKER = '<!-- tierkit-diff -->';

export interface LayoutOptions {
  readonly maxChars: number;
  /** Where the full JSON report is; shown whenever something is left out. */
  readonly reportHint?: string;
  /** Lines right under the title, never shortened (the promotion the PR carries). */
  readonly top?: readonly string[];
}

/** How much of each part a level keeps. */
interface Level {
  readonly sections: 'full' | 'short' | 'no-changes' | 'minimal';
  readonly lower: 'lines' | 'grouped' | 'count';
  readonly upper: 'lines' | 'short-lines' | 'grouped';
  readonly note?: string;
}

const LEVELS: readonly Level[] = [
  { sections: 'full', lower: 'lines', upper: 'lines' },
  { sections: 'short', lower: 'lines', upper: 'lines', note: 'Attribute values of the changes' },
  { sections: 'no-changes', lower: 'lines', upper: 'lines', note: 'The list of every change' },
  { sections: 'minimal', lower: 'lines', upper: 'lines', note: 'The list of every change and the details of the items' },
  { sections: 'minimal', lower: 'grouped', upper: 'lines', note: 'Details, and the wording of each item of severity 4 and 5 (grouped by kind)' },
  { sections: 'minimal', lower: 'count', upper: 'lines', note: 'Details, and the items of severity 4 and 5 (counted above)' },
  { sections: 'minimal', lower: 'count', upper: 'short-lines', note: 'Details, the items of severity 4 and 5, and the end of long lines' },
  { sections: 'minimal', lower: 'grouped', upper: 'grouped', note: 'Details, and the wording of each item (grouped by kind)' },
  { sections: 'minimal', lower: 'count', upper: 'grouped', note: 'Everything but the items of severity 1 to 3, grouped by kind' },
];

/** The note each level adds (undefined: nothing left out), in order; tests read the level from it. */
export const LEVEL_NOTES: readonly (string | undefined)[] = LEVELS.map((l) => l.note);

function heading(severity: Severity, n: number): string {
  return `### ${severity} · ${SEVERITY_TITLE[severity]} (${n})`;
}

function shorten(line: string, max: number): string {
  if (line.length <= max) return line;
  // Never cut inside a code span: an unclosed backtick would swallow the rest of the comment.
  let cut = line.slice(0, max - 1);
  if ((cut.split('`').length - 1) % 2 === 1) cut = cut.slice(0, cut.lastIndexOf('`'));
  return `${cut}…`;
}

/** Items sharing a group's words as one line naming each of them, in first-seen order. */
function grouped(items: readonly ReviewItem[]): string[] {
  const groups = new Map<string, string[]>();
  for (const i of items) {
    const group = i.group ?? `**${text(i.kind)}**`;
    groups.set(group, [...(groups.get(group) ?? []), code(i.name ?? i.subject)]);
  }
  return [...groups].map(([group, names]) => `- ${group} (${names.length}): ${names.join(', ')}`);
}

function itemLines(items: readonly ReviewItem[], style: Level['lower'] | Level['upper']): string[] {
  if (style === 'grouped') return grouped(items);
  if (style === 'count') return [];
  // A shortened line still names what it is about.
  return items.map((i) => `- ${style === 'short-lines' && i.line.length > 200 ? `${shorten(i.line, 200)} (${code(i.name ?? i.subject)})` : i.line}`);
}

function sectionLines(s: DetailSection, style: 'full' | 'short'): string[] {
  return ['', `<details><summary>${text(s.title)}</summary>`, '', ...(style === 'full' ? s.full : s.short), '', '</details>'];
}

function sections(review: Review, level: Level): string[] {
  return review.sections.flatMap((s) => {
    switch (level.sections) {
      case 'full': return sectionLines(s, 'full');
      case 'short': return sectionLines(s, s.role === 'changes' ? 'short' : 'full');
      case 'no-changes': return s.role === 'changes' ? [] : sectionLines(s, 'full');
      case 'minimal': return s.role === 'summary' ? sectionLines(s, 'short') : [];
    }
  });
}

function compose(review: Review, level: Level, hint: string, top: readonly string[]): string {
  const out = [MARKER, `## tierkit diff — ${text(review.estate)}`, '', ...top, ...review.headline];
  if (review.items.length === 0) out.push('', 'Nothing needs attention: no policy failure, privilege, network, gate or destroy change.');
  const lowerCounted: string[] = [];
  for (const severity of SEVERITIES) {
    const items = review.items.filter((i) => i.severity === severity);
    if (items.length === 0) continue;
    const style = severity <= 3 ? level.upper : level.lower;
    if (style === 'count') {
      lowerCounted.push(`${items.length} of severity ${severity} (${SEVERITY_TITLE[severity].toLowerCase()})`);
      continue;
    }
    out.push('', heading(severity, items.length), '', ...itemLines(items, style));
  }
  if (lowerCounted.length > 0) out.push('', `**Not listed here** to stay under GitHub's comment limit: ${lowerCounted.join('; ')}.`);
  out.push(...sections(review, level));
  if (level.note) out.push('', `_${level.note} left out to stay under GitHub's comment limit; the full change set: ${prose(hint)}._`);
  return `${out.join('\n')}\n`;
}

export function layoutComment(review: Review, options: LayoutOptions): string {
  const hint = options.reportHint ?? 'run `tierkit diff --format json`';
  let body = '';
  for (const level of LEVELS) {
    body = compose(review, level, hint, options.top ?? []);
    if (body.length <= options.maxChars) return body;
  }
  // Even the grouped items of severity 1–3 do not fit: say so, never drop them silently.
  const notice = `\n\n**This comment is truncated: the items of severity 1 to 3 alone exceed GitHub's limit. Read the JSON report: ${prose(hint)}.**\n`;
  let cut = body.slice(0, options.maxChars - notice.length);
  // At a list separator or a line end: never inside a code span.
  cut = cut.slice(0, Math.max(0, cut.lastIndexOf(','), cut.lastIndexOf('\n')));
  return cut + notice;
}
