import type { Manifest } from '../contract/manifest';
import { code, prose, text } from './markdown-text';
import type { AffectedStack, AttentionCategory, AttentionItem, ChangeSet, KubernetesChange, ResourceChange } from './model';
import type { ReviewItem, Severity } from './review-model';
import { isProdTier } from './summary';

/** Review items from the change set itself: reach, prod data, stacks and gates, attention items. */

/**
 * Severity of each known attention category. A category not listed here — one a later change
 * adds, such as what the strict reader could not resolve or model — is severity 1: what the
 * renderer does not understand is shown first, never last.
 */
const CATEGORY_SEVERITY: Partial<Record<AttentionCategory, Severity>> = {
  // What the strict reader refused, could not resolve or does not model: check cannot judge it.
  integrity: 1, unresolved: 1, unmodelled: 1,
  // Who can satisfy main's required check or push a tier's rendered paths (estate.ci, ci/rulesets):
  // check judges head only for consistency, so a re-bound App passes it; an admin applies the ruleset.
  'ci-identity': 2,
  // A server's declared address moves: every network rule (check's TK115, the comment's reach) judges
  // reach against it, and nothing ties it to the host the providers and Vault connect to.
  'server-address': 2,
  'gate-changed': 4,
  // Where prod's scrubbed golden is written and every reset reads (TK136): the human gate's call.
  'seed-store': 3,
  // A removed stack's state key kept for an applier (a grant on state written under base's gate):
  // routine when it matches base; kept for another tier or server than base's, or not kept at all
  // (the destroy would be refused after the merge), before anything else of the estate.
  'retired-stack': 5, 'retired-stack-problem': 2,
  // A stack's state key moves (key layout, its server's gating tier): unless the state is moved
  // first (`tierkit state migrate`), the next plan runs against an empty key. Beside the gates: the
  // identity that reaches the state changes with it.
  'state-key-moved': 4,
  suppression: 5, exception: 5, 'meta-argument': 5, ownership: 5, membership: 5, grant: 5, 'role-attributes': 5,
  statements: 5, 'allowed-roles': 5, connection: 5, 'vault-policy': 5, 'auth-role': 5, 'network-policy': 5, service: 5,
  'sandbox-added': 5, 'sandbox-removed': 5, 'sandbox-changed': 5, 'sandbox-extended': 5,
  // A sandbox living past 7 days needs a human's approval (seed 002): shown before routine changes.
  'sandbox-approval': 3,
};

/** Categories the review re-derives, worded by action and gate (stacks, destroys, prod objects). */
const REDERIVED = new Set<string>(['prod', 'human-gate', 'destroy']);

const CATEGORY_LABEL: Partial<Record<AttentionCategory, string>> = {
  integrity: 'dist/ integrity (check fails on it)', unresolved: 'value tierkit cannot resolve (check fails on it)',
  unmodelled: 'type tierkit does not model', 'ci-identity': 'CI identity or GitHub ruleset: who may satisfy or bypass a protected ref',
  'gate-changed': 'apply gate changed', 'seed-store': 'seed store moved: prod\'s golden is written there', 'retired-stack': 'retired stack: its state key kept', 'retired-stack-problem': 'retired stack: its state key not kept for its own tier', 'state-key-moved': 'state key moves: migrate its state, or retire the stack, before this is applied', suppression: 'suppression', exception: 'exception', 'meta-argument': 'meta-argument',
  ownership: 'owner', membership: 'membership', grant: 'grant', 'role-attributes': 'role attributes', statements: 'statements',
  'allowed-roles': 'allowed_roles', connection: 'connection', 'vault-policy': 'Vault policy', 'auth-role': 'auth role',
  'network-policy': 'network', service: 'Service routing', 'server-address': 'server address moved: every network rule judges reach against it', 'sandbox-added': 'sandbox create', 'sandbox-removed': 'sandbox delete', 'sandbox-changed': 'sandbox change',
  'sandbox-extended': 'sandbox extend', 'sandbox-approval': 'sandbox past 7 days: approval needed',
};

