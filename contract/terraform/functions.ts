import { Unknown, containsUnknown } from './unknown';

/**
 * Terraform's built-in functions that a stack's reach can depend on, with Terraform's semantics
 * (developer.hashicorp.com/terraform/language/functions). A function not in this table yields an
 * unknown; so does any call with an unknown argument, except where the result is still exact
 * (`concat`, `tolist`: the unknown element stays an element).
 */
export class EvalError extends Error {}

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

/** Sets of strings iterate in lexical order in Terraform; a set of other values keeps first-seen order here. */
function toSet(xs: unknown[]): unknown[] {
  const out: unknown[] = [];
  const seen = new Set<string>();
  for (const x of xs) {
    const key = JSON.stringify(x);
    if (!seen.has(key)) { seen.add(key); out.push(x); }
  }
  return out.every((x) => typeof x === 'string') ? (out as string[]).sort() : out;
}

/** `format` verbs: %s %d %v %q %f %t and %%; anything else is outside the subset (unknown). */
function format(args: unknown[]): unknown {
  const fmt = str(args[0], 'format');
  let i = 1;
  let unsupported = false;
  const out = fmt.replace(/%(-?\d*)(\.\d+)?([a-zA-Z%])/g, (m, _w, prec: string | undefined, verb: string) => {
    if (verb === '%') return '%';
    if (i >= args.length) throw new EvalError('format has too few arguments');
    const v = args[i++];
    switch (verb) {
      case 's': case 'v': return typeof v === 'object' && v !== null ? JSON.stringify(v) : str(v, 'format %s');
      case 'd': return String(Math.trunc(Number(str(v, 'format %d'))));
      case 'f': return Number(str(v, 'format %f')).toFixed(prec ? Number(prec.slice(1)) : 6);
      case 'q': return JSON.stringify(str(v, 'format %q'));
      case 't': return String(v === true || v === 'true');
      default: unsupported = true; return m;
    }
  });
  if (unsupported || /%-?\d+[a-z]/.test(fmt)) return new Unknown('format(…)', 'format() with a verb or width outside the subset tierkit evaluates');
  return out;
}

