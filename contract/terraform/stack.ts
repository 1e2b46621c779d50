import { Lazy, Scope, evaluateString, force, isTemplate } from './evaluate';
import { Unknown, containsUnknown } from './unknown';

/**
 * One stack, evaluated: every resource expanded into its instances (`count`, `for_each`), every
 * attribute resolved against the stack itself — other resources' arguments, `local.*`, `var.*`
 * with a default — to literals or Unknowns.
 */
export interface BlockInstance {
  readonly kind: 'resource' | 'data';
  readonly type: string;
  readonly name: string;
  /** `type.name`, `type.name[0]`, `type.name["k"]`, or `type.name[?]` when the expansion is unknown (`data.` prefixed for data sources). */
  readonly address: string;
  /** The count index or for_each key; an Unknown when the expansion cannot be computed. */
  readonly key?: string | number | Unknown;
  readonly attributes: Record<string, unknown>;
  readonly body: Record<string, unknown>;
}

/**
 * The one object per instance: what the evaluator needs (context, scope, per-attribute cache) and
 * what the reader exposes, with attributes evaluated on first read — a large estate has tens of
 * thousands, so nothing here is allocated before it is needed.
 */
export class Instance implements BlockInstance {
  /** Set by the reader: where the block was written. */
  stack = '';
  file = '';
  pointer = '';
  readonly constructPath?: string;
  private evaluated?: Record<string, unknown>;
  /** @internal */ scope?: Scope;
  /** @internal */ cache?: Record<string, unknown>;
  /** @internal */ busy?: Set<string>;
  /** @internal */ unknownSeen = false;

  constructor(
    private readonly evaluator: StackEvaluator,
    readonly kind: 'resource' | 'data', readonly type: string, readonly name: string, readonly address: string,
    readonly key: string | number | Unknown | undefined, readonly body: Record<string, unknown>, /** @internal */ readonly ctx: Context,
  ) {
    this.constructPath = (body['//'] as { metadata?: { path?: string } } | undefined)?.metadata?.path;
  }

  get raw(): Readonly<Record<string, unknown>> {
    return this.body;
  }

  get attributes(): Record<string, unknown> {
    this.evaluated ??= this.evaluator.evaluateAll(this);
    return this.evaluated;
  }

  /** Whether any attribute (or the count/for_each key) is unknown: lets TK021 and diff skip the rest without a walk. */
  get hasUnknown(): boolean {
    return this.key instanceof Unknown || (this.attributes !== this.body && this.unknownSeen);
  }

  /** A plain copy (attributes evaluated): what `{ ...resource }` would have given. */
  toJSON(): Record<string, unknown> {
    return { stack: this.stack, type: this.type, name: this.name, kind: this.kind, address: this.address, key: this.key, attributes: this.attributes, raw: this.body, file: this.file, pointer: this.pointer, constructPath: this.constructPath };
  }
}

/** Keys whose values Terraform does not read as templates. */
const NOT_EVALUATED = new Set(['//', 'depends_on', 'lifecycle', 'provider']);

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Whether a JSON value holds a template anywhere: most values hold none and are used as they are, uncopied. */
function hasTemplate(v: unknown): boolean {
  if (typeof v === 'string') return isTemplate(v);
  if (Array.isArray(v)) return v.some(hasTemplate);
  if (v !== null && typeof v === 'object') {
    for (const k in v as Record<string, unknown>) if (k !== '//' && hasTemplate((v as Record<string, unknown>)[k])) return true;
  }
  return false;
}

export class StackEvaluator {
  private readonly locals = new Map<string, unknown>();
  private readonly localsBusy = new Set<string>();
  private readonly instances = new Map<string, Instance[]>();
  private readonly resourceValues = new Map<string, unknown>();
  readonly global: Scope;

  constructor(readonly json: Record<string, any>) {
    this.global = this.scope(undefined);
  }

