import type { Manifest } from '../contract/manifest';
import * as part from './markdown-parts';
import type { ChangeSet } from './model';

/** GitHub rejects issue and PR comments longer than this. */
export const GITHUB_COMMENT_LIMIT = 65_535;

export interface MarkdownOptions {
  /** Where the full JSON report is (an artifact name, a URL); shown whenever detail is left out. */
  readonly reportHint?: string;
  /** @default GITHUB_COMMENT_LIMIT; CI passes less to leave room for the plan table it appends. */
  readonly maxChars?: number;
}

/**
 * The PR comment. It degrades to fit `maxChars`: first attribute tables go, then the per-resource
 * sections and the graph, then attention details shrink — but every attention item stays.
 */
export function renderMarkdown(set: ChangeSet, base: Manifest, head: Manifest, options: MarkdownOptions = {}): string {
  const max = options.maxChars ?? GITHUB_COMMENT_LIMIT;
  if (set.identical) return part.noChanges(set);
  const hint = options.reportHint ?? 'run `tierkit diff --format json`';
  const omitted = (what: string) => `_${what} left out to stay under GitHub's comment limit; see the full change set: ${part.text(hint)}._`;
  const summary = part.summaryTable(set, base, head);
  const graph = part.mermaid(set, base, head);
  const levels: (() => string[])[] = [
    () => [part.header(set, options.reportHint), part.attention(set.attention, 'full'), summary, graph, part.resourceSections(set, true)],
    () => [part.header(set, hint), part.attention(set.attention, 'full'), summary, graph, part.resourceSections(set, false), omitted('Attribute values')],
    () => [part.header(set, hint), part.attention(set.attention, 'full'), summary, graph, omitted('Per-resource sections')],
    () => [part.header(set, hint), part.attention(set.attention, 'short'), summary, omitted('Per-resource sections, the graph and some attention details')],
    () => [part.header(set, hint), part.attention(set.attention, 'line'), summary, omitted('Per-resource sections, the graph and attention details')],
    () => [part.header(set, hint), part.attention(set.attention, 'grouped'), summary, omitted('Everything but the list of attention items')],
  ];
  let body = '';
  for (const level of levels) {
    body = `${level().join('\n\n')}\n`;
    if (body.length <= max) return body;
  }
  // Even the grouped list is too long (thousands of items): say so rather than drop any silently.
  const notice = `\n\n**This comment is truncated: the attention list alone exceeds GitHub's limit. Read the JSON report: ${part.text(hint)}.**\n`;
  return body.slice(0, max - notice.length) + notice;
}
