import {
  CI_MAIN_REF, CI_WORKFLOW_FILES, jobWorkflowRef, PLATFORM_ADMIN_ENVIRONMENT, planEnvironmentName, stackStateKey, stateKeyLayoutOf, stateLockKey, stateRoleName,
} from './ci-names';
import type { Manifest, ManifestBackend, ManifestRetiredStack, ManifestStack } from './manifest';

type S3Backend = Extract<ManifestBackend, { type: 's3' }>;

/**
 * The state key of a stack the manifest lists, under the backend's layout: its gating tier and, for
 * an app-environment stack, its server. Undefined when the manifest does not say enough to form it
 * (an unknown layout, an app-environment stack without a server): callers report that, never guess.
 */
export function manifestStackStateKey(backend: S3Backend, s: Pick<ManifestStack, 'name' | 'kind' | 'gatingTier' | 'server'>): string | undefined {
  const layout = stateKeyLayoutOf(backend);
  // Each part is one path segment: a `/`, a pattern character or an empty part would let one
  // placement's key spell another's (or widen a grant), so such a manifest forms no key.
  const segment = (v: unknown) => typeof v === 'string' && /^[A-Za-z0-9._-]+$/.test(v) && v !== '.' && v !== '..';
  if (layout === undefined || !segment(s.gatingTier) || !segment(s.name)) return undefined;
  if (s.kind === 'app-environment' && !segment(s.server)) return undefined;
  return stackStateKey(backend.keyPrefix, layout, { stack: s.name, gatingTier: s.gatingTier, ...(s.kind === 'app-environment' ? { server: s.server } : {}) });
}

/** The key a retired entry keeps (its claimed tier and server form it: a false claim names another, empty key). */
export function retiredStateKey(backend: S3Backend, r: Pick<ManifestRetiredStack, 'stack' | 'kind' | 'gatingTier' | 'server'>): string | undefined {
  return manifestStackStateKey(backend, { name: r.stack, kind: r.kind === 'app-environment' ? 'app-environment' : 'tier-platform', gatingTier: r.gatingTier, server: r.server });
}

/**
 * `dist/ci/state-access.json`: the Terraform state identities of an S3 backend, as AWS IAM
 * documents (trust policy + permissions policy per role). Synth writes it from the manifest; the
 * workflows assume these roles (ci/steps.ts) and TK093 judges the file as written. One identity per
 * role and tier: a tier's planner reads only the state of the stacks that tier gates (PR plans run
 * with `-lock=false`), a tier's applier writes only the keys of the app-environment stacks it
 * gates, and platform-admin only the platform stacks' keys. Permissions follow Terraform's S3
 * backend documentation (https://developer.hashicorp.com/terraform/language/backend/s3,
 * "Permissions Required"): ListBucket on the bucket, Get/Put on the key, Get/Put/Delete on
 * `<key>.tflock` for `use_lockfile`.
 *
 * A stack removed from the estate is no longer derived, yet its reviewed destroy plan is applied
 * after the merge (ci/github-remove.ts) with its gating tier's applier: the estate's
 * `retiredStacks` keep exactly those keys for that applier (platform-admin for a platform stack)
 * and for no planner — main's PR plans of the removal ran before the merge, with the identities
 * then in force.
 */

export const STATE_ACCESS_SCHEMA_VERSION = 1;
export const GITHUB_OIDC_HOST = 'token.actions.githubusercontent.com';
/** configure-aws-credentials' default audience. */
export const STS_AUDIENCE = 'sts.amazonaws.com';
/**
 * The repository's OIDC subject template (`PUT /repos/{owner}/{repo}/actions/oidc/customization/sub`):
 * AWS trust policies can only condition on `sub` and `aud`, so `sub` must carry what binds an
 * identity — the repository id (a re-created repository gets a new one), the context
 * (`environment:<name>` or `pull_request`) and the workflow file at its ref. GitHub joins the keys
 * as `<key>:<value>`, the context as itself (https://docs.github.com/actions/reference/openid-connect-reference).
 */
export const SUBJECT_CLAIM_KEYS = ['repository_id', 'context', 'job_workflow_ref'] as const;

export type IamPolicy = { readonly Version: '2012-10-17'; readonly Statement: readonly Record<string, unknown>[] };

export interface StateIdentity {
  /** The IAM role name (naming.stateRoleName). */
  readonly name: string;
  readonly access: 'read' | 'write';
  /** The tier whose stacks it reaches; absent for platform-admin. */
  readonly tier?: string;
  /** The stacks whose state it reaches, sorted. */
  readonly stacks: readonly string[];
  /**
   * Removed stacks whose state it keeps until their destroy ran (manifest `estate.retiredStacks`),
   * sorted; appliers and platform-admin only, never a planner. Absent: none.
   */
  readonly retiredStacks?: readonly string[];
  /** The `sub` values (IAM StringLike patterns) its trust admits. */
  readonly subjects: readonly string[];
  readonly trustPolicy: IamPolicy;
  readonly permissionsPolicy: IamPolicy;
}

