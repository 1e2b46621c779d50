import { repeatedJsonKey } from '../json';
import { regexReplace } from './regexp';
import { Unknown, containsUnknown } from './unknown';

/**
 * Terraform's built-in functions that a stack's reach can depend on, with Terraform's semantics:
 * go-cty's stdlib (cty/function/stdlib: string.go, string_replace.go, format.go, collection.go,
 * sequence.go, set.go, json.go) and hashicorp/terraform's internal/lang/funcs (string.go `replace`,
 * collection.go `length`/`lookup`/`coalesce`). A function not in this table yields an unknown; so
 * does any call with an unknown argument, except where the result is still exact (`concat`,
 * `tolist`: the unknown element stays an element). A value Terraform would compute differently
 * from JavaScript is unknown too, never a guess (`Inexact` below).
 */
export class EvalError extends Error {}

/** Thrown inside a function when an input is outside what tierkit evaluates exactly as go-cty does. */
class Inexact extends Error {}

/**
 * cty normalizes every string to NFC and its string functions work on UTF-8 bytes, runes or grapheme
 * clusters (`sort` by bytes, `substr`/`length` by clusters, `trimspace` by unicode.IsSpace); its numbers
 * are 512-bit big.Floats printed in full (1e21 is "1000000000000000000000"). On printable ASCII (with
 * tab, CR, LF) and safe integers the two agree; anything else in an argument makes the call unknown.
 */
const PLAIN_TEXT = /^[\t\n\r\x20-\x7e]*$/;

export function exactNumber(n: number): boolean {
  return Number.isSafeInteger(n) && !Object.is(n, -0);
}

function inexactIn(v: unknown): string | undefined {
  if (typeof v === 'string') return PLAIN_TEXT.test(v) ? undefined : 'a string with characters other than printable ASCII';
  if (typeof v === 'number') return exactNumber(v) ? undefined : 'a number that is not a safe integer';
  if (v instanceof Unknown || v === null || typeof v !== 'object') return undefined;
  if (Array.isArray(v)) {
    for (const x of v) { const r = inexactIn(x); if (r) return r; }
    return undefined;
  }
  for (const [k, x] of Object.entries(v)) {
    // JavaScript lists integer-like keys first and treats `__proto__` as the prototype: Terraform's
    // maps order keys by bytes and hold any key (jsonencode({"10"=…, "9"=…}) keeps "10" first).
    if (k === '__proto__' || INDEX_LIKE.test(k)) return `an object key "${k}", which a JavaScript object orders or holds unlike Terraform`;
    const r = inexactIn(k) ?? inexactIn(x);
    if (r) return r;
  }
  return undefined;
}

const INDEX_LIKE = /^(0|[1-9][0-9]*)$/;

/** Every function: arguments and result must be in the exact subset, else the call is unknown. */
function exact(name: string, fn: Fn): Fn {
  return (args) => {
    const why = inexactIn(args);
    if (why) return new Unknown(`${name}(…)`, `${name}() of ${why}, which tierkit does not evaluate (Terraform's result may differ)`);
    try {
      const out = fn(args);
      const after = inexactIn(out);
      return after ? new Unknown(`${name}(…)`, `${name}() gives ${after}, which tierkit does not evaluate`) : out;
    } catch (e) {
      if (e instanceof Inexact) return new Unknown(`${name}(…)`, `${name}() ${e.message}, outside what tierkit evaluates exactly as Terraform does`);
      throw e;
    }
  };
}

/** The primitive kind all elements share (cty unifies a mixed list by converting: ["a", 1] is ["a", "1"]). */
function uniform(xs: readonly unknown[], what: string, kinds: readonly string[] = ['string', 'number', 'boolean']): void {
  const seen = new Set(xs.filter((x) => x !== null).map((x) => (Array.isArray(x) ? 'list' : typeof x)));
  if (seen.size > 1 || [...seen].some((k) => !kinds.includes(k))) throw new Inexact(`of ${what} whose elements are not all ${kinds.join(' or ')} of one kind (Terraform converts them)`);
}

export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (v instanceof Unknown) return 'unknown';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  return `a ${typeof v}`;
}

type Fn = (args: unknown[]) => unknown;

function str(v: unknown, what: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return String(v);
  throw new EvalError(`${what} needs a string, not ${typeName(v)}`);
}

function list(v: unknown, what: string): unknown[] {
  if (Array.isArray(v)) return v;
  throw new EvalError(`${what} needs a list, not ${typeName(v)}`);
}

function map(v: unknown, what: string): Record<string, unknown> {
  if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  throw new EvalError(`${what} needs a map or object, not ${typeName(v)}`);
}

function int(v: unknown, what: string): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n)) throw new EvalError(`${what} needs a whole number, not ${typeName(v)}`);
  return n;
}

