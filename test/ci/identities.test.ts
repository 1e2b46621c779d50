import { beforeAll, describe, expect, it } from 'vitest';
import { CI_MAIN_REF, CI_WORKFLOW_FILES } from '../../constructs/naming';
import { buildGraph } from '../../policies/graph/build';
import { DistContents, readDist, TerraformResource } from '../../policies/dist/read';
import type { EstateGraph } from '../../policies/graph/types';
import { githubToken, RunShape } from '../../policies/rules/support/github-tokens';
import { rule as TK090 } from '../../policies/rules/TK090-ci-identity-claims';
import { rule as TK091 } from '../../policies/rules/TK091-pull-request-read-only';
import { bindingOf, goGlob, loginRefusal } from '../../policies/rules/support/vault-claims';
import { cleanDist, NOW } from '../policies/helpers';

/**
 * The synthesized CI identities, logged into as Vault would (policies/rules/support/vault-claims.ts follows
 * vault-plugin-auth-jwt claims.go @ 10ea64cb792366f3c56200c57999f8772698abf8) with the tokens of real
 * run shapes (GitHub's OIDC claim list: policies/rules/support/github-tokens.ts).
 */

const REPO = 'arcodange/estate';
const REPO_ID = '812347795';
let dist: DistContents;
let roles: TerraformResource[];

beforeAll(() => {
  dist = readDist(cleanDist());
  roles = dist.stacks.flatMap((s) => s.resources).filter((r) => r.type === 'vault_jwt_auth_backend_role');
});

/** The roles (by name) a token logs into. */
function admitted(run: RunShape): string[] {
  const token = githubToken(run);
  return roles.filter((r) => loginRefusal(bindingOf(r.attributes), token) === undefined).map((r) => String(r.attributes.role_name)).sort();
}

const pr = (environment?: string): RunShape => ({ repository: REPO, repositoryId: REPO_ID, event: 'pull_request', ref: 'refs/pull/42/merge', workflow: CI_WORKFLOW_FILES.pullRequest, environment });
const push = (environment: string, over: Partial<RunShape> = {}): RunShape => ({ repository: REPO, repositoryId: REPO_ID, event: 'push', ref: CI_MAIN_REF, workflow: CI_WORKFLOW_FILES.apply, environment, ...over });

describe("Vault's bound_claims matching (as vault-plugin-auth-jwt does it)", () => {
  const role = (attrs: Record<string, unknown>) => bindingOf({ role_type: 'jwt', bound_audiences: ['https://github.com/o'], ...attrs });
  const tok = (claims: Record<string, unknown>) => ({ aud: 'https://github.com/o', ...claims });

  it('string: exact, typed equality; a missing claim refuses; any of a list matches', () => {
    const r = role({ bound_claims: { ref: 'refs/heads/main' } });
    expect(loginRefusal(r, tok({ ref: 'refs/heads/main' }))).toBeUndefined();
    expect(loginRefusal(r, tok({ ref: 'refs/heads/main2' }))).toBe('claim "ref" does not match any associated bound claim values');
    expect(loginRefusal(r, tok({}))).toBe('claim "ref" is missing');
    expect(loginRefusal(r, tok({ ref: ['x', 'refs/heads/main'] }))).toBeUndefined();
    // Go interface equality: the string "true" is not the boolean true, "42" not the number 42.
    expect(loginRefusal(role({ bound_claims: { a: 'true' } }), tok({ a: true }))).toMatch(/does not match/);
    expect(loginRefusal(role({ bound_claims: { a: '42' } }), tok({ a: 42 }))).toMatch(/does not match/);
    expect(loginRefusal(r, tok({ ref: { nested: 1 } }))).toMatch(/not a string, bool, int or list/);
  });

  it('glob: `*` matches any run of characters (slashes included), only when bound_claims_type is glob', () => {
    expect(goGlob('refs/heads/*', 'refs/heads/a/b')).toBe(true);
    expect(goGlob('a*b*c', 'axxbyyc')).toBe(true);
    expect(goGlob('a*b*c', 'axxcyyb')).toBe(false);
    expect(goGlob('*main', 'refs/heads/main')).toBe(true);
    expect(goGlob('', '')).toBe(true);
    const star = { bound_claims: { job_workflow_ref: `${REPO}/.github/workflows/*@refs/heads/main` } };
    const other = tok({ job_workflow_ref: `${REPO}/.github/workflows/release.yml@refs/heads/main` });
    expect(loginRefusal(role({ ...star, bound_claims_type: 'glob' }), other)).toBeUndefined();
    expect(loginRefusal(role({ ...star, bound_claims_type: 'string' }), other)).toMatch(/does not match/);
  });

  it('the Terraform provider splits a value on commas unless disable_bound_claims_parsing', () => {
    const either = { bound_claims: { event_name: 'push,pull_request' } };
    expect(loginRefusal(role(either), tok({ event_name: 'pull_request' }))).toBeUndefined();
    expect(loginRefusal(role({ ...either, disable_bound_claims_parsing: true }), tok({ event_name: 'pull_request' }))).toMatch(/does not match/);
  });

  it('audiences and bound_subject; JSON-pointer claim names', () => {
    const r = role({ bound_claims: { '/ctx/ref': 'x' } });
    expect(loginRefusal(r, tok({ ctx: { ref: 'x' } }))).toBeUndefined();
    expect(loginRefusal(r, { aud: 'https://github.com/other', ctx: { ref: 'x' } })).toBe('aud claim does not match any bound audience');
    expect(loginRefusal(bindingOf({ role_type: 'jwt' }), { aud: 'a' })).toBe('audience claim found in JWT but no audiences bound to the role');
    expect(loginRefusal(role({ bound_subject: 'repo:o/r:ref:refs/heads/main' }), tok({ sub: 'repo:o/r:pull_request' }))).toBe('sub claim does not match bound subject');
  });
});

