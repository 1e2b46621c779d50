import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isGoStdBase64, normalizePolicyPath, parseVaultPolicy } from '../../contract/vault-policy';
import * as before from './reference/vault-policy-v1';

// buildGraph's Vault policy reading was made faster (issue 20: a tokenizer by character code, a
// base64 pre-check without a copy, a fast path for plain paths). It must answer exactly what the
// parser it replaces answered: the same rules, or the same refusal, offsets and all.

const outcome = (f: () => unknown): unknown => {
  try {
    return { ok: f() };
  } catch (e) {
    return { refused: (e as Error).message };
  }
};

const PIECES = ['path', ' ', '  ', '\t', '\n', '\r\n', '\r', '"', '{', '}', '[', ']', '=', ':', ',', '#', '//', '/', '*', '+', '.', '..', '-', '_',
  'capabilities', 'comment', 'policy', 'read', 'deny', 'list', 'sudo', 'secret', 'kvv2/data/app-1', '\\', '\\u002a', 'x'.repeat(70), 'a1', '9', '${', '%{', '{{',
  'AAAA', '==', 'é', '\u2028', 'name'];
const junk = fc.array(fc.constantFrom(...PIECES), { maxLength: 24 }).map((a) => a.join(''));
const seg = fc.array(fc.constantFrom('a', 'Z', '0', '_', '-', '.', '..', '*', '+', '+*', ' ', '/', '//', 'app-1', 'é', '\t'), { maxLength: 5 }).map((a) => a.join(''));
const path = fc.array(seg, { maxLength: 5 }).map((a) => a.join('/'));
const plainPath = fc.tuple(fc.array(fc.constantFrom('kvv2', 'data', 'app-1', 'x_y', 'v1.2', '+'), { minLength: 1, maxLength: 4 }), fc.constantFrom('', '*', '/', '/*'))
  .map(([a, end]) => a.join('/') + end);
const caps = fc.oneof(fc.constantFrom(['read'], ['read', 'list'], ['deny'], ['create', 'update', 'patch']),
  fc.array(fc.constantFrom('read', 'list', 'deny', 'create', 'Read', 'read', ''), { maxLength: 3 }));
const hcl = fc.array(fc.tuple(fc.oneof(plainPath, plainPath, path), caps, fc.boolean()), { minLength: 1, maxLength: 3 }).map((blocks) => blocks.map(([p, c, comment]) =>
  `path "${p}" {\n  capabilities = [${c.map((x) => `"${x}"`).join(', ')}]${comment ? '\n  comment = "c" # note' : ''}\n}\n`).join('\n'));
const json = fc.array(fc.tuple(fc.oneof(plainPath, plainPath, path), caps), { minLength: 1, maxLength: 3 }).map((blocks) =>
  JSON.stringify({ path: Object.fromEntries(blocks.map(([p, c]) => [p, { capabilities: c }])) }, null, blocks.length > 1 ? 2 : undefined));

describe('the faster Vault policy reader', () => {
  it('reads and refuses exactly as before: random texts, policy-shaped HCL and JSON, and spliced junk', () => {
    let read = 0;
    fc.assert(fc.property(fc.oneof(junk, hcl, json, fc.tuple(hcl, junk, fc.nat()).map(([t, j, at]) => t.slice(0, at % (t.length + 1)) + j + t.slice(at % (t.length + 1)))), (text) => {
      const now = parseVaultPolicy(text);
      expect(now, text).toEqual(before.parseVaultPolicy(text));
      if (now.error === undefined) read++;
      expect(isGoStdBase64(text)).toBe(before.isGoStdBase64(text));
    }), { numRuns: 6000 });
    expect(read).toBeGreaterThan(300);
  });

  it('normalizes and refuses every path as before', () => {
    let plain = 0;
    fc.assert(fc.property(fc.oneof(plainPath, path, path.map((p) => `/${p}`), fc.string()), (p) => {
      const now = outcome(() => normalizePolicyPath(p));
      expect(now, p).toEqual(outcome(() => before.normalizePolicyPath(p)));
      if ('ok' in (now as object)) plain++;
    }), { numRuns: 20000 });
    expect(plain).toBeGreaterThan(1000);
    for (const p of ['*', '+', '/', '', '//', 'a//b', 'a/./b', 'a/.', '.a', 'a.', 'a/*', 'a*', 'a/+/b', 'a+', 'a/+*', 'a/', '/a/', 'a/ b', 'a*b', '-/_']) {
      expect(outcome(() => normalizePolicyPath(p)), p).toEqual(outcome(() => before.normalizePolicyPath(p)));
    }
  });

  it('keeps the base64 refusal (Vault decodes a base64 policy first) and a 64-character identifier split', () => {
    for (const text of ['cGF0aA==', 'cGF0\r\naA==', 'AAAA', 'AAA', 'AA==\n', `${'p'.repeat(64)}ath "a" {}`, `path${'_'.repeat(70)}`, '  {"path": {"a": {"capabilities": ["read"]}}}']) {
      expect(parseVaultPolicy(text), text).toEqual(before.parseVaultPolicy(text));
    }
    expect(parseVaultPolicy('cGF0aA==').error).toMatch(/valid base64/);
  });
});
