import { FUNCTIONS, EvalError, exactNumber, typeName } from './functions';
import { Node, ParseError, Part, parseTemplate } from './parse';
import { Unknown, containsUnknown } from './unknown';

/**
 * Evaluates what a stack computes on its own. Each value resolves to literals or to an Unknown
 * (never a guess): a reference the scope cannot resolve, a function outside the table, an
 * evaluation error (Terraform would refuse the plan; tierkit cannot tell what a fixed one means),
 * or any unknown input of an operation.
 */

/** A resource instance (or other lazily evaluated object): attributes are evaluated one by one, so references between resources need no order. */
export class Lazy {
  constructor(readonly get: (attr: string) => unknown, readonly all: () => Record<string, unknown>) {}
}

export interface Scope {
  /** `var.<name>`, `local.<name>`, `data.<type>.<name>`, `<type>.<name>`; `count`/`each`/`path`/… for a bare root. */
  member(root: string, name: string): unknown;
  /** A bare root name used as a value (`each`, `count`, a for variable, or an error). */
  root(name: string): unknown;
}

interface Env {
  readonly scope: Scope;
  readonly bound: ReadonlyMap<string, unknown>;
  readonly splat?: unknown;
}

const NAMESPACES = new Set(['var', 'local', 'data', 'module', 'path', 'terraform', 'self', 'count', 'each', 'resource', 'ephemeral']);

/**
 * An object key `__proto__`: a JavaScript object cannot hold it as Terraform's map does (assigning it
 * sets the prototype, so the key vanishes and reading it returns Object.prototype): unknown.
 */
const PROTO_KEY = new Unknown('{"__proto__" = …}', 'an object key "__proto__", which tierkit cannot hold as Terraform does');

/** Materialize lazies (deeply). */
export function force(v: unknown): unknown {
  if (v instanceof Lazy) return force(v.all());
  if (Array.isArray(v)) return v.some((x) => x instanceof Lazy || (x && typeof x === 'object')) ? v.map(force) : v;
  if (v && typeof v === 'object' && !(v instanceof Unknown)) {
    const o = v as Record<string, unknown>;
    if (!Object.values(o).some((x) => x instanceof Lazy || (x && typeof x === 'object'))) return o;
    if (Object.prototype.hasOwnProperty.call(o, '__proto__')) return PROTO_KEY;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) out[k] = force(x);
    return out;
  }
  return v;
}

function describe(n: Node): string {
  switch (n.k) {
    case 'ref': return n.name;
    case 'attr': return `${describe(n.o)}.${n.name}`;
    case 'index': return `${describe(n.o)}[${n.i.k === 'lit' ? JSON.stringify(n.i.v) : '…'}]`;
    case 'call': return `${n.f}(…)`;
    default: return 'an expression';
  }
}

function getAttr(o: unknown, name: string, what: string): unknown {
  if (o instanceof Unknown) return o;
  if (o instanceof Lazy) return o.get(name);
  if (o && typeof o === 'object' && !Array.isArray(o)) {
    const r = o as Record<string, unknown>;
    if (Object.prototype.hasOwnProperty.call(r, name)) return r[name];
    throw new EvalError(`${what} has no attribute "${name}"`);
  }
  throw new EvalError(`${what} is ${typeName(o)}, not an object`);
}

function getIndex(o: unknown, i: unknown, what: string): unknown {
  if (o instanceof Unknown) return o;
  if (i instanceof Unknown) return i;
  if (Array.isArray(o)) {
    const n = typeof i === 'number' ? i : typeof i === 'string' && /^\d+$/.test(i) ? Number(i) : NaN;
    if (!Number.isInteger(n) || n < 0 || n >= o.length) throw new EvalError(`${what}[${JSON.stringify(i)}] is out of range`);
    return o[n];
  }
  if (o instanceof Lazy && (typeof i === 'string')) return o.get(i);
  if (o && typeof o === 'object') {
    const key = typeof i === 'number' ? String(i) : i;
    if (typeof key !== 'string') throw new EvalError(`${what} cannot be indexed by ${typeName(i)}`);
    const r = o as Record<string, unknown>;
    if (!Object.prototype.hasOwnProperty.call(r, key)) throw new EvalError(`${what} has no key "${key}"`);
    return r[key];
  }
  throw new EvalError(`${what} is ${typeName(o)}, which cannot be indexed`);
}

