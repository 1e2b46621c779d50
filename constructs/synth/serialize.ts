import { stringify } from 'yaml';
import { fastYamlDocument } from '../../contract/yaml-write';

/** Deep copy with object keys sorted (arrays keep their order: it can mean something). */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value as object).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/** Canonical JSON: sorted keys, two-space indent, trailing newline. */
export function canonicalJson(value: unknown): string {
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`;
}

/**
 * A multi-document YAML stream with sorted keys; document order is kept (Namespace first).
 * Each document is written by the fast emitter when it is inside the subset that emitter has
 * been shown to write byte for byte like `yaml`, by `yaml` itself otherwise (always, for `reference`).
 */
export function yamlStream(docs: readonly unknown[], reference = false): string {
  return docs.map((d) => {
    const sorted = sortKeys(d);
    return (reference ? undefined : fastYamlDocument(sorted)) ?? stringify(sorted, { lineWidth: 0 });
  }).join('---\n');
}

/** Code-point order: locale-independent, so every machine sorts alike. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
