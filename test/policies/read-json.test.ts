import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { repeatedJsonKey } from '../../contract/json';
import { holdsNoRepeatedKey } from '../../contract/read-json';

// contract/read-json.ts proves "no repeated key" by counting instead of writing the value back. It
// must never say "none" of a text that repeats one (the reader would then judge only JSON.parse's
// last definition while Terraform applies both): held to the key-by-key scan on hostile spellings
// and on generated texts, pretty and compact, with and without repeats.

const agree = (text: string) => expect(holdsNoRepeatedKey(text, JSON.parse(text))).toBe(repeatedJsonKey(text) === undefined);

describe('holdsNoRepeatedKey', () => {
  it.each([
    ['a repeat at the top', '{"resource": {}, "resource": {"x": 1}}', false],
    ['a repeat deep down', '{"a": {"b": [{"c": 1, "d": {"e": 1, "e": 2}}]}}', false],
    ['one key in two objects', '{"a": [{"b": 1}, {"b": 2}], "c": {"b": "a"}}', true],
    ['a repeated __proto__', '{"__proto__": {"a": 1}, "__proto__": {"a": 2}}', false],
    ['one __proto__', '{"__proto__": {"a": 1}, "b": {"__proto__": 2}}', true],
    ['escaped quotes and colons in strings', '{"a": "x\\": \\"y", "b\\\\": ":", "c": "\\\\\\"", "c": 1}', false],
    ['a value that looks like a key', '{"a": "b", "c": ["b", "b"], "b" : 1}', true],
    ['whitespace before the colon', '{"a"\n\t\r :1, "a"  \n: 2}', false],
    ['escapes that spell the same key', '{"a": 1, "\\u0061": 2}', false],
    ['a scalar document', '"a"', true],
    ['an empty object', '{}', true],
  ])('%s', (_, text, none) => {
    expect(holdsNoRepeatedKey(text, JSON.parse(text))).toBe(none);
    agree(text);
  });

  it('agrees with the key-by-key scan on generated texts', () => {
    const key = fc.constantFrom('a', 'b', '__proto__', 'x"y', 'a\\', ':', 'resource');
    // Objects as entry lists, written by hand: repeats are kept in the text.
    const write = (v: unknown, pretty: boolean): string => {
      const sep = pretty ? ' \n ' : '';
      if (Array.isArray(v)) return `[${v.map((x) => write(x, pretty)).join(`,${sep}`)}]`;
      if (v !== null && typeof v === 'object') {
        const entries = (v as { entries: [string, unknown][] }).entries;
        return `{${entries.map(([k, x]) => `${JSON.stringify(k)}${pretty ? ' : ' : ':'}${write(x, pretty)}`).join(`,${sep}`)}}`;
      }
      return JSON.stringify(v);
    };
    // Tag objects so that `write` tells them from arrays.
    const tag = (v: unknown): unknown => {
      if (Array.isArray(v) && (v as unknown as { obj?: true }).obj) return { entries: (v as [string, unknown][]).map(([k, x]) => [k, tag(x)]) };
      if (Array.isArray(v)) return v.map(tag);
      return v;
    };
    const tree = fc.letrec((tie) => ({
      v: fc.oneof({ depthSize: 'small' }, fc.string(), fc.integer(), fc.constant(null), fc.array(tie('v'), { maxLength: 3 }), tie('o')),
      o: fc.array(fc.tuple(key, tie('v')), { maxLength: 4 }).map((es) => Object.assign(es, { obj: true as const })),
    })).o;
    let repeats = 0;
    fc.assert(fc.property(tree, fc.boolean(), (t, pretty) => {
      const text = write(tag(t), pretty);
      if (repeatedJsonKey(text) !== undefined) repeats++;
      agree(text);
    }), { numRuns: 500 });
    // The generator does make repeats: the property is not vacuous.
    expect(repeats).toBeGreaterThan(20);
  });
});
