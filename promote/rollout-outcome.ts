/**
 * The outcome of a promotion after its tier was published: asked of Argo CD by the gated job (the
 * one holding its credential) about the *target* env's Application. Synced, Healthy and running the
 * promoted image: succeeded. Degraded (a failed canary step, pods crash-looping): failed. Anything
 * else is still rolling out (a canary pausing 30/60/120 min, a blue-green preview awaiting its
 * human): no final outcome is recorded, and a later run, or a person with
 * `tierkit promote --record-outcome`, ends it.
 */
import { askHealth } from './health';

export interface RolloutQuery {
  readonly server: string;
  readonly token: string;
  /** The target env's Argo CD Application. */
  readonly application: string;
  /** The image the promotion moved there. */
  readonly image: string;
  /** How long to keep asking while it rolls out. @default 0 (ask once) */
  readonly waitMs?: number;
  /** Between two questions. @default 15000 */
  readonly intervalMs?: number;
}

export type RolloutOutcome = { readonly state: 'succeeded' | 'failed' | 'rolling_out'; readonly why: string };

export async function askRolloutOutcome(q: RolloutQuery): Promise<RolloutOutcome> {
  const until = Date.now() + (q.waitMs ?? 0);
  for (;;) {
    const a = await askHealth({ server: q.server, token: q.token, application: q.application, image: q.image });
    if (a.ok) return { state: 'succeeded', why: a.why };
    if (a.observed?.health === 'Degraded') return { state: 'failed', why: a.why };
    if (Date.now() >= until) return { state: 'rolling_out', why: a.why };
    await new Promise((r) => setTimeout(r, Math.min(q.intervalMs ?? 15_000, Math.max(0, until - Date.now()))));
  }
}
