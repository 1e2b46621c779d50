/**
 * The promotion a pull request carries, at the top of its diff comment: what moves, the strategy
 * and its steps, the checks — and whether the record describes this PR at all: its head dist
 * digest must be the dist the PR synthesizes (a record copied from elsewhere, or a releases file
 * edited after `tierkit promote`, does not match), its base the dist of the branch it targets.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHECK_NAMES, CheckResult, PromotionRecord, readRecord } from '../contract/promotion-record';
import { code, prose, text } from './markdown-text';

export type PromotionInput = { readonly file: string; readonly record: PromotionRecord } | { readonly file: string; readonly error: string };

export function readPromotions(files: readonly string[]): PromotionInput[] {
  return [...files].sort().map((file) => {
    try {
      return { file, record: readRecord(file) };
    } catch (err) {
      return { file, error: (err as Error).message };
    }
  });
}

export function distDigest(dir: string): string | undefined {
  const file = join(dir, 'manifest.json');
  return existsSync(file) ? createHash('sha256').update(readFileSync(file)).digest('hex') : undefined;
}

const short = (d: string | undefined) => (d ? d.slice(0, 12) : '(none)');

/** Markdown lines for the top of the comment; `problems` lists what must fail the comparison. */
/** chain_ok and conflict_free asked again by diff (diff/promotion-verify.ts), not taken from the record. */
export type Reverify = (r: PromotionRecord) => { readonly chain_ok: CheckResult; readonly conflict_free: CheckResult };

export function promotionLines(inputs: readonly PromotionInput[], digests: { base?: string; head?: string }, reverify?: Reverify): { lines: string[]; problems: string[] } {
  const lines: string[] = [];
  const problems: string[] = [];
  for (const p of inputs) {
    if ('error' in p) {
      lines.push(`### ✗ Promotion record ${code(p.file)} cannot be trusted`, '', prose(p.error), '');
      problems.push(`promotion record ${p.file}: ${p.error}`);
      continue;
    }
    const r = p.record;
    const title = r.kind === 'abort' ? `Abort of promotion ${code(r.aborts ?? '')}` : 'Promotion';
    lines.push(`### ${title} ${code(r.id)}: ${code(r.app)} ${code(r.from)} → ${code(r.to)} (${text(r.strategy)})`, '');
    const moved: string[] = [
      ...Object.entries(r.moves.modified).map(([k, v]) => `- ${code(k)}: ${code(JSON.stringify(v.old))} → ${code(JSON.stringify(v.new))}`),
      ...Object.entries(r.moves.added).map(([k, v]) => `- ${code(k)} added: ${code(JSON.stringify(v))}`),
      ...Object.entries(r.moves.removed).map(([k, v]) => `- ${code(k)} removed (was ${code(JSON.stringify(v))})`),
    ];
    lines.push('**What moves**', '', ...(moved.length > 0 ? moved : ['- nothing']), '');
    lines.push(`**Strategy** ${text(r.strategy)}: ${r.steps.map((s) => code(JSON.stringify(s))).join(' → ')}`, '');
    lines.push('**Checks**', '');
    for (const c of CHECK_NAMES) {
      const x = r.checks[c];
      lines.push(`- ${x.pending ? '⏳' : x.ok ? '✅' : '❌'} ${code(c)}${x.pending ? ' (asked by the gated job)' : ''}: ${prose(x.why)}`);
    }
    if (r.reason) lines.push(`- reason for skipping tiers: ${text(r.reason)}`);
    if (reverify) {
      const again = reverify(r);
      lines.push('', '**Asked again from the dists** (the record\'s word is not taken)', '');
      for (const c of ['chain_ok', 'conflict_free'] as const) {
        lines.push(`- ${again[c].ok ? '✅' : '❌'} ${code(c)}: ${prose(again[c].why)}`);
        if (!again[c].ok) problems.push(`promotion record ${r.id} is refused: ${c} does not hold (${again[c].why})`);
      }
    }
    const headOk = digests.head !== undefined && r.dist.head === digests.head;
    const baseOk = digests.base !== undefined && r.dist.base === digests.base;
    lines.push('', `Dist digests: base ${code(short(r.dist.base))} ${baseOk ? '✅ is the base of this PR' : `⚠️ is not this PR's base (${code(short(digests.base))}): promoted on another base, run \`tierkit promote\` again`} · head ${code(short(r.dist.head))} ${headOk ? '✅ is what this PR synthesizes' : `❌ is not what this PR synthesizes (${code(short(digests.head))})`} · requested by ${text(r.requester)}`, '');
    if (!headOk) problems.push(`promotion record ${r.id} does not describe this change: its head dist ${short(r.dist.head)} is not the PR's (${short(digests.head)})`);
  }
  return { lines, problems };
}
