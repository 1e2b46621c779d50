import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { staleFiles } from '../../ci/files';
import { DEPENDABOT_FILE, githubWorkflows, WORKFLOW_FILES } from '../../ci/github';
import { tierkit } from '../diff/cli';
import { applierRoleName } from '../../constructs/naming';
import type { Manifest } from '../../constructs/synth/manifest';
import { synthesize } from '../../constructs/synth/synthesize';
import estate from '../../environments';
import { stackResources } from '../../policies/dist/read';
import { testTmp } from '../setup/tmpdir';
import { workflowErrors } from './workflow-parser';

const ROOT = resolve(__dirname, '..', '..');
let manifest: Manifest;
let files: ReadonlyMap<string, string>;
let stackJson: (name: string) => Record<string, any>;

beforeAll(() => {
  const out = synthesize(estate());
  manifest = out.manifest;
  files = githubWorkflows(manifest);
  stackJson = (name) => JSON.parse(out.files.get(`terraform/${name}/cdk.tf.json`)!);
});

const workflow = (name: string) => parseYaml(files.get(name)!) as Record<string, any>;

/** Every (key, value) pair in a parsed workflow, with the path to it. */
function* walk(v: unknown, path: string[] = []): Generator<[string[], unknown]> {
  if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      yield [[...path, k], x];
      yield* walk(x, [...path, k]);
    }
  }
}

