/**
 * The names CI and the Terraform state identities are made of: GitHub environments, workflow files,
 * OIDC claims, state keys and IAM roles. The contract's artifacts (state-access.json, the rulesets)
 * are built from them; constructs/naming.ts re-exports them for the writer.
 */

export const PLATFORM_ADMIN_ENVIRONMENT = 'platform-admin';

/** The GitHub environment a human-gated tier's plans run in (its reviewers approve running PR code). */
export function planEnvironmentName(tier: string): string {
  return `${tier}-plan`;
}

/** File names of the generated workflows, under `.github/workflows/`. */
export const CI_WORKFLOW_FILES = { pullRequest: 'tierkit-pr.yml', apply: 'tierkit-apply.yml' } as const;

/** The data promote's workflow (issue 17): its replay job alone may read an app's promote credential. */
export const DATA_PROMOTE_WORKFLOW_FILE = 'tierkit-data-promote.yml';

/**
 * The GitHub environment of a tier's publish job (main only): it holds that tier's publisher
 * identity (a GitHub App's id and key, as environment secrets), which alone may write the tier's
 * paths of the rendered branch (the emitted rulesets); a human-gated tier's reviewers approve here.
 */
export function publishEnvironmentName(tier: string): string {
  return `publish-${tier}`;
}

/** The only ref appliers run from. */
export const CI_MAIN_REF = 'refs/heads/main';

/** GitHub's `job_workflow_ref` OIDC claim of a job of `file` run at `ref`: `<owner>/<repo>/.github/workflows/<file>@<ref>`. */
export function jobWorkflowRef(repository: string, file: string, ref: string): string {
  return `${repository}/.github/workflows/${file}@${ref}`;
}

/**
 * Layout 1 of the state keys: `<keyPrefix>/<stack>.tfstate` (manifests without
 * `estate.backend.stateKeyLayout`). A retired-stack entry naming another tier or server named the
 * same key as the real stack's, so one dist could not tell a lax tier's applier holding a stricter
 * tier's state (issue 12). Kept to read older estates and to migrate them (`tierkit state migrate`).
 */
export function stateKey(keyPrefix: string, stack: string): string {
  return `${keyPrefix}/${stack}.tfstate`;
}

/** The state key layouts tierkit knows; the newest is what synth writes by default. */
export const STATE_KEY_LAYOUTS = [1, 2] as const;
export type StateKeyLayoutVersion = (typeof STATE_KEY_LAYOUTS)[number];
export const CURRENT_STATE_KEY_LAYOUT: StateKeyLayoutVersion = 2;

/** Where a stack sits, as far as its state key says: its gating tier and, for an app-environment stack, its server. */
export interface StatePlacement {
  readonly stack: string;
  readonly gatingTier: string;
  /** The PostgreSQL server of an app-environment stack; absent for a platform stack. */
  readonly server?: string;
}

/**
 * The S3 object holding a stack's Terraform state. Layout 2:
 * `<keyPrefix>/<gatingTier>/servers/<server>/<stack>.tfstate` for an app-environment stack,
 * `<keyPrefix>/<gatingTier>/platform/<stack>.tfstate` for a platform stack (the depths differ, so no
 * server id can make one look like the other). Every stack's backend key must be exactly this
 * (TK092): a grant on a key is a grant on one stack as gated by one tier on one server, so a
 * retired entry claiming another tier or server names another, empty key, never the real state.
 */
export function stackStateKey(keyPrefix: string, layout: StateKeyLayoutVersion, p: StatePlacement): string {
  if (layout === 1) return stateKey(keyPrefix, p.stack);
  return p.server === undefined
    ? `${keyPrefix}/${p.gatingTier}/platform/${p.stack}.tfstate`
    : `${keyPrefix}/${p.gatingTier}/servers/${p.server}/${p.stack}.tfstate`;
}

/** The layout a manifest's S3 backend records (absent: 1, manifests before layouts), or undefined when it is no layout tierkit knows. */
export function stateKeyLayoutOf(backend: { readonly stateKeyLayout?: unknown }): StateKeyLayoutVersion | undefined {
  const v = backend.stateKeyLayout ?? 1;
  return (STATE_KEY_LAYOUTS as readonly unknown[]).includes(v) ? (v as StateKeyLayoutVersion) : undefined;
}

/** The lock object Terraform's S3 backend writes beside a key (`use_lockfile`, Terraform 1.10+). */
export function stateLockKey(key: string): string {
  return `${key}.tflock`;
}

/**
 * AWS IAM role of a Terraform state identity: `tierkit-state-plan-<tier>` (read-only, PR plans),
 * `tierkit-state-apply-<tier>` (write, that tier's app-environment stacks), and
 * `tierkit-state-platform-admin` (write, the platform stacks).
 */
export function stateRoleName(identity: { readonly role: 'plan' | 'apply'; readonly tier: string } | 'platform-admin'): string {
  return identity === 'platform-admin' ? 'tierkit-state-platform-admin' : `tierkit-state-${identity.role}-${identity.tier}`;
}

/** A tier's Kubernetes manifests in dist/ (its app-environments and its Applications). */
export function k8sTierDir(tier: string): string {
  return `k8s/${tier}`;
}

/** A tier's app of apps in dist/. */
export function k8sAppOfApps(tier: string): string {
  return `k8s/argocd/${tier}.k8s.yaml`;
}

/** Where a `dist/k8s/…` file lives on the rendered branch (which holds dist/k8s at its root). */
export function renderedPath(distPath: string): string {
  return distPath.replace(/^k8s\//, '');
}

/**
 * The data-promote replay job's OIDC claims (issue 17): this repository (name and id), the prod
 * GitHub environment (whose reviewers approve the replay), the data-promote workflow as it is at
 * main, run by hand. The promote credential's JWT role binds exactly these; TK161 checks them.
 */
export function promoteClaims(repository: string, repositoryId: string, environment: string): Record<string, string> {
  return {
    repository, repository_id: repositoryId, environment, ref: CI_MAIN_REF, event_name: 'workflow_dispatch',
    job_workflow_ref: jobWorkflowRef(repository, DATA_PROMOTE_WORKFLOW_FILE, CI_MAIN_REF),
  };
}

/**
 * The data-promote rehearsal job's OIDC claims (issue 17): the same workflow at main, run by hand,
 * in the sandbox's tier's GitHub environment (never prod's). The rehearse role binds exactly these;
 * TK162 checks them and that the role reaches the app's golden sandbox alone.
 */
export function rehearseClaims(repository: string, repositoryId: string, environment: string): Record<string, string> {
  return { ...promoteClaims(repository, repositoryId, environment) };
}
