import type { IConstruct } from 'constructs';
import type { ValidationIssue } from './errors';
import { PropSpec, closest, typeProblems } from './prop-types';

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
 * Record unknown keys and (unless `allowUndefined`) keys given as `undefined` (a misspelled enum
 * member) of `props`. Estate and PostgresServer allow `undefined` (`adminRole: managed ? r : undefined`
 * is common; their enum-valued props default visibly in the manifest).
 */
export function recordProps(c: IConstruct, props: object, known: readonly string[] | PropSpec, allowUndefined = false): void {
  const keys = Array.isArray(known) ? (known as readonly string[]) : Object.keys(known);
  const out: PropsProblem[] = [];
  for (const [key, value] of Object.entries(props ?? {})) {
    if (!keys.includes(key)) {
      const near = closest(key, keys);
      out.push({ property: key, value, message: 'is not a property of this construct',
        fix: near ? `did you mean ${near}? (known: ${keys.join(', ')})` : `use one of ${keys.join(', ')}` });
    } else if (value === undefined && !allowUndefined) {
      out.push({ property: key, value, message: 'is given but undefined (a misspelled enum member or constant?)',
        fix: 'give a value, or leave the property out for its default' });
    }
  }
  if (out.length > 0) problems.set(c, out);
}

const recorded = new WeakMap<IConstruct, ValidationIssue[]>();

/** Keep issues found while building `c` (its props' types, a duplicate child) for validation to report. */
export function recordIssues(c: IConstruct, issues: readonly ValidationIssue[]): void {
  if (issues.length > 0) recorded.set(c, [...(recorded.get(c) ?? []), ...issues]);
}

/** The issues recorded while building `c`, in the order found. */
export function recordedIssues(c: IConstruct): readonly ValidationIssue[] {
  return recorded.get(c) ?? [];
}

/**
 * Before a construct uses its props: props that are no object, a required prop missing, or a
 * value of the wrong type at any depth become issues naming the construct's path (`path`), the
 * property path, its value and the fix. Nothing is thrown: the construct records them
 * (`recordIssues`) and validation reports them with every other problem of the estate in one
 * run. Meanwhile the construct builds from `props` as returned: a wrong-typed prop left out (its
 * default applies), a required object or list that is missing or wrong given as `{}` or `[]`.
 */
export function checkProps<P>(path: string, props: unknown, spec: PropSpec, required: readonly string[]): { props: P; issues: ValidationIssue[] } {
  const issue = (property: string, value: unknown, message: string, fix: string): ValidationIssue => ({ path, property, value, message, fix });
  if (props === null || typeof props !== 'object' || Array.isArray(props)) {
    return {
      props: usable({}, spec, required) as P,
      issues: [issue('props', props, 'must be an object of properties', `give { ${Object.keys(spec).join(', ')} }`)],
    };
  }
  const issues = typeProblems(props, spec).map((p) => issue(p.property, p.value, p.message, p.fix));
  for (const key of required) {
    if ((props as Record<string, unknown>)[key] === undefined && !(key in props)) issues.push(issue(key, undefined, 'is required', `give ${key} ${spec[key].describe}`));
  }
  return { props: usable(props as Record<string, unknown>, spec, required) as P, issues };
}

/** `props` without its wrong-typed top-level values; required objects and lists at least empty. */
function usable(props: Record<string, unknown>, spec: PropSpec, required: readonly string[]): Record<string, unknown> {
  const wrong = Object.keys(props).filter((k) => Object.hasOwn(spec, k) && props[k] !== undefined && !spec[k].accepts(props[k]));
  const out: Record<string, unknown> = { ...props };
  for (const k of wrong) delete out[k];
  for (const k of required) {
    if (out[k] === undefined && spec[k]?.fields) out[k] = {};
    if (out[k] === undefined && (spec[k]?.element || spec[k]?.accepts === Array.isArray)) out[k] = [];
  }
  return wrong.length === 0 && required.every((k) => out[k] === props[k]) ? props : out;
}

export function propsProblems(c: IConstruct): readonly PropsProblem[] {
  return problems.get(c) ?? [];
}

/** The display path (`<estate>/<app>/<env>`) a construct `id` under `scope` will have. */
export function childPath(scope: IConstruct, id: string): string {
  const root = scope.node.root as IConstruct & { estateName?: unknown };
  const base = typeof root.estateName === 'string' ? root.estateName : '';
  return [base, scope.node.path, id].filter(Boolean).join('/');
}