/** Template interpolation: strings, numbers and booleans only. */
export function toText(v: unknown): string | Unknown {
  if (v instanceof Unknown) return v;
  if (typeof v === 'string') return v;
  // cty prints its big.Float in full (1e21 → "1000000000000000000000", 0.1+0.2 → "0.3"): only safe integers are exact.
  if (typeof v === 'number') return exactNumber(v) ? String(v) : new Unknown(String(v), 'a number that is not a safe integer, which Terraform prints differently');
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  throw new EvalError(`cannot interpolate ${typeName(v)} into a string`);
}

function truth(v: unknown): boolean | Unknown {
  if (v instanceof Unknown) return v;
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'false') return v === 'true';
  throw new EvalError(`a condition must be a bool, not ${typeName(v)}`);
}

/** Terraform's equality: type and value (a number is not equal to its string). */
function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => equal(x, b[i]));
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    return equal(ka, kb) && ka.every((k) => equal((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return false;
}

function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v)) return Number(v);
  throw new EvalError(`${typeName(v)} is not a number`);
}

/** The elements of a collection a `for` iterates: [key, value] pairs (lists by index, maps by sorted key). */
export function entriesOf(coll: unknown, what: string): [unknown, unknown][] {
  if (Array.isArray(coll)) return coll.map((v, i) => [i, v]);
  if (coll && typeof coll === 'object' && !(coll instanceof Unknown)) {
    return Object.keys(coll).sort().map((k) => [k, (coll as Record<string, unknown>)[k]]);
  }
  throw new EvalError(`${what} is ${typeName(coll)}, not a collection`);
}

function binary(op: string, l: unknown, r: unknown): unknown {
  if (op === '&&' || op === '||') {
    const a = truth(l);
    const b = truth(r);
    // Short-circuit on what is known: false && ? is false, true || ? is true.
    if (op === '&&' && (a === false || b === false)) return false;
    if (op === '||' && (a === true || b === true)) return true;
    if (a instanceof Unknown) return a;
    if (b instanceof Unknown) return b;
    return op === '&&' ? a && b : a || b;
  }
  if (l instanceof Unknown) return l;
  if (r instanceof Unknown) return r;
  if (containsUnknown(l) || containsUnknown(r)) return new Unknown('', 'compares a value that holds an unknown');
  switch (op) {
    case '==': return equal(l, r);
    case '!=': return !equal(l, r);
    case '<': return num(l) < num(r);
    case '>': return num(l) > num(r);
    case '<=': return num(l) <= num(r);
    case '>=': return num(l) >= num(r);
    case '+': return arithmetic(num(l) + num(r), op, l, r);
    case '-': return arithmetic(num(l) - num(r), op, l, r);
    case '*': return arithmetic(num(l) * num(r), op, l, r);
    case '/': return arithmetic(num(l) / num(r), op, l, r);
    case '%': return arithmetic(num(l) % num(r), op, l, r);
    default: throw new EvalError(`operator ${op}`);
  }
}

/** cty computes in 512-bit big.Float: a float result (0.1 + 0.2 is 0.3 there), or any beyond 2^53, is unknown here. */
function arithmetic(v: number, op: string, l: unknown, r: unknown): unknown {
  return exactNumber(v) && exactNumber(num(l)) && exactNumber(num(r)) ? v : new Unknown('', `${String(l)} ${op} ${String(r)} is not a safe integer, which Terraform computes with more precision`);
}

