import { compareStrings } from '../contract/order';
import type { CiDocument, DistContents } from '../contract/read';
import { formatValue } from './attributes';
import type { AttentionItem } from './model';

/**
 * The estate's CI identity (`estate.ci`) and the GitHub rulesets synth writes to
 * `dist/ci/rulesets/*.json`. Check judges the head dist only for consistency (TK018, TK019, TK094),
 * so a PR that re-binds main's required `tierkit review` check, or a tier's publisher paths, to
 * another App is consistent and passes. What differs from base is therefore always an item: an
 * admin applies the rulesets by hand, and the App they name is who can satisfy main's check or
 * push a tier's rendered paths.
 */

const MEANING: Readonly<Record<string, string>> = {
  reviewAppId: "main's required tierkit review check would be accepted from another GitHub App (the review plan and main's ruleset); an admin must apply the ruleset",
  publisherAppIds: "the tier's rendered paths would be pushable by another GitHub App (its publisher); an admin must apply the ruleset",
  repository: 'the repository CI identities (OIDC subjects, Vault JWT roles) and the rulesets are bound to',
  repositoryId: 'the repository id OIDC subjects and Vault JWT roles are bound to',
  oidcIssuer: 'the OIDC issuer Vault trusts for every CI identity',
};

/** Leaves of a JSON value by JSON pointer, keys in sorted order (arrays by index). */
function leaves(v: unknown, pointer: string, out: Map<string, unknown>): void {
  if (Array.isArray(v)) {
    if (v.length === 0) out.set(pointer, []);
    v.forEach((x, i) => leaves(x, `${pointer}/${i}`, out));
  } else if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v).sort(compareStrings);
    if (keys.length === 0) out.set(pointer, {});
    for (const k of keys) leaves((v as Record<string, unknown>)[k], `${pointer}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`, out);
  } else out.set(pointer, v);
}

/** `pointer: before → after` for every leaf that differs. */
function changedLeaves(before: unknown, after: unknown): string[] {
  const a = new Map<string, unknown>();
  const b = new Map<string, unknown>();
  leaves(before, '', a);
  leaves(after, '', b);
  const pointers = [...new Set([...a.keys(), ...b.keys()])].sort(compareStrings);
  return pointers.filter((p) => JSON.stringify(a.get(p)) !== JSON.stringify(b.get(p)))
    .map((p) => `${p || '/'}: ${formatValue(a.get(p))} → ${formatValue(b.get(p))}`);
}

function ciSettings(dist: DistContents): Record<string, unknown> {
  const ci = (dist.manifest.estate?.ci ?? {}) as unknown as Record<string, unknown>;
  return Object.fromEntries(Object.keys(MEANING).map((k) => [k, ci[k]]));
}

function identityItems(base: DistContents, head: DistContents): AttentionItem[] {
  const was = ciSettings(base);
  const now = ciSettings(head);
  const items: AttentionItem[] = [];
  for (const key of Object.keys(MEANING).sort(compareStrings)) {
    const lines = changedLeaves(was[key], now[key]);
    if (lines.length === 0) continue;
    items.push({
      category: 'ci-identity', subject: `estate.ci.${key}`,
      message: `${key} ${formatValue(was[key])} → ${formatValue(now[key])}: ${MEANING[key]}`,
      details: lines.map((l) => `estate.ci.${key}${l.startsWith('/:') ? l.slice(1) : l}`),
    });
  }
  return items;
}

/** A ruleset as written: its document, or the read error (a file check cannot parse is still a change). */
function content(doc: CiDocument | undefined): unknown {
  if (doc === undefined) return undefined;
  return doc.error !== undefined ? { unreadable: doc.error } : doc.document;
}

function rulesetItems(base: DistContents, head: DistContents): AttentionItem[] {
  const before = new Map((base.githubRulesets ?? []).map((d) => [d.file, d]));
  const after = new Map((head.githubRulesets ?? []).map((d) => [d.file, d]));
  const files = [...new Set([...before.keys(), ...after.keys()])].sort(compareStrings);
  const items: AttentionItem[] = [];
  for (const file of files) {
    const was = content(before.get(file));
    const now = content(after.get(file));
    if (JSON.stringify(was) === JSON.stringify(now)) continue;
    const verb = was === undefined ? 'new' : now === undefined ? 'removed' : 'changed';
    items.push({
      category: 'ci-identity', subject: file,
      message: `${verb} GitHub ruleset (integration ids, bypass actors, conditions, enforcement decide who may satisfy or bypass a protected ref); an admin must apply it`,
      details: changedLeaves(was, now),
    });
  }
  return items;
}

/** Attention items for any change to the CI identity settings or the emitted rulesets. */
export function ciAttention(base: DistContents, head: DistContents): AttentionItem[] {
  return [...identityItems(base, head), ...rulesetItems(base, head)];
}
