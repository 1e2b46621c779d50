import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { githubWorkflows, WORKFLOW_FILES } from '../../ci/github';
import { REVIEW_WORKFLOW_FILE } from '../../contract/review-workflow';
import type { Manifest } from '../../constructs/synth/manifest';
import { testTmp } from '../setup/tmpdir';

/** Helpers of the CI tests: parsed generated workflows, and running a generated `run:` step for real. */

export type Job = Record<string, any>;
export type Workflow = { jobs: Record<string, Job> } & Record<string, any>;

export function workflows(m: Manifest): { pr: Workflow; apply: Workflow; review: Workflow } {
  const files = githubWorkflows(m);
  return { pr: parseYaml(files.get(WORKFLOW_FILES.pullRequest)!), apply: parseYaml(files.get(WORKFLOW_FILES.apply)!), review: parseYaml(files.get(REVIEW_WORKFLOW_FILE)!) };
}

export function step(job: Job, name: string): Record<string, any> {
  const found = job.steps.find((s: any) => s.name === name || s.id === name);
  if (!found) throw new Error(`no step ${name} in job ${job.name}`);
  return found;
}

/** Vault steps of a job that read a server's admin credential: server id → the step. */
export function adminSecretSteps(job: Job, kind: 'admin' | 'planner' = 'admin'): Map<string, Record<string, any>> {
  const out = new Map<string, Record<string, any>>();
  for (const s of job.steps) {
    // A planner's login: the declared one in KV, or (PostgreSQL 16+) the short-lived one Vault issues.
    const pattern = kind === 'admin' ? 'postgres-admin/([^ ]+) ' : '(?:postgres-planner/|/creds/tierkit-planner-)([^ ]+) ';
    const m = new RegExp(pattern).exec(String(s.with?.secrets ?? ''));
    if (m) out.set(m[1], s);
  }
  return out;
}

/** Jobs that run `terraform plan`. */
export function planJobs(wf: Workflow): [string, Job][] {
  return Object.entries(wf.jobs).filter(([, j]) => j.steps.some((s: any) => /terraform plan /.test(String(s.run ?? ''))));
}

let runs = 0;

/**
 * Run a generated `run:` step with bash in a fresh directory holding `files`, with the step's own
 * `env` (expressions replaced by `exprs`) plus GITHUB_OUTPUT / GITHUB_ENV; returns the outputs.
 */
export function runStep(
  s: Record<string, any>, files: Record<string, string>, exprs: Record<string, string> = {},
  opts: { readonly setup?: (dir: string) => void; readonly path?: string } = {},
): { status: number | null; stderr: string; stdout: string; outputs: Record<string, string>; dir: string } {
  const dir = testTmp('ci', `step-${process.pid}-${++runs}`);
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), content);
  }
  opts.setup?.(dir);
  const path = [opts.path, process.env.PATH ?? ''].filter(Boolean).join(':');
  const env: Record<string, string> = { PATH: path, HOME: process.env.HOME ?? dir, GITHUB_OUTPUT: join(dir, '.output'), GITHUB_ENV: join(dir, '.env') };
  writeFileSync(env.GITHUB_OUTPUT, '');
  for (const [k, v] of Object.entries((s.env ?? {}) as Record<string, string>)) {
    env[k] = String(v).replace(/\$\{\{ ([^}]+) \}\}/g, (whole, expr: string) => {
      if (!(expr in exprs)) throw new Error(`runStep: no value for ${whole} in step ${s.name}`);
      return exprs[expr];
    });
  }
  const r = spawnSync('bash', ['-e', '-o', 'pipefail', '-c', s.run], { cwd: dir, env, encoding: 'utf8' });
  const outputs: Record<string, string> = {};
  for (const line of readFileSync(env.GITHUB_OUTPUT, 'utf8').split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) outputs[line.slice(0, i)] = line.slice(i + 1);
  }
  return { status: r.status, stderr: r.stderr, stdout: r.stdout, outputs, dir };
}

/** What a github-script step posted (comments created or updated). */
export interface Posted { readonly create?: { body: string }; readonly update?: { body: string } }

const SCRIPT_HOST = `const fs = require('fs');
const posted = [];
const github = {
  paginate: async () => JSON.parse(process.env.TEST_COMMENTS || '[]'),
  rest: { issues: { listComments: () => {}, createComment: async (a) => { posted.push({ create: a }); }, updateComment: async (a) => { posted.push({ update: a }); } } },
};
const context = JSON.parse(process.env.TEST_CONTEXT);
const core = { setFailed: (m) => { process.exitCode = 1; console.error(m); }, setOutput: () => {}, info: () => {} };
const AsyncFunction = (async () => {}).constructor;
new AsyncFunction('require', 'github', 'context', 'core', fs.readFileSync(process.env.TEST_SCRIPT, 'utf8'))(require, github, context, core)
  .then(() => fs.writeFileSync('.posted.json', JSON.stringify(posted)), (e) => { console.error(e); process.exitCode = 2; });
`;

/**
 * Run an actions/github-script step's script with Node in a fresh directory holding `files`:
 * `github` records the comments it would post, `context` is a pull_request event's.
 */
export function runGithubScript(s: Record<string, any>, files: Record<string, string>, env: Record<string, string> = {}): { status: number | null; stderr: string; posted: Posted[]; dir: string } {
  const dir = testTmp('ci', `script-${process.pid}-${++runs}`);
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), content);
  }
  writeFileSync(join(dir, '.script.js'), s.with.script);
  const context = { runId: 1234, repo: { owner: 'arcodange', repo: 'estate' }, payload: { pull_request: { number: 7, head: { sha: 'a'.repeat(40) } } } };
  const r = spawnSync(process.execPath, ['-e', SCRIPT_HOST], {
    cwd: dir, encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', TEST_SCRIPT: join(dir, '.script.js'), TEST_CONTEXT: JSON.stringify(context), ...(s.env ?? {}), ...env },
  });
  const postedFile = join(dir, '.posted.json');
  let posted: Posted[] = [];
  try { posted = JSON.parse(readFileSync(postedFile, 'utf8')); } catch { /* the script failed */ }
  return { status: r.status, stderr: r.stderr, posted, dir };
}

/** A real GPG signing key (ed25519, no passphrase) in its own keyring: what an operator stores as the publisher's secret. */
export function testSigningKey(home: string): { secret: string; public: string; keyId: string } {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const gpg = (...args: string[]) => execFileSync('gpg', ['--batch', '--homedir', home, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  gpg('--passphrase', '', '--quick-gen-key', 'tierkit publisher test <publisher@example.test>', 'ed25519', 'sign', 'never');
  const keyId = gpg('--with-colons', '--list-secret-keys').split('\n').find((l) => l.startsWith('sec:'))!.split(':')[4];
  return { secret: gpg('--armor', '--export-secret-keys'), public: gpg('--armor', '--export'), keyId };
}