describe('tierkit ci github', () => {
  it('generates workflows that @actions/workflow-parser accepts without errors', async () => {
    for (const [name, content] of files) if (name !== DEPENDABOT_FILE) expect(await workflowErrors(name, content), name).toEqual([]);
  });

  it('the parser is a real gate: a broken expression or key is reported', async () => {
    const apply = files.get(WORKFLOW_FILES.apply)!;
    expect((await workflowErrors('a.yml', apply.replace('${{ needs.locate.outputs.run-id }}', '${{ nope.run-id }}'))).join()).toContain('nope');
    expect(await workflowErrors('b.yml', apply.replace('runs-on:', 'runs_on:'))).not.toEqual([]);
  });

  it('applies each CI-applied stack in one job, in the environment of its gating tier (platform stacks: platform-admin), with that identity\'s Vault JWT role', () => {
    const apply = workflow(WORKFLOW_FILES.apply);
    const ciStacks = manifest.stacks.filter((s) => s.applyGate !== 'none');
    expect(manifest.stacks.some((s) => s.applyGate === 'none')).toBe(true); // crm-local: applied by hand
    const applyJobs = Object.entries(apply.jobs).filter(([id]) => id.startsWith('apply-'));
    const environmentOf = (s: (typeof ciStacks)[number]) => (s.kind === 'app-environment' ? s.gatingTier : 'platform-admin');
    expect(applyJobs.map(([, j]: [string, any]) => j.environment).sort()).toEqual(ciStacks.map(environmentOf).sort());
    for (const s of ciStacks) {
      const job = apply.jobs[`apply-${s.name}`];
      expect(job.environment, s.name).toBe(environmentOf(s));
      expect(job.permissions['id-token']).toBe('write');
      const vault = job.steps.find((st: any) => String(st.uses).startsWith('hashicorp/vault-action@'));
      const platform = s.kind !== 'app-environment';
      expect(vault.with.role).toBe(platform ? 'tierkit-platform-admin' : applierRoleName(s.gatingTier));
      // The JWT role Vault really has (platform-<tier> or platform stack) binds exactly this environment and audience.
      const jwt = stackResources('platform', 'f', stackJson(platform ? 'platform' : `platform-${s.gatingTier}`))
        .find((r) => r.type === 'vault_jwt_auth_backend_role' && r.attributes.role_name === vault.with.role)!;
      expect(jwt.attributes.role_name).toBe(vault.with.role);
      expect((jwt.attributes.bound_claims as any).environment).toBe(job.environment);
      expect(jwt.attributes.bound_audiences).toContain(vault.with.jwtGithubAudience);
      expect(vault.with.path).toBe(manifest.estate.vault.jwtAuthPath);
      // Only the reviewed plan is applied, after its sha256 was checked.
      const names = job.steps.map((st: any) => st.name);
      expect(names.indexOf('Refuse a plan whose sha256 differs from the reviewed one')).toBeLessThan(names.indexOf('terraform apply (the reviewed plan, nothing else)'));
      const applyStep = job.steps.find((st: any) => String(st.run ?? '').includes('terraform apply'));
      // The PR run's planfile is only compared: the job applies its own plan of main's stack, bound to it and to the approval's label.
      expect(applyStep.run).toContain('node -e "${BIND_PLAN:?}" reviewed.json main.json "$APPROVED"');
      expect(applyStep.run).toContain('terraform apply -input=false "$plan"');
      expect(applyStep.env.APPROVED).toBe(`\${{ needs.locate.outputs.counts && fromJSON(needs.locate.outputs.counts)['${s.name}'] || '' }}`);
      if (s.server) expect(vault.with.secrets).toContain(`tierkit/postgres-admin/${s.server} password | TF_VAR_pg_admin_password`);
    }
    expect(apply.on).toEqual({ push: { branches: ['main'] } });
  });

  it('plans only the affected stacks (matrix from the diff JSON) and posts one sticky comment with the plan hashes', () => {
    const pr = workflow(WORKFLOW_FILES.pullRequest);
    const gatedTiers = manifest.tiers.filter((t) => t.applyGate.human).sort((a, b) => b.rank - a.rank).map((t) => `plan-${t.name}`);
    expect(Object.keys(pr.jobs)).toEqual(['diff', 'plan', ...gatedTiers, 'index']);
    const diffRuns = pr.jobs.diff.steps.map((s: any) => s.run ?? s.uses).join('\n');
    expect(diffRuns).toContain('check dist --format sarif');
    // The uploaded dist/ is the one check judged: its digest, taken before any repo code ran in check, goes to the check
    // step's own output (never a workspace file: attack13) and is verified just before the upload (attack11)…
    const checkStep = pr.jobs.diff.steps.find((s: any) => s.id === 'check');
    expect(checkStep.run).toMatch(/--digest-out "\$digest_file" [^\n]*\necho "dist-digest=\$\(cat "\$digest_file"\)" >> "\$GITHUB_OUTPUT"/);
    expect(pr.jobs.diff.outputs['dist-digest']).toBe('${{ steps.check.outputs.dist-digest }}');
    const stepAt = (pred: (s: any) => boolean) => pr.jobs.diff.steps.findIndex(pred);
    const verifyAt = stepAt((s) => typeof s.run === 'string' && s.run.includes('check dist --verify-digest "$EXPECTED"'));
    expect(pr.jobs.diff.steps[verifyAt].env).toEqual({ EXPECTED: '${{ steps.check.outputs.dist-digest }}' });
    expect(verifyAt).toBeGreaterThan(stepAt((s) => s.id === 'check'));
    expect(stepAt((s) => s.name === 'Upload head dist')).toBe(verifyAt + 1);
    expect(JSON.stringify(pr)).not.toContain('tierkit-dist.sha256');
    // …and every plan job, on its fresh runner, recomputes the downloaded dist's digest with main's tierkit before it plans.
    const planJobs = Object.entries(pr.jobs as Record<string, any>).filter(([id]) => id === 'plan' || gatedTiers.includes(id));
    expect(planJobs.length).toBe(1 + gatedTiers.length);
    for (const [id, job] of planJobs) {
      const names = job.steps.map((s: any) => s.name);
      const verify = job.steps.find((s: any) => s.name === 'Downloaded dist is the one check judged');
      expect(verify, id).toMatchObject({ 'working-directory': 'base', env: { EXPECTED: '${{ needs.diff.outputs.dist-digest }}' } });
      expect(verify.run).toBe('npm ci\nnpx --no-install tierkit check ../dist --verify-digest "$EXPECTED"\n');
      expect(names.indexOf('Downloaded dist is the one check judged')).toBeGreaterThan(names.indexOf('Download head dist'));
      expect(names.indexOf('Downloaded dist is the one check judged')).toBeLessThan(names.indexOf('terraform plan'));
    }
    expect(diffRuns).toContain('github/codeql-action/upload-sarif@');
    expect(diffRuns).toContain('diff --base-ref "$BASE_SHA" --head-dist dist');
    expect(pr.jobs.diff.steps.find((s: any) => s.id === 'matrix').env.PROGRAM).toContain('.affectedStacks[] | select(.applyGate != "none")');
    expect(pr.jobs.plan.strategy.matrix).toBe('${{ fromJSON(needs.diff.outputs.matrix) }}');
    expect(pr.jobs.plan.environment).toBeUndefined(); // automatic gates plan without waiting (test/ci/plan-gates.test.ts)
    const plan = pr.jobs.plan.steps.find((s: any) => s.name === 'terraform plan');
    expect(plan.run).toContain('-out=tfplan');
    expect(plan.run).toContain('sha256sum tfplan > tfplan.sha256');
    // The PR workflow writes nothing to the PR: the comment and the status are the review workflow's (test/ci/review.test.ts).
    for (const job of Object.values(pr.jobs as Record<string, any>)) {
      expect(Object.entries(job.permissions ?? {}).filter(([k, v]) => v === 'write' && k !== 'id-token' && k !== 'security-events')).toEqual([]);
    }
    const review = workflow('tierkit-pr-review.yml');
    const script = review.jobs.post.steps.find((s: any) => s.name === 'Post the sticky comment').with.script;
    expect(script).toContain("'<!-- tierkit-diff -->'");
    expect(script).toContain('updateComment');
    // The post job's GITHUB_TOKEN writes nothing: it posts with the review App's token (test/ci/review.test.ts).
    expect(review.jobs.post.permissions).toEqual({});
  });

  it('holds no credential literal and pins every action to an exact version', () => {
    for (const name of [...files.keys()].filter((n) => n !== DEPENDABOT_FILE)) {
      for (const [path, value] of walk(workflow(name))) {
        const key = path[path.length - 1];
        // Full commit SHAs only (a tag can be moved), with the release in a comment beside it.
        if (key === 'uses') {
          expect(value, `${name}: ${path.join('.')}`).toMatch(/@[0-9a-f]{40}$/);
          expect(files.get(name)!, `${name}: ${value}`).toMatch(new RegExp(`uses: ${String(value).replace(/[/.]/g, '\\$&')} # v\\d+\\.\\d+\\.\\d+\n`));
        }
        const input = path.includes('with') || path.includes('env');
        // A role ARN names no secret: it is one of the state identities of dist/ci/state-access.json (state-access.test.ts).
        if (key === 'role-to-assume') expect(value, `${name}: ${path.join('.')}`).toMatch(/^arn:aws:iam::[0-9]{12}:role\/tierkit-state-(plan-|apply-|platform-admin)/);
        else if (input && /token|password|secret/i.test(key) && typeof value === 'string' && key !== 'secrets') {
          expect(value, `${name}: ${path.join('.')}`).toMatch(/^\$\{\{ (secrets|github|vars|steps\.(publisher|app)\.outputs)\./);
        }
      }
      // id-token is granted per job, never workflow-wide.
      expect(workflow(name).permissions).toEqual({ contents: 'read' });
    }
  });

  it('is deterministic', () => {
    const again = githubWorkflows(synthesize(estate()).manifest);
    expect([...again]).toEqual([...files]);
  });

  it('the committed .github/workflows are what `tierkit ci github` generates (regenerate when this fails)', () => {
    expect(staleFiles(join(ROOT, '.github', 'workflows'), files)).toEqual({ missing: [], different: [] });
  });

  it('--check exits 1 on a stale copy and 0 on a fresh one', async () => {
    // The workflows dir of a copy of .github (the Dependabot config sits beside it).
    const dir = join(testTmp('ci', 'check'), 'workflows');
    cpSync(join(ROOT, '.github'), join(dir, '..'), { recursive: true });
    expect(tierkit(['ci', 'github', '--check', '--out', dir]).status).toBe(0);
    writeFileSync(join(dir, WORKFLOW_FILES.apply), readFileSync(join(dir, WORKFLOW_FILES.apply), 'utf8').replace('environment: prod', 'environment: dev'));
    const stale = tierkit(['ci', 'github', '--check', '--out', dir]);
    expect(stale.status).toBe(1);
    expect(stale.stderr).toContain(`stale: ${WORKFLOW_FILES.apply}`);
    const unknown = tierkit(['ci', 'gitlab']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('unknown CI system "gitlab"');
  });
});
