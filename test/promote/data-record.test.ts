// Issue 17: the data promote's record — approvers read from GitHub's approvals API body (the shape
// @octokit/openapi describes), and a strict reader that refuses any hand edit.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../contract/order';
import { dataRecordPath, dataRecordProblems, readDataRecord, RecordError } from '../../contract/promotion-record';
import { approversOf, dataRecordFromReplay } from '../../promote/data-record';
import { testTmp } from '../setup/tmpdir';

/** The approvals endpoint's response schema, as GitHub publishes it (so the fixtures cannot drift from the API). */
function approvalsSchema(): Record<string, any> {
  const spec = JSON.parse(readFileSync(require.resolve('@octokit/openapi/generated/api.github.com.json'), 'utf8'));
  const get = spec.paths['/repos/{owner}/{repo}/actions/runs/{run_id}/approvals'].get;
  expect(get.responses['200'].content['application/json'].schema.items.$ref).toBe('#/components/schemas/environment-approvals');
  return spec.components.schemas['environment-approvals'];
}

const approval = (login: string, state: string, envs = ['prod']) => ({
  environments: envs.map((name, i) => ({ id: i + 1, node_id: `E${i}`, name, url: '', html_url: '', created_at: '', updated_at: '' })),
  state, user: { login, id: 1 }, comment: 'looks right',
});

const REPLAY = {
  app: 'erp', approvers: ['bob-ops', 'alice'],
  prod: { after_sha256: 'a'.repeat(64), before_sha256: 'b'.repeat(64), database: 'erp' },
  rehearsal: { rehearsed_at_epoch: 1_790_000_000, sandbox_after_sha256: 'c'.repeat(64), sandbox_before_sha256: 'd'.repeat(64) },
  replayed_at_epoch: 1_790_000_600, script: 'data/0001-pay-invoice.sql', script_sha256: 'e'.repeat(64),
};
const RUN = { repository: 'arcodange/estate', id: '4242', attempt: '1', environment: 'prod' };

describe('approvers from GET /repos/{owner}/{repo}/actions/runs/{run_id}/approvals', () => {
  it('the fixtures carry exactly the fields GitHub documents as required', () => {
    const schema = approvalsSchema();
    expect([...schema.required].sort()).toEqual(Object.keys(approval('x', 'approved')).sort());
    expect(schema.properties.state.enum).toEqual(['approved', 'rejected', 'pending']);
  });

  it('are the distinct, sorted logins that approved this environment; other environments do not count', () => {
    expect(approversOf([approval('bob-ops', 'approved'), approval('alice', 'approved', ['dev', 'prod']), approval('alice', 'approved'),
      approval('mallory', 'approved', ['dev']), approval('eve', 'pending')], 'prod')).toEqual(['alice', 'bob-ops']);
  });

  it('refuses a rejection, no approval, and a body of another shape', () => {
    expect(() => approversOf([approval('alice', 'approved'), approval('carol', 'rejected')], 'prod')).toThrow(/carol rejected the prod environment/);
    expect(() => approversOf([approval('mallory', 'approved', ['dev'])], 'prod')).toThrow(/no one approved the prod environment/);
    expect(() => approversOf({ message: 'Not Found' }, 'prod')).toThrow(RecordError);
    expect(() => approversOf([{ state: 'approved', user: { login: 'x' } }], 'prod')).toThrow(/not an environment approval/);
  });
});

describe('the data promotion record', () => {
  it('is built from the replay output with the API\'s approvers, hashes to its id, and reads back', () => {
    const dir = testTmp('data-record', 'ok');
    const r = dataRecordFromReplay(REPLAY, ['alice', 'bob-ops'], RUN);
    expect(r).toMatchObject({ kind: 'data', schemaVersion: 1, approvers: ['alice', 'bob-ops'], script: { path: 'data/0001-pay-invoice.sql' }, run: { id: '4242' } });
    const file = dataRecordPath(dir, r.app, r.id);
    expect(file.endsWith(`promotions/erp/data/${r.id}.json`)).toBe(true);
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, canonicalJson(r));
    expect(readDataRecord(file)).toEqual(r);
  });

  it('names only the approvers GitHub lists: a replay run with others is refused', () => {
    expect(() => dataRecordFromReplay(REPLAY, ['alice'], RUN)).toThrow(/the record names only those GitHub lists/);
  });

  it('refuses bad fields: a forged hash, a path with .., a replay before its rehearsal', () => {
    expect(() => dataRecordFromReplay({ ...REPLAY, script_sha256: 'nothex' }, ['alice', 'bob-ops'], RUN)).toThrow(/script.sha256 is not a sha256/);
    expect(() => dataRecordFromReplay({ ...REPLAY, script: '../etc/passwd' }, ['alice', 'bob-ops'], RUN)).toThrow(/not a plain repository path/);
    expect(() => dataRecordFromReplay({ ...REPLAY, replayed_at_epoch: 1 }, ['alice', 'bob-ops'], RUN)).toThrow(/before rehearsal.rehearsedAtEpoch/);
  });

  it('names the run attempt: a record without one, or with attempt 0 or a non-number, is refused', () => {
    const r = dataRecordFromReplay(REPLAY, ['alice', 'bob-ops'], RUN);
    expect(r.run).toEqual({ repository: 'arcodange/estate', id: '4242', attempt: '1' });
    const { attempt: _dropped, ...noAttempt } = r.run;
    expect(dataRecordProblems({ ...r, run: noAttempt })).toEqual(expect.arrayContaining([expect.stringContaining('run has keys ["id","repository"]')]));
    for (const bad of ['0', '01', '1; rm -rf', '']) {
      expect(() => dataRecordFromReplay(REPLAY, ['alice', 'bob-ops'], { ...RUN, attempt: bad }), bad).toThrow(/run.attempt is not a run attempt/);
    }
  });

  it('refuses a record edited by hand: an approver added (id re-hashed or not), a key added, or reformatted text', () => {
    const dir = testTmp('data-record', 'edited');
    const r = dataRecordFromReplay(REPLAY, ['alice', 'bob-ops'], RUN);
    const file = dataRecordPath(dir, r.app, r.id);
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, canonicalJson({ ...r, approvers: ['alice', 'bob-ops', 'mallory'] }));
    expect(() => readDataRecord(file)).toThrow(/was edited after tierkit wrote it/);
    writeFileSync(file, canonicalJson({ ...r, extra: true }));
    expect(() => readDataRecord(file)).toThrow(/has keys/);
    writeFileSync(file, JSON.stringify(r, null, 2));
    expect(() => readDataRecord(file)).toThrow(/canonical JSON/);
    writeFileSync(file, canonicalJson({ ...r, approvers: [] }));
    expect(() => readDataRecord(file)).toThrow(/approvers is not a non-empty list/);
  });
});
