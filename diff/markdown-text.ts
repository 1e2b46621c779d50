/** Markdown escaping shared by every part of the PR comment. */

/** Free text in Markdown/HTML: no tag or table injection from attribute values. */
export function text(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\|/g, '\\|');
}

/** A name as inline code; a backtick or newline in it cannot close the span. */
export function code(s: string): string {
  return `\`${s.replace(/`/g, "'").replace(/\|/g, '\\|').replace(/\n/g, '\\n')}\``;
}
