/**
 * A recursive-descent parser for the subset of HCL's template and expression grammar that a
 * Terraform JSON string holds (hashicorp/hcl hclsyntax/spec.md): templates with `${…}`
 * interpolations and `%{if}`/`%{for}` directives, literals, tuples, objects, references with
 * attribute / index / splat traversals, function calls (with `...` expansion), `for` expressions,
 * unary, binary and conditional operators. Anything else (heredocs, comments inside expressions,
 * provider-defined functions `provider::x::f`) is a ParseError, which the evaluator turns into an
 * unknown: never a guess at a literal.
 */
export type Node =
  | { readonly k: 'lit'; readonly v: unknown }
  | { readonly k: 'tpl'; readonly parts: readonly Part[]; readonly wrapped: boolean }
  | { readonly k: 'ref'; readonly name: string }
  | { readonly k: 'attr'; readonly o: Node; readonly name: string }
  | { readonly k: 'index'; readonly o: Node; readonly i: Node }
  | { readonly k: 'splat'; readonly o: Node; readonly each: Node }
  | { readonly k: 'call'; readonly f: string; readonly args: readonly Node[]; readonly expand: boolean }
  | { readonly k: 'tuple'; readonly items: readonly Node[] }
  | { readonly k: 'object'; readonly items: readonly (readonly [Node, Node])[] }
  | { readonly k: 'cond'; readonly c: Node; readonly t: Node; readonly f: Node }
  | { readonly k: 'bin'; readonly op: string; readonly l: Node; readonly r: Node }
  | { readonly k: 'un'; readonly op: string; readonly e: Node }
  | { readonly k: 'for'; readonly object: boolean; readonly keyVar?: string; readonly valVar: string; readonly coll: Node;
      readonly key?: Node; readonly val: Node; readonly cond?: Node; readonly group: boolean }
  /** The value being splatted, inside a splat's `each`. */
  | { readonly k: 'splatItem' };

export type Part =
  | { readonly k: 'str'; readonly s: string }
  | { readonly k: 'interp'; readonly e: Node }
  | { readonly k: 'if'; readonly c: Node; readonly then: readonly Part[]; readonly else: readonly Part[] }
  | { readonly k: 'for'; readonly keyVar?: string; readonly valVar: string; readonly coll: Node; readonly body: readonly Part[] };

export class ParseError extends Error {}