/** Strict: any unknown argument makes the result unknown. */
function strict(name: string, fn: Fn): Fn {
  return (args) => (args.some(containsUnknown) ? new Unknown(`${name}(…)`, `${name}() of a value that holds an unknown`) : fn(args));
}

/** A set of strings iterates in byte order in cty (ASCII here: JavaScript's order); a set of anything else is unknown. */
function toSet(xs: unknown[]): unknown[] {
  uniform(xs, 'a set', ['string']);
  if (xs.includes(null)) throw new EvalError('a set cannot hold null');
  return [...new Set(xs as string[])].sort();
}

/** A whole number as cty's %d converts it: a safe integer, or a string of its plain decimal form. */
function integer(v: unknown): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^-?(0|[1-9][0-9]*)$/.test(v)) return Number(v);
  if (typeof v === 'string') throw new Inexact(`converts ${JSON.stringify(v)} to a number`);
  throw new EvalError(`format %d needs a whole number, not ${typeName(v)}`);
}

/**
 * cty `format` (stdlib/format.go): only `%%`, `%s` and `%d` without flags, width, precision or an
 * argument index; every other verb (`%v`, `%q`, `%+s`, `%5d`, `%[2]s`, …) is unknown. Too few or too
 * many arguments, or a null, list or object for `%s`, are errors in cty, here too.
 */
function format(args: unknown[]): unknown {
  const fmt = str(args[0], 'format');
  let out = '';
  let next = 1;
  for (let i = 0; i < fmt.length; i++) {
    if (fmt[i] !== '%') { out += fmt[i]; continue; }
    const verb = fmt[++i];
    if (verb === '%') { out += '%'; continue; }
    if (verb !== 's' && verb !== 'd') throw new Inexact(`has the verb or flag "%${verb ?? ''}"`);
    if (next >= args.length) throw new EvalError('format has too few arguments');
    const v = args[next++];
    if (v === null || typeof v === 'object') throw new EvalError(`format %${verb} of ${typeName(v)}`);
    if (verb === 'd' && typeof v === 'boolean') throw new EvalError('format %d of a bool');
    out += verb === 'd' ? String(integer(v)) : str(v, 'format %s');
  }
  if (next < args.length) throw new EvalError(`format has ${args.length - next} more arguments than verbs`);
  return out;
}

/**
 * Terraform's `replace` (internal/lang/funcs/string.go): a `/…/` substring is Go's regexp (see
 * regexp.ts); otherwise Go's strings.Replace, where an empty old string matches before every rune
 * and at the end ("ab" → "XaXbX", "" → "X").
 */
function replace(args: unknown[]): unknown {
  const [s, sub, rep] = [str(args[0], 'replace'), str(args[1], 'replace'), str(args[2], 'replace')];
  if (sub.length > 1 && sub.startsWith('/') && sub.endsWith('/')) {
    const out = regexReplace(s, sub.slice(1, -1), rep);
    if (out === undefined) throw new Inexact('has a regular expression outside the subset on which Go and JavaScript agree');
    return out;
  }
  if (sub === '') return s === '' ? rep : rep + s.split('').join(rep) + rep;
  return s.split(sub).join(rep);
}

/** Terraform's jsonencode sorts object keys and escapes <, >, & as \u003c… (encoding/json). */
function jsonencode(v: unknown): string {
  const sorted = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(sorted);
    if (x && typeof x === 'object') return Object.fromEntries(Object.keys(x).sort().map((k) => [k, sorted((x as Record<string, unknown>)[k])]));
    return x;
  };
  return JSON.stringify(sorted(v)).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

/** cty `substr` and `length` count grapheme clusters: "\r\n" is one, so CR is outside the subset. */
function clusters(s: string): string[] {
  if (s.includes('\r')) throw new Inexact(`counts grapheme clusters of a string with CR (CR LF is one cluster)`);
  return s.split('');
}

function substr(a: unknown[]): string {
  const s = clusters(str(a[0], 'substr'));
  let off = int(a[1], 'substr');
  const len = int(a[2], 'substr');
  // cty: a negative offset counts from the end once; further out, or with length 0, it takes paths JavaScript's slice does not.
  if (off < 0 && (off < -s.length || len === 0)) throw new Inexact('has a negative offset beyond the string or a zero length');
  if (off < 0) off += s.length;
  return s.slice(off, len < 0 ? undefined : off + len).join('');
}

