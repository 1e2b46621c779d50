/**
 * Runtime types of construct props, for estate programs nobody type-checked (tsx, plain JS):
 * `image: null`, `port: '8080'` or `tiers: 'dev'` must be one clear issue, never a manifest with
 * `containerPort: "8080"` or a flag per character. One spec per props interface: `propTypes<P>()`
 * fails to compile when a prop of P has no type. Nested objects (`vault`, `tiers[]`, `resources`)
 * have specs of their own, checked property by property: an issue names `tiers[2].nodePool.taint.effect`.
 */
export interface PropType {
  /** What the prop must be, for the message: "a string", "a list, each a Tier (e.g. Tier.DEV)". */
  readonly describe: string;
  /** The value's own type; what is inside it (`fields`, `element`, `values`) is judged one by one. */
  readonly accepts: (value: unknown) => boolean;
  /** An object of known properties: the type of each. */
  readonly fields?: PropSpec;
  /** Properties of `fields` that must be given. */
  readonly required?: readonly string[];
  /** A list: the type of each element. */
  readonly element?: PropType;
  /** A map: the type of each value. */
  readonly values?: PropType;
}

export type PropSpec = Readonly<Record<string, PropType>>;

export function propTypes<P>() {
  return <const S extends { readonly [K in keyof P]-?: PropType }>(spec: S & Record<Exclude<keyof S, keyof P>, never>): PropSpec => spec;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export const Types = {
  string: { describe: 'a string', accepts: (v: unknown) => typeof v === 'string' },
  boolean: { describe: 'a boolean', accepts: (v: unknown) => typeof v === 'boolean' },
  number: { describe: 'a finite number', accepts: (v: unknown) => typeof v === 'number' && Number.isFinite(v) },
  integer: { describe: 'an integer', accepts: (v: unknown) => Number.isInteger(v) },
  object: { describe: 'an object', accepts: isObject },
  /** An instance of an enum-like class (`Tier.DEV`) or of a construct class. */
  instance(cls: { readonly prototype: object; readonly name: string }, example: string): PropType {
    // (Enum-like classes have private constructors: the prototype, not `instanceof`'s type, is checked.)
    return { describe: `a ${cls.name} (e.g. ${example})`, accepts: (v) => typeof v === 'object' && v !== null && cls.prototype.isPrototypeOf(v) };
  },
  oneOf<T extends string>(values: readonly T[]): PropType {
    return { describe: `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`, accepts: (v) => (values as readonly unknown[]).includes(v) };
  },
  /** A list whose elements the construct's own validation judges (a tier list: it names the unknown tier). */
  listOf(what: string): PropType {
    return { describe: `a list of ${what}`, accepts: Array.isArray };
  },
  list(of: PropType): PropType {
    return { describe: `a list, each ${of.describe}`, accepts: Array.isArray, element: of };
  },
  record(of: PropType): PropType {
    return { describe: `an object whose every value is ${of.describe}`, accepts: isObject, values: of };
  },
  /** An object of known properties (`name` for the message: "a VaultSettings object"). */
  shape(name: string, fields: PropSpec, required: readonly string[] = []): PropType {
    return { describe: `a ${name} object`, accepts: isObject, fields, required };
  },
} as const;

export interface TypeProblem {
  /** The property path: `vault.port`, `tiers[2].egressAllowList[0]`, `flags.beta`. */
  readonly property: string;
  readonly value: unknown;
  readonly message: string;
  readonly fix: string;
}

/** A map key as a path segment: `.beta`, or `["a/b"]` when it is no identifier. */
const keySegment = (k: string) => (/^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`);

/**
 * The problems of `props` against `spec`: every given value not of its type, and inside nested
 * objects also unknown and missing required properties. (Unknown and missing top-level props are
 * the construct's: props.ts names the nearest known key.)
 */
export function typeProblems(props: object, spec: PropSpec): TypeProblem[] {
  const out: TypeProblem[] = [];
  for (const [key, value] of Object.entries(props ?? {})) {
    if (Object.hasOwn(spec, key) && value !== undefined) valueProblems(key, value, spec[key], out);
  }
  return out;
}

function valueProblems(path: string, value: unknown, type: PropType, out: TypeProblem[]): void {
  if (!type.accepts(value)) {
    out.push({ property: path, value, message: `must be ${type.describe}, not ${describeValue(value)}`, fix: `give ${path} ${type.describe}` });
    return;
  }
  if (type.fields) {
    const fields = type.fields;
    const known = Object.keys(fields);
    for (const [k, v] of Object.entries(value as object)) {
      const at = `${path}${keySegment(k)}`;
      // Own keys only: `constructor` or `toString` are no props, whatever Object.prototype says.
      if (!Object.hasOwn(fields, k)) {
        const near = closest(k, known);
        out.push({ property: at, value: v, message: 'is not a property of this object', fix: near ? `did you mean ${near}? (known: ${known.join(', ')})` : `use one of ${known.join(', ')}` });
      } else if (v !== undefined) valueProblems(at, v, fields[k], out);
    }
    for (const k of type.required ?? []) {
      if ((value as Record<string, unknown>)[k] === undefined) out.push({ property: `${path}.${k}`, value: undefined, message: 'is required', fix: `give ${path}.${k} ${fields[k].describe}` });
    }
  }
  if (type.element) (value as unknown[]).forEach((v, i) => valueProblems(`${path}[${i}]`, v, type.element!, out));
  if (type.values) for (const [k, v] of Object.entries(value as object)) valueProblems(`${path}${keySegment(k)}`, v, type.values, out);
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return `an object${v.constructor && v.constructor !== Object ? ` (${v.constructor.name})` : ''}`;
  if (typeof v === 'number' && !Number.isInteger(v)) return Number.isFinite(v) ? 'a fractional number' : 'a non-finite number';
  return `a ${typeof v}`;
}

/** The known key nearest `key` (case-insensitive edit distance ≤ 2), if any. */
export function closest(key: string, known: readonly string[]): string | undefined {
  let best: { k: string; d: number } | undefined;
  for (const k of known) {
    const d = distance(key.toLowerCase(), k.toLowerCase());
    if (d <= 2 && (!best || d < best.d)) best = { k, d };
  }
  return best?.k;
}

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}
