import { sortKeys } from '../../contract/order';
import { GO_YAML_ONLY_BREAK, yamlWithEscapedBreaks } from '../../contract/yaml-breaks';
import { fastYamlDocument } from '../../contract/yaml-write';

// The canonical orders are the contract's (its readers compare with them); re-exported for the synthesizer.
export { sortKeys, canonicalJson, compareStrings } from '../../contract/order';

/** `yaml` (~0.1–0.2 s to load) only for a document the fast emitter leaves to it: most synths need none. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const yaml = (): typeof import('yaml') => require('yaml');

/**
 * A multi-document YAML stream with sorted keys; document order is kept (Namespace first).
 * Each document is written by the fast emitter when it is inside the subset that emitter has
 * been shown to write byte for byte like `yaml`, by `yaml` itself otherwise (always, for `reference`).
 */
export function yamlStream(docs: readonly unknown[], reference = false): string {
  return docs.map((d) => {
    const sorted = sortKeys(d);
    const text = (reference ? undefined : fastYamlDocument(sorted)) ?? yaml().stringify(sorted, { lineWidth: 0 });
    // NEL/LS/PS raw would be line breaks to go-yaml only (contract/yaml-breaks.ts).
    return GO_YAML_ONLY_BREAK.test(text) ? yamlWithEscapedBreaks(sorted) : text;
  }).join('---\n');
}
