/**
 * The data promote's record (issue 17): the approvers as GitHub's approvals API lists them, and the
 * record built from what the replay script wrote (constructs/lifecycle/data-promote.ts) — checked
 * field by field, never copied through.
 */
import { existsSync, lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { compareStrings } from '../contract/order';
import {
  DATA_PROMOTIONS_SUBDIR, DataPromotionRecord, PROMOTIONS_DIR, RECORD_SCHEMA_VERSION, RecordError, dataRecordWithId, readDataRecord,
} from '../contract/promotion-record';

const isObj = (v: unknown): v is Record<string, any> => !!v && typeof v === 'object' && !Array.isArray(v);

/**
 * The logins that approved `environment` in this run, from the body of
 * GET /repos/{owner}/{repo}/actions/runs/{run_id}/approvals: an array of `environment-approvals`
 * (`environments[].name`, `state` approved | rejected | pending, `user.login`, `comment`), per
 * GitHub's OpenAPI description (@octokit/openapi, api.github.com.json). A rejection of the
 * environment, or a body of another shape, is refused: nothing unread counts as approval.
 */
export function approversOf(body: unknown, environment: string): string[] {
  if (!Array.isArray(body)) throw new RecordError(`the approvals response is not a list (GET /repos/{owner}/{repo}/actions/runs/{run_id}/approvals returns one): ${JSON.stringify(body).slice(0, 200)}`);
  const approved = new Set<string>();
  body.forEach((a, i) => {
    const at = `approvals[${i}]`;
    if (!isObj(a) || !Array.isArray(a.environments) || typeof a.state !== 'string' || !isObj(a.user) || typeof a.user.login !== 'string') {
      throw new RecordError(`${at} is not an environment approval (environments, state, user.login): ${JSON.stringify(a).slice(0, 200)}`);
    }
    const names = a.environments.map((e: unknown) => (isObj(e) && typeof e.name === 'string' ? e.name : undefined));
    if (names.includes(undefined)) throw new RecordError(`${at}.environments holds an entry without a name`);
    if (!names.includes(environment)) return;
    if (a.state === 'rejected') throw new RecordError(`${a.user.login} rejected the ${environment} environment in this run (${at}): nothing is replayed`);
    if (a.state === 'approved') approved.add(a.user.login);
  });
  if (approved.size === 0) throw new RecordError(`no one approved the ${environment} environment in this run: the replay needs its reviewers' approval`);
  return [...approved].sort(compareStrings);
}

export interface RunIdentity {
  readonly repository: string;
  readonly id: string;
  /** GITHUB_RUN_ATTEMPT of the replay. */
  readonly attempt: string;
  /** The environment approved (the replay job's). */
  readonly environment: string;
}

/**
 * The record of one replay: `replay` is the JSON the replay script wrote, `approvers` those the API
 * lists (the script's must be the same: it refused to run without them).
 */
export function dataRecordFromReplay(replay: unknown, approvers: readonly string[], run: RunIdentity): DataPromotionRecord {
  const r = replay as Record<string, any>;
  if (!isObj(r) || !isObj(r.prod) || !isObj(r.rehearsal)) throw new RecordError('the replay output is not the object the replay script writes (app, approvers, prod, rehearsal, replayed_at_epoch, script, script_sha256)');
  const listed = Array.isArray(r.approvers) ? [...r.approvers].sort(compareStrings) : r.approvers;
  if (JSON.stringify(listed) !== JSON.stringify([...approvers])) {
    throw new RecordError(`the replay ran with approvers ${JSON.stringify(r.approvers)}, GitHub lists ${JSON.stringify(approvers)} for ${run.environment}: the record names only those GitHub lists`);
  }
  return dataRecordWithId({
    schemaVersion: RECORD_SCHEMA_VERSION,
    kind: 'data',
    app: r.app,
    script: { path: r.script, sha256: r.script_sha256 },
    rehearsal: { rehearsedAtEpoch: r.rehearsal.rehearsed_at_epoch, sandboxBeforeSha256: r.rehearsal.sandbox_before_sha256, sandboxAfterSha256: r.rehearsal.sandbox_after_sha256 },
    prod: { database: r.prod.database, beforeSha256: r.prod.before_sha256, afterSha256: r.prod.after_sha256, replayedAtEpoch: r.replayed_at_epoch },
    approvers: [...approvers],
    environment: run.environment,
    run: { repository: run.repository, id: run.id, attempt: run.attempt },
  });
}

/** What the record job knows of its own run, from GitHub's default variables and the replay job's outputs. */
export interface RecordExpectation {
  readonly app: string;
  readonly environment: string;
  readonly repository: string;
  readonly runId: string;
  /** GITHUB_RUN_ATTEMPT of the record job: a re-run of it alone is a later attempt than the replay's. */
  readonly runAttempt: string;
  /** The id the replay job output (its own record's). */
  readonly recordId: string;
  /** The dispatch's script input, and the sha256 of that file at the dispatched commit. */
  readonly scriptPath: string;
  readonly scriptSha256: string;
}

/**
 * The one record an artifact holds (`<dir>/promotions/<app>/data/<id>.json` and nothing else),
 * read strictly and held to this run: the id the replay output, this repository, run id, an
 * attempt no later than this one, the dispatched app, environment and script (path and bytes).
 * Returns the record's path relative to the repository root.
 */
export function verifyRunRecord(dir: string, want: RecordExpectation): { record: DataPromotionRecord; path: string } {
  const files: string[] = [];
  const walk = (rel: string) => {
    const abs = join(dir, rel);
    const st = lstatSync(abs);
    if (st.isSymbolicLink()) throw new RecordError(`the record artifact holds a symbolic link ${rel}: it holds one record file and nothing else`);
    if (st.isDirectory()) for (const n of readdirSync(abs).sort(compareStrings)) walk(rel === '' ? n : `${rel}/${n}`);
    else files.push(rel);
  };
  if (!existsSync(dir)) throw new RecordError(`no record artifact at ${dir}: the replay job uploads one`);
  walk('');
  const path = `${PROMOTIONS_DIR}/${want.app}/${DATA_PROMOTIONS_SUBDIR}/${want.recordId}.json`;
  if (files.length !== 1 || files[0] !== path) {
    throw new RecordError(`the record artifact holds ${JSON.stringify(files)}, not exactly ${path} (the record the replay job of this run output)`);
  }
  const record = readDataRecord(join(dir, path));
  const problems: string[] = [];
  const same = (what: string, got: unknown, expected: string) => { if (got !== expected) problems.push(`${what} is ${JSON.stringify(got)}, this run's is ${JSON.stringify(expected)}`); };
  same('app', record.app, want.app);
  same('environment', record.environment, want.environment);
  same('run.repository', record.run.repository, want.repository);
  same('run.id', record.run.id, want.runId);
  same('script.path', record.script.path, want.scriptPath);
  same('script.sha256', record.script.sha256, want.scriptSha256);
  if (!/^[1-9][0-9]{0,5}$/.test(want.runAttempt) || Number(record.run.attempt) > Number(want.runAttempt)) {
    problems.push(`run.attempt ${JSON.stringify(record.run.attempt)} is later than this attempt ${JSON.stringify(want.runAttempt)}`);
  }
  if (problems.length > 0) throw new RecordError(`${path} is not the record of this run: ${problems.join('; ')}`);
  return { record, path };
}
