/** Markdown escaping shared by every part of the PR comment. */

/**
 * Line endings as visible escapes. CommonMark ends a line at \n, \r\n and \r alike: one from free
 * text (a reason) would end a list item, a table row or a code fence, and the next line would be
 * raw Markdown/HTML (an unclosed `<!--` hides the rest of the comment).
 */
function oneLine(s: string): string {
  return s.replace(/\r/g, '\\r').replace(/\n/g, '\\n');
}

const ENTITY: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

/**
 * Free text in Markdown/HTML: no tag, table, line or inline-Markdown injection from attribute
 * values. The characters that open inline syntax (emphasis `*` `_` `~`, links and images `[` `]`,
 * code `` ` ``, math `$`, a heading `#`, a backslash escape) become numeric character references,
 * as ci/github-comment.ts's cell() does: CommonMark never reads a reference as markup, and it is
 * decoded inside `<summary>` too, where a backslash escape would show. A reason written as
 * `![badge](url) **Nothing needs attention.**` stays visible text, not tierkit's verdict.
 */
export function text(s: string): string {
  // An underscore between two letters or digits never opens or closes emphasis (CommonMark 6.2):
  // `snake_case` stays as written.
  const word = /[\p{L}\p{N}]/u;
  return oneLine(s.replace(/[&<>\\`*_[\]~#$]/g, (c, i: number) => ENTITY[c]
    ?? (c === '_' && word.test(s[i - 1] ?? '') && word.test(s[i + 1] ?? '') ? c : `&#${c.charCodeAt(0)};`)).replace(/\|/g, '\\|'));
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