function evalNode(n: Node, env: Env): unknown {
  switch (n.k) {
    case 'lit': return n.v;
    case 'tpl': return evalTemplate(n.parts, n.wrapped, env);
    case 'splatItem': return env.splat;
    case 'ref': {
      if (env.bound.has(n.name)) return env.bound.get(n.name);
      return env.scope.root(n.name);
    }
    case 'attr': {
      if (n.o.k === 'ref' && !env.bound.has(n.o.name)) {
        if (n.o.name === 'data' || n.o.name === 'ephemeral' || n.o.name === 'module') return new Unknown(`${n.o.name}.${n.name}`, `${n.o.name}.${n.name} is read at plan or apply time, not computed by the stack`);
        if (!NAMESPACES.has(n.o.name) || n.o.name === 'var' || n.o.name === 'local') return env.scope.member(n.o.name, n.name);
      }
      return getAttr(evalNode(n.o, env), n.name, describe(n.o));
    }
    case 'index': return getIndex(evalNode(n.o, env), force(evalNode(n.i, env)), describe(n.o));
    case 'splat': {
      const o = force(evalNode(n.o, env));
      if (o instanceof Unknown) return o;
      const list = o === null ? [] : Array.isArray(o) ? o : [o];
      return list.map((x) => force(evalNode(n.each, { ...env, splat: x })));
    }
    case 'call': {
      const fn = FUNCTIONS[n.f];
      if (n.f === 'try' || n.f === 'can') return tryOrCan(n, env);
      if (!fn) return new Unknown(`${n.f}(…)`, `the function ${n.f}() is outside the subset tierkit evaluates`);
      let args = n.args.map((a) => force(evalNode(a, env)));
      if (n.expand) {
        const last = args[args.length - 1];
        if (last instanceof Unknown) return last;
        if (!Array.isArray(last)) throw new EvalError(`${n.f}(…) expands ${typeName(last)}, not a list`);
        args = [...args.slice(0, -1), ...last];
      }
      return fn(args);
    }
    case 'tuple': return n.items.map((i) => force(evalNode(i, env)));
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [kn, vn] of n.items) {
        const k = force(evalNode(kn, env));
        if (k instanceof Unknown) return k;
        const key = toText(k);
        if (key instanceof Unknown) return key;
        if (key === '__proto__') return PROTO_KEY;
        out[key] = force(evalNode(vn, env));
      }
      return out;
    }
    case 'cond': {
      const c = truth(force(evalNode(n.c, env)));
      if (c instanceof Unknown) return c;
      return evalNode(c ? n.t : n.f, env);
    }
    case 'bin': return binary(n.op, force(evalNode(n.l, env)), force(evalNode(n.r, env)));
    case 'un': {
      const v = force(evalNode(n.e, env));
      if (v instanceof Unknown) return v;
      if (n.op === '!') return !truth(v);
      return -num(v);
    }
    case 'for': return evalFor(n, env);
  }
}

function tryOrCan(n: Extract<Node, { k: 'call' }>, env: Env): unknown {
  if (n.f === 'can') {
    try {
      const v = force(evalNode(n.args[0], env));
      return containsUnknown(v) ? new Unknown('can(…)', 'can() of a value that holds an unknown') : true;
    } catch (e) {
      if (e instanceof EvalError) return false;
      throw e;
    }
  }
  for (const a of n.args) {
    try {
      const v = force(evalNode(a, env));
      // An unknown might fail at apply, and then the next argument would be used: no single answer.
      if (containsUnknown(v)) return new Unknown('try(…)', 'try() of a value that holds an unknown');
      return v;
    } catch (e) {
      if (!(e instanceof EvalError)) throw e;
    }
  }
  throw new EvalError('no argument of try() evaluated without an error');
}

