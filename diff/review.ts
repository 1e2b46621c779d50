import type { Manifest } from '../contract/manifest';
import { formatValue } from './attributes';
import { CheckOutcome, checkItems, checkSection, checkVerdict } from './check-result';
import { code, fenced, text } from './markdown-text';
import type { ChangeSet, Counts, ResourceChange } from './model';
import { PlanSummaries, planItems, planSection } from './plans';
import { attentionReviewItems, prodDataItems, prodObjectItems, reachReviewItems, removedNamespaces, stackItems } from './review-items';
import type { DetailSection, Review, ReviewItem } from './review-model';

/** Builds the Review the PR comment renders: ranked items, headline, collapsed sections. */

export interface ReviewInputs {
  /** The head dist's `tierkit check` result; absent means it was not run, and the comment says so. */
  readonly check?: CheckOutcome;
  readonly plans?: PlanSummaries;
}

/**
 * One change, one item: items about the same subject merge into the most severe one, the others'
 * lines becoming its details.
 */
export function foldBySubject(items: readonly ReviewItem[]): ReviewItem[] {
  const sorted = items.map((item, i) => ({ item, i })).sort((a, b) => a.item.severity - b.item.severity || a.i - b.i).map((x) => x.item);
  const kept = new Map<string, ReviewItem>();
  const out: ReviewItem[] = [];
  for (const item of sorted) {
    const first = kept.get(item.key ?? item.subject);
    if (!first) {
      kept.set(item.key ?? item.subject, item);
      out.push(item);
      continue;
    }
    // Reach and prod data stay in words on the line a reviewer reads first; the rest become details.
    const merged = item.severity <= 3
      ? { ...first, line: `${first.line} — **in this change:** ${item.line}`, details: [...first.details, ...item.details] }
      : { ...first, details: [...first.details, `also: ${plain(item.line)}`, ...item.details.map((d) => `  ${d}`)] };
    kept.set(item.key ?? item.subject, merged);
    out[out.indexOf(first)] = merged;
  }
  return out;
}

/**
 * Items of severity 4–5 of one kind whose details are the same (one loosening seen on every auth
 * role of a tier) are one line naming each subject. Items of severity 1–3 always stay one each.
 */
export function mergeAlike(items: readonly ReviewItem[]): ReviewItem[] {
  const groups = new Map<string, ReviewItem[]>();
  for (const i of items) {
    if (i.severity <= 3 || i.details.length === 0) continue;
    const key = `${i.severity}\u0000${i.group ?? i.kind}\u0000${i.details.join('\n')}`;
    groups.set(key, [...(groups.get(key) ?? []), i]);
  }
  const merged = new Map<ReviewItem, ReviewItem | null>();
  for (const xs of groups.values()) {
    if (xs.length < 3) continue;
    const [first] = xs;
    xs.forEach((x) => merged.set(x, null));
    merged.set(first, {
      ...first, subject: `${first.subject} and ${xs.length - 1} more`, name: undefined,
      line: `${first.group ?? `**${text(first.kind)}**`} · ${xs.length} alike, each with the details below: ${xs.map((x) => code(x.subject)).join(', ')}`,
    });
  }
  return items.flatMap((i) => (merged.has(i) ? (merged.get(i) ? [merged.get(i)!] : []) : [i]));
}

