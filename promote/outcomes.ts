/**
 * What happens to a promotion after its PR merges — Argo CD's health answer, approvals, the
 * outcome — is recorded by the gated jobs where they can write without touching main: a directory
 * the publish job commits to the publisher's branch (`--outcomes <dir>`). `tierkit promote
 * --status` reads it back, and conflict_free reads it to tell which promotions are still open.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { canonicalJson } from '../constructs/synth/serialize';
import { RecordError } from '../contract/promotion-record';

export const OUTCOME_EVENTS = ['health', 'approved', 'succeeded', 'failed', 'refused'] as const;
export type OutcomeEvent = (typeof OUTCOME_EVENTS)[number];
/** Events after which a promotion no longer rolls out. */
export const FINAL_EVENTS: readonly OutcomeEvent[] = ['succeeded', 'failed', 'refused'];

export interface Outcome {
  readonly event: OutcomeEvent;
  readonly ok: boolean;
  readonly why: string;
  /** Who or what recorded it (the job, the approver). */
  readonly by: string;
}

export interface OutcomeLog {
  readonly schemaVersion: 1;
  readonly id: string;
  readonly events: readonly Outcome[];
}

export function outcomeFile(dir: string, app: string, id: string): string {
  return join(dir, app, `${id}.json`);
}

/** The events of one promotion ([] when none were recorded); an unreadable log is an error, not "none". */
export function readOutcomes(dir: string, app: string, id: string): Outcome[] {
  const file = outcomeFile(dir, app, id);
  if (!existsSync(file)) return [];
  let log: any;
  try {
    log = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new RecordError(`${file} is not a readable outcome log (${(err as Error).message})`);
  }
  if (log?.schemaVersion !== 1 || log?.id !== id || !Array.isArray(log?.events)
    || !log.events.every((e: any) => OUTCOME_EVENTS.includes(e?.event) && typeof e?.ok === 'boolean' && typeof e?.why === 'string' && typeof e?.by === 'string')) {
    throw new RecordError(`${file} is not the outcome log of promotion ${id}`);
  }
  return log.events;
}

export function appendOutcome(dir: string, app: string, id: string, outcome: Outcome): void {
  const events = readOutcomes(dir, app, id);
  const final = events.find((e) => FINAL_EVENTS.includes(e.event));
  if (final) throw new RecordError(`promotion ${id} already ended (${final.event}: ${final.why}); nothing more is recorded`);
  const file = outcomeFile(dir, app, id);
  mkdirSync(dirname(file), { recursive: true });
  const log: OutcomeLog = { schemaVersion: 1, id, events: [...events, outcome] };
  writeFileSync(file, canonicalJson(log));
}

export function finalOutcome(events: readonly Outcome[]): Outcome | undefined {
  return events.find((e) => FINAL_EVENTS.includes(e.event));
}
