/**
 * A value a stack does not compute on its own: a variable without a default, a computed attribute
 * (`id`), a data source, or an expression outside the subset tierkit evaluates. Rules see it as an
 * object, never as a string that could pass for a literal (`typeof v === 'string'` is false).
 * It serializes (JSON, diff) as the expression as written.
 */
export class Unknown {
  readonly #expression: string;
  readonly #reason: string;

  constructor(expression: string, reason: string) {
    this.#expression = expression;
    this.#reason = reason;
  }

  /** The expression as written in the artifact (`${var.role}`). */
  get expression(): string {
    return this.#expression;
  }

  /** Why it cannot be resolved (`var.role has no default`). */
  get reason(): string {
    return this.#reason;
  }

  toJSON(): string {
    return this.#expression;
  }

  toString(): string {
    return this.#expression;
  }
}

export function isUnknown(v: unknown): v is Unknown {
  return v instanceof Unknown;
}

type Found = { pointer: string; unknown: Unknown };

/**
 * One walker for every call (no closure per call: TK021 asks once per block of a 2,300-env estate).
 * Segments are kept on a stack and joined only on a hit: almost no value is unknown.
 */
function walkUnknowns(v: unknown, pointer: string, segments: string[], out: Found[]): void {
  if (v instanceof Unknown) out.push({ pointer: pointer + segments.map((x) => `/${x.replace(/~/g, '~0').replace(/\//g, '~1')}`).join(''), unknown: v });
  else if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      if (v[i] === null || (typeof v[i] !== 'object')) continue;
      segments.push(String(i));
      walkUnknowns(v[i], pointer, segments, out);
      segments.pop();
    }
  } else if (v && typeof v === 'object') {
    for (const k in v as Record<string, unknown>) {
      const x = (v as Record<string, unknown>)[k];
      if (k === '//' || x === null || typeof x !== 'object') continue;
      segments.push(k);
      walkUnknowns(x, pointer, segments, out);
      segments.pop();
    }
  }
}

/** Every unknown inside a value, with its RFC 6901 pointer relative to `pointer`. */
export function unknownsIn(value: unknown, pointer = ''): Found[] {
  const out: Found[] = [];
  walkUnknowns(value, pointer, [], out);
  return out;
}

/** True when the value holds an unknown anywhere. */
export function containsUnknown(v: unknown): boolean {
  if (v instanceof Unknown) return true;
  if (Array.isArray(v)) return v.some(containsUnknown);
  if (v && typeof v === 'object') return Object.values(v).some(containsUnknown);
  return false;
}

/** The value with every unknown replaced by its expression as written: for display (diff), never for judging. */
export function asWritten(v: unknown): unknown {
  if (v instanceof Unknown) return v.expression;
  if (Array.isArray(v)) return v.map(asWritten);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = asWritten(x);
    return out;
  }
  return v;
}