export function attentionReviewItems(items: readonly AttentionItem[]): ReviewItem[] {
  return items.filter((i) => !REDERIVED.has(i.category)).map((i) => {
    const known = CATEGORY_SEVERITY[i.category];
    // A CI identity (JWT auth role) decides who may apply: a gate item.
    const severity: Severity = known === undefined ? 1 : i.category === 'auth-role' && /jwt/i.test(i.subject) ? 4 : known;
    const label = CATEGORY_LABEL[i.category] ?? `${i.category} (not judged by this renderer)`;
    // A sandbox and its stack are one change: the sandbox's line merges into the stack's.
    // What check could not judge stays one line per value or block, never folded into its stack's line.
    const key = i.category.startsWith('sandbox-') && i.category !== 'sandbox-approval' && i.stack ? `stack ${i.stack}` : CATEGORY_SEVERITY[i.category] === 1 ? `${i.category} ${i.subject} ${i.message}` : i.subject;
    return { severity, kind: i.category, subject: i.subject, key, details: i.details, group: `**${text(label)}**`, line: `**${text(label)}** · ${code(i.subject)}: ${prose(i.message)}` };
  });
}

export function reachReviewItems(set: ChangeSet): ReviewItem[] {
  return set.reach.map((r) => {
    const stack = set.affectedStacks.find((s) => s.name === r.stack);
    const applies = stack ? ` — stack ${code(stack.name)} applies ${gateWords(stack.applyGate, stack.humanGate)}` : '';
    return { severity: 2, kind: 'reach', subject: r.subject, details: [], group: `**reach into ${text(r.targetTier)}**`, line: `**reach into ${text(r.targetTier)}** · ${r.message} (${code(r.subject)})${applies}` };
  });
}

function gateWords(gate: string, human: boolean): string {
  return human ? `only after ${code(gate)}` : `automatically (${code(gate)})`;
}

/** Resource types whose deletion loses data: the database, a schema, a mount and every secret under it. */
const DATA_TYPES: Readonly<Record<string, string>> = {
  postgresql_database: 'DROPS prod database', postgresql_schema: 'DROPS prod schema', vault_mount: 'deletes Vault mount',
  vault_kv_secret_v2: 'deletes prod Vault KV secret', PersistentVolumeClaim: 'deletes prod volume claim',
};

function nameOf(r: ResourceChange): string {
  if (r.kind === 'kubernetes') return `${r.namespace ? `${r.namespace}/` : ''}${r.name}`;
  const path = r.changes.find((c) => c.path === 'path')?.before;
  return r.label ?? (typeof path === 'string' ? path : r.address);
}

export function prodDataItems(set: ChangeSet, manifests: readonly Manifest[]): ReviewItem[] {
  return set.resources.filter((r) => r.action === 'destroy' && isProdTier(manifests, r.tier)).flatMap((r) => {
    const verb = DATA_TYPES[r.kind === 'terraform' ? r.type : r.objectKind];
    if (!verb) return [];
    const where = r.kind === 'terraform' ? `stack ${code(r.stack)}, ${code(r.address)}` : code(r.file);
    return [{ severity: 3 as const, kind: 'prod-data', subject: r.kind === 'terraform' ? `${r.stack}: ${r.address}` : r.key, details: [],
      group: `**prod data** · ${verb}`, name: nameOf(r),
      line: `**prod data** · ${verb} ${code(nameOf(r))} (${where})` }];
  });
}

/** Why a stack's gating tier is not its own tier, in one clause. */
function gatingReason(s: AffectedStack, manifests: readonly Manifest[]): string {
  if (s.gatingTier === s.tier) return '';
  const gating = text(s.gatingTier);
  const stack = manifests.flatMap((m) => m.stacks).find((x) => x.name === s.name);
  if (!stack) return `; not in the manifest (hand-written), so gated like the strictest tier, ${gating}`;
  if (s.server) return `; gated like ${gating}: its server ${code(s.server)} also holds ${gating}'s databases`;
  return `; gated like ${gating}: a platform stack shapes every env's reach`;
}