/** A Markdown line as plain text for a code block (details are shown verbatim). */
function plain(line: string): string {
  // text() writes inline punctuation as numeric references; a fence shows them verbatim, so decode them (before &amp;).
  return line.replace(/<code>@<\/code>/g, '@').replace(/\*\*/g, '').replace(/`/g, '').replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)))
    .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&').replace(/\\\|/g, '|');
}

function sum(xs: readonly Counts[]): Counts {
  return xs.reduce((a, c) => ({ add: a.add + c.add, change: a.change + c.change, destroy: a.destroy + c.destroy }), { add: 0, change: 0, destroy: 0 });
}

function signed(c: Counts): string {
  return `+${c.add} ~${c.change} −${c.destroy}`;
}

function headline(set: ChangeSet, items: readonly ReviewItem[], check: CheckOutcome | undefined): string[] {
  const first = items.filter((i) => i.severity <= 3).length;
  const stacks = sum(set.affectedStacks.map((s) => ({ add: s.action === 'add' ? 1 : 0, change: s.action === 'change' ? 1 : 0, destroy: s.action === 'destroy' ? 1 : 0 })));
  const gated = set.affectedStacks.filter((s) => s.humanGate).length;
  return [
    ...(set.identical ? ['No changes: both dists declare the same infrastructure.', ''] : []),
    `${checkVerdict(check)} · **${first} item${first === 1 ? '' : 's'} to review first** · ${items.length - first} more below`,
    `Terraform: ${set.affectedStacks.length} stack${set.affectedStacks.length === 1 ? '' : 's'} (${signed(stacks)}; ${gated} behind a human gate), resources ${signed(sum(set.summary.map((s) => s.resources)))} · `
      + `Kubernetes: objects ${signed(sum(set.summary.map((s) => s.kubernetes)))}`,
  ];
}

function tierSection(set: ChangeSet, base: Manifest, head: Manifest): DetailSection {
  const gate = (tier: string) => (head.tiers.find((t) => t.name === tier) ?? base.tiers.find((t) => t.name === tier))?.applyGate.name ?? '—';
  const rows = set.summary.map((s) => `| ${text(s.tier)} | ${text(gate(s.tier))} | ${signed(s.stacks)} | ${signed(s.resources)} | ${signed(s.kubernetes)} |`);
  const full = ['| tier | apply gate of the tier | Terraform stacks | Terraform resources | Kubernetes objects |', '|---|---|---|---|---|', ...rows];
  return { role: 'summary', title: 'Counts by tier (a stack is gated by its gating tier; see the stack lines above)', full, short: full };
}

const SIGN = { add: '+', change: '~', destroy: '−' } as const;

function attributeLines(r: ResourceChange): string {
  const value = (v: unknown) => (v === undefined ? '(none)' : code(formatValue(v, 80)));
  // A long value (a policy document) cut at 80 characters says nothing: its item's details do.
  const long = (v: unknown) => formatValue(v, 1000).length > 80;
  return r.changes.map((c) => (long(c.before) || long(c.after) ? `${code(c.path)} changed` : `${code(c.path)} ${value(c.before)} → ${value(c.after)}`)).join('; ');
}

/**
 * Every change once, one line each: a stack added or removed is one line, so is a namespace
 * removed with its objects; changed resources list their attributes (full) or paths (short).
 */
function changesSection(set: ChangeSet): DetailSection {
  const full: string[] = [];
  const short: string[] = [];
  const push = (f: string, s = f) => { full.push(f); short.push(s); };
  const whole = new Map(set.affectedStacks.filter((s) => s.action !== 'change').map((s) => [s.name, s]));
  for (const s of whole.values()) {
    const n = s.action === 'add' ? s.resources.add : s.resources.destroy;
    push(`- ${SIGN[s.action]} stack ${code(s.name)} and its ${n} Terraform resource${n === 1 ? '' : 's'} (tier ${text(s.tier)})`);
  }
  const gone = removedNamespaces(set);
  for (const [ns, n] of gone) push(`- − namespace ${code(ns)} and its ${n} object${n === 1 ? '' : 's'}`);
  for (const r of set.resources) {
    if (r.kind === 'terraform' && whole.has(r.stack)) continue;
    if (r.kind === 'kubernetes' && r.action === 'destroy' && ((r.namespace && gone.has(r.namespace)) || (r.objectKind === 'Namespace' && gone.has(r.name)))) continue;
    const title = r.kind === 'terraform' ? `${r.stack}: ${r.address}` : `${r.objectKind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}`;
    const head = `- ${SIGN[r.action]} ${code(title)} (${text(r.tier ?? '(unlisted)')})`;
    push(r.action === 'change' ? `${head}: ${attributeLines(r)}` : head, r.action === 'change' ? `${head}: ${r.changes.map((c) => code(c.path)).slice(0, 6).join(', ')}${r.changes.length > 6 ? ', …' : ''}` : head);
  }
  const tf = set.resources.filter((r) => r.kind === 'terraform' && r.address.includes('.')).length;
  const k8s = set.resources.length - set.resources.filter((r) => r.kind === 'terraform').length;
  return { role: 'changes', title: `Every change (${tf} Terraform resource${tf === 1 ? '' : 's'}, ${k8s} Kubernetes object${k8s === 1 ? '' : 's'})`, full, short };
}

function itemDetails(items: readonly ReviewItem[]): DetailSection {
  const withDetails = items.filter((i) => i.details.length > 0);
  const block = (i: ReviewItem, keep: number) => {
    const shown = i.details.slice(0, keep).map((d) => `  ${fenced(d)}`);
    if (keep < i.details.length) shown.push(`  … ${i.details.length - keep} more line(s) in the JSON report`);
    return [`- ${code(i.subject)}`, '  ```diff', ...shown, '  ```'];
  };
  return {
    role: 'item-details',
    title: `Details of the items above (${withDetails.length})`,
    full: withDetails.flatMap((i) => block(i, i.details.length)),
    short: withDetails.flatMap((i) => block(i, 3)),
  };
}

export function buildReview(set: ChangeSet, base: Manifest, head: Manifest, inputs: ReviewInputs = {}): Review {
  const manifests = [head, base];
  const items = mergeAlike(foldBySubject([
    ...checkItems(inputs.check, manifests),
    ...reachReviewItems(set),
    ...prodDataItems(set, manifests),
    ...planItems(inputs.plans, set, manifests),
    ...stackItems(set, base, head),
    ...prodObjectItems(set, manifests),
    ...attentionReviewItems(set.attention),
  ]));
  const sections = [itemDetails(items), checkSection(inputs.check), planSection(inputs.plans), tierSection(set, base, head), changesSection(set)]
    .filter((s): s is DetailSection => s !== undefined && s.full.length > 0);
  return { estate: set.estate, headline: headline(set, items, inputs.check), items, sections };
}