function evalFor(n: Extract<Node, { k: 'for' }>, env: Env): unknown {
  const coll = force(evalNode(n.coll, env));
  if (coll instanceof Unknown) return coll;
  const tuple: unknown[] = [];
  const object: Record<string, unknown> = {};
  for (const [k, v] of entriesOf(coll, 'the for collection')) {
    const bound = new Map(env.bound);
    if (n.keyVar) bound.set(n.keyVar, k);
    bound.set(n.valVar, v);
    const inner: Env = { ...env, bound };
    if (n.cond) {
      const c = truth(force(evalNode(n.cond, inner)));
      if (c instanceof Unknown) return c;
      if (!c) continue;
    }
    const val = force(evalNode(n.val, inner));
    if (!n.object) {
      tuple.push(val);
      continue;
    }
    const key = toText(force(evalNode(n.key!, inner)));
    if (key instanceof Unknown) return key;
    if (key === '__proto__') return PROTO_KEY;
    if (n.group) ((object[key] ??= []) as unknown[]).push(val);
    else if (Object.prototype.hasOwnProperty.call(object, key)) throw new EvalError(`duplicate key "${key}" in a for expression`);
    else object[key] = val;
  }
  return n.object ? object : tuple;
}

function evalParts(parts: readonly Part[], env: Env): string | Unknown {
  let out = '';
  for (const p of parts) {
    let piece: string | Unknown;
    switch (p.k) {
      case 'str': piece = p.s; break;
      case 'interp': piece = toText(force(evalNode(p.e, env))); break;
      case 'if': {
        const c = truth(force(evalNode(p.c, env)));
        piece = c instanceof Unknown ? c : evalParts(c ? p.then : p.else, env);
        break;
      }
      case 'for': {
        const coll = force(evalNode(p.coll, env));
        if (coll instanceof Unknown) return coll;
        piece = '';
        for (const [k, v] of entriesOf(coll, 'the %{for} collection')) {
          const bound = new Map(env.bound);
          if (p.keyVar) bound.set(p.keyVar, k);
          bound.set(p.valVar, v);
          const s = evalParts(p.body, { ...env, bound });
          if (s instanceof Unknown) return s;
          piece += s;
        }
        break;
      }
    }
    if (piece instanceof Unknown) return piece;
    out += piece;
  }
  // cty makes every string NFC (cty/value_init.go StringVal): "e" + "\u0301" is "é" to Terraform.
  if (/[^\x00-\x7f]/.test(out) && out !== out.normalize('NFC')) return new Unknown('', 'a template whose text is not in Unicode NFC, which Terraform normalizes');
  return out;
}

function evalTemplate(parts: readonly Part[], wrapped: boolean, env: Env): unknown {
  // A template that is exactly one interpolation yields the value itself, unconverted (a list stays a list).
  if (wrapped && parts.length === 1 && parts[0].k === 'interp') return evalNode(parts[0].e, env);
  return evalParts(parts, env);
}

/** Whether a JSON string is an expression at all (no `${` and no `%{`: a plain literal). */
export function isTemplate(s: string): boolean {
  return s.includes('${') || s.includes('%{');
}

/**
 * Evaluate one JSON string of a stack. The result is literal, holds Unknowns, or is one Unknown
 * carrying the text as written and why.
 */
const NONE: ReadonlyMap<string, unknown> = new Map();

export function evaluateString(src: string, scope: Scope, bound: ReadonlyMap<string, unknown> = NONE): unknown {
  if (!isTemplate(src)) return src;
  let node: Node;
  try {
    node = parseTemplate(src);
  } catch (e) {
    return new Unknown(src, `outside the expression subset tierkit evaluates (${(e as ParseError).message})`);
  }
  try {
    const v = force(evalNode(node, { scope, bound }));
    return v instanceof Unknown ? new Unknown(src, v.reason || `${v.expression} is not computed by the stack`) : v;
  } catch (e) {
    if (e instanceof EvalError) return new Unknown(src, `does not evaluate: ${e.message}`);
    throw e;
  }
}
