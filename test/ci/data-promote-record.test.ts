// Issue 17: the record job of tierkit-data-promote.yml, its steps run with bash as the runner runs
// them, on a real git checkout whose origin is a bare repository standing in for GitHub, with the
// real tierkit CLI: the record uploaded by the replay is read strictly, held to this run, and pushed
// on a new branch tierkit/promotions/<app>/<id> — never onto a branch that exists, even one created
// between the check and the push. No stand-in for the GitHub API: the job calls none.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { githubWorkflows } from '../../ci/github';
import { PROMOTIONS_STEP } from '../../ci/github-promotion';
import { DATA_PROMOTE_WORKFLOW_FILE } from '../../constructs/naming';
import { synthesize } from '../../constructs/synth/synthesize';
import { canonicalJson } from '../../contract/order';
import { DataPromotionRecord, dataRecordWithId } from '../../contract/promotion-record';
import estate from '../../environments';
import { testTmp } from '../setup/tmpdir';
import { runStep } from './support';

const TIERKIT_BIN = resolve(__dirname, '..', '..', 'bin', 'tierkit');
const SCRIPT = 'changes/erp/0001-pay.sql';
const SCRIPT_TEXT = "UPDATE llx_facture SET note = 'paid' WHERE rowid = 1;\n";
const sha = (t: string) => createHash('sha256').update(t).digest('hex');

let job: Record<string, any>;
let shims: string;
let cases = 0;

beforeAll(() => {
  job = parseYaml(githubWorkflows(synthesize(estate()).manifest).get(DATA_PROMOTE_WORKFLOW_FILE)!).jobs['record-erp'];
  shims = testTmp('data-promote-record', 'shims');
  writeFileSync(join(shims, 'npx'), `#!/bin/sh\n[ "$1" = --no-install ] && [ "$2" = tierkit ] || exit 99\nshift 2\nexec ${TIERKIT_BIN} "$@"\n`, { mode: 0o755 });
});

const step = (prefix: string) => job.steps.find((s: any) => String(s.name ?? '').startsWith(prefix));
const git = (dir: string, ...args: string[]) => execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8' }).trim();

function record(over: { runId?: string; attempt?: string; script?: string; scriptText?: string; approvers?: string[] } = {}): DataPromotionRecord {
  return dataRecordWithId({
    schemaVersion: 1, kind: 'data', app: 'erp',
    script: { path: over.script ?? SCRIPT, sha256: sha(over.scriptText ?? SCRIPT_TEXT) },
    rehearsal: { rehearsedAtEpoch: 1_795_000_000, sandboxBeforeSha256: 'a'.repeat(64), sandboxAfterSha256: 'b'.repeat(64) },
    prod: { database: 'erp', beforeSha256: 'c'.repeat(64), afterSha256: 'd'.repeat(64), replayedAtEpoch: 1_795_000_600 },
    approvers: over.approvers ?? ['alice', 'bob-ops'], environment: 'prod',
    run: { repository: 'arcodange/estate', id: over.runId ?? '4242', attempt: over.attempt ?? '1' },
  });
}

/** A run of the record job: origin (bare) at main with the change script, the artifact as downloaded. */
function scene(label: string, artifact: Record<string, string>) {
  const root = testTmp('data-promote-record', `${label}-${++cases}`);
  const origin = join(root, 'origin.git');
  execFileSync('git', ['init', '-q', '--bare', '-b', 'main', origin]);
  const temp = join(root, 'runner-temp');
  for (const [rel, text] of Object.entries(artifact)) {
    mkdirSync(join(temp, 'record', rel, '..'), { recursive: true });
    writeFileSync(join(temp, 'record', rel), text);
  }
  const setup = (dir: string) => {
    execFileSync('git', ['init', '-q', '-b', 'main', dir]);
    mkdirSync(join(dir, 'changes/erp'), { recursive: true });
    writeFileSync(join(dir, SCRIPT), SCRIPT_TEXT);
    writeFileSync(join(dir, 'README.md'), 'estate\n');
    git(dir, 'add', '-A');
    git(dir, '-c', 'user.name=dev', '-c', 'user.email=dev@example.test', 'commit', '-q', '-m', 'the reviewed change script');
    git(dir, 'remote', 'add', 'origin', origin);
    git(dir, 'push', '-q', 'origin', 'main');
  };
  return { root, origin, temp, setup };
}

function ghEnv(s: ReturnType<typeof scene>, attempt = '1') {
  return {
    GITHUB_REPOSITORY: 'arcodange/estate', GITHUB_RUN_ID: '4242', GITHUB_RUN_ATTEMPT: attempt, GITHUB_SHA: 'the-dispatched-sha',
    GITHUB_SERVER_URL: 'https://github.com', GITHUB_REF_NAME: 'main', RUNNER_TEMP: s.temp, GITHUB_STEP_SUMMARY: join(s.root, 'summary.md'),
    GIT_AUTHOR_DATE: '2026-11-22T06:00:00Z', GIT_COMMITTER_DATE: '2026-11-22T06:00:00Z',
  };
}

