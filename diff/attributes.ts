import { compareStrings } from '../contract/order';
import type { AttributeChange } from './model';

/**
 * Attribute-level differences as dotted paths. Values under a key that looks secret are compared
 * but never shown: a PR comment is readable by everyone who can read the repository.
 */
export const MASK = '(sensitive)';

const SENSITIVE_KEY = /(password|passwd|secret|private_key|credential|sensitive|^token$)/i;
/** `password_wo_version` is a rotation counter, not a secret: reviewers should see it move. */
const NOT_SENSITIVE_KEY = /_version$/;

export function isSensitiveKey(key: string): boolean {
  return SENSITIVE_KEY.test(key) && !NOT_SENSITIVE_KEY.test(key);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Terraform's cdktf metadata (`//`) moves with construct paths; it is not infrastructure. */
const IGNORED_KEYS = new Set(['//']);

function segment(prefix: string, key: string): string {
  const safe = /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? key : JSON.stringify(key);
  if (!prefix) return safe;
  return safe.startsWith('"') ? `${prefix}[${safe}]` : `${prefix}.${safe}`;
}

export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => sameValue(v, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => sameValue(a[k], b[k]));
  }
  return false;
}

/** Arrays of objects are diffed per index; arrays of scalars are one value (their order can matter). */
function hasObjects(v: unknown[]): boolean {
  return v.some((x) => typeof x === 'object' && x !== null);
}

/**
 * Every leaf where `before` and `after` differ. An object present on one side only is expanded to
 * its leaves, so an added resource lists every attribute it sets.
 */
export function diffAttributes(before: unknown, after: unknown, prefix = '', masked = false): AttributeChange[] {
  if (sameValue(before, after)) return [];
  if (isPlainObject(before) || isPlainObject(after)) {
    if ((before === undefined || isPlainObject(before)) && (after === undefined || isPlainObject(after))) {
      const b = (before ?? {}) as Record<string, unknown>;
      const a = (after ?? {}) as Record<string, unknown>;
      const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])].filter((k) => !IGNORED_KEYS.has(k)).sort(compareStrings);
      // An empty object appearing or going is a value, not nothing: `ingress: [{}]` admits every peer,
      // `podSelector: {}` selects every pod. It has no leaf below it to report.
      if (keys.length === 0 && prefix && (before === undefined || after === undefined) && Object.keys(before ?? after ?? {}).length === 0) {
        return [{ path: prefix, ...(before !== undefined ? { before } : {}), ...(after !== undefined ? { after } : {}) }];
      }
      return keys.flatMap((k) => diffAttributes(b[k], a[k], segment(prefix, k), masked || isSensitiveKey(k)));
    }
  }
  if (Array.isArray(before) && Array.isArray(after) && (hasObjects(before) || hasObjects(after))) {
    const n = Math.max(before.length, after.length);
    const out: AttributeChange[] = [];
    for (let i = 0; i < n; i++) out.push(...diffAttributes(before[i], after[i], `${prefix}[${i}]`, masked));
    return out;
  }
  if (Array.isArray(before) !== Array.isArray(after) || !Array.isArray(before)) {
    // A whole array that appears or disappears, with objects inside: expand it too.
    if (before === undefined && Array.isArray(after) && hasObjects(after)) return diffAttributes([], after, prefix, masked);
    if (after === undefined && Array.isArray(before) && hasObjects(before)) return diffAttributes(before, [], prefix, masked);
  }
  const change: { path: string; before?: unknown; after?: unknown; masked?: true } = { path: prefix || '(value)' };
  if (before !== undefined) change.before = masked ? MASK : before;
  if (after !== undefined) change.after = masked ? MASK : after;
  if (masked) change.masked = true;
  return [change];
}

/** A short, single-line rendering of a value for Markdown tables and attention details. */
export function formatValue(v: unknown, max = 120): string {
  if (v === undefined) return '(none)';
  const text = typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? String(v);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
