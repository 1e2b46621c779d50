import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { githubWorkflows, WORKFLOW_FILES } from '../../ci/github';
import type { Manifest } from '../../constructs/synth/manifest';
import { testTmp } from '../setup/tmpdir';

/** Helpers of the CI tests: parsed generated workflows, and running a generated `run:` step for real. */

export type Job = Record<string, any>;
export type Workflow = { jobs: Record<string, Job> } & Record<string, any>;

export function workflows(m: Manifest): { pr: Workflow; apply: Workflow } {
  const files = githubWorkflows(m);
  return { pr: parseYaml(files.get(WORKFLOW_FILES.pullRequest)!), apply: parseYaml(files.get(WORKFLOW_FILES.apply)!) };
}

export function step(job: Job, name: string): Record<string, any> {
  const found = job.steps.find((s: any) => s.name === name || s.id === name);
  if (!found) throw new Error(`no step ${name} in job ${job.name}`);
  return found;
}

/** Vault steps of a job that read a server's admin credential: server id → the step. */
export function adminSecretSteps(job: Job): Map<string, Record<string, any>> {
  const out = new Map<string, Record<string, any>>();
  for (const s of job.steps) {
    const m = /postgres-admin\/([^ ]+) /.exec(String(s.with?.secrets ?? ''));
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
export function runStep(s: Record<string, any>, files: Record<string, string>, exprs: Record<string, string> = {}): { status: number | null; stderr: string; stdout: string; outputs: Record<string, string>; dir: string } {
  const dir = testTmp('ci', `step-${process.pid}-${++runs}`);
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), content);
  }
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir, GITHUB_OUTPUT: join(dir, '.output'), GITHUB_ENV: join(dir, '.env') };
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