export interface StateAccessDocument {
  readonly schemaVersion: number;
  readonly backend: { readonly type: 's3'; readonly bucket: string; readonly region: string; readonly keyPrefix: string; readonly accountId?: string };
  readonly githubOidcSubjectTemplate: { readonly use_default: false; readonly include_claim_keys: readonly string[] };
  readonly identities: readonly StateIdentity[];
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Stacks CI plans and applies (a `none` gate is applied by hand). */
function ciStacks(m: Manifest): ManifestStack[] {
  return m.stacks.filter((s) => s.applyGate !== 'none');
}

/** `sub` of a job of `workflow` in `context` (`environment:<name>` or `pull_request`), at `ref` (IAM pattern). */
export function oidcSubject(m: Manifest, context: string, workflow: string, ref: string): string {
  return `repository_id:${m.estate.ci.repositoryId}:${context}:job_workflow_ref:${jobWorkflowRef(m.estate.ci.repository, workflow, ref)}`;
}

/** The ARN of a state role (`<accountId>` left as is when the backend names no account). */
export function stateRoleArn(accountId: string | undefined, name: string): string {
  return `arn:aws:iam::${accountId ?? '<accountId>'}:role/${name}`;
}

function trust(accountId: string | undefined, subjects: readonly string[]): IamPolicy {
  return {
    Version: '2012-10-17',
    Statement: [{
      Effect: 'Allow',
      Principal: { Federated: `arn:aws:iam::${accountId ?? '<accountId>'}:oidc-provider/${GITHUB_OIDC_HOST}` },
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: {
        StringEquals: { [`${GITHUB_OIDC_HOST}:aud`]: STS_AUDIENCE },
        StringLike: { [`${GITHUB_OIDC_HOST}:sub`]: subjects.length === 1 ? subjects[0] : [...subjects] },
      },
    }],
  };
}

function permissions(bucket: string, keys: readonly string[], access: 'read' | 'write'): IamPolicy {
  const object = (k: string) => `arn:aws:s3:::${bucket}/${k}`;
  const statements: Record<string, unknown>[] = [
    { Sid: 'ListStateBucket', Effect: 'Allow', Action: 's3:ListBucket', Resource: `arn:aws:s3:::${bucket}` },
    { Sid: access === 'read' ? 'ReadState' : 'ReadWriteState', Effect: 'Allow', Action: access === 'read' ? ['s3:GetObject'] : ['s3:GetObject', 's3:PutObject'], Resource: keys.map(object) },
  ];
  if (access === 'write') {
    statements.push({ Sid: 'StateLock', Effect: 'Allow', Action: ['s3:DeleteObject', 's3:GetObject', 's3:PutObject'], Resource: keys.map((k) => object(stateLockKey(k))) });
  }
  return { Version: '2012-10-17', Statement: statements };
}

/** The state identities of the manifest's estate, or undefined when its backend is not S3. */
export function stateAccess(m: Manifest): StateAccessDocument | undefined {
  const backend = m.estate.backend;
  if (!backend || backend.type !== 's3') return undefined;
  const stacks = ciStacks(m);
  // A key the manifest cannot form is left out of every grant (TK092 reports the stack).
  const keysOf = (list: readonly ManifestStack[]) => list.flatMap((s) => manifestStackStateKey(backend, s) ?? []).sort(cmp);
  const pr = (context: string) => oidcSubject(m, context, CI_WORKFLOW_FILES.pullRequest, 'refs/pull/*/merge');
  const push = (environment: string) => oidcSubject(m, `environment:${environment}`, CI_WORKFLOW_FILES.apply, CI_MAIN_REF);
  const identities: StateIdentity[] = [];
  const retired = m.estate.retiredStacks ?? [];
  const add = (name: string, access: 'read' | 'write', tier: string | undefined, list: readonly ManifestStack[], subjects: string[], kept: readonly ManifestRetiredStack[] = []) => {
    if (list.length === 0 && kept.length === 0) return;
    const keys = [...keysOf(list), ...kept.flatMap((r) => retiredStateKey(backend, r) ?? [])].sort(cmp);
    identities.push({
      name, access, ...(tier === undefined ? {} : { tier }), stacks: list.map((s) => s.name).sort(cmp),
      ...(kept.length > 0 ? { retiredStacks: kept.map((r) => r.stack).sort(cmp) } : {}), subjects,
      trustPolicy: trust(backend.accountId, subjects), permissionsPolicy: permissions(backend.bucket, keys, access),
    });
  };
  const keptBy = (kind: 'app-environment' | 'platform', tier?: string) =>
    retired.filter((r) => r.kind === kind && (tier === undefined || r.gatingTier === tier));
  const tiers = [...m.tiers].sort((a, b) => cmp(a.name, b.name));
  for (const t of tiers) {
    const gated = stacks.filter((s) => s.gatingTier === t.name);
    // Planners: the tier's plans run in `<tier>-plan` when its gate is human, else in the ungated plan job.
    add(stateRoleName({ role: 'plan', tier: t.name }), 'read', t.name, gated, [pr(t.applyGate.human ? `environment:${planEnvironmentName(t.name)}` : 'pull_request')]);
    // A tier applied by hand has no CI applier: its retired stacks keep no key (validation and TK150 say so).
    add(stateRoleName({ role: 'apply', tier: t.name }), 'write', t.name, gated.filter((s) => s.kind === 'app-environment'), [push(t.name)],
      t.applyGate.name === 'none' ? [] : keptBy('app-environment', t.name));
  }
  add(stateRoleName('platform-admin'), 'write', undefined, stacks.filter((s) => s.kind !== 'app-environment'), [push(PLATFORM_ADMIN_ENVIRONMENT)], keptBy('platform'));
  return {
    schemaVersion: STATE_ACCESS_SCHEMA_VERSION,
    backend: { ...backend },
    githubOidcSubjectTemplate: { use_default: false, include_claim_keys: [...SUBJECT_CLAIM_KEYS] },
    identities: identities.sort((a, b) => cmp(a.name, b.name)),
  };
}
