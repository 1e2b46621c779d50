/**
 * Promotion records: `promotions/<app>/<id>.json`, the audit object of one `tierkit promote` (or
 * its abort), committed with the releases change it describes. The id is derived from the content
 * (sha256 of the canonical record without its id), so the same promotion of the same base gives
 * the same file on any machine, and a record edited after it was written no longer matches its
 * id or its file name: it is refused as tampered. (A hash is not a signature: the PR diff step
 * also holds the record's head dist digest against the dist the PR actually synthesizes.)
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson } from './order';

export const RECORD_SCHEMA_VERSION = 1;
export const PROMOTIONS_DIR = 'promotions';
export const CHECK_NAMES = ['schema_valid', 'chain_ok', 'conflict_free', 'health_ok'] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

export interface CheckResult {
  readonly ok: boolean;
  /** Asked later by a gated job (health_ok): not yet a pass. */
  readonly pending?: boolean;
  readonly why: string;
}

export interface Moved {
  readonly old: unknown;
  readonly new: unknown;
}

export interface PromotionRecord {
  readonly schemaVersion: number;
  readonly id: string;
  /** `promote`, or `abort` (restores the release a promotion replaced). */
  readonly kind: 'promote' | 'abort';
  readonly app: string;
  readonly from: string;
  readonly to: string;
  /** The promotion an abort undoes. */
  readonly aborts?: string;
  /** What the target env's release becomes, by dotted path (seed 001's diff shape). */
  readonly moves: { readonly added: Readonly<Record<string, unknown>>; readonly removed: Readonly<Record<string, unknown>>; readonly modified: Readonly<Record<string, Moved>> };
  /** The target's release before and after (an abort restores `before`). */
  readonly release: { readonly before: Readonly<Record<string, unknown>>; readonly after: Readonly<Record<string, unknown>> };
  readonly strategy: 'immediate' | 'canary' | 'blue_green';
  readonly steps: readonly Readonly<Record<string, unknown>>[];
  readonly checks: Readonly<Record<CheckName, CheckResult>>;
  /** Why the promotion skips tiers of the chain (chain_ok needs one then). */
  readonly reason?: string;
  readonly dist: { readonly base: string; readonly head: string };
  readonly requester: string;
}

export class RecordError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecordError';
  }
}

/** The id of a record: the first 16 hex digits of sha256 over its canonical JSON without `id`. */
export function recordId(body: Omit<PromotionRecord, 'id'>): string {
  const { id: _ignored, ...rest } = body as PromotionRecord;
  return createHash('sha256').update(canonicalJson(rest)).digest('hex').slice(0, 16);
}

export function withId(body: Omit<PromotionRecord, 'id'>): PromotionRecord {
  return { ...body, id: recordId(body) } as PromotionRecord;
}

export function serializeRecord(r: PromotionRecord): string {
  return canonicalJson(r);
}

export function recordPath(root: string, app: string, id: string): string {
  return join(root, PROMOTIONS_DIR, app, `${id}.json`);
}

const ID = /^[0-9a-f]{16}$/;

/** Read and verify one record file; a record that does not hash to its id and name is refused. */
export function readRecord(file: string, expectedId?: string): PromotionRecord {
  let data: any;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new RecordError(`${file} is not a readable promotion record (${(err as Error).message}); restore it from git (git checkout -- ${file})`);
  }
  const problems: string[] = [];
  if (data?.schemaVersion !== RECORD_SCHEMA_VERSION) problems.push(`schemaVersion is ${JSON.stringify(data?.schemaVersion)}, not ${RECORD_SCHEMA_VERSION}`);
  if (typeof data?.id !== 'string' || !ID.test(data.id)) problems.push(`id ${JSON.stringify(data?.id)} is not 16 hex digits`);
  for (const k of ['app', 'from', 'to', 'strategy', 'requester'] as const) if (typeof data?.[k] !== 'string') problems.push(`${k} is not a string`);
  if (!['promote', 'abort'].includes(data?.kind)) problems.push(`kind ${JSON.stringify(data?.kind)} is not promote or abort`);
  for (const c of CHECK_NAMES) if (typeof data?.checks?.[c]?.ok !== 'boolean') problems.push(`checks.${c}.ok is not a boolean`);
  if (problems.length === 0) {
    // tierkit writes a record only when its own checks passed, and never answers health_ok in the
    // PR run: a record claiming otherwise was written by hand, whatever its hash says.
    for (const c of ['schema_valid', 'chain_ok', 'conflict_free'] as const) if (data.checks[c].ok !== true) problems.push(`checks.${c} failed, and tierkit records no failed promotion`);
    const h = data.checks.health_ok;
    if (data.kind === 'promote' && (h.ok !== false || h.pending !== true)) problems.push('checks.health_ok is answered, but only the gated job asks Argo CD (its answer is an outcome, never part of the record)');
  }
  if (problems.length > 0) throw new RecordError(`${file} is not a promotion record tierkit wrote: ${problems.join('; ')}; restore it from git`);
  const actual = recordId(data);
  const named = file.replace(/^.*[/\\]/, '').replace(/\.json$/, '');
  if (actual !== data.id || named !== data.id || (expectedId !== undefined && expectedId !== data.id)) {
    throw new RecordError(`${file} was edited after tierkit wrote it (its content hashes to ${actual}, its id says ${data.id}, its file name ${named}): a promotion record is never edited by hand; restore it (git checkout -- ${file}) or promote again`);
  }
  // Canonical text too: same content written differently (reordered, reindented) is an edit as well.
  if (readFileSync(file, 'utf8') !== serializeRecord(data)) {
    throw new RecordError(`${file} is not in the form tierkit writes (canonical JSON): it was edited by hand; restore it (git checkout -- ${file})`);
  }
  return data as PromotionRecord;
}

/** Every record of an app, verified, sorted by id. */
export function appRecords(root: string, app: string): PromotionRecord[] {
  const dir = join(root, PROMOTIONS_DIR, app);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((f) => readRecord(join(dir, f)));
}

/** Find a record by id under every app. */
export function findRecord(root: string, id: string): { file: string; record: PromotionRecord } {
  if (!ID.test(id)) throw new RecordError(`"${id}" is not a promotion id (16 hex digits, the name of a file under ${PROMOTIONS_DIR}/<app>/)`);
  const dir = join(root, PROMOTIONS_DIR);
  const apps = existsSync(dir) ? readdirSync(dir).sort() : [];
  for (const app of apps) {
    const file = join(dir, app, `${id}.json`);
    if (existsSync(file)) return { file, record: readRecord(file, id) };
  }
  throw new RecordError(`no promotion ${id} under ${dir} (list them with: ls ${PROMOTIONS_DIR}/*/)`);
}