describe('the synthesized CI roles against the tokens of real runs', () => {
  it('declares an applier and a planner per CI tier, and the platform-admin (and erp\'s data-promote replay and rehearse identities)', () => {
    expect(roles.map((r) => r.attributes.role_name).sort()).toEqual([
      'erp-promote', 'erp-rehearse', 'tierkit-apply-dev', 'tierkit-apply-preprod', 'tierkit-apply-prod', 'tierkit-plan-dev', 'tierkit-plan-preprod', 'tierkit-plan-prod', 'tierkit-platform-admin',
    ]);
  });

  it('a push to main running the apply workflow logs into exactly the applier of its environment', () => {
    expect(admitted(push('prod'))).toEqual(['tierkit-apply-prod']);
    expect(admitted(push('dev'))).toEqual(['tierkit-apply-dev']);
    expect(admitted(push('platform-admin'))).toEqual(['tierkit-platform-admin']);
  });

  it('a pull request run matches no applier, whatever environment or workflow file it names', () => {
    for (const env of [undefined, 'prod', 'dev', 'platform-admin', 'prod-plan', 'preprod-plan']) {
      for (const workflow of [CI_WORKFLOW_FILES.pullRequest, CI_WORKFLOW_FILES.apply]) {
        const got = admitted({ ...pr(env), workflow });
        expect(got.filter((r) => !r.startsWith('tierkit-plan-')), `${env} ${workflow}`).toEqual([]);
      }
    }
    // Planners: the automatic tier's without an environment; a human-gated tier's only in its <tier>-plan environment.
    expect(admitted(pr())).toEqual(['tierkit-plan-dev']);
    expect(admitted(pr('prod-plan'))).toEqual(['tierkit-plan-dev', 'tierkit-plan-prod']);
    expect(admitted(pr('preprod-plan'))).toEqual(['tierkit-plan-dev', 'tierkit-plan-preprod']);
    expect(admitted(pr('prod'))).toEqual(['tierkit-plan-dev']);
  });

  it('another branch, another workflow, a dispatch, pull_request_target or another repository id match nothing', () => {
    expect(admitted(push('prod', { ref: 'refs/heads/hotfix' }))).toEqual([]);
    expect(admitted(push('prod', { workflow: 'release.yml' }))).toEqual([]);
    expect(admitted(push('prod', { workflowRef: 'refs/heads/hotfix' }))).toEqual([]);
    expect(admitted(push('prod', { event: 'workflow_dispatch' }))).toEqual([]);
    expect(admitted(push('prod', { event: 'pull_request_target', workflow: CI_WORKFLOW_FILES.pullRequest }))).toEqual([]);
    expect(admitted(push('prod', { repositoryId: '1' }))).toEqual([]);
    expect(admitted(push('prod', { repository: 'arcodange/estate-fork' }))).toEqual([]);
  });
});

