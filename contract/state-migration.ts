import { stateKeyLayoutOf, stateLockKey } from './ci-names';
import type { Manifest, ManifestBackend } from './manifest';
import { compareStrings } from './order';
import { repeatedManifestKeys } from './manifest-keys';
import { manifestStackStateKey, retiredStateKey } from './state-access';
import { gateChange, stackGateProblems } from './state-move-gates';

/**
 * Moving Terraform state between two synthesized estates' keys (issue 12): from layout 1 to layout
 * 2, or when a server's gating tier changed (its stacks' keys name the tier). Old and new keys both
 * come from the manifests through the naming module (ci-names.ts `stackStateKey`), never from a
 * guess: a stack is moved only when both dists place it; a removed stack only to the key its
 * retired entry forms, and only when that entry claims the tier and server the old dist had it on.
 * Neither manifest is taken as written (attack14): a repeated name, a stack whose gating tier is not
 * its server's (state-move-gates.ts), a move to another server or a laxer tier, and a delete of a key
 * the new dist still uses are refusals.
 */

export interface StateMove {
  readonly stack: string;
  readonly from: string;
  readonly to: string;
  /** `live`: a stack both dists have; `retired`: removed in the new dist, kept by its retired entry. */
  readonly why: 'live' | 'retired';
}

export interface StateMigrationPlan {
  readonly bucket: string;
  readonly fromLayout: number;
  readonly toLayout: number;
  /** Sorted by stack. */
  readonly moves: readonly StateMove[];
  /** Stacks whose key is the same in both dists. */
  readonly unchanged: readonly string[];
  /** Moves whose gating tier rises (same server): their state, written under the lower gate, becomes the stricter tier's. Sorted by stack. */
  readonly gateRises: readonly { readonly stack: string; readonly fromTier: string; readonly toTier: string }[];
  /** Stacks the old dist has and the new neither has nor retires: their state stays where it is, reached by no identity. */
  readonly orphaned: readonly { readonly stack: string; readonly key: string }[];
  /** Why the plan cannot be trusted; non-empty: nothing may be moved. */
  readonly refusals: readonly string[];
}

type S3 = Extract<ManifestBackend, { type: 's3' }>;

