/**
 * Where the gated jobs record what happened to a promotion after its PR merged (Argo CD's health
 * answer, the approval, success or failure), and the strict reader of those logs. They live on the
 * rendered branch inside the target tier's own directory — `<tier>/.tierkit-promotions/<app>/<id>.json`
 * — the paths only that tier's publisher App may push (contract/github-rulesets.ts), so the dev
 * publisher cannot write that a prod promotion succeeded. Argo CD never reads them: each env's
 * Application includes its own manifest file only, and the app of apps reads `<tier>/argocd`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { k8sTierDir, renderedPath } from './ci-names';
import type { Manifest } from './manifest';

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

/** The directory of a tier's outcome logs on the rendered branch (relative to its root). */
export function renderedOutcomesDir(tier: string): string {
  return `${renderedPath(k8sTierDir(tier))}/.tierkit-promotions`;
}

export class OutcomeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutcomeError';
  }
}

/** The tier an app's env runs in, per the manifest; undefined when the manifest has no such tier env. */
export function envTier(m: Manifest, app: string, env: string): string | undefined {
  return m.appEnvironments.find((e) => e.app === app && e.env === env && e.kind === 'tier')?.tier;
}

/** The events of one promotion in `dir/<app>/<id>.json` ([] when none); an unreadable log is an error, not "none". */
export function readOutcomeLog(dir: string, app: string, id: string): Outcome[] {
  const file = join(dir, app, `${id}.json`);
  if (!existsSync(file)) return [];
  let log: any;
  try {
    log = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new OutcomeError(`${file} is not a readable outcome log (${(err as Error).message})`);
  }
  if (log?.schemaVersion !== 1 || log?.id !== id || !Array.isArray(log?.events)
    || !log.events.every((e: any) => OUTCOME_EVENTS.includes(e?.event) && typeof e?.ok === 'boolean' && typeof e?.why === 'string' && typeof e?.by === 'string')) {
    throw new OutcomeError(`${file} is not the outcome log of promotion ${id}`);
  }
  return log.events;
}

export function finalOutcome(events: readonly Outcome[]): Outcome | undefined {
  return events.find((e) => FINAL_EVENTS.includes(e.event));
}
