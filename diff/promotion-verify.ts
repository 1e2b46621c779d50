/**
 * The PR comment does not take a promotion record's word for chain_ok and conflict_free: it asks
 * again, from the dists and the repository alone. chain_ok against the promotion chain both dists
 * carry (a PR that edits the chain and promotes along the new edge must be legal under the base's
 * chain too, where the edge was reviewed); conflict_free against the other records of the app
 * (in the head tree) and their outcome logs on the rendered branch. What cannot be read is a
 * failed check, never a pass.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Manifest } from '../contract/manifest';
import { chainPath, readPromotionChain } from '../contract/promotion-chain';
import { envTier, finalOutcome, readOutcomeLog, renderedOutcomesDir } from '../contract/promotion-outcomes';
import { CheckResult, PROMOTIONS_DIR, PromotionRecord, appRecords } from '../contract/promotion-record';
import { MIN_REASON_LENGTH, isReason } from '../contract/tiers';

function chainOn(side: 'base' | 'head', m: Manifest, r: PromotionRecord): CheckResult {
  const read = readPromotionChain(m);
  if ('error' in read) return { ok: false, why: `the ${side} dist's manifest.json#${read.pointer} ${read.error}` };
  const from = envTier(m, r.app, r.from);
  const to = envTier(m, r.app, r.to);
  if (!from || !to) return { ok: false, why: `the ${side} dist has no tier env ${r.app}-${!from ? r.from : r.to}: its place on the chain is unknown` };
  const path = chainPath(read.chain, from, to);
  const text = `${read.chain.chain.join(' → ')}${read.chain.feeds.map((f) => `; ${f.from} → ${f.tier}`).join('')}`;
  if (!path) return { ok: false, why: `${r.to} (${to}) does not follow ${r.from} (${from}) in the ${side}'s chain (${text})` };
  const skipped = path.slice(1, -1);
  if (skipped.length > 0 && !isReason(r.reason)) {
    return { ok: false, why: `${r.from} → ${r.to} skips ${skipped.join(', ')} in the ${side}'s chain, and the record carries no reason (at least ${MIN_REASON_LENGTH} characters)` };
  }
  return { ok: true, why: skipped.length > 0 ? `follows through ${skipped.join(', ')} (skipped: ${r.reason!.trim()})` : `${to} follows ${from}` };
}

export function verifyChain(r: PromotionRecord, base: Manifest, head: Manifest): CheckResult {
  // An abort moves nothing along the chain: it restores what the target ran before.
  if (r.kind === 'abort') return { ok: true, why: 'an abort moves nothing along the chain' };
  const b = chainOn('base', base, r);
  const h = chainOn('head', head, r);
  if (!b.ok || !h.ok) return { ok: false, why: [b, h].filter((x) => !x.ok).map((x) => x.why).join('; ') };
  return { ok: true, why: `${h.why} in the base's and the head's chain` };
}

/**
 * No other promotion of the app is rolling out: every other promote record in `root/promotions/<app>/`
 * is aborted there or has a final outcome in its target tier's log under `rendered` (a checkout of
 * the rendered branch). Records this PR adds count too: two promotions in one PR conflict.
 */
export function verifyConflictFree(r: PromotionRecord, root: string, head: Manifest, rendered: string | undefined): CheckResult {
  if (r.kind === 'abort') return { ok: true, why: `it ends promotion ${r.aborts}` };
  let records: PromotionRecord[];
  try {
    // Every app's directory: a record of this app filed under another app's name still conflicts.
    const dir = join(root, PROMOTIONS_DIR);
    const all = (existsSync(dir) ? readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort() : [])
      .flatMap((name) => appRecords(root, name).map((x) => ({ name, x })));
    const misplaced = all.filter(({ name, x }) => name !== x.app);
    if (misplaced.length > 0) return { ok: false, why: `promotion record(s) ${misplaced.map(({ name, x }) => `${PROMOTIONS_DIR}/${name}/${x.id}.json (of app ${x.app})`).join(', ')} are filed under another app's directory` };
    records = all.map(({ x }) => x).filter((x) => x.app === r.app);
  } catch (err) {
    return { ok: false, why: `the promotion records cannot be read (${(err as Error).message})` };
  }
  const aborted = new Set(records.filter((x) => x.kind === 'abort' && x.aborts).map((x) => x.aborts!));
  const others = records.filter((x) => x.kind === 'promote' && x.id !== r.id && !aborted.has(x.id));
  if (others.length === 0) return { ok: true, why: `no other promotion of ${r.app} is recorded` };
  if (rendered === undefined) {
    return { ok: false, why: `whether ${others.map((x) => x.id).join(', ')} still roll(s) out is unknown: no checkout of the rendered branch was given (tierkit diff --rendered <dir>)` };
  }
  const open: string[] = [];
  for (const x of others) {
    const tier = envTier(head, x.app, x.to);
    if (!tier) { open.push(`${x.id} (its target ${x.app}-${x.to} is no tier env of the head dist: its outcome log cannot be located)`); continue; }
    try {
      if (!finalOutcome(readOutcomeLog(join(rendered, renderedOutcomesDir(tier)), x.app, x.id))) open.push(`${x.id} (${x.from} → ${x.to}, no final outcome)`);
    } catch (err) {
      open.push(`${x.id} (${(err as Error).message})`);
    }
  }
  return open.length > 0
    ? { ok: false, why: `promotion ${open.join(', ')} of ${r.app} is still rolling out or unreadable` }
    : { ok: true, why: `every other promotion of ${r.app} has ended` };
}
