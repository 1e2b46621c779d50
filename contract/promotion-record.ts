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

/**
 * A data promote's record (issue 17, docs/data-promote.md): `promotions/<app>/data/<id>.json`, written
 * by the replay job of `tierkit-data-promote.yml` after prod changed. Same form as a promotion
 * record — canonical JSON, id = the first 16 hex digits of sha256 over the record without `id`,
 * the file named by it — so an edited record no longer matches its id. The approvers come from
 * GitHub's approvals of the run (GET /repos/{owner}/{repo}/actions/runs/{run_id}/approvals),
 * never from the dispatch's inputs.
 */
export interface DataPromotionRecord {
  readonly schemaVersion: number;
  readonly id: string;
  readonly kind: 'data';
  readonly app: string;
  /** The reviewed change script: its repository path and the sha256 of the bytes run (rehearsal and replay alike). */
  readonly script: { readonly path: string; readonly sha256: string };
  readonly rehearsal: { readonly rehearsedAtEpoch: number; readonly sandboxBeforeSha256: string; readonly sandboxAfterSha256: string };
  /** The declared tables' content hash on prod before and after the replay. */
  readonly prod: { readonly database: string; readonly beforeSha256: string; readonly afterSha256: string; readonly replayedAtEpoch: number };
  /** GitHub logins that approved the run's prod environment, sorted. */
  readonly approvers: readonly string[];
  /** The GitHub environment they approved, and the run (its attempt: a re-run is another attempt of the same id). */
  readonly environment: string;
  readonly run: { readonly repository: string; readonly id: string; readonly attempt: string };
}

export const DATA_PROMOTIONS_SUBDIR = 'data';

export function dataRecordPath(root: string, app: string, id: string): string {
  return join(root, PROMOTIONS_DIR, app, DATA_PROMOTIONS_SUBDIR, `${id}.json`);
}

const HEX64 = /^[0-9a-f]{64}$/;
const LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;
const NAME = /^[a-z0-9][a-z0-9-]*$/;
const SCRIPT_PATH = /^[A-Za-z0-9._/-]+$/;

