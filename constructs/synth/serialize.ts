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
    return (reference ? undefined : fastYamlDocument(sorted)) ?? stringify(sorted, { lineWidth: 0 });
  }).join('---\n');
}