describe('TK090 ci-identity-claims', () => {
  /** The example dist with one role's attributes changed, judged by TK090. */
  function judge(roleName: string, change: (a: Record<string, any>) => Record<string, any>): string[] {
    const stacks = dist.stacks.map((s) => ({
      ...s,
      resources: s.resources.map((r) => (r.type === 'vault_jwt_auth_backend_role' && r.attributes.role_name === roleName
        ? { ...r, attributes: change({ ...r.attributes, bound_claims: { ...(r.attributes.bound_claims as object) } }) } : r)),
    }));
    const g: EstateGraph = buildGraph({ ...dist, stacks });
    return TK090.evaluate(g, { now: NOW, exempt: () => {} }).map((f) => f.message);
  }

  it('passes the example estate', () => {
    expect(judge('none', (a) => a)).toEqual([]);
  });

  it("refuses an applier bound only to repository and environment (the old binding): a PR's token would log in", () => {
    const got = judge('tierkit-apply-prod', (a) => ({ ...a, bound_claims: { repository: REPO, environment: 'prod' } }));
    expect(got).toEqual(expect.arrayContaining([
      'jwt auth role "auth/jwt/role/tierkit-apply-prod" (the prod CI applier) binds no ref claim (want "refs/heads/main")',
      'jwt auth role "auth/jwt/role/tierkit-apply-prod" (the prod CI applier) binds no event_name claim (want "push")',
      `jwt auth role "auth/jwt/role/tierkit-apply-prod" (the prod CI applier) binds no job_workflow_ref claim (want "${REPO}/.github/workflows/tierkit-apply.yml@refs/heads/main")`,
      'jwt auth role "auth/jwt/role/tierkit-apply-prod" (the prod CI applier) binds no repository_id claim (want "812347795")',
      expect.stringContaining("admits the token of a pull request run (the PR's own workflow file naming the apply workflow's environment)"),
      expect.stringContaining('admits the token of a push to another branch'),
    ]));
  });

  it('refuses glob matching, a list of events, a wrong audience and a platform-admin bound to another environment', () => {
    // ref alone widened: job_workflow_ref (…@refs/heads/main) still refuses another branch — each claim is a wall.
    expect(judge('tierkit-apply-dev', (a) => ({ ...a, bound_claims_type: 'glob', bound_claims: { ...a.bound_claims, ref: 'refs/heads/*' } })))
      .toEqual([
        'jwt auth role "auth/jwt/role/tierkit-apply-dev" (the dev CI applier) matches bound claims as "glob": a "*" in a value admits any run; use bound_claims_type "string"',
        'jwt auth role "auth/jwt/role/tierkit-apply-dev" (the dev CI applier) binds ref ["refs/heads/*"], not exactly "refs/heads/main"',
      ]);
    expect(judge('tierkit-apply-dev', (a) => ({
      ...a, bound_claims_type: 'glob', bound_claims: { ...a.bound_claims, ref: 'refs/heads/*', job_workflow_ref: `${REPO}/.github/workflows/*` },
    }))).toEqual(expect.arrayContaining([
      'jwt auth role "auth/jwt/role/tierkit-apply-dev" (the dev CI applier) admits the token of a push to another branch running its own copy of the apply workflow',
      'jwt auth role "auth/jwt/role/tierkit-apply-dev" (the dev CI applier) admits the token of another workflow on main',
    ]));
    expect(judge('tierkit-apply-dev', (a) => ({ ...a, bound_claims: { ...a.bound_claims, event_name: 'push,pull_request' } })))
      .toEqual(['jwt auth role "auth/jwt/role/tierkit-apply-dev" (the dev CI applier) binds event_name ["push","pull_request"], not exactly "push"']);
    expect(judge('tierkit-apply-dev', (a) => ({ ...a, bound_audiences: ['sts.amazonaws.com'] })))
      .toEqual(expect.arrayContaining([expect.stringContaining('binds audiences ["sts.amazonaws.com"], not exactly ["https://github.com/arcodange"]')]));
    expect(judge('tierkit-platform-admin', (a) => ({ ...a, bound_claims: { ...a.bound_claims, environment: 'dev' } })))
      .toEqual([
        'jwt auth role "auth/jwt/role/tierkit-platform-admin" (the platform-admin CI applier) binds environment ["dev"], not exactly "platform-admin"',
        'jwt auth role "auth/jwt/role/tierkit-platform-admin" (the platform-admin CI applier) refuses the apply job\'s own token (claim "environment" does not match any associated bound claim values): the apply would fail',
      ]);
  });

  it('refuses a planner not bound to pull_request, or a human-gated planner outside its <tier>-plan environment', () => {
    expect(judge('tierkit-plan-dev', (a) => ({ ...a, bound_claims: { repository: REPO, repository_id: REPO_ID } })))
      .toEqual(['jwt auth role "auth/jwt/role/tierkit-plan-dev" (the dev CI planner) binds no event_name claim (want "pull_request")']);
    expect(judge('tierkit-plan-prod', (a) => {
      const { environment: _dropped, ...rest } = a.bound_claims;
      return { ...a, bound_claims: rest };
    })).toEqual(['jwt auth role "auth/jwt/role/tierkit-plan-prod" (the prod CI planner) binds no environment claim (want "prod-plan")']);
  });

  it('fails closed on a dist whose manifest declares no ci.repositoryId', () => {
    const m = dist.manifest as any;
    const g = buildGraph({ ...dist, manifest: { ...m, estate: { ...m.estate, ci: { ...m.estate.ci, repositoryId: undefined } } } });
    const got = TK090.evaluate(g, { now: NOW, exempt: () => {} }).map((f) => f.message);
    expect(got).toContain("the manifest declares no ci.repositoryId, so no CI role's repository_id binding can be checked");
  });

  it('judges a role by the CI policy it hands out, whatever its name', () => {
    const got = judge('tierkit-plan-dev', (a) => ({ ...a, token_policies: ['tierkit-apply-prod'] }));
    expect(got).toEqual(expect.arrayContaining([
      'jwt auth role "auth/jwt/role/tierkit-plan-dev" (the prod CI applier) binds event_name ["pull_request"], not exactly "push"',
    ]));
  });
});

