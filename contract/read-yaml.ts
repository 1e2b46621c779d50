import { DistReadError } from './dist-types';
import { pointerSegment } from './problems';
import { GO_YAML_ONLY_BREAK } from './yaml-breaks';
import { readTierkitYaml } from './yaml-read';

/**
 * The documents of one YAML stream: through the fast reader when the text is exactly what
 * tierkit writes (verified by writing it back), through js-yaml — strict, as always — otherwise.
 */
export function parseYamlStream(rel: string, text: string): unknown[] {
  refuseGoLineBreaks(rel, text);
  const fast = readTierkitYaml(text);
  if (fast) return fast;
  // js-yaml, not `yaml`, for reading: 7× faster on large dists, same YAML 1.2 core schema. Loaded
  // only for a text the fast reader does not take: tierkit's own dists never need it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { loadAll } = require('js-yaml') as typeof import('js-yaml');
  let docs: unknown[];
  try {
    // tierkit never writes anchors; a hand-written file with alias bombs must not hang check or diff.
    docs = loadAll(text, { maxAliases: 0 });
  } catch (error) {
    throw new DistReadError(rel, `invalid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  docs.forEach((doc, i) => {
    const at = mergeKeyAt(doc, `/${i}`);
    if (at !== undefined) {
      throw new DistReadError(rel, 'uses the key "<<", which Kubernetes and Argo CD (go-yaml) read as a merge of the mapping it holds into its parent '
        + 'while YAML 1.2 reads a key named "<<": what is applied would not be what the rules judged; tierkit never writes it, run `tierkit synth`', at);
    }
  });
  return docs;
}

/** A character only go-yaml reads as a line break (contract/yaml-breaks.ts): refused, never guessed at. */
export function refuseGoLineBreaks(rel: string, text: string): void {
  const m = GO_YAML_ONLY_BREAK.exec(text);
  if (!m) return;
  const before = text.slice(0, m.index);
  const line = before.split('\n').length;
  const column = m.index - before.lastIndexOf('\n');
  const code = `U+${m[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
  throw new DistReadError(rel, `line ${line} column ${column} holds ${code}, which Kubernetes, kustomize and Argo CD (go-yaml) read as a line break `
    + 'while tierkit (YAML 1.2) reads an ordinary character: text after it in a comment or scalar would be applied unjudged; '
    + 'tierkit never writes it raw, run `tierkit synth` (write the character as an escape, e.g. "\\u2028", in a double-quoted value)');
}

/** The JSON pointer (document index first) of the first `<<` key in `value`, if any. */
function mergeKeyAt(value: unknown, at: string): string | undefined {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = mergeKeyAt(value[i], `${at}/${i}`);
      if (found !== undefined) return found;
    }
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '<<') return `${at}/${pointerSegment(k)}`;
      const found = mergeKeyAt(v, `${at}/${pointerSegment(k)}`);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}
