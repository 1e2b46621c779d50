/**
 * `tierkit promote --abort <id>`: restore the release the promotion replaced, on the current
 * branch (a PR, like the promotion), and record the abort. The record's `release.before` is what
 * is restored; the target must still run the promotion's `release.after` (else something moved it
 * since, and restoring would undo that too).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { EnvRelease, RolloutStrategy, flattenRelease } from '../constructs/releases';
import { PromoteRequest, PromotionRefused, envRelease, moves, readReleases, releasesFile, rewriteChecked } from './plan';
import { PromotionRecord, RECORD_SCHEMA_VERSION, appRecords, findRecord, recordPath, serializeRecord, withId } from '../contract/promotion-record';

/** A flattened release (`image`, `config.X`, `flags.Y`, `strategy`) back to a release. */
function unflatten(flat: Readonly<Record<string, unknown>>): EnvRelease {
  const config: Record<string, string> = {};
  const flags: Record<string, boolean> = {};
  for (const [k, v] of Object.entries(flat)) {
    if (k.startsWith('config.')) config[k.slice(7)] = v as string;
    else if (k.startsWith('flags.')) flags[k.slice(6)] = v as boolean;
  }
  return { image: flat.image as string, config, flags, strategy: RolloutStrategy.of(flat.strategy) ?? RolloutStrategy.IMMEDIATE };
}

const same = (a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>) => JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());

export async function abort(req: Omit<PromoteRequest, 'app' | 'from' | 'to' | 'strategy' | 'image' | 'reason' | 'outcomes'> & { readonly id: string }): Promise<{ record: PromotionRecord; files: { releases: string; record: string } }> {
  const { root } = req;
  const { record: r } = findRecord(root, req.id);
  if (r.kind !== 'promote') throw new PromotionRefused(`${r.id} is an abort record, not a promotion: there is nothing to abort`);
  const earlier = appRecords(root, r.app).find((x) => x.kind === 'abort' && x.aborts === r.id);
  if (earlier) throw new PromotionRefused(`promotion ${r.id} is already aborted (by ${earlier.id})`);
  const releases = readReleases(root, r.app);
  const current = envRelease(releases, r.to, root);
  if (!same(flattenRelease(current), r.release.after)) {
    throw new PromotionRefused(`${r.app}-${r.to} no longer runs what promotion ${r.id} moved there (its release changed since): restoring would undo that change too; promote the release you want instead`);
  }
  const restored = unflatten(r.release.before);
  const file = releasesFile(root, r.app);
  const text = releases.with(r.to, restored).toJson();
  const dist = await rewriteChecked(req, file, text, 'the release before the promotion no longer passes: promote a release that does');
  const record = withId({
    schemaVersion: RECORD_SCHEMA_VERSION, kind: 'abort', aborts: r.id, app: r.app, from: r.from, to: r.to,
    moves: moves(current, restored), release: { before: r.release.after, after: r.release.before },
    strategy: restored.strategy.name, steps: [{ restore: `the release ${r.to} ran before promotion ${r.id}` }],
    checks: {
      schema_valid: { ok: true, why: `the restored estate synthesizes and passes check (0 errors)` },
      chain_ok: { ok: true, why: `an abort restores the release ${r.to} ran before; it moves nothing along the chain` },
      conflict_free: { ok: true, why: `it ends promotion ${r.id}` },
      health_ok: { ok: true, why: `not asked: an abort restores the release ${r.to} ran before, whatever ${r.from}'s health` },
    },
    dist: { base: dist.base, head: dist.head }, requester: req.requester,
  });
  const recordFile = recordPath(root, r.app, record.id);
  if (existsSync(recordFile)) {
    writeFileSync(file, dist.before);
    throw new PromotionRefused(`abort ${record.id} is already recorded (${relative(root, recordFile)})`);
  }
  mkdirSync(dirname(recordFile), { recursive: true });
  writeFileSync(recordFile, serializeRecord(record));
  return { record, files: { releases: file, record: recordFile } };
}
