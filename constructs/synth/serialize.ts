import { stringify } from 'yaml';
import { sortKeys } from '../../contract/order';

// The canonical orders are the contract's (its readers compare with them); re-exported for the synthesizer.
export { sortKeys, canonicalJson, compareStrings } from '../../contract/order';

/** A multi-document YAML stream with sorted keys; document order is kept (Namespace first). */
export function yamlStream(docs: readonly unknown[]): string {
  return docs.map((d) => stringify(sortKeys(d), { lineWidth: 0 })).join('---\n');
}