const IDENT = /[A-Za-z_][A-Za-z0-9_-]*/y;
const NUMBER = /[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;

/** Binary operators by precedence, lowest first (hclsyntax spec, "Operations"). */
const LEVELS: readonly (readonly string[])[] = [['||'], ['&&'], ['==', '!='], ['<=', '>=', '<', '>'], ['+', '-'], ['*', '/', '%']];

class Parser {
  pos = 0;

  constructor(readonly src: string) {}

  fail(what: string): never {
    throw new ParseError(`${what} at offset ${this.pos}`);
  }

  ws(): void {
    while (this.pos < this.src.length && /\s/.test(this.src[this.pos])) this.pos++;
    if (this.src.startsWith('#', this.pos) || this.src.startsWith('//', this.pos) || this.src.startsWith('/*', this.pos)) this.fail('comments inside an expression are outside the evaluated subset');
  }

  peek(s: string): boolean {
    this.ws();
    return this.src.startsWith(s, this.pos);
  }

  eat(s: string): boolean {
    if (!this.peek(s)) return false;
    this.pos += s.length;
    return true;
  }

  expect(s: string): void {
    if (!this.eat(s)) this.fail(`expected "${s}"`);
  }

  ident(): string | undefined {
    this.ws();
    IDENT.lastIndex = this.pos;
    const m = IDENT.exec(this.src);
    if (!m) return undefined;
    this.pos += m[0].length;
    return m[0];
  }

  keyword(word: string): boolean {
    const save = this.pos;
    if (this.ident() === word) return true;
    this.pos = save;
    return false;
  }

  // ---- templates ----

  /** Template parts until one of `stops` (a directive keyword) or the end; `quoted` stops at `"`. */
  template(quoted: boolean, stops: readonly string[] = []): { parts: Part[]; stop?: string } {
    const parts: Part[] = [];
    let lit = '';
    const flush = () => {
      if (lit) parts.push({ k: 'str', s: lit });
      lit = '';
    };
    const stripBefore = () => {
      const last = parts[parts.length - 1];
      lit = lit.replace(/\s+$/, '');
      if (!lit && last?.k === 'str') parts[parts.length - 1] = { k: 'str', s: last.s.replace(/\s+$/, '') };
    };
    while (this.pos < this.src.length) {
      const c = this.src[this.pos];
      if (quoted && c === '"') break;
      if (quoted && c === '\\') {
        lit += this.escape();
        continue;
      }
      if (this.src.startsWith('$${', this.pos) || this.src.startsWith('%%{', this.pos)) {
        lit += this.src.slice(this.pos + 1, this.pos + 3);
        this.pos += 3;
        continue;
      }
      if (this.src.startsWith('${', this.pos)) {
        this.pos += 2;
        if (this.src[this.pos] === '~') { this.pos++; stripBefore(); }
        flush();
        const e = this.expr();
        this.closeMarker();
        parts.push({ k: 'interp', e });
        continue;
      }
      if (this.src.startsWith('%{', this.pos)) {
        const start = this.pos;
        this.pos += 2;
        if (this.src[this.pos] === '~') { this.pos++; stripBefore(); }
        const word = this.ident();
        if (word && stops.includes(word)) {
          flush();
          this.pos = start;
          return { parts, stop: word };
        }
        flush();
        if (word === 'if') parts.push(this.ifDirective(quoted));
        else if (word === 'for') parts.push(this.forDirective(quoted));
        else this.fail(`unexpected template directive "${word ?? ''}"`);
        continue;
      }
      lit += c;
      this.pos++;
    }
    flush();
    return { parts };
  }

  /** `}` or `~}` closing an interpolation or directive; `~}` strips whitespace after it. */
  closeMarker(): void {
    this.ws();
    const strip = this.src.startsWith('~}', this.pos);
    if (strip) this.pos += 2;
    else this.expect('}');
    if (strip) while (this.pos < this.src.length && /\s/.test(this.src[this.pos])) this.pos++;
  }

  /** Consume `%{ word }` (the caller saw the stop word). */
  directiveEnd(word: string): void {
    this.expect('%{');
    if (this.src[this.pos] === '~') this.pos++;
    if (this.ident() !== word) this.fail(`expected %{${word}}`);
    this.closeMarker();
  }

  ifDirective(quoted: boolean): Part {
    const c = this.expr();
    this.closeMarker();
    const a = this.template(quoted, ['else', 'endif']);
    let b: Part[] = [];
    if (a.stop === 'else') {
      this.directiveEnd('else');
      const r = this.template(quoted, ['endif']);
      if (r.stop !== 'endif') this.fail('unterminated %{if}');
      b = r.parts;
    } else if (a.stop !== 'endif') this.fail('unterminated %{if}');
    this.directiveEnd('endif');
    return { k: 'if', c, then: a.parts, else: b };
  }

  forDirective(quoted: boolean): Part {
    const [keyVar, valVar] = this.forVars();
    const coll = this.expr();
    this.closeMarker();
    const body = this.template(quoted, ['endfor']);
    if (body.stop !== 'endfor') this.fail('unterminated %{for}');
    this.directiveEnd('endfor');
    return { k: 'for', keyVar, valVar, coll, body: body.parts };
  }

  forVars(): [string | undefined, string] {
    const a = this.ident() ?? this.fail('expected a for variable');
    let keyVar: string | undefined;
    let valVar = a;
    if (this.eat(',')) {
      keyVar = a;
      valVar = this.ident() ?? this.fail('expected a for value variable');
    }
    if (!this.keyword('in')) this.fail('expected "in"');
    return [keyVar, valVar];
  }

  escape(): string {
    const n = this.src[this.pos + 1];
    this.pos += 2;
    switch (n) {
      case 'n': return '\n';
      case 'r': return '\r';
      case 't': return '\t';
      case '"': return '"';
      case '\\': return '\\';
      case 'u': case 'U': {
        const len = n === 'u' ? 4 : 8;
        const hex = this.src.slice(this.pos, this.pos + len);
        if (!/^[0-9A-Fa-f]+$/.test(hex) || hex.length !== len) this.fail('bad unicode escape');
        this.pos += len;
        return String.fromCodePoint(parseInt(hex, 16));
      }
      default: return this.fail(`unknown escape \\${n ?? ''}`);
    }
  }

  // ---- expressions ----

  expr(): Node {
    const c = this.binary(0);
    if (this.peek('?')) {
      this.pos++;
      const t = this.expr();
      this.expect(':');
      const f = this.expr();
      return { k: 'cond', c, t, f };
    }
    return c;
  }

  binary(level: number): Node {
    if (level === LEVELS.length) return this.unary();
    let l = this.binary(level + 1);
    for (;;) {
      this.ws();
      const op = LEVELS[level].find((o) => this.src.startsWith(o, this.pos)
        // `=>` and `==` are not `=`; `<=`/`>=` are matched before `<`/`>` by order.
        && !(o === '<' && this.src[this.pos + 1] === '=') && !(o === '>' && this.src[this.pos + 1] === '='));
      if (!op) return l;
      this.pos += op.length;
      l = { k: 'bin', op, l, r: this.binary(level + 1) };
    }
  }

  unary(): Node {
    if (this.eat('!')) return { k: 'un', op: '!', e: this.unary() };
    if (this.peek('-')) {
      this.pos++;
      return { k: 'un', op: '-', e: this.unary() };
    }
    return this.postfix(this.primary());
  }

  postfix(base: Node): Node {
    let o = base;
    for (;;) {
      this.ws();
      if (this.src.startsWith('.*', this.pos) || this.src.startsWith('[*]', this.pos)) {
        this.pos += this.src[this.pos] === '.' ? 2 : 3;
        // Splat: the traversals that follow apply to each element.
        let each: Node = { k: 'splatItem' };
        for (;;) {
          this.ws();
          if (this.src[this.pos] === '.' && /[A-Za-z_]/.test(this.src[this.pos + 1] ?? '')) {
            this.pos++;
            each = { k: 'attr', o: each, name: this.ident()! };
          } else if (this.src[this.pos] === '[' && this.src[this.pos + 1] !== '*') {
            this.pos++;
            const i = this.expr();
            this.expect(']');
            each = { k: 'index', o: each, i };
          } else break;
        }
        o = { k: 'splat', o, each };
      } else if (this.src[this.pos] === '.' && /[0-9]/.test(this.src[this.pos + 1] ?? '')) {
        this.pos++;
        NUMBER.lastIndex = this.pos;
        const m = /[0-9]+/y;
        m.lastIndex = this.pos;
        const d = m.exec(this.src)![0];
        this.pos += d.length;
        o = { k: 'index', o, i: { k: 'lit', v: Number(d) } };
      } else if (this.src[this.pos] === '.') {
        this.pos++;
        o = { k: 'attr', o, name: this.ident() ?? this.fail('expected an attribute name') };
      } else if (this.src[this.pos] === '[') {
        this.pos++;
        const i = this.expr();
        this.expect(']');
        o = { k: 'index', o, i };
      } else return o;
    }
  }

  primary(): Node {
    this.ws();
    const c = this.src[this.pos];
    if (c === undefined) this.fail('unexpected end of expression');
    if (c === '(') {
      this.pos++;
      const e = this.expr();
      this.expect(')');
      return e;
    }
    if (c === '"') {
      this.pos++;
      const { parts } = this.template(true);
      if (this.src[this.pos] !== '"') this.fail('unterminated string');
      this.pos++;
      return { k: 'tpl', parts, wrapped: false };
    }
    if (c === '<' && this.src.startsWith('<<', this.pos)) this.fail('heredocs are outside the evaluated subset');
    if (/[0-9]/.test(c)) {
      NUMBER.lastIndex = this.pos;
      const m = NUMBER.exec(this.src)!;
      this.pos += m[0].length;
      return { k: 'lit', v: Number(m[0]) };
    }
    if (c === '[') {
      this.pos++;
      if (this.keyword('for')) return this.forExpr(false);
      const items: Node[] = [];
      while (!this.eat(']')) {
        items.push(this.expr());
        if (!this.eat(',') && !this.peek(']')) this.fail('expected "," or "]"');
      }
      return { k: 'tuple', items };
    }
    if (c === '{') {
      this.pos++;
      if (this.keyword('for')) return this.forExpr(true);
      const items: [Node, Node][] = [];
      while (!this.eat('}')) {
        let key = this.expr();
        // A bare identifier key is the literal name, not a reference (`{ username = … }`).
        if (key.k === 'ref') key = { k: 'lit', v: key.name };
        if (!this.eat('=') && !this.eat(':')) this.fail('expected "=" or ":"');
        items.push([key, this.expr()]);
        if (!this.eat(',')) this.ws();
      }
      return { k: 'object', items };
    }
    const name = this.ident();
    if (name === undefined) this.fail(`unexpected "${c}"`);
    if (name === 'true' || name === 'false') return { k: 'lit', v: name === 'true' };
    if (name === 'null') return { k: 'lit', v: null };
    if (this.src.startsWith('::', this.pos)) this.fail('provider-defined functions are outside the evaluated subset');
    if (this.peek('(')) {
      this.pos++;
      const args: Node[] = [];
      let expand = false;
      while (!this.eat(')')) {
        args.push(this.expr());
        if (this.eat('...')) expand = true;
        if (!this.eat(',') && !this.peek(')')) this.fail('expected "," or ")"');
      }
      return { k: 'call', f: name, args, expand };
    }
    return { k: 'ref', name };
  }

  forExpr(object: boolean): Node {
    const [keyVar, valVar] = this.forVars();
    const coll = this.expr();
    this.expect(':');
    let key: Node | undefined;
    let val = this.expr();
    let group = false;
    if (object) {
      this.expect('=>');
      key = val;
      val = this.expr();
      group = this.eat('...');
    }
    const cond = this.keyword('if') ? this.expr() : undefined;
    this.expect(object ? '}' : ']');
    return { k: 'for', object, keyVar, valVar, coll, key, val, cond, group };
  }
}

const cache = new Map<string, Node | ParseError>();

/**
 * Parse a Terraform JSON string as a template (every JSON string value is one). Cached by text:
 * the same few expressions recur in every stack of an estate.
 */
export function parseTemplate(src: string): Node {
  let hit = cache.get(src);
  if (hit === undefined) {
    try {
      const p = new Parser(src);
      const { parts } = p.template(false);
      if (p.pos !== src.length) p.fail('unexpected text');
      const wrapped = parts.length === 1 && parts[0].k === 'interp';
      hit = { k: 'tpl', parts, wrapped };
    } catch (e) {
      hit = e instanceof ParseError ? e : new ParseError(String(e));
    }
    if (cache.size > 20_000) cache.clear();
    cache.set(src, hit);
  }
  if (hit instanceof ParseError) throw hit;
  return hit;
}