  /** Evaluate a JSON value (strings are templates; arrays and objects recursively). */
  value(v: unknown, scope: Scope = this.global): unknown {
    if (typeof v === 'string') return isTemplate(v) ? evaluateString(v, scope) : v;
    if (!hasTemplate(v)) return v;
    if (Array.isArray(v)) {
      // `["${local.roles}"]` is still a list of one element; only a whole-string list attribute is spliced by Terraform's type conversion, not here.
      return v.map((x) => this.value(x, scope));
    }
    if (isObject(v)) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = NOT_EVALUATED.has(k) ? x : this.value(x, scope);
      return out;
    }
    return v;
  }

  private variable(name: string): unknown {
    const decl = (this.json.variable ?? {})[name];
    if (!isObject(decl)) return new Unknown(`var.${name}`, `var.${name} is not declared in the stack`);
    if (!('default' in decl)) return new Unknown(`var.${name}`, `var.${name} has no default: its value is given at plan time`);
    // A variable's default is a literal in Terraform JSON; one that looks like a template is not guessed at.
    const d = decl.default;
    if (JSON.stringify(d ?? null).match(/\$\{|%\{/)) return new Unknown(`var.${name}`, `var.${name}'s default holds template text`);
    return d;
  }

  private local(name: string): unknown {
    if (this.locals.has(name)) return this.locals.get(name);
    const locals = this.json.locals ?? {};
    if (!Object.prototype.hasOwnProperty.call(locals, name)) return new Unknown(`local.${name}`, `local.${name} is not declared in the stack`);
    if (this.localsBusy.has(name)) return new Unknown(`local.${name}`, `local.${name} refers to itself`);
    this.localsBusy.add(name);
    const v = this.value(locals[name]);
    this.localsBusy.delete(name);
    this.locals.set(name, v);
    return v;
  }

  private scope(instance: Context | undefined): Scope {
    return {
      member: (root, name) => {
        if (root === 'var') return this.variable(name);
        if (root === 'local') return this.local(name);
        return this.resourceValue(root, name);
      },
      root: (name) => {
        if (name === 'count') {
          if (instance?.count === undefined) return new Unknown('count', 'count.index outside a counted resource');
          return { index: instance.count };
        }
        if (name === 'each') {
          if (!instance?.each) return new Unknown('each', 'each outside a for_each resource');
          return instance.each;
        }
        return new Unknown(name, `${name} is not something the stack computes`);
      },
    };
  }

  /** `<type>.<name>` as a value: one instance, a list (count) or a map (for_each) of them. */
  private resourceValue(type: string, name: string): unknown {
    const id = `${type}.${name}`;
    if (this.resourceValues.has(id)) return this.resourceValues.get(id);
    const v = this.computeResourceValue(type, name);
    this.resourceValues.set(id, v);
    return v;
  }

  private computeResourceValue(type: string, name: string): unknown {
    const body = (this.json.resource?.[type] ?? {})[name];
    if (!isObject(body)) return new Unknown(`${type}.${name}`, `${type}.${name} is no resource of the stack`);
    const insts = this.instancesOf('resource', type, name);
    if (insts[0]?.key instanceof Unknown) return new Unknown(`${type}.${name}`, `${type}.${name} has an unknown count or for_each`);
    const lazy = (i: Instance) => new Lazy((attr) => this.attribute(i, attr), () => i.attributes);
    if (body.count !== undefined) return insts.map(lazy);
    if (body.for_each !== undefined) return Object.fromEntries(insts.map((i) => [String(i.key), lazy(i)]));
    return lazy(insts[0]);
  }

  private scopeOf(i: Instance): Scope {
    i.scope ??= i.ctx.count === undefined && i.ctx.each === undefined ? this.global : this.scope(i.ctx);
    return i.scope;
  }

  /** One attribute of an instance, evaluated on demand (references between resources need no order). */
  private attribute(i: Instance, attr: string): unknown {
    const raw = i.body[attr];
    if (raw !== undefined && !hasTemplate(raw)) return raw;
    if (i.cache && Object.prototype.hasOwnProperty.call(i.cache, attr)) return i.cache[attr];
    if (!Object.prototype.hasOwnProperty.call(i.body, attr)) {
      return new Unknown(`${i.address}.${attr}`, `${i.address}.${attr} is computed by the provider at apply time`);
    }
    i.busy ??= new Set();
    if (i.busy.has(attr)) return new Unknown(`${i.address}.${attr}`, `${i.address}.${attr} refers to itself`);
    i.busy.add(attr);
    const v = NOT_EVALUATED.has(attr) ? raw : force(this.value(raw, this.scopeOf(i)));
    i.busy.delete(attr);
    (i.cache ??= {})[attr] = v;
    return v;
  }

  /** The instances of a block; an Unknown expansion yields one instance whose key is Unknown. */
  instancesOf(kind: 'resource' | 'data', type: string, name: string): Instance[] {
    const id = `${kind}\u0000${type}\u0000${name}`;
    const hit = this.instances.get(id);
    if (hit) return hit;
    const body = ((kind === 'resource' ? this.json.resource : this.json.data)?.[type] ?? {})[name] as Record<string, unknown>;
    const base = `${kind === 'data' ? 'data.' : ''}${type}.${name}`;
    const make = (key: string | number | Unknown | undefined, ctx: Context): Instance => {
      const address = key === undefined ? base : key instanceof Unknown ? `${base}[?]` : typeof key === 'number' ? `${base}[${key}]` : `${base}[${JSON.stringify(key)}]`;
      return new Instance(this, kind, type, name, address, key, body, ctx);
    };
    let out: Instance[];
    if (body.count !== undefined && body.for_each !== undefined) {
      out = [make(new Unknown(base, 'count and for_each together'), { count: new Unknown('count.index', 'count and for_each together') })];
    } else if (body.count !== undefined) {
      const n = force(this.value(body.count));
      const count = typeof n === 'number' ? n : typeof n === 'string' && /^\d+$/.test(n) ? Number(n) : undefined;
      out = count === undefined || !Number.isInteger(count) || count < 0 || count > 10_000
        ? [make(new Unknown(`${base}.count`, `count ${n instanceof Unknown ? n.reason : `= ${JSON.stringify(n)} is not a whole number`}`), { count: new Unknown('count.index', 'count is unknown') })]
        : Array.from({ length: count }, (_, i) => make(i, { count: i }));
    } else if (body.for_each !== undefined) {
      const fe = force(this.value(body.for_each));
      if (Array.isArray(fe) && fe.every((x) => typeof x === 'string')) {
        out = [...new Set(fe as string[])].sort().map((k) => make(k, { each: { key: k, value: k } }));
      } else if (isObject(fe) && !(fe instanceof Unknown)) {
        out = Object.keys(fe).sort().map((k) => make(k, { each: { key: k, value: fe[k] } }));
      } else {
        const why = fe instanceof Unknown ? fe.reason : 'for_each is neither a map nor a set of strings';
        out = [make(new Unknown(`${base}.for_each`, why), { each: { key: new Unknown('each.key', why), value: new Unknown('each.value', why) } })];
      }
    } else {
      out = [make(undefined, {})];
    }
    this.instances.set(id, out);
    return out;
  }

  /** Every attribute of an instance, evaluated. */
  evaluateAll(inst: Instance): Record<string, unknown> {
    if (!hasTemplate(inst.body)) return inst.body;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(inst.body)) {
      const raw = inst.body[k];
      if (NOT_EVALUATED.has(k) || !hasTemplate(raw)) {
        out[k] = raw;
        continue;
      }
      const v = inst.kind === 'resource' ? this.attribute(inst, k) : force(this.value(raw, this.scopeOf(inst)));
      // Only an evaluated value can hold an unknown: noted here, so nobody walks the rest.
      if (!inst.unknownSeen && containsUnknown(v)) inst.unknownSeen = true;
      out[k] = v;
    }
    return out;
  }

  /** Every resource and data source instance of the stack, in file order. */
  all(): Instance[] {
    const out: Instance[] = [];
    for (const kind of ['resource', 'data'] as const) {
      for (const [type, byName] of Object.entries(this.json[kind] ?? {})) {
        if (!isObject(byName)) continue;
        for (const name of Object.keys(byName)) {
          if (!isObject(byName[name])) continue;
          out.push(...this.instancesOf(kind, type, name));
        }
      }
    }
    return out;
  }
}

interface Context {
  readonly count?: unknown;
  readonly each?: { readonly key: unknown; readonly value: unknown };
}
