import {
  applierTierOf, CI_MAIN_REF, CI_WORKFLOW_FILES, jobWorkflowRef, PLATFORM_ADMIN_ENVIRONMENT, PLATFORM_ADMIN_ROLE,
  planEnvironmentName, plannerTierOf,
} from '../../constructs/naming';
import { AuthRole, EstateGraph } from '../graph/types';
import { applierRun, githubToken, hostileRuns } from './support/github-tokens';
import { Rule, RuleFinding } from './support/rule';
import { bindingOf, loginRefusal } from './support/vault-claims';

/** Which CI identity a JWT role is — by its name or by a CI identity policy it hands out. */
type Identity =
  | { readonly kind: 'applier'; readonly environment: string; readonly label: string }
  | { readonly kind: 'planner'; readonly tier: string; readonly label: string };

function identityOf(r: AuthRole): Identity | undefined {
  const names = [r.name, ...r.policies];
  // The most powerful identity decides what the role must bind: applier over planner.
  for (const n of names) {
    if (n === PLATFORM_ADMIN_ROLE) return { kind: 'applier', environment: PLATFORM_ADMIN_ENVIRONMENT, label: 'the platform-admin CI applier' };
    const t = applierTierOf(n);
    if (t !== undefined) return { kind: 'applier', environment: t, label: `the ${t} CI applier` };
  }
  for (const n of names) {
    const t = plannerTierOf(n);
    if (t !== undefined) return { kind: 'planner', tier: t, label: `the ${t} CI planner` };
  }
  return undefined;
}

/** The claims an identity's role must bind, each to exactly this one value. */
function requiredClaims(g: EstateGraph, id: Identity): Record<string, string> {
  const ci = g.manifest.estate.ci;
  const repo = { repository: ci.repository, repository_id: ci.repositoryId ?? '(ci.repositoryId)' };
  if (id.kind === 'applier') {
    return {
      ...repo, environment: id.environment, ref: CI_MAIN_REF, event_name: 'push',
      job_workflow_ref: jobWorkflowRef(ci.repository, CI_WORKFLOW_FILES.apply, CI_MAIN_REF),
    };
  }
  const human = g.tiers.get(id.tier)?.applyGate.human ?? true;
  return { ...repo, event_name: 'pull_request', ...(human ? { environment: planEnvironmentName(id.tier) } : {}) };
}

export const rule: Rule = {
  id: 'TK090',
  name: 'ci-identity-claims',
  severity: 'error',
  title: 'A CI identity\'s Vault JWT role binds every claim that makes it that identity (appliers: a push to main running the apply workflow)',
  explanation:
    'Vault admits any GitHub Actions token whose claims match a role\'s bound claims. A role bound only to the repository '
    + 'and the environment admits a pull request whose own workflow names that environment, a push to another branch, or '
    + 'another workflow; `glob` matching turns a `*` in a value into "anything". An applier must bind the repository '
    + '(by name and id), its GitHub environment, `ref: refs/heads/main`, `event_name: push` and the apply workflow at main '
    + '(`job_workflow_ref`); a planner `event_name: pull_request` (and its `<tier>-plan` environment when the tier is human-gated). '
    + 'The rule also logs the role in, as Vault would, with the tokens of hostile runs (a pull request, another branch, '
    + 'another workflow, a manual dispatch, pull_request_target, another repository id): each must be refused.',
  fix: 'Declare CI roles only through the platform stacks (buildTierPlatformStack / buildSharedPlatformStack), which bind the full claim set with bound_claims_type "string"; set ci.repositoryId.',
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    const ci = g.manifest.estate.ci;
    const [owner] = ci.repository.split('/');
    const audience = `https://github.com/${owner}`;
    let unknownId = !ci.repositoryId;
    for (const r of g.authRoles) {
      if (r.kind !== 'jwt') continue;
      const id = identityOf(r);
      if (!id) continue;
      if (unknownId) {
        // A dist from before ci.repositoryId: no role can be judged against it — fail closed, once.
        unknownId = false;
        out.push({ env: r.stack.env, source: r.source, message: 'the manifest declares no ci.repositoryId, so no CI role\'s repository_id binding can be checked', fix: 'set ci.repositoryId in the estate (`gh api repos/<owner>/<name> --jq .id`) and synthesize again' });
      }
      const b = bindingOf(r.attributes ?? { bound_claims: r.boundClaims });
      const problems: string[] = [];
      if (r.backend !== g.manifest.estate.vault.jwtAuthPath) problems.push(`is on auth backend "${r.backend}", not the estate's CI backend "${g.manifest.estate.vault.jwtAuthPath}"`);
      if (b.boundClaimsType !== 'string') problems.push(`matches bound claims as "${b.boundClaimsType}": a "*" in a value admits any run; use bound_claims_type "string"`);
      if (b.boundAudiences.length === 0 || b.boundAudiences.some((a) => a !== audience)) {
        problems.push(`binds audiences ${JSON.stringify(b.boundAudiences)}, not exactly ["${audience}"]`);
      }
      for (const [claim, want] of Object.entries(requiredClaims(g, id))) {
        const got = b.boundClaims[claim];
        if (!got) problems.push(`binds no ${claim} claim (want "${want}")`);
        else if (got.length !== 1 || got[0] !== want) problems.push(`binds ${claim} ${JSON.stringify(got)}, not exactly "${want}"`);
      }
      if (id.kind === 'applier' && ci.repositoryId) {
        // Log in as Vault would: every hostile run refused, the apply job itself admitted.
        for (const h of hostileRuns(ci.repository, ci.repositoryId, id.environment)) {
          if (loginRefusal(b, githubToken(h.run)) === undefined) problems.push(`admits the token of ${h.what}`);
        }
        const own = loginRefusal(b, githubToken(applierRun(ci.repository, ci.repositoryId, id.environment)));
        if (own !== undefined) problems.push(`refuses the apply job's own token (${own}): the apply would fail`);
      }
      for (const p of problems) {
        out.push({ env: r.stack.env, source: r.source, message: `jwt auth role "auth/${r.backend}/role/${r.name}" (${id.label}) ${p}` });
      }
    }
    return out;
  },
};