export function stateMigrationPlan(from: Manifest, to: Manifest): StateMigrationPlan {
  const refusals: string[] = [];
  const a = from.estate.backend;
  const b = to.estate.backend;
  const empty = (why: string): StateMigrationPlan => ({ bucket: '', fromLayout: 0, toLayout: 0, moves: [], gateRises: [], unchanged: [], orphaned: [], refusals: [why] });
  if (!a || a.type !== 's3' || !b || b.type !== 's3') return empty(`both dists must keep state in S3 (old: ${a?.type ?? 'none'}, new: ${b?.type ?? 'none'}): only S3 keys have layouts`);
  for (const k of ['bucket', 'region', 'keyPrefix'] as const) {
    if (a[k] !== b[k]) refusals.push(`the backend's ${k} differs (old ${JSON.stringify(a[k])}, new ${JSON.stringify(b[k])}): this moves keys inside one bucket and prefix; move a bucket by hand`);
  }
  const la = stateKeyLayoutOf(a);
  const lb = stateKeyLayoutOf(b);
  if (la === undefined || lb === undefined) return { ...empty(`a state key layout this tierkit does not know (old ${JSON.stringify(a.stateKeyLayout)}, new ${JSON.stringify(b.stateKeyLayout)})`), bucket: b.bucket };
  for (const [side, m] of [['old', from], ['new', to]] as const) {
    for (const p of repeatedManifestKeys(m)) refusals.push(`the ${side} manifest: ${p.pointer}: ${p.reason}`);
    refusals.push(...stackGateProblems(m, side));
  }
  const moves: StateMove[] = [];
  const gateRises: { stack: string; fromTier: string; toTier: string }[] = [];
  const unchanged: string[] = [];
  const orphaned: { stack: string; key: string }[] = [];
  const old = new Map(from.stacks.map((s) => [s.name, s]));
  const now = new Map(to.stacks.map((s) => [s.name, s]));
  const keyOf = (backend: S3, s: Parameters<typeof manifestStackStateKey>[1], side: string): string | undefined => {
    const k = manifestStackStateKey(backend, s);
    if (k === undefined) refusals.push(`stack ${s.name}: the ${side} manifest lists it without the gating tier and server its key names`);
    return k;
  };
  for (const s of [...to.stacks].sort((x, y) => compareStrings(x.name, y.name))) {
    const was = old.get(s.name);
    if (!was) continue; // new in this dist: nothing to move
    if ((was.kind === 'app-environment') !== (s.kind === 'app-environment')) {
      refusals.push(`stack ${s.name} is ${was.kind} in the old dist and ${s.kind} in the new: not the same stack, refusing to hand one's state to the other`);
      continue;
    }
    const f = keyOf(a, was, 'old');
    const t = keyOf(b, s, 'new');
    if (f === undefined || t === undefined) continue;
    const gate = gateChange(from, to, was, s);
    if (gate.kind === 'refused') { refusals.push(gate.why); continue; }
    if (gate.kind === 'rises') gateRises.push({ stack: s.name, fromTier: gate.from, toTier: gate.to });
    if (f === t) unchanged.push(s.name);
    else moves.push({ stack: s.name, from: f, to: t, why: 'live' });
  }
  const retired = new Map((to.estate.retiredStacks ?? []).map((r) => [r.stack, r]));
  for (const was of [...from.stacks].sort((x, y) => compareStrings(x.name, y.name))) {
    if (now.has(was.name)) continue;
    const f = keyOf(a, was, 'old');
    if (f === undefined) continue;
    const r = retired.get(was.name);
    if (!r) { orphaned.push({ stack: was.name, key: f }); continue; }
    const wasServer = was.kind === 'app-environment' ? was.server : undefined;
    if (r.gatingTier !== was.gatingTier || (r.server ?? undefined) !== wasServer) {
      refusals.push(`retired stack ${was.name} is claimed as tier ${r.gatingTier} on ${r.server ?? 'no server'}, but the old dist had it gated by ${was.gatingTier} on ${wasServer ?? 'no server'}: refusing to move its state to the claimed key; correct the estate prop retiredStacks`);
      continue;
    }
    const t = retiredStateKey(b, r);
    if (t === undefined) { refusals.push(`retired stack ${was.name}: its entry does not form a state key`); continue; }
    if (t === f) unchanged.push(was.name);
    else moves.push({ stack: was.name, from: f, to: t, why: 'retired' });
  }
  // The script deletes each source key: one the new dist still names (a stack listed twice, a
  // retired entry) would lose a live stack's state.
  const kept = new Set<string>();
  for (const s of to.stacks) { const k = manifestStackStateKey(b, s); if (k !== undefined) kept.add(k); }
  for (const r of to.estate.retiredStacks ?? []) { const k = retiredStateKey(b, r); if (k !== undefined) kept.add(k); }
  for (const m of moves) if (kept.has(m.from)) refusals.push(`stack ${m.stack}'s old key ${m.from} is still a key of the new dist: refusing to delete it`);
  // A target that is another move's source or target would overwrite state still to be moved.
  const sources = new Set(moves.map((m) => m.from));
  const targets = new Map<string, string>();
  for (const m of moves) {
    if (sources.has(m.to)) refusals.push(`stack ${m.stack} would move onto ${m.to}, which another stack's state still occupies`);
    const other = targets.get(m.to);
    if (other) refusals.push(`stacks ${other} and ${m.stack} would both move onto ${m.to}`);
    targets.set(m.to, m.stack);
  }
  moves.sort((x, y) => compareStrings(x.stack, y.stack));
  return { bucket: b.bucket, fromLayout: la, toLayout: lb, moves, gateRises, unchanged: unchanged.sort(compareStrings), orphaned, refusals: [...new Set(refusals)] };
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * A bash script moving every state of the plan, one stack at a time, with Terraform's own state
 * migration: init the OLD dist's stack as it is (its old key), pull the state, `init -migrate-state
 * -force-copy` onto the new key, pull again, require the same lineage and serial, then delete the
 * old key and its lock (a stale copy there would be what a later entry claiming that key got).
 * `$FROM_DIST` is the old dist; run it with credentials on the bucket, with applies paused.
 */
export function stateMigrationScript(plan: StateMigrationPlan): string {
  if (plan.refusals.length > 0) throw new Error(`refusing to write a migration: ${plan.refusals.join('; ')}`);
  const lines = [
    '#!/usr/bin/env bash',
    `# tierkit state migrate: ${plan.moves.length} state(s) in s3://${plan.bucket}, key layout ${plan.fromLayout} to ${plan.toLayout}`,
    'set -euo pipefail',
    ': "${FROM_DIST:?set FROM_DIST to the old dist}"',
    'work="$(mktemp -d)"',
  ];
  const rises = new Map(plan.gateRises.map((r) => [r.stack, r]));
  for (const m of plan.moves) {
    const dir = `"$FROM_DIST"/terraform/${m.stack}`;
    lines.push(
      '',
      `# ${m.stack} (${m.why}): ${m.from} -> ${m.to}${rises.has(m.stack) ? ` (gate rises from ${rises.get(m.stack)!.fromTier} to ${rises.get(m.stack)!.toTier}: review its first ${rises.get(m.stack)!.toTier} plan)` : ''}`,
      `terraform -chdir=${dir} init -input=false -reconfigure -backend-config=key=${q(m.from)}`,
      `terraform -chdir=${dir} state pull > "$work"/${m.stack}.old.json`,
      // -force-copy answers yes to overwriting a state already at the new key: refuse one instead.
      `if aws s3api head-object --bucket ${q(plan.bucket)} --key ${q(m.to)} > /dev/null 2>&1; then echo "${m.stack}: a state already exists at ${m.to}; nothing moved" >&2; exit 1; fi`,
      `terraform -chdir=${dir} init -input=false -migrate-state -force-copy -backend-config=key=${q(m.to)}`,
      `terraform -chdir=${dir} state pull > "$work"/${m.stack}.new.json`,
      `jq -e -n --slurpfile a "$work"/${m.stack}.old.json --slurpfile b "$work"/${m.stack}.new.json '$a[0].lineage == $b[0].lineage and $a[0].serial == $b[0].serial' > /dev/null || { echo "${m.stack}: the state at ${m.to} is not the one at ${m.from}; nothing deleted" >&2; exit 1; }`,
      `aws s3 rm ${q(`s3://${plan.bucket}/${m.from}`)}`,
      `aws s3 rm ${q(`s3://${plan.bucket}/${stateLockKey(m.from)}`)} || true`,
    );
  }
  return `${lines.join('\n')}\n`;
}
