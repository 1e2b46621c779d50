/**
 * The values at a path inside a resource's attributes, with their JSON pointer segments: a `*` step
 * goes into each element of an array (and past a value that is no array). TK038 and TK039 ask it for
 * every postgresql resource, so it steps through the path by index instead of copying its rest.
 */
export function valuesAtPath(v: unknown, path: readonly (string | number)[]): [unknown, (string | number)[]][] {
  const out: [unknown, (string | number)[]][] = [];
  collect(v, path, 0, [], out);
  return out;
}

function collect(v: unknown, path: readonly (string | number)[], i: number, prefix: (string | number)[], out: [unknown, (string | number)[]][]): void {
  if (i === path.length) {
    if (v !== undefined) out.push([v, prefix]);
    return;
  }
  const head = path[i];
  if (head === '*') {
    if (Array.isArray(v)) {
      // As the flatMap this replaces: a hole of a sparse array is skipped.
      for (let j = 0; j < v.length; j++) if (j in v) collect(v[j], path, i + 1, [...prefix, j], out);
    } else if (v !== undefined) collect(v, path, i + 1, prefix, out);
    return;
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return;
  collect((v as Record<string, unknown>)[head as string], path, i + 1, [...prefix, head], out);
}
