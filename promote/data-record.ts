/**
 * The data promote's record (issue 17): the approvers as GitHub's approvals API lists them, and the
 * record built from what the replay script wrote (constructs/lifecycle/data-promote.ts) — checked
 * field by field, never copied through.
 */
import { compareStrings } from '../contract/order';
import { DataPromotionRecord, RECORD_SCHEMA_VERSION, RecordError, dataRecordWithId } from '../contract/promotion-record';

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
    run: { repository: run.repository, id: run.id },
  });
}
