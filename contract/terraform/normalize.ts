/**
 * Terraform JSON's alternative forms (HCL JSON spec, "Blocks"): wherever a block map is expected,
 * an array of such maps is accepted and read as if they were one — `"resource": [{…}, {…}]`,
 * `"resource": {"t": [{…}]}`, several `"locals": [{…}, {…}]`. tierkit writes none of them, so
 * each is reported; each is also normalized to the one-object form, so that every rule judges
 * what Terraform would apply. Two blocks with the same address, which Terraform refuses, are
 * refused here too.
 */
export interface FormProblem {
  readonly pointer: string;
  readonly reason: string;
  readonly fix: string;
}

export interface Normalized {
  readonly json: Record<string, any>;
  /** Where each block of the normalized form was written (`resource/<type>/<name>` → pointer). */
  readonly origins: ReadonlyMap<string, string>;
  readonly problems: readonly FormProblem[];
}

function seg(s: string | number): string {
  return String(s).replace(/~/g, '~0').replace(/\//g, '~1');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Top-level sections whose blocks have labels: how many (resource "t" "n" = 2). */
const LABELS: Readonly<Record<string, number>> = { resource: 2, data: 2, ephemeral: 2, variable: 1, output: 1, module: 1, provider: 0, locals: 0, terraform: 0 };

/** Already in the one-object form at every label level (what tierkit writes): used as it is, uncopied. */
function plain(v: unknown, labels: number): boolean {
  if (!isObject(v)) return false;
  if (labels === 0) return true;
  for (const k in v) if (k !== '//' && !plain(v[k], labels - 1)) return false;
  return true;
}

export function normalizeStack(json: unknown): Normalized {
  const problems: FormProblem[] = [];
  const origins = new Map<string, string>();
  if (!isObject(json)) {
    return { json: {}, origins, problems: [{ pointer: '', reason: 'is not a JSON object (Terraform JSON configuration is one object)', fix: 'write the stack as one JSON object, or run `tierkit synth`' }] };
  }
  const out: Record<string, any> = {};
  for (const [section, value] of Object.entries(json)) {
    const labels = LABELS[section];
    if (labels === undefined || section === 'provider' || plain(value, labels)) {
      out[section] = value;
      continue;
    }
    const merged: Record<string, any> = {};
    // Walk the label levels, accepting arrays of objects at each, merging into `merged`.
    const visit = (v: unknown, pointer: string, path: string[], target: Record<string, any>, depth: number): void => {
      if (Array.isArray(v)) {
        problems.push({ pointer, reason: `uses Terraform JSON's array form for ${section}${path.length ? ` ${path.join('.')}` : ''}, which tierkit never writes`, fix: 'write one JSON object per block level, as `tierkit synth` does' });
        v.forEach((x, i) => visit(x, `${pointer}/${i}`, path, target, depth));
        return;
      }
      if (!isObject(v)) {
        problems.push({ pointer, reason: `${section}${path.length ? ` ${path.join('.')}` : ''} is not a JSON object`, fix: 'write each block as a JSON object' });
        return;
      }
      if (depth === labels) {
        // The block body (or, for locals/terraform, the attributes): merged attribute by attribute.
        const key = [section, ...path].join('/');
        if (labels > 0 && origins.has(key)) {
          problems.push({ pointer, reason: `declares ${section} ${path.join('.')} a second time (first at ${origins.get(key)}); Terraform refuses duplicate blocks`, fix: 'keep one block per address' });
          return;
        }
        if (labels > 0) origins.set(key, pointer);
        for (const [k, x] of Object.entries(v)) {
          if (labels === 0 && Object.prototype.hasOwnProperty.call(target, k) && k !== '//') {
            problems.push({ pointer: `${pointer}/${seg(k)}`, reason: `declares ${section === 'locals' ? `local.${k}` : `${section}.${k}`} a second time; Terraform refuses duplicates`, fix: 'declare it once' });
            continue;
          }
          if (labels === 0 && section === 'locals') origins.set(`locals/${k}`, `${pointer}/${seg(k)}`);
          target[k] = x;
        }
        return;
      }
      for (const [label, x] of Object.entries(v)) {
        if (label === '//') continue;
        const child = depth + 1 === labels ? target : (target[label] ??= {});
        if (depth + 1 === labels) {
          if (Array.isArray(x) && x.length === 1 && isObject(x[0])) {
            // `"name": [{ body }]`: one block, in array form.
            problems.push({ pointer: `${pointer}/${seg(label)}`, reason: `uses Terraform JSON's array form for ${section} ${[...path, label].join('.')}, which tierkit never writes`, fix: 'write the block body as one JSON object' });
            const body: Record<string, any> = {};
            visit(x[0], `${pointer}/${seg(label)}/0`, [...path, label], body, depth + 1);
            if (!(label in child)) child[label] = body;
            continue;
          }
          const body: Record<string, any> = {};
          if (Array.isArray(x)) {
            problems.push({ pointer: `${pointer}/${seg(label)}`, reason: `declares ${section} ${[...path, label].join('.')} ${x.length} times in array form; Terraform refuses duplicate blocks`, fix: 'keep one block per address' });
            continue;
          }
          const before = origins.size;
          visit(x, `${pointer}/${seg(label)}`, [...path, label], body, depth + 1);
          if (origins.size > before) child[label] = body;
        } else {
          visit(x, `${pointer}/${seg(label)}`, [...path, label], child, depth + 1);
        }
      }
    };
    visit(value, `/${seg(section)}`, [], merged, 0);
    out[section] = merged;
  }
  return { json: out, origins, problems };
}
