import fc from 'fast-check';
import { Document, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { NON_STRING_TESTS, fastYamlDocument } from '../../contract/yaml-write';
import { yamlStream } from '../../constructs/synth/serialize';

// Pieces chosen to hit every branch of `yaml`'s scalar styling: indicators, comment and mapping
// markers, quotes of both kinds, core-schema look-alikes (true, null, 0x1F, 1e3, .inf), document
// markers, tabs, non-ASCII, runs of newlines and trailing/leading blanks.
const PIECES = [...'ab Z09-_.:/#\'"\n\t{}[],&*!|>%@`?~=\\é', 'true', 'null', 'NULL', '---', '...', '0x1F', '1e3', '0o7', '.inf',
  ' #', ': ', '\n\n', '- ', '? ', '12', '-3', '+4', '0.5', 'x'.repeat(30)];
/** Documents from `pieces`; `odd` adds what the fast path refuses (tabs, non-ASCII, fractions). */
function documents(pieces: readonly string[], odd: boolean): fc.Arbitrary<Record<string, unknown>> {
  const text = fc.array(fc.constantFrom(...pieces), { maxLength: 8 }).map((a) => a.join(''));
  const scalars = [text, fc.integer(), fc.boolean(), fc.constant(null), ...(odd ? [fc.double()] : [])];
  const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
    v: fc.oneof({ depthSize: 'small' }, ...scalars, fc.array(tie('v'), { maxLength: 3 }), fc.dictionary(text, tie('v'), { maxKeys: 3 })),
  })).v;
  return fc.dictionary(text, value, { minKeys: 1, maxKeys: 4 });
}
const TAME = PIECES.filter((p) => p !== '\t' && p !== 'é');

describe('fast YAML emitter', () => {
  it('tests plain scalars with exactly the core schema tags yaml uses', () => {
    const tags = new Document().schema.tags.filter((t) => t.default && t.tag !== 'tag:yaml.org,2002:str' && t.test).map((t) => String(t.test));
    expect(NON_STRING_TESTS.map(String)).toEqual(tags);
  });

  it('writes exactly what yaml.stringify writes, whenever it does not give up', () => {
    for (const [pieces, odd, minFast] of [[PIECES, true, 500], [TAME, false, 2000]] as const) {
      let fast = 0;
      fc.assert(fc.property(documents(pieces, odd), (d) => {
        const mine = fastYamlDocument(d);
        if (mine === undefined) return;
        fast++;
        expect(mine).toBe(stringify(d, { lineWidth: 0 }));
      }), { numRuns: 5000 });
      // The comparison means something only if the fast path is actually taken often.
      expect(fast).toBeGreaterThan(minFast);
    }
  });

  it('covers the shapes of a Kubernetes manifest: block scripts, quoted numbers, empty collections', () => {
    const d = {
      apiVersion: 'v1', kind: 'ConfigMap',
      metadata: { annotations: { 'vault.hashicorp.com/agent-inject': 'true', t: 'export A=\'{{ .Data.x }}\'\n' }, name: 'x' },
      data: { port: '5432', empty: '', script: 'set -e\n\nexec "$0" --x=1 \\\n  --y\n', star: '*', list: [], map: {} },
      spec: { containers: [{ args: ['-c', 'a: b'], ports: [{ containerPort: 80 }] }], nested: [['a'], [{}]] },
    };
    const mine = fastYamlDocument(d);
    expect(mine).toBeDefined();
    expect(mine).toBe(stringify(d, { lineWidth: 0 }));
  });

  it('gives up on what it has not been shown to match, and yamlStream then falls back to yaml', () => {
    for (const odd of [{ a: 'tab\there' }, { a: 'é' }, { a: ' leading\nblank' }, { a: 'keep\n\n' }, { a: 1.5 }]) {
      expect(fastYamlDocument(odd)).toBeUndefined();
      expect(yamlStream([odd])).toBe(stringify(odd, { lineWidth: 0 }));
    }
  });

  it('writes a block scalar holding document markers (a PEM) as yaml does: its lines are indented, never a stream marker', () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    for (const doc of [{ a: '---\nx' }, { a: 'x\n...\ny' }, { a: '%x\ny\n' }, { spec: { env: [{ name: 'CA', value: pem }] } }]) {
      const out = fastYamlDocument(doc);
      expect(out).toBe(stringify(doc, { lineWidth: 0 }));
      expect(out!.split('\n').some((line) => /^(---|\.\.\.|%)/.test(line))).toBe(false);
    }
  });
});
