/** Markdown escaping shared by every part of the PR comment. */

/**
 * Line endings as visible escapes. CommonMark ends a line at \n, \r\n and \r alike: one from free
 * text (a reason) would end a list item, a table row or a code fence, and the next line would be
 * raw Markdown/HTML (an unclosed `<!--` hides the rest of the comment).
 */
function oneLine(s: string): string {
  return s.replace(/\r/g, '\\r').replace(/\n/g, '\\n');
}

/** Free text in Markdown/HTML: no tag, table or line injection from attribute values. */
export function text(s: string): string {
  return oneLine(s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\|/g, '\\|'));
}

/** A name as inline code; a backtick or line ending in it cannot close the span. */
export function code(s: string): string {
  return `\`${oneLine(s.replace(/`/g, "'").replace(/\|/g, '\\|'))}\``;
}

/**
 * One line inside a fenced code block: shown verbatim (no HTML is read there, so `<` stays `<`),
 * but neither a line ending nor a run of backticks can close the fence.
 */
export function fenced(s: string): string {
  return oneLine(s.replace(/```/g, "'''"));
}