describe('TK091 pull-request-read-only', () => {
  /** The example dist with resources changed, judged by TK091. */
  function judge(change: (r: TerraformResource) => Record<string, any> | undefined): string[] {
    const stacks = dist.stacks.map((s) => ({ ...s, resources: s.resources.map((r) => {
      const a = change(r);
      return a ? { ...r, attributes: a } : r;
    }) }));
    return TK091.evaluate(buildGraph({ ...dist, stacks }), { now: NOW, exempt: () => {} }).map((f) => f.message);
  }
  const role = (name: string, f: (a: Record<string, any>) => Record<string, any>) => (r: TerraformResource) =>
    (r.type === 'vault_jwt_auth_backend_role' && r.attributes.role_name === name ? f({ ...r.attributes, bound_claims: { ...(r.attributes.bound_claims as object) } }) : undefined);

  it('passes the example estate: a PR token reaches only the planners, whose policies only read', () => {
    expect(judge(() => undefined)).toEqual([]);
  });

  it("refuses a planner policy that writes", () => {
    const got = judge((r) => (r.type === 'vault_policy' && r.attributes.name === 'tierkit-plan-dev'
      ? { ...r.attributes, policy: `${r.attributes.policy}\npath "postgres/roles/crm-dev" {\n  capabilities = ["read", "update"]\n}\n` } : undefined));
    expect(got).toEqual(['jwt auth role "auth/jwt/role/tierkit-plan-dev" admits a pull request run\'s token (no environment, platform-admin, local, local-plan, ci, ci-plan, dev, dev-plan, demo, demo-plan, staging, staging-plan, preprod, preprod-plan, prod, prod-plan) and hands out policy "tierkit-plan-dev", which grants [update] on "postgres/roles/crm-dev"']);
  });

  it('refuses an applier that a pull request token can log into, and a policy it cannot judge', () => {
    const got = judge(role('tierkit-apply-dev', (a) => ({ ...a, bound_claims: { ...a.bound_claims, event_name: 'push,pull_request', ref: 'refs/heads/main,refs/pull/1/merge', job_workflow_ref: `${a.bound_claims.job_workflow_ref},${REPO}/.github/workflows/tierkit-pr.yml@refs/pull/1/merge` } })));
    expect(got).toContain('jwt auth role "auth/jwt/role/tierkit-apply-dev" admits a pull request run\'s token (dev) and hands out policy "tierkit-apply-dev", which grants [create, update, delete] on "auth/kubernetes/role/crm-dev"');
    expect(got).toContain('jwt auth role "auth/jwt/role/tierkit-apply-dev" admits a pull request run\'s token (dev) and hands out policy "tierkit-apply-dev", which grants [update] on "postgres/rotate-root/crm-dev"');
    expect(got.every((m) => m.startsWith('jwt auth role "auth/jwt/role/tierkit-apply-dev" admits a pull request run\'s token (dev)'))).toBe(true);
    expect(judge(role('tierkit-plan-dev', (a) => ({ ...a, token_policies: ['made-up'] }))))
      .toEqual([expect.stringContaining('hands out policy "made-up", which the dist does not declare: it cannot be judged read-only')]);
  });

  it('judges every policy of the name a planner hands out: a writing twin before the read-only one is refused', () => {
    // Vault keeps one policy per name, whichever Terraform wrote last; a Map of policies by name kept the read-only one.
    const stacks = dist.stacks.map((s) => ({ ...s, resources: s.resources.flatMap((r) => {
      if (r.type !== 'vault_policy' || r.attributes.name !== 'tierkit-plan-dev') return [r];
      const twin = { ...r, name: 'a_twin', pointer: '/resource/vault_policy/a_twin', attributes: { ...r.attributes, policy: `${r.attributes.policy}\npath "auth/jwt/role/tierkit-apply-dev" {\n  capabilities = ["update"]\n}\n` } };
      return [twin as TerraformResource, r];
    }) }));
    const got = TK091.evaluate(buildGraph({ ...dist, stacks }), { now: NOW, exempt: () => {} }).map((f) => f.message);
    expect(got).toEqual([expect.stringContaining('hands out policy "tierkit-plan-dev" (declared 2 times; terraform/platform-dev/cdk.tf.json#/resource/vault_policy/a_twin), which grants [update] on "auth/jwt/role/tierkit-apply-dev"')]);
  });
});
