import { compareStrings } from '../contract/order';
import type { CiDocument, DistContents } from '../contract/read';
import { formatValue } from './attributes';
import type { AttentionItem } from './model';
import { said } from './markdown-text';

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
      message: said`${key} ${formatValue(was[key])} → ${formatValue(now[key])}: ${MEANING[key]}`,
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

const RULESET_MEANING = 'GitHub ruleset (integration ids, bypass actors, conditions, enforcement decide who may satisfy or bypass a protected ref); an admin must apply it';
const REVIEW_MEANING = "review workflow plan (the App whose token posts main's required check, its permissions, what the review job checks out)";

/** Each CI document by file, before → after: every changed JSON pointer is a detail. */
function documentItems(before: readonly CiDocument[], after: readonly CiDocument[], meaning: string): AttentionItem[] {
  const was = new Map(before.map((d) => [d.file, d]));
  const now = new Map(after.map((d) => [d.file, d]));
  const files = [...new Set([...was.keys(), ...now.keys()])].sort(compareStrings);
  const items: AttentionItem[] = [];
  for (const file of files) {
    const a = content(was.get(file));
    const b = content(now.get(file));
    if (JSON.stringify(a) === JSON.stringify(b)) continue;
    const verb = a === undefined ? 'new' : b === undefined ? 'removed' : 'changed';
    items.push({ category: 'ci-identity', subject: file, message: said`${verb} ${meaning}`, details: changedLeaves(a, b) });
  }
  return items;
}

/** Attention items for any change to the CI identity settings, the emitted rulesets or the review plan. */
export function ciAttention(base: DistContents, head: DistContents): AttentionItem[] {
  return [
    ...identityItems(base, head),
    ...documentItems(base.githubRulesets ?? [], head.githubRulesets ?? [], RULESET_MEANING),
    ...documentItems(base.review ? [base.review] : [], head.review ? [head.review] : [], REVIEW_MEANING),
  ];
}
