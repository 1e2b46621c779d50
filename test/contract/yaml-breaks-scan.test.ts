import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GO_YAML_ONLY_BREAK, hasGoYamlOnlyBreak } from '../../contract/yaml-breaks';

// The reader sends a YAML text holding NEL, LS or PS to the strict path (which refuses it) by
// hasGoYamlOnlyBreak: it must answer exactly as GO_YAML_ONLY_BREAK.test, on one-byte and two-byte texts.
describe('hasGoYamlOnlyBreak', () => {
  it.each([
    ['', false], ['plain: text\n', false], ['a\u0085', true], ['\u2028', true], ['x: "\u2029"\n', true],
    ['é only Latin-1 ÿ\u0084\u0086', false], ['two-byte ✓ without', false], ['two-byte ✓ with \u0085', true], ['\u2027\u202a', false],
  ])('%j', (text, holds) => {
    expect(hasGoYamlOnlyBreak(text)).toBe(holds);
    expect(GO_YAML_ONLY_BREAK.test(text)).toBe(holds);
  });

  it('agrees with the regular expression on generated texts', () => {
    const ch = fc.constantFrom('a', ':', '\n', 'é', '✓', '\u0085', '\u2028', '\u2029', '\u2027', '\u0084');
    fc.assert(fc.property(fc.array(ch, { maxLength: 40 }), (cs) => {
      const text = cs.join('');
      expect(hasGoYamlOnlyBreak(text)).toBe(GO_YAML_ONLY_BREAK.test(text));
    }), { numRuns: 500 });
  });
});
