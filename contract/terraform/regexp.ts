/**
 * Terraform's `replace(str, "/re/", rep)`: Go's `regexp.Compile` + `ReplaceAllString`
 * (hashicorp/terraform internal/lang/funcs/string.go, ReplaceFunc). JavaScript's RegExp and
 * `String.prototype.replace` differ from Go's RE2 in syntax, in `$` expansion (Go's `$1_x` is the
 * group *named* "1_x"), in empty matches after a match, and in captures inside repeated groups.
 * So only a pattern of a small grammar on which both engines agree is evaluated; the replace loop
 * and `$` expansion are Go's (golang.org/src/regexp/regexp.go: `replaceAll`, `expand`, `extract`),
 * re-implemented here. Any other pattern returns undefined: the caller makes the value unknown.
 */

/** Printable ASCII, tab and newline: inputs on which `.` (no `\r`), `\w`, `\d` mean the same in both engines. */
const PLAIN = /^[\t\n\x20-\x7e]*$/;
const LITERAL = /[A-Za-z0-9 _\-,:;=@#%&'"<>!~`/]/;
const PUNCT = /[!-/:-@[-`{-~]/;

/**
 * A set `[…]` from `start`: literals, escaped punctuation and ranges `a-z` in order; `-` only
 * first, last or inside one range; no `[` (POSIX classes, nesting) and not empty (`[]`, `[^]`
 * differ between the engines). Returns the index after `]`.
 */
function checkClass(p: string, start: number): number | undefined {
  let j = start + 1;
  if (p[j] === '^') j++;
  const items: string[] = [];
  while (j < p.length && p[j] !== ']') {
    if (p[j] === '[') return undefined;
    if (p[j] === '\\') {
      if (!PUNCT.test(p[j + 1] ?? '')) return undefined;
      items.push(p.slice(j, j + 2));
      j += 2;
    } else items.push(p[j++]);
  }
  if (j >= p.length || items.length === 0) return undefined;
  for (let k = 0; k < items.length; k++) {
    if (items[k] !== '-' || k === 0 || k === items.length - 1) continue;
    const [a, b] = [items[k - 1], items[k + 1]];
    if (a === '-' || b === '-' || a.slice(-1) > b.slice(-1)) return undefined;
    if (k >= 2 && items[k - 2] === '-') return undefined; // `a-c-e`: a range right after a range
    k++;
  }
  return j + 1;
}

/** Validates the grammar: returns the number of capturing groups, or undefined outside it. */
function checkPattern(p: string): number | undefined {
  let i = 0;
  let groups = 0;
  // One frame per open group: whether a capture opened inside it (a repeated one is refused).
  const open: { capture: boolean }[] = [];
  let lastAtom: 'atom' | 'group-capture' | 'group' | 'none' = 'none';
  while (i < p.length) {
    const c = p[i];
    if (c === '\\') {
      const n = p[i + 1] ?? '';
      if (!(PUNCT.test(n) || 'dDwW'.includes(n)) || n === '') return undefined;
      i += 2; lastAtom = 'atom';
    } else if (c === '[') {
      const end = checkClass(p, i);
      if (end === undefined) return undefined;
      i = end; lastAtom = 'atom';
    } else if (c === '(') {
      if (p[i + 1] === '?') {
        if (p[i + 2] !== ':') return undefined;
        open.push({ capture: false });
        i += 3;
      } else {
        groups++;
        open.forEach((f) => { f.capture = true; });
        open.push({ capture: true });
        i++;
      }
      lastAtom = 'none';
    } else if (c === ')') {
      const f = open.pop();
      if (!f) return undefined;
      i++; lastAtom = f.capture ? 'group-capture' : 'group';
    } else if (c === '*' || c === '+' || c === '?' || c === '{') {
      if (lastAtom === 'none') return undefined;
      if (lastAtom === 'group-capture') return undefined; // JS resets captures per iteration; RE2 keeps them
      if (c === '{') {
        // A counted repeat of a group can nest counts past RE2's size limit (an error in Terraform): refused.
        if (lastAtom !== 'atom') return undefined;
        const m = /^\{(\d{1,4})(,(\d{1,4})?)?\}/.exec(p.slice(i));
        if (!m) return undefined;
        const lo = Number(m[1]);
        const hi = m[3] === undefined ? lo : Number(m[3]);
        if (lo > 1000 || hi > 1000 || (m[3] !== undefined && lo > hi)) return undefined;
        i += m[0].length;
      } else i++;
      if (p[i] === '?') i++;
      lastAtom = 'none'; // a quantifier after a quantifier is an error in both: refuse it
    } else if (c === '|') {
      i++; lastAtom = 'none';
    } else if (c === '^' || c === '$') {
      i++; lastAtom = 'none';
    } else if (c === '.' || LITERAL.test(c)) {
      i++; lastAtom = 'atom';
    } else return undefined;
  }
  return open.length ? undefined : groups;
}

/** Go's `extract`: a name after `$` (or inside `${…}`) of letters, digits and `_`; its number, or -1 if it is a name. */
function extract(t: string): { num: number; name: string; rest: string } | undefined {
  let s = t;
  const brace = s[0] === '{';
  if (brace) s = s.slice(1);
  const name = /^[A-Za-z0-9_]*/.exec(s)![0];
  if (name === '') return undefined;
  let i = name.length;
  if (brace) {
    if (s[i] !== '}') return undefined;
    i++;
  }
  let num = /^[0-9]+$/.test(name) && name.length <= 8 ? Number(name) : -1;
  if (name[0] === '0' && name.length > 1) num = -1;
  return { num, name, rest: s.slice(i) };
}

/** Go's `Regexp.expand` for a pattern without named groups: `$$` is `$`, a malformed `$` is literal. */
function expand(template: string, m: RegExpExecArray): string {
  let out = '';
  let t = template;
  for (;;) {
    const at = t.indexOf('$');
    if (at < 0) break;
    out += t.slice(0, at);
    t = t.slice(at + 1);
    if (t[0] === '$') { out += '$'; t = t.slice(1); continue; }
    const x = extract(t);
    if (!x) { out += '$'; continue; }
    t = x.rest;
    if (x.num >= 0 && x.num < m.length && m[x.num] !== undefined) out += m[x.num];
  }
  return out + t;
}

/** `replace` with a `/re/` substring as Terraform computes it, or undefined when tierkit cannot be sure. */
export function regexReplace(str: string, pattern: string, rep: string): string | undefined {
  if (!PLAIN.test(str) || !PLAIN.test(pattern) || !PLAIN.test(rep)) return undefined;
  if (checkPattern(pattern) === undefined) return undefined;
  const re = new RegExp(pattern, 'g');
  // Go's replaceAll: an empty match right after the previous match is not replaced; always advance.
  let out = '';
  let lastMatchEnd = 0;
  let searchPos = 0;
  while (searchPos <= str.length) {
    re.lastIndex = searchPos;
    const m = re.exec(str);
    if (!m) break;
    const [a0, a1] = [m.index, m.index + m[0].length];
    out += str.slice(lastMatchEnd, a0);
    if (a1 > lastMatchEnd || a0 === 0) out += expand(rep, m);
    lastMatchEnd = a1;
    const width = searchPos < str.length ? 1 : 0;
    if (searchPos + width > a1) searchPos += width;
    else if (searchPos + 1 > a1) searchPos++;
    else searchPos = a1;
  }
  return out + str.slice(lastMatchEnd);
}
