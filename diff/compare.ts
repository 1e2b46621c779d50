import { createHash } from 'node:crypto';
import type { Manifest } from '../contract/manifest';
import { compareStrings } from '../contract/order';
import type { DistContents, KubernetesObject, TerraformStackJson } from '../contract/read';
import { StackEvaluator } from '../contract/terraform/stack';
import { asWritten } from '../contract/terraform/unknown';
import { diffAttributes } from './attributes';
import type { ChangeAction, KubernetesChange, ManifestChange, ResourceChange, TerraformChange } from './model';

/**
 * Pairs up the two dists: Terraform resources by (stack, address), Kubernetes objects by
 * (apiVersion, kind, namespace, name), manifest entries by their natural key.
 */

/** Stack-level sections diffed as one pseudo-resource each: a provider host change is a change. */
const STACK_SECTIONS = ['data', 'locals', 'module', 'output', 'provider', 'terraform', 'variable'] as const;

interface Keyed<T> {
  readonly key: string;
  readonly value: T;
}

function actionOf(before: unknown, after: unknown): ChangeAction {
  return before === undefined ? 'add' : after === undefined ? 'destroy' : 'change';
}

/** Union of keys, sorted, with both sides: the skeleton of every comparison here. */
function pair<T>(base: readonly Keyed<T>[], head: readonly Keyed<T>[]): { key: string; before?: T; after?: T }[] {
  const b = new Map(base.map((x) => [x.key, x.value]));
  const h = new Map(head.map((x) => [x.key, x.value]));
  return [...new Set([...b.keys(), ...h.keys()])].sort(compareStrings).map((key) => ({ key, before: b.get(key), after: h.get(key) }));
}

interface TfEntry {
  readonly stack: string;
  readonly address: string;
  readonly type: string;
  readonly file: string;
  readonly attributes: unknown;
}

function terraformEntries(stacks: readonly TerraformStackJson[]): Keyed<TfEntry>[] {
  const out: Keyed<TfEntry>[] = [];
  for (const s of stacks) {
    for (const r of s.resources) {
      // Unknowns are shown as written (`${var.x}`); the attention list says they are unresolved.
      out.push({ key: `${s.name}/${r.address}`, value: { stack: s.name, address: r.address, type: r.type, file: s.file, attributes: asWritten(r.attributes) } });
    }
    // A block that expands to no instance (count = 0, an empty for_each) is still shown, as written:
    // its meta-argument is what the reviewer must see.
    const expanded = new Set(s.resources.map((r) => `${r.type}.${r.name}`));
    let evaluator: StackEvaluator | undefined;
    for (const [type, byName] of Object.entries((s.json.resource ?? {}) as Record<string, Record<string, unknown>>)) {
      for (const [name, body] of Object.entries(byName ?? {})) {
        if (expanded.has(`${type}.${name}`)) continue;
        evaluator ??= new StackEvaluator(s.json);
        out.push({ key: `${s.name}/${type}.${name}`, value: { stack: s.name, address: `${type}.${name}`, type, file: s.file, attributes: asWritten(evaluator.value(body)) } });
      }
    }
    for (const section of STACK_SECTIONS) {
      if (s.json[section] === undefined) continue;
      out.push({ key: `${s.name}/${section}`, value: { stack: s.name, address: section, type: section, file: s.file, attributes: s.json[section] } });
    }
  }
  return out;
}

function stackOwner(manifests: readonly Manifest[], stack: string): { tier?: string; app?: string } {
  for (const m of manifests) {
    const s = m.stacks.find((x) => x.name === stack);
    if (s) return { tier: s.tier, app: m.appEnvironments.find((e) => e.stack === stack)?.app };
  }
  return {};
}

function fileOwner(manifests: readonly Manifest[], file: string): { tier?: string; app?: string } {
  for (const m of manifests) {
    const a = m.artifacts.find((x) => x.path === file);
    if (a) return { tier: a.tier, app: a.app };
  }
  return {};
}