function counts(n: AffectedStack['resources']): string {
  return `+${n.add} ~${n.change} −${n.destroy} Terraform resources`;
}

/**
 * One line per affected stack that a human gate guards, whose gate is not its tier's own, or whose
 * gate or server moves: who applies it, and why.
 */
export function stackItems(set: ChangeSet, base: Manifest, head: Manifest): ReviewItem[] {
  const manifests = [head, base];
  const out: ReviewItem[] = [];
  for (const s of set.affectedStacks) {
    const gateChange = set.manifest.find((m) => m.section === 'stacks' && m.key === s.name && m.action === 'change')
      ?.changes.filter((c) => /^(applyGate|gatingTier|humanGate|server)$/.test(c.path)) ?? [];
    const reason = gatingReason(s, manifests);
    if (!s.humanGate && !reason && gateChange.length === 0 && s.action !== 'destroy') continue;
    const verb = s.action === 'add' ? 'new' : s.action === 'destroy' ? 'removed' : 'changed';
    // What it was before, once, on the line (the stack's own gate-changed item folds into it).
    const was = (path: string) => gateChange.find((c) => c.path === path)?.before;
    const before = [
      ...(was('gatingTier') !== undefined ? [`gated like ${text(String(was('gatingTier')))}`] : []),
      ...(was('applyGate') !== undefined ? [`applied ${gateWords(String(was('applyGate')), was('humanGate') === true)}`] : []),
      ...(was('server') !== undefined ? [`on server ${code(String(was('server')))}`] : []),
    ];
    out.push({
      severity: s.humanGate || gateChange.length > 0 ? 4 : 5, kind: 'stack', subject: `stack ${s.name}`, key: `stack ${s.name}`, details: [],
      group: `**${s.humanGate ? 'human gate' : 'stack'}** · ${verb} stack, applies ${gateWords(s.applyGate, s.humanGate)}`, name: s.name,
      line: `**${s.humanGate ? 'human gate' : 'stack'}** · ${verb} stack ${code(s.name)} (tier ${text(s.tier)}): ${counts(s.resources)}; applies ${
        gateWords(s.applyGate, s.humanGate)}${reason}${before.length > 0 ? `; before this change: ${before.join(', ')}` : ''}`,
    });
  }
  return out;
}

/** Kubernetes objects of a live-data tier: Argo CD syncs (or prunes) them after merge, without a plan. */
export function prodObjectItems(set: ChangeSet, manifests: readonly Manifest[]): ReviewItem[] {
  const byFile = new Map<string, KubernetesChange[]>();
  for (const r of set.resources) if (r.kind === 'kubernetes' && isProdTier(manifests, r.tier)) byFile.set(r.file, [...(byFile.get(r.file) ?? []), r]);
  return [...byFile].map(([file, rs]) => {
    const n = (a: string) => rs.filter((r) => r.action === a).length;
    return { severity: 4 as const, kind: 'prod-objects', subject: file, details: [], group: '**synced without a plan**',
      line: `**synced without a plan** · ${code(file)} (tier ${text(rs[0].tier ?? '?')}): +${n('add')} ~${n('change')} −${n('destroy')} Kubernetes objects; Argo CD ${
        n('destroy') === rs.length ? 'prunes' : 'applies'} them after merge` };
  });
}

/** Namespaces removed by this change: their objects go with them, one line each. */
export function removedNamespaces(set: ChangeSet): Map<string, number> {
  const gone = new Map<string, number>();
  for (const r of set.resources) if (r.kind === 'kubernetes' && r.objectKind === 'Namespace' && r.action === 'destroy') gone.set(r.name, 0);
  for (const r of set.resources) {
    if (r.kind === 'kubernetes' && r.action === 'destroy' && r.namespace && gone.has(r.namespace)) gone.set(r.namespace, gone.get(r.namespace)! + 1);
  }
  return gone;
}
