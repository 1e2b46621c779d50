import { CI_MAIN_REF, CI_WORKFLOW_FILES, jobWorkflowRef } from '../../../constructs/naming';
import type { ClaimSet } from './vault-claims';

/**
 * GitHub Actions OIDC token claim sets, shaped as GitHub documents them ("About security hardening
 * with OpenID Connect", example token and claim list:
 * https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect):
 * `repository_id` is a string; a `pull_request` run has `ref: refs/pull/<n>/merge`; `job_workflow_ref`
 * is `<owner>/<repo>/.github/workflows/<file>@<ref>` of the workflow the job runs; `environment`
 * (and the `sub` form `repo:<repo>:environment:<env>`) only when the job names one.
 */
export interface RunShape {
  readonly repository: string;
  readonly repositoryId: string;
  readonly event: 'push' | 'pull_request' | 'workflow_dispatch' | 'pull_request_target' | 'schedule';
  readonly ref: string;
  /** The workflow file the job runs (`.github/workflows/<file>`), at `ref` unless `workflowRef` says otherwise. */
  readonly workflow: string;
  readonly workflowRef?: string;
  readonly environment?: string;
}

export function githubToken(r: RunShape): ClaimSet {
  const [owner] = r.repository.split('/');
  const sub = r.environment !== undefined ? `repo:${r.repository}:environment:${r.environment}`
    : r.event === 'pull_request' ? `repo:${r.repository}:pull_request` : `repo:${r.repository}:ref:${r.ref}`;
  return {
    iss: 'https://token.actions.githubusercontent.com',
    aud: `https://github.com/${owner}`,
    sub,
    repository: r.repository,
    repository_owner: owner,
    repository_id: r.repositoryId,
    repository_owner_id: '65',
    event_name: r.event,
    ref: r.ref,
    ref_type: 'branch',
    workflow_ref: jobWorkflowRef(r.repository, r.workflow, r.workflowRef ?? r.ref),
    job_workflow_ref: jobWorkflowRef(r.repository, r.workflow, r.workflowRef ?? r.ref),
    runner_environment: 'github-hosted',
    ...(r.environment !== undefined ? { environment: r.environment } : {}),
  };
}

/**
 * The runs an applier role must refuse, each with the GitHub environment the role binds (the worst
 * case: a job that names that environment and got past, or was not stopped by, its branch rule).
 */
export function hostileRuns(repository: string, repositoryId: string, environment: string): { what: string; run: RunShape }[] {
  const base = { repository, repositoryId, environment };
  return [
    { what: "a pull request run (the PR's own workflow file naming the apply workflow's environment)",
      run: { ...base, event: 'pull_request', ref: 'refs/pull/7/merge', workflow: CI_WORKFLOW_FILES.apply } },
    { what: 'a push to another branch running its own copy of the apply workflow',
      run: { ...base, event: 'push', ref: 'refs/heads/feature', workflow: CI_WORKFLOW_FILES.apply } },
    { what: 'another workflow on main', run: { ...base, event: 'push', ref: CI_MAIN_REF, workflow: 'release.yml' } },
    { what: 'a manual dispatch of the apply workflow on main', run: { ...base, event: 'workflow_dispatch', ref: CI_MAIN_REF, workflow: CI_WORKFLOW_FILES.apply } },
    { what: 'a pull_request_target run (the base branch\'s workflow, on PR input)',
      run: { ...base, event: 'pull_request_target', ref: CI_MAIN_REF, workflow: CI_WORKFLOW_FILES.pullRequest } },
    { what: 'a repository re-created under the same name (another repository id)',
      run: { ...base, repositoryId: `${repositoryId}0`, event: 'push', ref: CI_MAIN_REF, workflow: CI_WORKFLOW_FILES.apply } },
  ];
}

/** The one run an applier role admits: a push to main running the apply workflow at main, in its environment. */
export function applierRun(repository: string, repositoryId: string, environment: string): RunShape {
  return { repository, repositoryId, environment, event: 'push', ref: CI_MAIN_REF, workflow: CI_WORKFLOW_FILES.apply };
}
