import type { IConstruct } from 'constructs';
import { PropSpec, typeProblems } from './prop-types';

/**
 * What TypeScript would have said about a props object, kept for validation: estate programs run
 * through tsx (no type check) or from JavaScript, where `ttlHour: 500` or `seed: SeedProfile.SYNTHETIC`
 * (undefined) would otherwise fall back to a default in silence.
 */
export interface PropsProblem {
  readonly property: string;
  readonly value: unknown;
  readonly message: string;
  readonly fix: string;
}

const problems = new WeakMap<IConstruct, PropsProblem[]>();

/** Every key of a props interface: `propKeys<SandboxProps>()(['tier', …])` fails to compile when one is missing. */
export function propKeys<T>() {
  return <const K extends readonly (keyof T & string)[]>(
    keys: K & ([Exclude<keyof T, K[number]>] extends [never] ? unknown : { missing: Exclude<keyof T, K[number]> }),
  ): readonly string[] => keys;
}

/**
 * Record unknown keys, keys given as `undefined` (a misspelled enum member) and, with a spec,
 * values of the wrong type (and required props missing) of `props`.
 */
export function recordProps(c: IConstruct, props: object, known: readonly string[] | PropSpec, required: readonly string[] = []): void {
  const spec = Array.isArray(known) ? undefined : (known as PropSpec);
  known = spec ? Object.keys(spec) : (known as readonly string[]);
  const out: PropsProblem[] = [];
  if (props === null || typeof props !== 'object' || Array.isArray(props)) {
    problems.set(c, [{ property: 'props', value: props, message: 'must be an object of properties', fix: `give { ${known.join(', ')} }` }]);
    return;
  }
  for (const [key, value] of Object.entries(props ?? {})) {
    if (!known.includes(key)) {
      const near = closest(key, known);
      out.push({ property: key, value, message: 'is not a property of this construct',
        fix: near ? `did you mean ${near}? (known: ${known.join(', ')})` : `use one of ${known.join(', ')}` });
    } else if (value === undefined) {
      out.push({ property: key, value, message: 'is given but undefined (a misspelled enum member or constant?)',
        fix: 'give a value, or leave the property out for its default' });
    }
  }
  if (spec) {
    out.push(...typeProblems(props, spec));
    for (const key of required) {
      if (!(key in props)) out.push({ property: key, value: undefined, message: 'is required', fix: `give ${key} ${spec[key].describe}` });
    }
  }
  if (out.length > 0) problems.set(c, out);
}

export function propsProblems(c: IConstruct): readonly PropsProblem[] {
  return problems.get(c) ?? [];
}

/** The known key nearest `key` (case-insensitive edit distance ≤ 2), if any. */
function closest(key: string, known: readonly string[]): string | undefined {
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