function terraformChanges(base: DistContents, head: DistContents): TerraformChange[] {
  const manifests = [head.manifest, base.manifest];
  return pair(terraformEntries(base.stacks), terraformEntries(head.stacks)).flatMap(({ key, before, after }) => {
    const changes = diffAttributes(before?.attributes, after?.attributes);
    if (changes.length === 0) return [];
    const e = (after ?? before)!;
    const owner = stackOwner(manifests, e.stack);
    const attrs = (e.attributes ?? {}) as Record<string, unknown>;
    const label = [attrs.name, attrs.role_name].find((v): v is string => typeof v === 'string');
    return [{
      kind: 'terraform' as const, key, stack: e.stack, address: e.address, type: e.type, label,
      ...owner, file: e.file, action: actionOf(before, after), changes,
    }];
  });
}

function objectKey(o: KubernetesObject): string {
  const m = o.object.metadata ?? {};
  return `${o.object.apiVersion ?? '?'}/${o.object.kind ?? '?'}/${m.namespace ?? '-'}/${m.name ?? `#${o.index}`}`;
}

function kubernetesEntries(objects: readonly KubernetesObject[]): Keyed<KubernetesObject>[] {
  const seen = new Set<string>();
  return objects.map((o) => {
    let key = objectKey(o);
    // The same object declared twice (a hand-written file beside a synthesized one) stays visible.
    if (seen.has(key)) key = `${key} @${o.file}`;
    seen.add(key);
    return { key, value: o };
  });
}

function kubernetesChanges(base: DistContents, head: DistContents): KubernetesChange[] {
  const manifests = [head.manifest, base.manifest];
  return pair(kubernetesEntries(base.kubernetes), kubernetesEntries(head.kubernetes)).flatMap(({ key, before, after }) => {
    const kindOf = (o?: KubernetesObject) => o?.object.kind;
    const secret = kindOf(before) === 'Secret' || kindOf(after) === 'Secret';
    const strip = (o?: KubernetesObject) => (o && secret ? { ...o.object, data: maskAll(o.object.data), stringData: maskAll(o.object.stringData) } : o?.object);
    const changes = diffAttributes(strip(before), strip(after));
    if (changes.length === 0) return [];
    const o = (after ?? before)!;
    const meta = o.object.metadata ?? {};
    return [{
      kind: 'kubernetes' as const, key, apiVersion: String(o.object.apiVersion ?? '?'), objectKind: String(o.object.kind ?? '?'),
      namespace: meta.namespace, name: String(meta.name ?? `#${o.index}`), ...fileOwner(manifests, o.file),
      file: o.file, action: actionOf(before, after), changes,
    }];
  });
}

/** Kubernetes Secret values: keep the keys (so a change shows), hide the values. */
function maskAll(data: unknown): unknown {
  if (!data || typeof data !== 'object') return data;
  // A short digest tells "changed" from "unchanged" without revealing the value.
  return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, `(sensitive ${createHash('sha256').update(String(v)).digest('hex').slice(0, 8)})`]));
}

function manifestChanges(base: Manifest, head: Manifest): ManifestChange[] {
  const out: ManifestChange[] = [];
  const estateChanges = diffAttributes(base.estate, head.estate);
  if (estateChanges.length > 0) out.push({ section: 'estate', key: 'estate', action: 'change', changes: estateChanges });
  const sections: { section: ManifestChange['section']; key: (x: any) => string }[] = [
    { section: 'tiers', key: (t) => t.name },
    { section: 'servers', key: (s) => s.id },
    { section: 'stacks', key: (s) => s.name },
    { section: 'appEnvironments', key: (e) => e.slug },
  ];
  for (const { section, key } of sections) {
    const entries = (m: Manifest) => ((m[section] ?? []) as readonly unknown[]).map((value) => ({ key: key(value), value }));
    for (const p of pair(entries(base), entries(head))) {
      const changes = diffAttributes(p.before, p.after);
      if (changes.length > 0) out.push({ section, key: p.key, action: actionOf(p.before, p.after), changes });
    }
  }
  return out;
}

export interface RawChanges {
  readonly resources: ResourceChange[];
  readonly manifest: ManifestChange[];
}

export function compareDists(base: DistContents, head: DistContents): RawChanges {
  return {
    resources: [...terraformChanges(base, head), ...kubernetesChanges(base, head)],
    manifest: manifestChanges(base.manifest, head.manifest),
  };
}
