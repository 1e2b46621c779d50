// Issue 17: the generated tierkit-data-promote.yml, parsed by GitHub's own workflow parser and read
// for meaning: its inputs never reach a script's text, each job runs in the environment and as the
// Vault role of the plan synth wrote, and the synthesized JWT roles admit each job's token to its
// own role only (the rehearse job's token reaches no prod credential).
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { staleFiles } from '../../ci/files';
import { CA_FILE_SCRIPT } from '../../ci/steps';
import { githubWorkflows } from '../../ci/github';
import { CI_MAIN_REF, DATA_PROMOTE_WORKFLOW_FILE } from '../../constructs/naming';
import { synthesize } from '../../constructs/synth/synthesize';
import type { Manifest } from '../../contract/manifest';
import { pgCaFile } from '../../contract/pg-ca';
import estate from '../../environments';
import { readDist, TerraformResource } from '../../policies/dist/read';
import { githubToken, RunShape } from '../../policies/rules/support/github-tokens';
import { bindingOf, loginRefusal } from '../../policies/rules/support/vault-claims';
import { cleanDist } from '../policies/helpers';
import { testTmp } from '../setup/tmpdir';
import { runStep } from './support';
import { workflowErrors } from './workflow-parser';

let manifest: Manifest;
let content: string;
let wf: Record<string, any>;
let roles: TerraformResource[];

beforeAll(() => {
  manifest = synthesize(estate()).manifest;
  content = githubWorkflows(manifest).get(DATA_PROMOTE_WORKFLOW_FILE)!;
  wf = parseYaml(content);
  roles = readDist(cleanDist()).stacks.flatMap((s) => s.resources).filter((r) => r.type === 'vault_jwt_auth_backend_role');
});

const vaultRoleOf = (job: Record<string, any>) => job.steps.filter((s: any) => String(s.uses ?? '').startsWith('hashicorp/vault-action@')).map((s: any) => s.with.role);
const stepNamed = (job: Record<string, any>, prefix: string) => job.steps.find((s: any) => String(s.name ?? '').startsWith(prefix));

/** The Vault roles a job's OIDC token logs into (Vault's claim matching: vault-claims.ts). */
function admitted(environment: string): string[] {
  const run: RunShape = { repository: 'arcodange/estate', repositoryId: '812347795', environment, event: 'workflow_dispatch', ref: CI_MAIN_REF, workflow: DATA_PROMOTE_WORKFLOW_FILE };
  const token = githubToken(run);
  return roles.filter((r) => loginRefusal(bindingOf(r.attributes), token) === undefined).map((r) => String(r.attributes.role_name)).sort();
}

