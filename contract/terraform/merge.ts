import { DistProblem, pointerSegment } from '../problems';

/**
 * Terraform loads every `.tf.json` of a stack directory as one configuration: blocks of the other
 * files are added (a second block with the same address is an error), and `*_override.tf.json`
 * files are merged over what they name, argument by argument (a nested block replaces all blocks
 * of its type) — developer.hashicorp.com/terraform/language/files/override. tierkit models the
 * same merge, so a rule judges what Terraform would apply, and points at the file that changed it.
 */
export interface StackFile {
  readonly rel: string;
  readonly json: Record<string, any>;
  /** From normalizeStack: where each block was written, when it was in an array form. */
  readonly origins: ReadonlyMap<string, string>;
}

const LABELS: Readonly<Record<string, number>> = { resource: 2, data: 2, ephemeral: 2, variable: 1, output: 1, module: 1 };

function isOverride(rel: string): boolean {
  return /(^|\/|_)override\.tf\.json$/.test(rel);
}

function isObject(v: unknown): v is Record<string, any> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function mergeStackFiles(files: readonly StackFile[], problems: DistProblem[]): { json: Record<string, any>; origins: Map<string, { file: string; pointer: string }> } {
  const [first, ...rest] = files;
  const origins = new Map<string, { file: string; pointer: string }>();
  for (const [k, p] of first?.origins ?? []) origins.set(k, { file: first.rel, pointer: p });
  // The common case, one file: nothing to merge, nothing to copy.
  if (rest.length === 0) return { json: first?.json ?? {}, origins };
  const json: Record<string, any> = structuredClone(first?.json ?? {});
  for (const f of rest) {
    const override = isOverride(f.rel);
    for (const [section, value] of Object.entries(f.json)) {
      const labels = LABELS[section];
      if (!isObject(value)) continue;
      if (labels === undefined) {
        // provider, locals, terraform, …: merged key by key; an override replaces, another file adds.
        const target = (json[section] ??= {});
        for (const [k, v] of Object.entries(value)) {
          if (!override && section === 'locals' && k in target) {
            problems.push({ file: f.rel, pointer: `/${section}/${pointerSegment(k)}`, reason: `declares local.${k} a second time in the stack; Terraform refuses duplicates`, fix: 'declare it once' });
            continue;
          }
          if (section === 'provider' && !override && k in target) target[k] = ([] as unknown[]).concat(target[k], v);
          else target[k] = override && isObject(target[k]) && isObject(v) && section !== 'locals' ? { ...target[k], ...v } : v;
        }
        continue;
      }
      const walk = (src: Record<string, any>, dst: Record<string, any>, path: string[]): void => {
        for (const [label, v] of Object.entries(src)) {
          if (label === '//') continue;
          const here = [...path, label];
          if (here.length < labels) {
            if (isObject(v)) walk(v, (dst[label] ??= {}), here);
            continue;
          }
          const key = [section, ...here].join('/');
          const pointer = f.origins.get(key) ?? `/${[section, ...here].map(pointerSegment).join('/')}`;
          if (override) {
            if (!isObject(dst[label])) {
              problems.push({ file: f.rel, pointer, reason: `overrides ${section} ${here.join('.')}, which the stack does not declare; Terraform refuses it`, fix: 'delete the override file' });
              continue;
            }
            dst[label] = { ...dst[label], ...v };
          } else if (label in dst) {
            problems.push({ file: f.rel, pointer, reason: `declares ${section} ${here.join('.')} a second time in the stack; Terraform refuses duplicates`, fix: 'delete the file' });
            continue;
          } else dst[label] = v;
          // A finding on this block points at the file that last changed it.
          origins.set(key, { file: f.rel, pointer });
        }
      };
      walk(value, (json[section] ??= {}), []);
    }
  }
  return { json, origins };
}