/** `replace`: a `/…/` substring is an RE2 pattern; the RE2 features JS lacks or reads differently make it unknown. */
function replace(args: unknown[]): unknown {
  const [s, sub, rep] = [str(args[0], 'replace'), str(args[1], 'replace'), str(args[2], 'replace')];
  if (sub.length >= 2 && sub.startsWith('/') && sub.endsWith('/')) {
    const pattern = sub.slice(1, -1);
    if (/\(\?[a-zA-Z]|\\[pPzQE]|\$\{/.test(pattern + rep)) return new Unknown('replace(…)', 'replace() with a regular expression feature outside the subset tierkit evaluates');
    return s.replace(new RegExp(pattern, 'g'), rep);
  }
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

export const FUNCTIONS: Readonly<Record<string, Fn>> = {
  format: strict('format', format),
  formatlist: strict('formatlist', (a) => {
    const lists = a.slice(1).filter(Array.isArray) as unknown[][];
    const n = lists.length ? lists[0].length : 1;
    return Array.from({ length: n }, (_, i) => format([a[0], ...a.slice(1).map((x) => (Array.isArray(x) ? x[i] : x))]));
  }),
  lower: strict('lower', (a) => str(a[0], 'lower').toLowerCase()),
  upper: strict('upper', (a) => str(a[0], 'upper').toUpperCase()),
  title: strict('title', (a) => str(a[0], 'title').replace(/\b\w/g, (c) => c.toUpperCase())),
  replace: strict('replace', replace),
  join: strict('join', (a) => a.slice(1).flatMap((l) => list(l, 'join')).map((x) => str(x, 'join')).join(str(a[0], 'join'))),
  split: strict('split', (a) => str(a[1], 'split').split(str(a[0], 'split'))),
  concat: (a) => a.flatMap((l) => (l instanceof Unknown ? [l] : list(l, 'concat'))),
  distinct: strict('distinct', (a) => list(a[0], 'distinct').filter((x, i, xs) => xs.findIndex((y) => JSON.stringify(y) === JSON.stringify(x)) === i)),
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
  tolist: (a) => (a[0] instanceof Unknown ? a[0] : [...list(a[0], 'tolist')]),
  toset: strict('toset', (a) => toSet(list(a[0], 'toset'))),
  tomap: strict('tomap', (a) => ({ ...map(a[0], 'tomap') })),
  tostring: strict('tostring', (a) => (a[0] === null ? null : str(a[0], 'tostring'))),
  tonumber: strict('tonumber', (a) => (a[0] === null ? null : Number(str(a[0], 'tonumber')))),
  tobool: strict('tobool', (a) => (a[0] === null ? null : a[0] === true || a[0] === 'true' ? true : a[0] === false || a[0] === 'false' ? false : (() => { throw new EvalError('tobool'); })())),
  jsonencode: strict('jsonencode', (a) => jsonencode(a[0])),
  jsondecode: strict('jsondecode', (a) => {
    try { return JSON.parse(str(a[0], 'jsondecode')); } catch { throw new EvalError('jsondecode() of invalid JSON'); }
  }),
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
  chomp: strict('chomp', (a) => str(a[0], 'chomp').replace(/(\r?\n)+$/, '')),
  substr: strict('substr', (a) => {
    const s = [...str(a[0], 'substr')];
    let off = int(a[1], 'substr');
    if (off < 0) off += s.length;
    const len = int(a[2], 'substr');
    return s.slice(off, len < 0 ? undefined : off + len).join('');
  }),
  startswith: strict('startswith', (a) => str(a[0], 'startswith').startsWith(str(a[1], 'startswith'))),
  endswith: strict('endswith', (a) => str(a[0], 'endswith').endsWith(str(a[1], 'endswith'))),
  strcontains: strict('strcontains', (a) => str(a[0], 'strcontains').includes(str(a[1], 'strcontains'))),
  coalesce: (a) => {
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
    if (typeof v === 'string') return [...v].length;
    if (Array.isArray(v)) return v.length;
    return Object.keys(map(v, 'length')).length;
  }),
  keys: strict('keys', (a) => Object.keys(map(a[0], 'keys')).sort()),
  values: strict('values', (a) => {
    const m = map(a[0], 'values');
    return Object.keys(m).sort().map((k) => m[k]);
  }),
  contains: strict('contains', (a) => list(a[0], 'contains').some((x) => JSON.stringify(x) === JSON.stringify(a[1]))),
  flatten: strict('flatten', (a) => {
    const flat = (v: unknown[]): unknown[] => v.flatMap((x) => (Array.isArray(x) ? flat(x) : [x]));
    return flat(list(a[0], 'flatten'));
  }),
  compact: strict('compact', (a) => list(a[0], 'compact').filter((x) => x !== null && x !== '')),
  reverse: strict('reverse', (a) => [...list(a[0], 'reverse')].reverse()),
  sort: strict('sort', (a) => list(a[0], 'sort').map((x) => str(x, 'sort')).sort()),
  slice: strict('slice', (a) => list(a[0], 'slice').slice(int(a[1], 'slice'), int(a[2], 'slice'))),
  zipmap: strict('zipmap', (a) => {
    const k = list(a[0], 'zipmap');
    const v = list(a[1], 'zipmap');
    return Object.fromEntries(k.map((x, i) => [str(x, 'zipmap'), v[i]]));
  }),
  one: strict('one', (a) => {
    const l = list(a[0], 'one');
    if (l.length > 1) throw new EvalError('one() of a list with more than one element');
    return l.length ? l[0] : null;
  }),
  setunion: strict('setunion', (a) => toSet(a.flatMap((l) => list(l, 'setunion')))),
  range: strict('range', (a) => {
    const [start, end, step] = a.length === 1 ? [0, int(a[0], 'range'), 1] : [int(a[0], 'range'), int(a[1], 'range'), a.length > 2 ? int(a[2], 'range') : 1];
    if (step === 0 || Math.abs(end - start) / Math.abs(step) > 1024) throw new EvalError('range() too long');
    const out: number[] = [];
    for (let i = start; step > 0 ? i < end : i > end; i += step) out.push(i);
    return out;
  }),
  min: strict('min', (a) => Math.min(...a.map((x) => Number(str(x, 'min'))))),
  max: strict('max', (a) => Math.max(...a.map((x) => Number(str(x, 'max'))))),
  // Sensitivity marks change what Terraform shows, not the value.
  sensitive: (a) => a[0],
  nonsensitive: (a) => a[0],
};
