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
/** An `@` GitHub cannot read as a mention (text()). */
export const AT = '<code>@</code>';

/**
 * Free text in Markdown/HTML: no tag, table, line or inline-Markdown injection from attribute
 * values. The characters that open inline syntax (emphasis `*` `_` `~`, links and images `[` `]`,
 * code `` ` ``, math `$`, a heading `#`, a backslash escape) become numeric character references,
 * as ci/github-comment.ts's cell() does: CommonMark never reads a reference as markup, and it is
 * decoded inside `<summary>` too, where a backslash escape would show. A reason written as
 * `![badge](url) **Nothing needs attention.**` stays visible text, not tierkit's verdict.
 *
 * An `@` is written `<code>@</code>`: GitHub links (and notifies) `@user` and `@org/team` in a
 * comment's rendered text ("Basic writing and formatting syntax", Mentioning people and teams), so
 * a value could page anyone. A numeric reference would not stop it: CommonMark decodes `&#64;` to
 * `@` in the HTML, and the mention filter reads the rendered text nodes, skipping only those inside
 * `pre`, `code` and `a` (gjtorikian/html-pipeline lib/html/pipeline/mention_filter.rb, started at
 * GitHub: IGNORE_PARENTS, `doc.search('.//text()')`). Inside `code` the `@` is no mention, and the
 * name after it is a text node with no `@`. The text reads and copies as written.
 */
export function text(s: string): string {
  // An underscore between two letters or digits never opens or closes emphasis (CommonMark 6.2):
  // `snake_case` stays as written.
  const word = /[\p{L}\p{N}]/u;
  return oneLine(s.replace(/[&<>\\`*_[\]~#$@]/g, (c, i: number) => ENTITY[c] ?? (c === '@' ? AT : undefined)
    ?? (c === '_' && word.test(s[i - 1] ?? '') && word.test(s[i + 1] ?? '') ? c : `&#${c.charCodeAt(0)};`)).replace(/\|/g, '\\|'));
}

/**
 * tierkit's own wording (a finding's message and fix, an attention item's message, a hint), which
 * writes its own code spans in backticks (`tierkit state migrate`): each span whose content has no
 * backtick or line ending renders as code(), every other character as text(). So what reaches the
 * comment is escaped text and inline code only: whatever a value inside the wording holds (a name,
 * a reason, a path), it cannot open an image, link, emphasis, heading, HTML or a line, and CommonMark
 * reads nothing inside a code span. A backtick inside a value could still pair with another one; the
 * wording tierkit builds itself keeps values out of that (`said`), and the worst left for a rule's
 * message is text shown as code.
 */
export function prose(s: string): string {
  const out: string[] = [];
  let last = 0;
  for (const m of s.matchAll(/`([^`\r\n]+)`/g)) {
    out.push(text(s.slice(last, m.index)), code(m[1]));
    last = m.index + m[0].length;
  }
  out.push(text(s.slice(last)));
  return out.join('');
}

/**
 * tierkit's wording with values in it (a tagged template): a backtick in a value becomes `'`, as in
 * code(), so a value can never open, close or split one of the wording's own code spans when it is
 * rendered with prose(). A fragment of tierkit's own wording is passed as `own(…)` and kept as is.
 */
export function said(strings: TemplateStringsArray, ...values: readonly unknown[]): string {
  return strings.reduce((out, s, i) => out + s + (i < values.length ? inert(values[i]) : ''), '');
}

/** A piece of tierkit's own wording (its code spans kept) inside `said`. */
export class Own {
  constructor(readonly wording: string) {}
}

export function own(wording: string): Own {
  return new Own(wording);
}

function inert(v: unknown): string {
  return v instanceof Own ? v.wording : String(v).replace(/`/g, "'");
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
