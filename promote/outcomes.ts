/**
 * What happens to a promotion after its PR merges — Argo CD's health answer, approvals, the
 * outcome — is recorded by the gated jobs where they can write without touching main: a directory
 * the publish job commits to the publisher's branch (`--outcomes <dir>`). `tierkit promote
 * --status` reads it back, and conflict_free reads it to tell which promotions are still open.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { canonicalJson } from '../constructs/synth/serialize';
import { RecordError } from '../contract/promotion-record';
import { FINAL_EVENTS, OUTCOME_EVENTS, Outcome, OutcomeError, OutcomeEvent, finalOutcome, readOutcomeLog } from '../contract/promotion-outcomes';

// The log's shape and reader are the contract's (diff reads them too); re-exported for promote/.
export { FINAL_EVENTS, OUTCOME_EVENTS, finalOutcome };
export type { Outcome, OutcomeEvent };

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
  try {
    return readOutcomeLog(dir, app, id);
  } catch (err) {
    if (err instanceof OutcomeError) throw new RecordError(err.message);
    throw err;
  }
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
