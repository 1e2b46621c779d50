import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { githubWorkflows, WORKFLOW_FILES } from '../../ci/github';
import { jobId } from '../../ci/github-apply';
import type { Manifest } from '../../constructs/synth/manifest';
import { synthesize } from '../../constructs/synth/synthesize';
import estate from '../../environments';

/**
 * A saved plan (`tfplan`) stores the value of every non-ephemeral input variable, and the PR
 * workflow uploads it as an artifact anyone with read access can download. The credentials a
 * provider connects with must therefore be ephemeral (never in the plan) and sensitive (never
 * in the output), and every job that plans or applies must supply them again.
 */

let manifest: Manifest;
let stacks: Map<string, Record<string, any>>;
let workflows: ReadonlyMap<string, string>;

beforeAll(() => {
  const out = synthesize(estate());
  manifest = out.manifest;
  workflows = githubWorkflows(manifest);
  stacks = new Map(manifest.stacks.map((s) => [s.name, JSON.parse(out.files.get(`terraform/${s.name}/cdk.tf.json`)!)]));
});

/** Variables any provider block of a stack references, with the provider attribute using each. */
function providerVariables(json: Record<string, any>): Map<string, string> {
  const found = new Map<string, string>();
  for (const [type, configs] of Object.entries((json.provider ?? {}) as Record<string, unknown[]>)) {
    for (const config of configs) {
      for (const [attr, value] of Object.entries(config as Record<string, unknown>)) {
        for (const m of JSON.stringify(value).matchAll(/\$\{var\.([A-Za-z0-9_-]+)\}/g)) found.set(m[1], `provider.${type}.${attr}`);
      }
    }
  }
  return found;
}

/** TF_VAR_* a job's steps set: vault-action `secrets` outputs, step/job `env`, `$GITHUB_ENV` writes. */
function tfVarsSetBy(job: Record<string, any>, condition: (step: Record<string, any>) => boolean = () => true): Set<string> {
  const names = new Set<string>(Object.keys(job.env ?? {}).filter((k) => k.startsWith('TF_VAR_')));
  for (const step of job.steps.filter(condition)) {
    for (const m of String(step.with?.secrets ?? '').matchAll(/\|\s*(TF_VAR_\w+)/g)) names.add(m[1]);
    for (const k of Object.keys(step.env ?? {})) if (k.startsWith('TF_VAR_')) names.add(k);
    for (const m of String(step.run ?? '').matchAll(/(TF_VAR_\w+)=/g)) names.add(m[1]);
  }
  return names;
}

describe('provider credentials never reach a saved plan', () => {
  it('every provider-credential variable of every synthesized stack is ephemeral and sensitive', () => {
    let checked = 0;
    for (const [name, json] of stacks) {
      for (const [variable, usedBy] of providerVariables(json)) {
        const declared = json.variable?.[variable];
        expect(declared, `${name}: ${usedBy} uses undeclared var.${variable}`).toBeDefined();
        expect({ stack: name, variable, ephemeral: declared.ephemeral, sensitive: declared.sensitive })
          .toEqual({ stack: name, variable, ephemeral: true, sensitive: true });
        checked++;
      }
    }
    // Every stack that reaches a Postgres server connects with at least the admin password (a
    // managed server may declare its admin role: a name, no secret, hence no variable).
    for (const s of manifest.stacks.filter((x) => x.server)) expect(providerVariables(stacks.get(s.name)!).get('pg_admin_password'), s.name).toBe('provider.postgresql.password');
    expect(checked).toBeGreaterThan(manifest.stacks.filter((s) => s.server).length);
    expect(providerVariables(stacks.get('erp')!)).toEqual(new Map([
      ['pg_admin_username', 'provider.postgresql.username'], ['pg_admin_password', 'provider.postgresql.password'],
    ]));
  });

  it('every variable a stack declares is ephemeral: a saved plan (a PR artifact) holds no value of any', () => {
    for (const [name, json] of stacks) {
      for (const [variable, declared] of Object.entries((json.variable ?? {}) as Record<string, any>)) {
        expect({ stack: name, variable, ephemeral: declared.ephemeral }).toEqual({ stack: name, variable, ephemeral: true });
      }
    }
    expect(Object.keys(stacks.get('erp')!.variable)).toContain('golden_dump_password');
  });

  it('the apply job of each stack supplies every ephemeral variable again (a saved plan does not carry them)', () => {
    const apply = parseYaml(workflows.get(WORKFLOW_FILES.apply)!) as Record<string, any>;
    for (const s of manifest.stacks.filter((x) => x.applyGate !== 'none')) {
      const json = stacks.get(s.name)!;
      const ephemeral = Object.entries((json.variable ?? {}) as Record<string, any>).filter(([, v]) => v.ephemeral).map(([k]) => `TF_VAR_${k}`);
      const job = apply.jobs[jobId(s.name)];
      expect(job, s.name).toBeDefined();
      const set = tfVarsSetBy(job);
      for (const v of ephemeral) expect(set.has(v), `${s.name}: apply job sets ${v}`).toBe(true);
    }
    // The destroy jobs of removed stacks may apply any stack's plan: they set every ephemeral variable.
    const all = new Set([...stacks.values()].flatMap((json) => Object.entries((json.variable ?? {}) as Record<string, any>)
      .filter(([, v]) => v.ephemeral).map(([k]) => `TF_VAR_${k}`)));
    for (const id of ['remove-app-environments', 'remove-platforms']) {
      const set = tfVarsSetBy(apply.jobs[id]);
      for (const v of all) expect(set.has(v), `${id} sets ${v}`).toBe(true);
    }
  });

  it('the plan job that plans a stack supplies its server\'s admin credential, and no other plan job does', () => {
    const pr = parseYaml(workflows.get(WORKFLOW_FILES.pullRequest)!) as Record<string, any>;
    const planJobs = Object.entries(pr.jobs as Record<string, any>).filter(([, j]) => j.steps.some((st: any) => /terraform plan /.test(String(st.run ?? ''))));
    for (const s of manifest.stacks.filter((x) => x.applyGate !== 'none' && x.server)) {
      const planner = s.humanGate ? `plan-${s.gatingTier}` : 'plan';
      for (const [id, job] of planJobs) {
        const set = [...tfVarsSetBy(job, (st) => String(st.if ?? '') === `matrix.server == '${s.server}'`)].filter((v) => v.startsWith('TF_VAR_pg_admin_')).sort();
        expect(set, `${s.name} (${s.server}) in ${id}`).toEqual(id === planner ? ['TF_VAR_pg_admin_password', 'TF_VAR_pg_admin_username'] : []);
      }
    }
  });
});