describe('tierkit-data-promote.yml', () => {
  it('is generated, committed as generated, and accepted by @actions/workflow-parser', async () => {
    expect(await workflowErrors(DATA_PROMOTE_WORKFLOW_FILE, content)).toEqual([]);
    expect(readFileSync(join(__dirname, '..', '..', '.github', 'workflows', DATA_PROMOTE_WORKFLOW_FILE), 'utf8')).toBe(content);
  });

  it('is dispatched by hand only, with a choice of app and a script path, and read-only default token permissions', () => {
    expect(Object.keys(wf.on)).toEqual(['workflow_dispatch']);
    expect(wf.on.workflow_dispatch.inputs.app).toMatchObject({ type: 'choice', options: ['erp'], required: true });
    expect(wf.on.workflow_dispatch.inputs.script).toMatchObject({ type: 'string', required: true });
    expect(wf.permissions).toEqual({ contents: 'read' });
  });

  it('never interpolates an input (or any expression) into a script: inputs reach scripts through env only', () => {
    for (const [id, job] of Object.entries<any>(wf.jobs)) {
      for (const s of job.steps) if (typeof s.run === 'string') expect(s.run, `${id} ${s.name}`).not.toContain('${{');
    }
    expect(stepNamed(wf.jobs['rehearse-erp'], 'The change script').env.TIERKIT_CHANGE_SCRIPT).toBe('${{ inputs.script }}');
  });

  it('has exactly the jobs of dist/ci/data-promote.json, in their environments, with their permissions and Vault roles', () => {
    const plan = JSON.parse(readFileSync(join(cleanDist(), 'ci/data-promote.json'), 'utf8'));
    const jobs = plan.apps.flatMap((a: any) => [a.rehearse, a.replay]);
    // The record job (issue 17, part 3) is a job of the plan too; it logs into nothing (its own test below).
    expect(Object.keys(wf.jobs).sort()).toEqual([...jobs, ...plan.apps.map((a: any) => a.record)].map((j: any) => j.job).sort());
    for (const j of jobs) {
      const job = wf.jobs[j.job];
      expect(job.environment, j.job).toBe(j.environment);
      expect(job.permissions, j.job).toEqual(j.permissions);
      expect(job.needs ?? [], j.job).toEqual(j.needs);
      expect(vaultRoleOf(job), j.job).toEqual([j.vaultRole]);
      expect(stepNamed(job, 'Read ').env.CREDS_PATH, j.job).toBe(j.credsPath);
    }
    expect(wf.jobs['rehearse-erp'].environment).toBe('dev');
    expect(wf.jobs['replay-erp']).toMatchObject({ environment: 'prod', needs: ['rehearse-erp'] });
  });

  it('the record job has its plan\'s permissions (contents: write alone) and needs, and no environment, Vault login, OIDC token or secret', () => {
    const plan = JSON.parse(readFileSync(join(cleanDist(), 'ci/data-promote.json'), 'utf8'));
    const r = plan.apps[0].record;
    expect(r).toEqual({ job: 'record-erp', needs: ['replay-erp'], permissions: { contents: 'write' }, branchPrefix: 'tierkit/promotions/erp/' });
    const job = wf.jobs['record-erp'];
    expect(job.permissions).toEqual(r.permissions);
    expect(job.needs).toEqual(r.needs);
    expect(job.environment).toBeUndefined();
    expect(vaultRoleOf(job)).toEqual([]);
    const text = JSON.stringify(job);
    expect(text).not.toMatch(/secrets\.|id-token|vault/i);
    // The one token it holds reaches only the push step; the record id comes from the replay job's output.
    const holders = job.steps.filter((st: any) => JSON.stringify(st).includes('github.token')).map((st: any) => st.name);
    expect(holders).toEqual(['Push it on a new branch tierkit/promotions/erp/<id>']);
    expect(stepNamed(job, 'The record is').env.RECORD_ID).toBe('${{ needs.replay-erp.outputs.record-id }}');
    expect(wf.jobs['replay-erp'].outputs).toEqual({ 'record-id': '${{ steps.record.outputs.record-id }}' });
  });

  it('the rehearse job writes only erp-sandbox; the replay only prod erp, with the declared tables and age bound', () => {
    const rehearse = stepNamed(wf.jobs['rehearse-erp'], 'Rehearse').env;
    expect(rehearse).toMatchObject({ PGDATABASE: 'erp-sandbox', TIERKIT_SANDBOX_DATABASE: 'erp-sandbox', TIERKIT_GROUP_ROLE: 'erp_sandbox_role', SCRIPT_NAME: 'rehearse' });
    expect(rehearse.PGHOST).toBe(rehearse.TIERKIT_SANDBOX_HOST);
    const reset = stepNamed(wf.jobs['rehearse-erp'], 'Reset').env;
    expect(reset).toMatchObject({ PGDATABASE: 'erp-sandbox', SCRIPT_NAME: 'reset', TIERKIT_DUMP_FILE: '/mnt/tierkit-golden/seed.dump' });
    const replay = stepNamed(wf.jobs['replay-erp'], 'Replay').env;
    expect(replay).toMatchObject({ PGDATABASE: 'erp', TIERKIT_PROD_DATABASE: 'erp', TIERKIT_GROUP_ROLE: 'erp_role', SCRIPT_NAME: 'replay', TIERKIT_MAX_REHEARSAL_AGE_SECONDS: '86400' });
    expect(replay.TIERKIT_PROMOTE_TABLES).toBe('llx_facture llx_facturedet llx_societe');
    // Approvers come from the approvals step (GitHub's API), never from an input.
    expect(replay.TIERKIT_APPROVERS).toBe('${{ steps.approvers.outputs.approvers }}');
    const approvals = stepNamed(wf.jobs['replay-erp'], 'Who approved');
    expect(approvals.run).toContain('/repos/$GITHUB_REPOSITORY/actions/runs/$GITHUB_RUN_ID/approvals');
    expect(approvals.env).toMatchObject({ ENVIRONMENT: 'prod', GITHUB_TOKEN: '${{ github.token }}' });
  });

  it("each job's OIDC token logs into its own Vault role only: the rehearse job's (dev) never into erp-promote", () => {
    expect(admitted(wf.jobs['rehearse-erp'].environment)).toEqual(['erp-rehearse']);
    expect(admitted(wf.jobs['replay-erp'].environment)).toEqual(['erp-promote']);
  });

  it('a hand edit of the committed workflow (the rehearsal moved into prod) is stale for `tierkit ci github --check`', () => {
    const dir = testTmp('data-promote-workflow', 'stale');
    mkdirSync(dir, { recursive: true });
    const files = githubWorkflows(manifest);
    for (const [name, text] of files) if (!name.startsWith('..')) writeFileSync(join(dir, name), text);
    expect(staleFiles(dir, new Map([...files].filter(([n]) => !n.startsWith('..'))))).toEqual({ missing: [], different: [] });
    writeFileSync(join(dir, DATA_PROMOTE_WORKFLOW_FILE), content.replace('    environment: dev\n', '    environment: prod\n'));
    expect(readFileSync(join(dir, DATA_PROMOTE_WORKFLOW_FILE), 'utf8')).not.toBe(content);
    expect(staleFiles(dir, files).different).toEqual([DATA_PROMOTE_WORKFLOW_FILE]);
  });

  it('when the runner\'s reset fails, a step names the sandbox Deployment to scale down, as dist renders it (the runner cannot scale it)', () => {
    const steps = wf.jobs['rehearse-erp'].steps;
    const i = steps.findIndex((st: any) => st.id === 'reset');
    const hint = steps[i + 1];
    expect(hint.if).toBe("${{ failure() && steps.reset.outcome == 'failure' }}");
    expect(hint.env).toEqual({ SANDBOX: 'erp-sandbox', TIERKIT_GROUP_ROLE: 'erp_sandbox_role', SANDBOX_NAMESPACE: 'erp-sandbox', SANDBOX_DEPLOYMENT: 'erp' });
    const k8s = readFileSync(join(cleanDist(), 'k8s/dev/erp-sandbox.k8s.yaml'), 'utf8').split(/^---$/m).map((d) => parseYaml(d)).filter((d: any) => d?.kind === 'Deployment');
    expect(k8s.map((d: any) => [d.metadata.namespace, d.metadata.name])).toEqual([[hint.env.SANDBOX_NAMESPACE, hint.env.SANDBOX_DEPLOYMENT]]);
    const r = runStep(hint, {});
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('kubectl --namespace erp-sandbox scale deployment/erp --replicas=0');
  });

  it('a hand edit giving the record job prod\'s environment (its secrets) and an OIDC token is stale for `tierkit ci github --check`', () => {
    const dir = testTmp('data-promote-workflow', 'stale-record');
    mkdirSync(dir, { recursive: true });
    const files = githubWorkflows(manifest);
    for (const [name, text] of files) if (!name.startsWith('..')) writeFileSync(join(dir, name), text);
    const anchor = '    permissions:\n      contents: write\n    timeout-minutes: 10\n';
    expect(content.split(anchor)).toHaveLength(2);
    writeFileSync(join(dir, DATA_PROMOTE_WORKFLOW_FILE), content.replace(anchor, '    environment: prod\n    permissions:\n      contents: write\n      id-token: write\n    timeout-minutes: 10\n'));
    expect(staleFiles(dir, files).different).toEqual([DATA_PROMOTE_WORKFLOW_FILE]);
  });

  it('every connection with verify-full trusts the server\'s declared CA: PGSSLROOTCERT is the file an earlier step writes from it (not ~/.postgresql/root.crt)', () => {
    let checked = 0;
    for (const [id, job] of Object.entries(wf.jobs as Record<string, any>)) {
      job.steps.forEach((st: any, i: number) => {
        if (st.env?.PGSSLMODE === undefined) return;
        const server = manifest.servers.find((x) => x.host === st.env.PGHOST)!;
        expect(st.env.PGSSLMODE, `${id}: ${st.name}`).toBe(server.sslMode);
        if (server.sslMode !== 'verify-full') return;
        expect(st.env.PGSSLROOTCERT, `${id}: ${st.name}`).toBe(pgCaFile(server.id));
        const writer = job.steps.slice(0, i).find((w: any) => w.env?.CA_FILE === pgCaFile(server.id));
        expect(writer?.run, `${id}: ${st.name}`).toBe(CA_FILE_SCRIPT);
        expect(writer.env.CA_SHA256).toBe(server.caCertificateSha256);
        const pem = Buffer.from(wf.env[/^\$\{\{ env\.(\w+) \}\}$/.exec(writer.env.CA_PEM_BASE64)![1]], 'base64').toString('utf8');
        expect(createHash('sha256').update(pem).digest('hex')).toBe(server.caCertificateSha256);
        checked += 1;
      });
    }
    expect(checked).toBe(3); // reset + rehearse on erp-sandbox, replay on erp: all on prod-pg (verify-full)
  });
});