const TABLE: Readonly<Record<string, Fn>> = {
  format: strict('format', format),
  formatlist: strict('formatlist', (a) => {
    const lists = a.slice(1).filter(Array.isArray) as unknown[][];
    const n = lists.length ? lists[0].length : 1;
    if (lists.some((l) => l.length !== n)) throw new EvalError('formatlist() of lists of different lengths');
    return Array.from({ length: n }, (_, i) => format([a[0], ...a.slice(1).map((x) => (Array.isArray(x) ? x[i] : x))]));
  }),
  lower: strict('lower', (a) => str(a[0], 'lower').toLowerCase()),
  upper: strict('upper', (a) => str(a[0], 'upper').toUpperCase()),
  // Go strings.Title: a letter after a byte that is not [A-Za-z0-9_] (ASCII) is upper-cased.
  title: strict('title', (a) => str(a[0], 'title').replace(/\b\w/g, (c) => c.toUpperCase())),
  replace: strict('replace', replace),
  join: strict('join', (a) => {
    if (a.length < 2) throw new EvalError('join() needs at least one list');
    return a.slice(1).flatMap((l) => list(l, 'join')).map((x) => str(x, 'join')).join(str(a[0], 'join'));
  }),
  split: strict('split', (a) => str(a[1], 'split').split(str(a[0], 'split'))),
  concat: (a) => a.flatMap((l) => (l instanceof Unknown ? [l] : list(l, 'concat'))),
  distinct: strict('distinct', (a) => {
    const l = list(a[0], 'distinct');
    uniform(l, 'a list');
    return l.filter((x, i) => l.indexOf(x) === i);
  }),
  element: strict('element', (a) => {
    const l = list(a[0], 'element');
    if (l.length === 0) throw new EvalError('element() of an empty list');
    return l[((int(a[1], 'element') % l.length) + l.length) % l.length];
  }),
  lookup: strict('lookup', (a) => {
    const m = map(a[0], 'lookup');
    const k = str(a[1], 'lookup');
    if (Object.prototype.hasOwnProperty.call(m, k)) return m[k];
    if (a.length > 2) return a[2];
    throw new EvalError(`lookup() found no key "${k}"`);
  }),
  merge: strict('merge', (a) => Object.assign({}, ...a.filter((x) => x !== null).map((x) => map(x, 'merge')))),
  tolist: (a) => {
    if (a[0] instanceof Unknown) return a[0];
    const l = list(a[0], 'tolist');
    uniform(l.filter((x) => !(x instanceof Unknown)), 'a list');
    return [...l];
  },
  toset: strict('toset', (a) => toSet(list(a[0], 'toset'))),
  tomap: strict('tomap', (a) => {
    const m = map(a[0], 'tomap');
    uniform(Object.values(m), 'an object');
    return { ...m };
  }),
  tostring: strict('tostring', (a) => (a[0] === null ? null : str(a[0], 'tostring'))),
  tonumber: strict('tonumber', (a) => (a[0] === null ? null : typeof a[0] === 'number' ? a[0] : integer(str(a[0], 'tonumber')))),
  tobool: strict('tobool', (a) => (a[0] === null ? null : a[0] === true || a[0] === 'true' ? true : a[0] === false || a[0] === 'false' ? false : (() => { throw new EvalError('tobool'); })())),
  jsonencode: strict('jsonencode', (a) => jsonencode(a[0])),
  jsondecode: strict('jsondecode', (a) => {
    const text = str(a[0], 'jsondecode');
    let v: unknown;
    try { v = JSON.parse(text); } catch { throw new EvalError('jsondecode() of invalid JSON'); }
    // cty/json refuses a repeated property (type_implied.go); JSON.parse keeps the last.
    if (repeatedJsonKey(text) !== undefined) throw new EvalError('jsondecode() of an object with a repeated key');
    return v;
  }),
  // Go strings.TrimSpace on ASCII: \t \n \v \f \r and space, as String.prototype.trim.
  trimspace: strict('trimspace', (a) => str(a[0], 'trimspace').trim()),
  trimprefix: strict('trimprefix', (a) => {
    const [s, p] = [str(a[0], 'trimprefix'), str(a[1], 'trimprefix')];
    return s.startsWith(p) ? s.slice(p.length) : s;
  }),
  trimsuffix: strict('trimsuffix', (a) => {
    const [s, p] = [str(a[0], 'trimsuffix'), str(a[1], 'trimsuffix')];
    return p && s.endsWith(p) ? s.slice(0, -p.length) : s;
  }),
  trim: strict('trim', (a) => {
    const cut = new Set(str(a[1], 'trim'));
    const s = [...str(a[0], 'trim')];
    while (s.length && cut.has(s[0])) s.shift();
    while (s.length && cut.has(s[s.length - 1])) s.pop();
    return s.join('');
  }),
  // cty: `(?:\r\n?|\n)*\z` removed.
  chomp: strict('chomp', (a) => str(a[0], 'chomp').replace(/(?:\r\n?|\n)*$/, '')),
  substr: strict('substr', substr),
  startswith: strict('startswith', (a) => str(a[0], 'startswith').startsWith(str(a[1], 'startswith'))),
  endswith: strict('endswith', (a) => str(a[0], 'endswith').endsWith(str(a[1], 'endswith'))),
  strcontains: strict('strcontains', (a) => str(a[0], 'strcontains').includes(str(a[1], 'strcontains'))),
  // Terraform's coalesce unifies its arguments' types first (coalesce(1, "x") is "1").
  coalesce: (a) => {
    uniform(a.filter((x) => !(x instanceof Unknown)), 'arguments');
    for (const x of a) {
      if (x instanceof Unknown) return x;
      if (x !== null && x !== '') return x;
    }
    throw new EvalError('coalesce() found no non-null, non-empty argument');
  },
  coalescelist: (a) => {
    for (const x of a) {
      if (x instanceof Unknown) return x;
      if (list(x, 'coalescelist').length > 0) return x;
    }
    throw new EvalError('coalescelist() found no non-empty list');
  },
  length: strict('length', (a) => {
    const v = a[0];
    if (typeof v === 'string') return clusters(v).length;
    if (Array.isArray(v)) return v.length;
    return Object.keys(map(v, 'length')).length;
  }),
  keys: strict('keys', (a) => Object.keys(map(a[0], 'keys')).sort()),
  values: strict('values', (a) => {
    const m = map(a[0], 'values');
    return Object.keys(m).sort().map((k) => m[k]);
  }),
  contains: strict('contains', (a) => {
    const l = list(a[0], 'contains');
    uniform([...l, a[1]], 'a list and a value');
    return l.includes(a[1]);
  }),
  flatten: strict('flatten', (a) => {
    const flat = (v: unknown[]): unknown[] => v.flatMap((x) => (Array.isArray(x) ? flat(x) : [x]));
    return flat(list(a[0], 'flatten'));
  }),
  compact: strict('compact', (a) => {
    const l = list(a[0], 'compact');
    uniform(l, 'a list', ['string']);
    return l.filter((x) => x !== null && x !== '');
  }),
  reverse: strict('reverse', (a) => [...list(a[0], 'reverse')].reverse()),
  sort: strict('sort', (a) => {
    const l = list(a[0], 'sort');
    uniform(l, 'a list', ['string']);
    if (l.includes(null)) throw new EvalError('sort() of a list holding null');
    return [...(l as string[])].sort();
  }),
  slice: strict('slice', (a) => {
    const l = list(a[0], 'slice');
    const [from, to] = [int(a[1], 'slice'), int(a[2], 'slice')];
    if (from < 0 || to > l.length || from > to) throw new EvalError(`slice() from ${from} to ${to} of a list of ${l.length}`);
    return l.slice(from, to);
  }),
  zipmap: strict('zipmap', (a) => {
    const k = list(a[0], 'zipmap');
    const v = list(a[1], 'zipmap');
    if (k.length !== v.length) throw new EvalError('zipmap() of lists of different lengths');
    return Object.fromEntries(k.map((x, i) => [str(x, 'zipmap'), v[i]]));
  }),
  one: strict('one', (a) => {
    const l = list(a[0], 'one');
    if (l.length > 1) throw new EvalError('one() of a list with more than one element');
    return l.length ? l[0] : null;
  }),
  setunion: strict('setunion', (a) => toSet(a.flatMap((l) => list(l, 'setunion')))),
  range: strict('range', (a) => {
    if (a.length < 1 || a.length > 3) throw new EvalError('range() takes one to three arguments');
    const [start, end, step] = a.length === 1 ? [0, int(a[0], 'range'), 1] : [int(a[0], 'range'), int(a[1], 'range'), a.length > 2 ? int(a[2], 'range') : 1];
    if (step === 0 || (step > 0 && end < start) || (step < 0 && end > start)) throw new EvalError('range() with a step that does not reach its end');
    if (Math.abs(end - start) / Math.abs(step) > 1024) throw new EvalError('range() too long');
    const out: number[] = [];
    for (let i = start; step > 0 ? i < end : i > end; i += step) out.push(i);
    return out;
  }),
  min: strict('min', (a) => {
    if (a.length === 0) throw new EvalError('min() of no arguments');
    return Math.min(...a.map((x) => Number(integer(x))));
  }),
  max: strict('max', (a) => {
    if (a.length === 0) throw new EvalError('max() of no arguments');
    return Math.max(...a.map((x) => Number(integer(x))));
  }),
  // Sensitivity marks change what Terraform shows, not the value.
  sensitive: (a) => a[0],
  nonsensitive: (a) => a[0],
};

export const FUNCTIONS: Readonly<Record<string, Fn>> = Object.fromEntries(Object.entries(TABLE).map(([name, fn]) => [name, exact(name, fn)]));