describe('the first password of a Vault connection', () => {
  it('is rotated away right after the apply that created the connection (even a failed one), and only then', async () => {
    const { mkdirSync, writeFileSync, readFileSync, existsSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { runStep, step } = await import('./support');
    const apply = parseYaml(workflows.get(WORKFLOW_FILES.apply)!);
    const env = manifest.stacks.find((s) => s.kind === 'app-environment' && s.applyGate !== 'none')!;
    const connection = Object.values(stacks.get(env.name)!.resource.vault_database_secret_backend_connection as Record<string, any>)[0];
    const job = apply.jobs[jobId(env.name)];
    const applyStep = step(job, 'apply');
    const rotateStep = step(job, 'Rotate the root credential of each Vault connection the plan created');
    expect(rotateStep.if).toBe("${{ always() && steps.apply.outcome != 'skipped' }}");
    expect(rotateStep.env.VAULT_ADDR).toBe(manifest.estate.vault.address);
    expect(job.steps.indexOf(rotateStep)).toBe(job.steps.indexOf(applyStep) + 1);
    const standIns = (curlFails = false) => (dir: string) => {
      mkdirSync(join(dir, 'bin'), { recursive: true });
      writeFileSync(join(dir, 'bin', 'terraform'), '#!/bin/bash\ncase "$1" in show) cat plan-fixture.json ;; apply) touch applied ;; esac\n', { mode: 0o755 });
      writeFileSync(join(dir, 'bin', 'curl'), `#!/bin/bash\necho "$*" >> curl-calls\n${curlFails ? 'exit 22' : ''}\n`, { mode: 0o755 });
    };
    // The apply step notes what the plan creates; the rotate step (its own step, so it also runs after a failed apply) rotates it.
    const created = (actions: string[]) => {
      // The stand-in shows the same plan for the reviewed planfile and the job's own: they agree, and
      // the approval's label (the job name's counts) is that plan's.
      const adds = 1 + (actions.includes('create') ? 2 : 0);
      const label = `${adds} to add, ${actions.length === 1 && actions[0] === 'update' ? 2 : 0} to change, ${actions.includes('delete') ? 2 : 0} to destroy`;
      const exprs = Object.fromEntries(Object.values(applyStep.env as Record<string, string>).flatMap((v) => [...v.matchAll(/\$\{\{ ([^}]+) \}\}/g)].map((x) => x[1]))
        .map((e) => [e, e.startsWith('contains(') ? 'true' : label]));
      const r = runStep(applyStep, {
        'plan-fixture.json': JSON.stringify({ errored: false, complete: true, resource_changes: [
          { address: 'vault_database_secret_backend_connection.connection', type: 'vault_database_secret_backend_connection', change: { actions, after: { backend: connection.backend, name: connection.name, root_rotation_statements: connection.root_rotation_statements } } },
          // A preview connection has no root rotation (TK171): its Jobs read its password from KV, so it is never rotated.
          { address: 'vault_database_secret_backend_connection.previews', type: 'vault_database_secret_backend_connection', change: { actions, after: { backend: connection.backend, name: 'erp-previews' } } },
          { address: 'postgresql_role.x', type: 'postgresql_role', change: { actions: ['create'], after: { name: 'x' } } },
        ] }),
      }, exprs, { path: 'bin', setup: standIns() });
      expect(r.status, r.stderr + r.stdout).toBe(0);
      expect(existsSync(join(r.dir, 'applied'))).toBe(true);
      return readFileSync(join(r.dir, 'created-connections.txt'), 'utf8');
    };
    const path = `${connection.backend}/rotate-root/${connection.name}`;
    expect(created(['create'])).toBe(`${path}\n`);
    expect(created(['delete', 'create'])).toBe(`${path}\n`); // a replacement is a new connection too
    expect(created(['update'])).toBe('');
    const rotate = (list: string, curlFails = false) => runStep(rotateStep, { 'created-connections.txt': list }, {}, { path: 'bin', setup: standIns(curlFails) });
    const ok = rotate(`${path}\n`);
    expect(ok.status, ok.stderr).toBe(0);
    const calls = readFileSync(join(ok.dir, 'curl-calls'), 'utf8').trim().split('\n');
    expect(calls).toHaveLength(1);
    expect(calls[0]).toContain('--request POST');
    expect(calls[0]).toContain(`${manifest.estate.vault.address}/v1/${path}`);
    const none = rotate('');
    expect(none.status).toBe(0);
    expect(existsSync(join(none.dir, 'curl-calls'))).toBe(false);
    const failed = rotate(`${path}\n`, true);
    expect(failed.status).toBe(1);
    expect(failed.stdout).toContain(`::error::could not rotate ${path} (if the apply created it, run: vault write -force ${path})`);
  });
});