/** The verify step, then (if it passed) the push step, in one checkout. */
function runJob(s: ReturnType<typeof scene>, recordId: string, opts: { attempt?: string; path?: string; before?: (dir: string) => void } = {}) {
  const exprs = { 'inputs.script': SCRIPT, 'runner.temp': s.temp, 'needs.replay-erp.outputs.record-id': recordId, 'github.token': 'ghs_write_token' };
  const v = step('The record is');
  let checkout = '';
  const verify = runStep({ ...v, env: { ...v.env, ...ghEnv(s, opts.attempt) } }, {}, exprs, {
    path: [opts.path, shims].filter(Boolean).join(':'), setup: (dir) => { s.setup(dir); checkout = dir; opts.before?.(dir); },
  });
  if (verify.status !== 0) return { verify, push: undefined, checkout };
  const p = step('Push it on a new branch');
  // The push step runs in the same checkout (runStep makes a fresh dir: hand it the checkout's .git and tree).
  const push = runStep({ ...p, env: { ...p.env, ...ghEnv(s, opts.attempt) } }, {}, { ...exprs, 'steps.verify.outputs.record': verify.outputs.record }, {
    path: [opts.path, shims].filter(Boolean).join(':'),
    setup: (dir) => { execFileSync('cp', ['-a', `${checkout}/.`, dir]); },
  });
  return { verify, push, checkout };
}

const branchesOf = (origin: string) => git(origin, 'for-each-ref', '--format=%(refname)', 'refs/heads').split('\n').filter(Boolean).sort();

