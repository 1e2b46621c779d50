/**
 * Runtime types of construct props, for estate programs nobody type-checked (tsx, plain JS):
 * `image: null`, `port: '8080'` or `tiers: 'dev'` must be one clear issue, never a manifest with
 * `containerPort: "8080"` or a flag per character. One spec per props interface: `propTypes<P>()`
 * fails to compile when a prop of P has no type.
 */
export interface PropType {
  /** What the prop must be, for the message: "a string", "a list, each a Tier (e.g. Tier.DEV)". */
  readonly describe: string;
  readonly accepts: (value: unknown) => boolean;
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
    return { describe: `a list, each ${of.describe}`, accepts: (v) => Array.isArray(v) && v.every(of.accepts) };
  },
  record(of: PropType): PropType {
    return { describe: `an object whose every value is ${of.describe}`, accepts: (v) => isObject(v) && Object.values(v).every(of.accepts) };
  },
} as const;

/** The props of `props` whose value (when given) is not of its type. */
export function typeProblems(props: object, spec: PropSpec): { property: string; value: unknown; message: string; fix: string }[] {
  const out = [];
  for (const [key, value] of Object.entries(props ?? {})) {
    const type = spec[key];
    if (!type || value === undefined || type.accepts(value)) continue;
    out.push({ property: key, value, message: `must be ${type.describe}, not ${describeValue(value)}`, fix: `give ${key} ${type.describe}` });
  }
  return out;
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return `an object${v.constructor && v.constructor !== Object ? ` (${v.constructor.name})` : ''}`;
  return `a ${typeof v}`;
}
