/**
 * EXPERIMENT ONLY (never used for the headline numbers): runtime patches that emulate the fixes
 * BENCHMARKS.md recommends for constructs/, so their effect can be measured before anyone edits
 * constructs/. Each patch leaves the output byte-identical (checked by bench/experiments/compare.ts).
 */
import { Node } from 'constructs';

/**
 * constructs' `node.children` is `Object.values(this._children)`: O(children) per call. Estate's
 * `servers` getter filters the estate's children (every app) and runs for every `env.server`,
 * inside `gatingTierOfServer`, itself called per env → O(envs² × apps). Cache the array and
 * invalidate it when a child is added or removed.
 */
export function cacheNodeChildren(): void {
  const proto = Node.prototype as any;
  const cache = new WeakMap<object, unknown[]>();
  const addChild = proto.addChild;
  const tryRemoveChild = proto.tryRemoveChild;
  proto.addChild = function (this: object, ...args: unknown[]) {
    cache.delete(this);
    return addChild.apply(this, args);
  };
  proto.tryRemoveChild = function (this: object, ...args: unknown[]) {
    cache.delete(this);
    return tryRemoveChild.apply(this, args);
  };
  Object.defineProperty(proto, 'children', {
    configurable: true,
    get(this: { _children?: Record<string, unknown> }) {
      let list = cache.get(this);
      if (!list) {
        list = Object.values(this._children ?? {});
        cache.set(this, list);
      }
      return [...list];
    },
  });
}

/**
 * cdktf captures a full stack trace (Error.stackTraceLimit = MAX_SAFE_INTEGER) for every token it
 * creates (Intrinsic, Lazy, ComplexResolvable) into a plain `{ stack: '' }` object and reads
 * `.stack`, which formats every frame (and maps it, when source maps are on). The traces only
 * decorate error messages. Formatting non-Error targets to '' makes cdktf keep an empty creation
 * stack; real errors keep their usual stack text.
 */
export function cheapStackTraces(): void {
  process.setSourceMapsEnabled(false);
  const previous = Error.prepareStackTrace;
  Error.prepareStackTrace = (error, frames) => {
    if (!(error instanceof Error)) return '';
    if (previous) return previous(error, frames);
    return `${error}${frames.map((f) => `\n    at ${f}`).join('')}`;
  };
}

export function applyPatches(names: readonly string[]): void {
  for (const name of names) {
    if (name === 'children') cacheNodeChildren();
    else if (name === 'stacks') cheapStackTraces();
    else if (name) throw new Error(`unknown patch ${name} (children, stacks)`);
  }
}