/** Why `data` is not a data promotion record tierkit writes (the id aside); empty when it is one. */
export function dataRecordProblems(data: any): string[] {
  const problems: string[] = [];
  const isObj = (v: unknown): v is Record<string, any> => !!v && typeof v === 'object' && !Array.isArray(v);
  const exactKeys = (v: unknown, at: string, keys: string[]): v is Record<string, any> => {
    if (!isObj(v)) { problems.push(`${at} is not an object`); return false; }
    const got = Object.keys(v).sort();
    const want = [...keys].sort();
    if (got.join() !== want.join()) problems.push(`${at} has keys ${JSON.stringify(got)}, not ${JSON.stringify(want)}`);
    return true;
  };
  const hex = (v: unknown, at: string) => { if (typeof v !== 'string' || !HEX64.test(v)) problems.push(`${at} is not a sha256 (64 hex digits)`); };
  const epoch = (v: unknown, at: string) => { if (!Number.isSafeInteger(v) || (v as number) <= 0) problems.push(`${at} is not a positive epoch second`); };
  if (!exactKeys(data, 'the record', ['schemaVersion', 'id', 'kind', 'app', 'script', 'rehearsal', 'prod', 'approvers', 'environment', 'run'])) return problems;
  if (data.schemaVersion !== RECORD_SCHEMA_VERSION) problems.push(`schemaVersion is ${JSON.stringify(data.schemaVersion)}, not ${RECORD_SCHEMA_VERSION}`);
  if (typeof data.id !== 'string' || !ID.test(data.id)) problems.push(`id ${JSON.stringify(data.id)} is not 16 hex digits`);
  if (data.kind !== 'data') problems.push(`kind ${JSON.stringify(data.kind)} is not "data"`);
  if (typeof data.app !== 'string' || !NAME.test(data.app)) problems.push(`app ${JSON.stringify(data.app)} is not an app name`);
  if (typeof data.environment !== 'string' || !NAME.test(data.environment)) problems.push(`environment ${JSON.stringify(data.environment)} is not an environment name`);
  if (exactKeys(data.script, 'script', ['path', 'sha256'])) {
    if (typeof data.script.path !== 'string' || !SCRIPT_PATH.test(data.script.path) || data.script.path.includes('..')) problems.push(`script.path ${JSON.stringify(data.script.path)} is not a plain repository path`);
    hex(data.script.sha256, 'script.sha256');
  }
  if (exactKeys(data.rehearsal, 'rehearsal', ['rehearsedAtEpoch', 'sandboxBeforeSha256', 'sandboxAfterSha256'])) {
    epoch(data.rehearsal.rehearsedAtEpoch, 'rehearsal.rehearsedAtEpoch');
    hex(data.rehearsal.sandboxBeforeSha256, 'rehearsal.sandboxBeforeSha256');
    hex(data.rehearsal.sandboxAfterSha256, 'rehearsal.sandboxAfterSha256');
  }
  if (exactKeys(data.prod, 'prod', ['database', 'beforeSha256', 'afterSha256', 'replayedAtEpoch'])) {
    if (typeof data.prod.database !== 'string' || data.prod.database.length === 0) problems.push('prod.database is not a database name');
    hex(data.prod.beforeSha256, 'prod.beforeSha256');
    hex(data.prod.afterSha256, 'prod.afterSha256');
    epoch(data.prod.replayedAtEpoch, 'prod.replayedAtEpoch');
    if (Number.isSafeInteger(data.prod.replayedAtEpoch) && Number.isSafeInteger(data.rehearsal?.rehearsedAtEpoch) && data.prod.replayedAtEpoch < data.rehearsal.rehearsedAtEpoch) {
      problems.push('prod.replayedAtEpoch is before rehearsal.rehearsedAtEpoch: a replay follows its rehearsal');
    }
  }
  const a = data.approvers;
  if (!Array.isArray(a) || a.length === 0 || a.some((x) => typeof x !== 'string' || !LOGIN.test(x))) problems.push('approvers is not a non-empty list of GitHub logins');
  else if (a.join('\n') !== [...new Set(a)].sort().join('\n')) problems.push('approvers are not sorted and distinct');
  if (exactKeys(data.run, 'run', ['repository', 'id', 'attempt'])) {
    if (typeof data.run.repository !== 'string' || !/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(data.run.repository)) problems.push('run.repository is not owner/name');
    if (typeof data.run.id !== 'string' || !/^[0-9]{1,20}$/.test(data.run.id)) problems.push('run.id is not a workflow run id');
    if (typeof data.run.attempt !== 'string' || !/^[1-9][0-9]{0,5}$/.test(data.run.attempt)) problems.push('run.attempt is not a run attempt (1, 2, …)');
  }
  return problems;
}

export function dataRecordId(body: Omit<DataPromotionRecord, 'id'>): string {
  const { id: _ignored, ...rest } = body as DataPromotionRecord;
  return createHash('sha256').update(canonicalJson(rest)).digest('hex').slice(0, 16);
}

/** The record with its id; throws a RecordError naming every problem when the body is not one tierkit writes. */
export function dataRecordWithId(body: Omit<DataPromotionRecord, 'id'>): DataPromotionRecord {
  const record = { ...body, id: dataRecordId(body) } as DataPromotionRecord;
  const problems = dataRecordProblems(record);
  if (problems.length > 0) throw new RecordError(`not a data promotion record: ${problems.join('; ')}`);
  return record;
}

/** Read and verify one data promotion record: its form, its id (content hash), its file name and canonical text. */
export function readDataRecord(file: string): DataPromotionRecord {
  let text: string;
  let data: any;
  try {
    text = readFileSync(file, 'utf8');
    data = JSON.parse(text);
  } catch (err) {
    throw new RecordError(`${file} is not a readable data promotion record (${(err as Error).message}); restore it from git (git checkout -- ${file})`);
  }
  const problems = dataRecordProblems(data);
  if (problems.length > 0) throw new RecordError(`${file} is not a data promotion record tierkit wrote: ${problems.join('; ')}; restore it from git`);
  const actual = dataRecordId(data);
  const named = file.replace(/^.*[/\\]/, '').replace(/\.json$/, '');
  if (actual !== data.id || named !== data.id) {
    throw new RecordError(`${file} was edited after tierkit wrote it (its content hashes to ${actual}, its id says ${data.id}, its file name ${named}): a data promotion record is never edited by hand; restore it (git checkout -- ${file})`);
  }
  if (text !== canonicalJson(data)) throw new RecordError(`${file} is not in the form tierkit writes (canonical JSON): it was edited by hand; restore it (git checkout -- ${file})`);
  return data as DataPromotionRecord;
}
