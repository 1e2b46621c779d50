/**
 * Vitest matchers for estates (cdktf's own matchers are Jest-only):
 *
 *   import { tierkitMatchers } from 'tierkit/policies/testing/matchers';
 *   expect.extend(tierkitMatchers);
 *   expect(stackJson).toHaveResourceWithProperties('postgresql_role', { name: 'erp_role', login: false });
 *   await expect('dist').toPassPolicy();          // every rule
 *   await expect(distDir).toPassPolicy('TK004');  // one rule
 *
 * `toPassPolicy` is async (the SQL parser loads once): await it.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readDist, stackResources } from '../../contract/read';
import { checkDist } from '../engine';
import type { Finding } from '../report/finding';
// The augmentation below needs vitest resolved as a module of this file (a peer of tierkit/testing).
import type {} from 'vitest';

type MatcherResult = { pass: boolean; message: () => string };

/** Deep partial match: every property of `expected` is present and equal in `actual`. */
function partialMatch(actual: unknown, expected: unknown): boolean {
  if (expected && typeof expected === 'object' && !Array.isArray(expected)) {
    if (!actual || typeof actual !== 'object') return false;
    return Object.entries(expected).every(([k, v]) => partialMatch((actual as Record<string, unknown>)[k], v));
  }
  if (Array.isArray(expected)) {
    return Array.isArray(actual) && actual.length === expected.length && expected.every((v, i) => partialMatch(actual[i], v));
  }
  return Object.is(actual, expected);
}

/** Resources of a stack JSON (object or JSON text), a stack file, or every stack of a dist dir. */
function resourcesOf(subject: unknown): { address: string; attributes: Record<string, unknown>; raw: Record<string, unknown> }[] {
  if (typeof subject === 'string' && !subject.trimStart().startsWith('{')) {
    if (existsSync(join(subject, 'manifest.json'))) return readDist(subject).stacks.flatMap((s) => s.resources.map((r) => ({ address: `${s.name}:${r.address}`, attributes: r.attributes, raw: r.raw }))) as any;
    if (existsSync(subject) && statSync(subject).isFile()) return resourcesOf(require('node:fs').readFileSync(subject, 'utf8'));
    throw new Error(`toHaveResourceWithProperties: ${subject} is neither a dist directory nor a stack file`);
  }
  const json = typeof subject === 'string' ? JSON.parse(subject) : subject;
  if (!json || typeof json !== 'object') throw new Error('toHaveResourceWithProperties: expected a stack JSON, its text, a file or a dist dir');
  return stackResources('stack', 'stack.json', json as Record<string, any>) as any;
}

function describe(f: Finding): string {
  return `  ${f.ruleId} ${f.severity}: ${f.message}${f.file ? `\n    at ${f.file}${f.pointer ? `#${f.pointer}` : ''}` : ''}`;
}

export const tierkitMatchers = {
  toHaveResourceWithProperties(received: unknown, type: string, properties: Record<string, unknown>): MatcherResult {
    const all = resourcesOf(received).filter((r) => r.address.split(':').pop()!.startsWith(`${type}.`));
    // Match either the resolved attributes (`${postgresql_role.x.name}` → the name) or the raw text.
    const hit = all.find((r) => partialMatch(r.attributes, properties) || partialMatch(r.raw, properties));
    return {
      pass: hit !== undefined,
      message: () => hit
        ? `expected no ${type} with ${JSON.stringify(properties)}, but ${hit.address} has them`
        : `expected a ${type} with ${JSON.stringify(properties)}; found ${all.length} ${type}: ${all.map((r) => r.address).join(', ') || '(none)'}`,
    };
  },

  async toPassPolicy(received: unknown, ruleId?: string, options: { now?: Date } = {}): Promise<MatcherResult> {
    const dir = typeof received === 'string' ? received : (received as { dir?: string })?.dir;
    if (typeof dir !== 'string') throw new Error('toPassPolicy: expected a dist directory (or an object with `dir`)');
    const report = await checkDist(dir, { now: options.now ?? new Date() });
    const failing = report.findings.filter((f) => f.severity === 'error' && !f.suppressed && (!ruleId || f.ruleId === ruleId));
    return {
      pass: failing.length === 0,
      message: () => failing.length === 0
        ? `expected ${dir} to violate ${ruleId ?? 'some rule'}, but it passes`
        : `expected ${dir} to pass ${ruleId ?? 'every rule'}; ${failing.length} finding(s):\n${failing.map(describe).join('\n')}`,
    };
  },
};

interface TierkitMatchers<R = unknown> {
  toHaveResourceWithProperties(type: string, properties: Record<string, unknown>): R;
  toPassPolicy(ruleId?: string, options?: { now?: Date }): Promise<R>;
}

declare module 'vitest' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unused-vars
  interface Matchers<T = any> extends TierkitMatchers<T> {}
}