describe('the record job', () => {
  it('pushes exactly the verified record, on main\'s commit, on a new branch tierkit/promotions/erp/<id>', () => {
    const r = record();
    const path = `promotions/erp/data/${r.id}.json`;
    const s = scene('ok', { [path]: canonicalJson(r) });
    const { verify, push } = runJob(s, r.id);
    expect(verify.stderr).toBe('');
    expect(verify.status).toBe(0);
    expect(verify.outputs.record).toBe(path);
    expect(push!.stderr).toBe('');
    expect(push!.status).toBe(0);
    const branch = `refs/heads/tierkit/promotions/erp/${r.id}`;
    expect(branchesOf(s.origin)).toEqual(['refs/heads/main', branch]);
    // One commit on main's, adding the record and nothing else, byte for byte.
    expect(git(s.origin, 'rev-parse', `${branch}^`)).toBe(git(s.origin, 'rev-parse', 'refs/heads/main'));
    expect(git(s.origin, 'diff', '--name-status', 'refs/heads/main', branch)).toBe(`A\t${path}`);
    expect(git(s.origin, 'show', `${branch}:${path}`)).toBe(canonicalJson(r).trim());
    expect(git(s.origin, 'log', '-1', '--format=%an <%ae>', branch)).toBe('tierkit <tierkit@users.noreply.github.com>');
    expect(readFileSync(join(s.root, 'summary.md'), 'utf8')).toContain(`https://github.com/arcodange/estate/compare/main...tierkit/promotions/erp/${r.id}?expand=1`);
  });

  it('once its pull request merges, main\'s push run routes no schema promotion for it (a data record is not a `tierkit promote` record)', () => {
    const r = record();
    const s = scene('merged', { [`promotions/erp/data/${r.id}.json`]: canonicalJson(r) });
    const { push } = runJob(s, r.id);
    expect(push!.status).toBe(0);
    const head = git(push!.dir, 'rev-parse', 'HEAD');
    const before = git(push!.dir, 'rev-parse', 'HEAD^');
    // The apply workflow's step, run on the merged commit: it reads every added promotions/**.json.
    const routed = runStep({ ...PROMOTIONS_STEP, env: { BEFORE_SHA: before, SOURCE_SHA: head } }, {}, {}, {
      setup: (dir) => { execFileSync('cp', ['-a', `${push!.dir}/.`, dir]); },
    });
    expect(routed.stderr).toBe('');
    expect(routed.status).toBe(0);
    expect(routed.outputs.promotions).toBe('{}');
  });

  it('refuses a branch that exists (another author\'s), and leaves it as it was', () => {
    const r = record();
    const s = scene('exists', { [`promotions/erp/data/${r.id}.json`]: canonicalJson(r) });
    const { push, checkout } = runJob(s, r.id, {
      before: (dir) => { git(dir, 'push', '-q', 'origin', `main:refs/heads/tierkit/promotions/erp/${r.id}`); },
    });
    expect(push!.status).not.toBe(0);
    expect(push!.stdout).toContain('already exists: tierkit pushes a record only on a branch it creates');
    expect(git(s.origin, 'rev-parse', `refs/heads/tierkit/promotions/erp/${r.id}`)).toBe(git(checkout, 'rev-parse', 'main'));
  });

  it('refuses a branch created between its check and its push: the push itself expects none (atomic on the server)', () => {
    const r = record();
    const s = scene('race', { [`promotions/erp/data/${r.id}.json`]: canonicalJson(r) });
    // A git on PATH that answers ls-remote truthfully, then lets a rival create the branch before the push.
    const racer = testTmp('data-promote-record', `racer-${cases}`);
    const real = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
    writeFileSync(join(racer, 'git'), `#!/bin/sh\nfor a; do [ "$a" = ls-remote ] && { "${real}" "$@"; rc=$?; "${real}" -C "${s.origin}" update-ref "refs/heads/tierkit/promotions/erp/${r.id}" "$("${real}" -C "${s.origin}" rev-parse refs/heads/main)"; exit $rc; }; done\nexec "${real}" "$@"\n`);
    chmodSync(join(racer, 'git'), 0o755);
    const { push } = runJob(s, r.id, { path: racer });
    expect(push!.status).not.toBe(0);
    expect(push!.stderr).toMatch(/stale info|rejected/);
    expect(git(s.origin, 'rev-parse', `refs/heads/tierkit/promotions/erp/${r.id}`)).toBe(git(s.origin, 'rev-parse', 'refs/heads/main'));
  });

  it('refuses a record that is not this run\'s: another run, a later attempt, another script or bytes, another id, a hand edit, a second file', () => {
    const cases: [string, DataPromotionRecord, string | undefined, Record<string, string> | undefined, RegExp][] = [
      ['other-run', record({ runId: '9999' }), undefined, undefined, /run\.id is "9999", this run's is "4242"/],
      ['later-attempt', record({ attempt: '2' }), undefined, undefined, /run\.attempt "2" is later than this attempt "1"/],
      ['other-script', record({ script: 'changes/erp/0002-other.sql' }), undefined, undefined, /script\.path is "changes\/erp\/0002-other.sql"/],
      ['other-bytes', record({ scriptText: 'DELETE FROM llx_facture;\n' }), undefined, undefined, /script\.sha256 is/],
      ['other-id', record(), 'ffffffffffffffff', undefined, /not exactly promotions\/erp\/data\/ffffffffffffffff\.json/],
      ['extra-file', record(), undefined, { 'promotions/erp/data/notes.txt': 'x' }, /holds \[.*notes\.txt.*\], not exactly/],
    ];
    for (const [label, r, id, extra, expected] of cases) {
      const s = scene(label, { [`promotions/erp/data/${r.id}.json`]: canonicalJson(r), ...(extra ?? {}) });
      const { verify, push } = runJob(s, id ?? r.id);
      expect(verify.status, label).not.toBe(0);
      expect(verify.stderr, label).toMatch(expected);
      expect(push, label).toBeUndefined();
      expect(branchesOf(s.origin), label).toEqual(['refs/heads/main']);
    }
    // Approvers added by hand, the id left as it was: the strict reader refuses the content hash.
    const r = record();
    const forged = canonicalJson({ ...r, approvers: ['alice', 'bob-ops', 'mallory'] });
    const s = scene('forged', { [`promotions/erp/data/${r.id}.json`]: forged });
    const { verify } = runJob(s, r.id);
    expect(verify.status).not.toBe(0);
    expect(verify.stderr).toContain('was edited after tierkit wrote it');
  });

  it('a re-run of the record job alone (a later attempt) commits the replay\'s record', () => {
    const r = record({ attempt: '1' });
    const s = scene('rerun', { [`promotions/erp/data/${r.id}.json`]: canonicalJson(r) });
    const { push } = runJob(s, r.id, { attempt: '2' });
    expect(push!.status).toBe(0);
    expect(branchesOf(s.origin)).toContain(`refs/heads/tierkit/promotions/erp/${r.id}`);
  });

  it('runs no git hook of the checkout (a planted pre-commit would run with the write token in reach)', () => {
    const r = record();
    const s = scene('hooks', { [`promotions/erp/data/${r.id}.json`]: canonicalJson(r) });
    const { push, checkout } = runJob(s, r.id, {
      before: (dir) => { writeFileSync(join(dir, '.git/hooks/pre-commit'), '#!/bin/sh\ntouch "$PWD/pwned"\nexit 1\n', { mode: 0o755 }); },
    });
    expect(push!.status).toBe(0);
    expect(existsSync(join(checkout, 'pwned'))).toBe(false);
    expect(existsSync(join(push!.dir, 'pwned'))).toBe(false);
    // Without the step's hook settings the same checkout would have run it (the test can fail).
    expect(() => git(push!.dir, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '--allow-empty', '-m', 'x')).toThrow();
    expect(existsSync(join(push!.dir, 'pwned'))).toBe(true);
  });
});
