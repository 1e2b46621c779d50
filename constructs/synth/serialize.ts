import { stringify } from 'yaml';
import { sortKeys } from '../../contract/order';
import { fastYamlDocument } from '../../contract/yaml-write';

// The canonical orders are the contract's (its readers compare with them); re-exported for the synthesizer.
export { sortKeys, canonicalJson, compareStrings } from '../../contract/order';

/**
 * A multi-document YAML stream with sorted keys; document order is kept (Namespace first).
 * Each document is written by the fast emitter when it is inside the subset that emitter has
 * been shown to write byte for byte like `yaml`, by `yaml` itself otherwise (always, for `reference`).
 */
export function yamlStream(docs: readonly unknown[], reference = false): string {
  return docs.map((d) => {
    const sorted = sortKeys(d);
    const text = (reference ? undefined : fastYamlDocument(sorted)) ?? stringify(sorted, { lineWidth: 0 });
    return GO_YAML_ONLY_BREAK.test(text) ? escapedBreaksDocument(sorted) : text;
  }).join('---\n');
}

/** NEL, LS, PS: line breaks to go-yaml (kubectl, kustomize, Argo CD), not to YAML 1.2; `yaml` writes them raw. */
const GO_YAML_ONLY_BREAK = /[\u0085\u2028\u2029]/;
const BREAK_ESCAPES: Readonly<Record<string, string>> = { '\u0085': '\\N', '\u2028': '\\L', '\u2029': '\\P' };

/**
 * A document holding such a character (in some value or key): every scalar double-quoted, so each
 * raw one sits inside double quotes, where its YAML escape means the same character to every parser.
 * The strict reader refuses them raw (contract/read.ts).
 */
function escapedBreaksDocument(sorted: unknown): string {
  const text = stringify(sorted, { lineWidth: 0, defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'QUOTE_DOUBLE', blockQuote: false });
  return text.replace(/[\u0085\u2028\u2029]/g, (ch) => BREAK_ESCAPES[ch]);
}
