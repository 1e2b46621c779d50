/**
 * NEL, LS and PS end a line for the libyaml-derived parsers that read what tierkit writes
 * (go-yaml v2/v3 in kubectl, kustomize and Argo CD: yamlprivateh.go `is_break`; YAML 1.1), but not
 * for js-yaml or `yaml` (YAML 1.2: LF and CR only). Written raw, `# x<LS>  egress: [{}]` is a comment
 * to one and a field to the other, so tierkit never writes them raw and the strict reader refuses them.
 */
export const GO_YAML_ONLY_BREAK = /[\u0085\u2028\u2029]/;

/**
 * `GO_YAML_ONLY_BREAK.test(text)`, by three indexOf scans: ~2 ms instead of ~21 ms over the
 * reference estate's 32 MB of YAML (a Latin-1 string cannot hold U+2028/U+2029 at all).
 */
export function hasGoYamlOnlyBreak(text: string): boolean {
  return text.indexOf('\u0085') >= 0 || text.indexOf('\u2028') >= 0 || text.indexOf('\u2029') >= 0;
}
const BREAK_ESCAPES: Readonly<Record<string, string>> = { '\u0085': '\\N', '\u2028': '\\L', '\u2029': '\\P' };

/**
 * `value` as YAML with every scalar and key double-quoted, so each such character sits inside double
 * quotes, where its YAML escape (`\N`, `\L`, `\P`) means the same character to every parser. Used
 * only for a document that holds one (`yaml` would write it raw); key order is kept as given.
 */
export function yamlWithEscapedBreaks(value: unknown): string {
  // Required here, not at the top: the reader imports this file for GO_YAML_ONLY_BREAK alone, and
  // `check` would otherwise load the whole emitter (~60 ms) it never uses.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { stringify } = require('yaml') as typeof import('yaml');
  const text = stringify(value, { lineWidth: 0, aliasDuplicateObjects: false, defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'QUOTE_DOUBLE', blockQuote: false });
  return text.replace(/[\u0085\u2028\u2029]/g, (ch) => BREAK_ESCAPES[ch]);
}
