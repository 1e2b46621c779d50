import type { Manifest, ManifestAppEnvironment } from '../contract/manifest';
import { formatValue } from './attributes';
import type { AttentionCategory, AttentionItem, ResourceChange } from './model';
import { said } from './markdown-text';

/** What the attention rules share: the two manifests, the items found so far, and helpers. */

/** A Terraform resource's full (reference-resolved) attributes on one side of the diff. */
export type AttributeLookup = (side: 'base' | 'head', stack: string, address: string) => Readonly<Record<string, unknown>> | undefined;

export interface Context {
  readonly base: Manifest;
  readonly head: Manifest;
  readonly items: AttentionItem[];
  /** Unchanged attributes too, for messages that describe the whole resource (a grant). */
  readonly attributes?: AttributeLookup;
}

export type Owns = (value: string) => boolean;

function matches(value: string, e: ManifestAppEnvironment): boolean {
  const snake = e.slug.replace(/-/g, '_');
  return Object.values(e.names).includes(value) || value === e.slug || value.startsWith(`${e.slug}-`)
    || value.startsWith(`${snake}_`) || value.split('/').includes(e.slug);
}

/** The app-environment a stack deploys (head first, then base). */
export function envOfStack(ctx: Context, stack: string): ManifestAppEnvironment | undefined {
  return [...ctx.head.appEnvironments, ...ctx.base.appEnvironments].find((e) => e.stack === stack);
}

/**
 * Which names and Vault paths belong to the app-environment deployed by `stack`: its declared
 * names, and names derived from its slug (`<slug>-reset`, `kvv2/data/<slug>/…`) unless a
 * more specific env claims them (`<app>-<env>-x` belongs to `<app>-<env>`, not to `<app>`).
 */
export function ownNames(ctx: Context, stack: string): Owns | undefined {
  const envs = [...ctx.head.appEnvironments, ...ctx.base.appEnvironments];
  const env = envOfStack(ctx, stack);
  if (!env) return undefined;
  return (value) => {
    const owners = envs.filter((e) => matches(value, e)).sort((a, b) => b.slug.length - a.slug.length);
    return owners.length > 0 && owners[0].slug === env.slug;
  };
}

export function strings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.flatMap(strings);
  return [];
}

export function foreign(values: readonly string[], own: Owns | undefined): string[] {
  return own ? values.filter((v) => !own(v)) : [...values];
}

function under(path: string, key: string): boolean {
  return path === key || path.startsWith(`${key}.`) || path.startsWith(`${key}[`);
}

export function touched(r: ResourceChange, key: string): boolean {
  return r.changes.some((c) => under(c.path, key));
}

/** `path: before → after` for every changed leaf under `keys`. */
export function changeLines(r: ResourceChange, keys: readonly string[]): string[] {
  return r.changes
    .filter((c) => keys.some((k) => under(c.path, k)))
    .map((c) => `${c.path}: ${formatValue(c.before)} → ${formatValue(c.after)}`);
}

export function after(r: ResourceChange, key: string): unknown {
  return r.changes.find((c) => c.path === key)?.after;
}

/** The full value of an added resource's attribute, rebuilt from its leaf changes. */
export function addedStrings(r: ResourceChange, key: string): string[] {
  return r.changes.filter((c) => c.path === key || c.path.startsWith(`${key}[`)).flatMap((c) => strings(c.after));
}

export function push(ctx: Context, category: AttentionCategory, r: ResourceChange, message: string, details: string[] = []): void {
  const subject = r.kind === 'terraform' ? `${r.stack}: ${r.address}` : `${r.objectKind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}`;
  ctx.items.push({ category, subject, stack: r.kind === 'terraform' ? r.stack : undefined, tier: r.tier, message: said`${message}`, details });
}
