// Issue 17: the data-promote workflow's own steps, run with bash as the runner runs them, against a
// real git checkout and the real tierkit CLI: what the dispatcher's `script` input may name, and the
// approvers read from GitHub's approvals API (a stand-in curl serves the API's documented shape).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { githubWorkflows } from '../../ci/github';
import { DATA_PROMOTE_WORKFLOW_FILE } from '../../constructs/naming';
import { synthesize } from '../../constructs/synth/synthesize';
import estate from '../../environments';
import { testTmp } from '../setup/tmpdir';
import { runStep } from './support';

const TIERKIT_BIN = resolve(__dirname, '..', '..', 'bin', 'tierkit');
let wf: Record<string, any>;
let shims: string;

beforeAll(() => {
  wf = parseYaml(githubWorkflows(synthesize(estate()).manifest).get(DATA_PROMOTE_WORKFLOW_FILE)!);
  shims = testTmp('data-promote-steps', 'shims');
  mkdirSync(shims, { recursive: true });
  // The workflow runs `npx --no-install tierkit`: here, this checkout's CLI.
  writeFileSync(join(shims, 'npx'), `#!/bin/sh\n[ "$1" = --no-install ] && [ "$2" = tierkit ] || exit 99\nshift 2\nexec ${TIERKIT_BIN} "$@"\n`, { mode: 0o755 });
  // GitHub's API, as the approvals endpoint answers: the body from $APPROVALS_FIXTURE; the URL asked is recorded.
  writeFileSync(join(shims, 'curl'), '#!/bin/sh\nfor a; do last="$a"; done\necho "$last" > "$CURL_LOG"\ncat "$APPROVALS_FIXTURE"\n', { mode: 0o755 });
});

const stepNamed = (job: string, prefix: string) => wf.jobs[job].steps.find((s: any) => String(s.name ?? '').startsWith(prefix));

function checkScript(input: string, setup: (dir: string) => void) {
  return runStep(stepNamed('rehearse-erp', 'The change script'), {}, { 'inputs.script': input }, {
    path: shims,
    setup: (dir) => {
      execFileSync('git', ['init', '-q', dir]);
      setup(dir);
      execFileSync('git', ['-C', dir, 'add', '-A']);
      execFileSync('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '--allow-empty', '-m', 'reviewed']);
    },
  });
}

const write = (dir: string, rel: string, text: string) => {
  mkdirSync(join(dir, rel, '..'), { recursive: true });
  writeFileSync(join(dir, rel), text);
};

describe('the change script input', () => {
  it('accepts a tracked, data-only script of the commit and prints its sha256', () => {
    const r = checkScript('changes/erp/0001-pay.sql', (d) => write(d, 'changes/erp/0001-pay.sql', "UPDATE llx_facture SET note = 'paid' WHERE rowid = 1;\n"));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^script_sha256=[0-9a-f]{64}$/m);
  });

  it('refuses a path outside the repository, an untracked file, a symlink and DDL', () => {
    const outside = checkScript('../etc/passwd', (d) => write(d, 'README', 'x'));
    expect(outside.status).not.toBe(0);
    expect(outside.stdout).toContain('must be a plain repository path');
    const untracked = checkScript('changes/late.sql', (d) => {
      write(d, 'README', 'x');
      execFileSync('git', ['-C', d, 'add', '-A']);
      execFileSync('git', ['-C', d, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'base']);
      write(d, '.git/info/exclude', 'changes/late.sql\n');
      write(d, 'changes/late.sql', 'DELETE FROM llx_facture;\n');
    });
    expect(untracked.status).not.toBe(0);
    expect(untracked.stdout).toContain('is not a file of commit');
    const link = checkScript('changes/link.sql', (d) => {
      write(d, 'secret.sql', "UPDATE llx_facture SET note = 'x';\n");
      mkdirSync(join(d, 'changes'), { recursive: true });
      symlinkSync('../secret.sql', join(d, 'changes/link.sql'));
    });
    expect(link.status).not.toBe(0);
    expect(link.stdout).toContain('is a symbolic link');
    const ddl = checkScript('changes/ddl.sql', (d) => write(d, 'changes/ddl.sql', 'DROP TABLE llx_facture;\n'));
    expect(ddl.status).not.toBe(0);
    expect(ddl.stderr).toContain('statement 1 is Drop: a data promote runs INSERT, UPDATE and DELETE only');
  });

  it('an input written as shell is data, never run', () => {
    const r = checkScript('$(touch pwned)', (d) => write(d, 'README', 'x'));
    expect(r.status).not.toBe(0);
    expect(existsSync(join(r.dir, 'pwned'))).toBe(false);
  });
});

describe('the approvers step', () => {
  const approval = (login: string, state: string, env = 'prod') => ({ environments: [{ id: 1, name: env }], state, user: { login }, comment: '' });

  function approvers(body: unknown) {
    const dir = testTmp('data-promote-steps', `approvals-${Math.random().toString(16).slice(2)}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'body.json'), JSON.stringify(body));
    const s = stepNamed('replay-erp', 'Who approved');
    const env = {
      ...s.env, GITHUB_API_URL: 'https://api.github.com', GITHUB_REPOSITORY: 'arcodange/estate', GITHUB_RUN_ID: '4242', RUNNER_TEMP: dir,
      APPROVALS_FIXTURE: join(dir, 'body.json'), CURL_LOG: join(dir, 'curl.log'),
    };
    const r = runStep({ ...s, env }, {}, { 'github.token': 'ghs_test' }, { path: shims });
    return { ...r, url: existsSync(env.CURL_LOG) ? readFileSync(env.CURL_LOG, 'utf8').trim() : '' };
  }

  it('outputs the logins that approved prod in this run, from the run\'s approvals endpoint', () => {
    const r = approvers([approval('bob-ops', 'approved'), approval('alice', 'approved'), approval('mallory', 'approved', 'dev')]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.url).toBe('https://api.github.com/repos/arcodange/estate/actions/runs/4242/approvals');
    expect(r.outputs.approvers).toBe('alice,bob-ops');
  });

  it('fails on a rejection or when no one approved prod: nothing is replayed', () => {
    const rejected = approvers([approval('alice', 'approved'), approval('carol', 'rejected')]);
    expect(rejected.status).not.toBe(0);
    expect(rejected.stderr).toContain('carol rejected the prod environment');
    expect(rejected.outputs.approvers).toBeUndefined();
    const none = approvers([approval('mallory', 'approved', 'dev')]);
    expect(none.status).not.toBe(0);
    expect(none.outputs.approvers).toBeUndefined();
  });
});
