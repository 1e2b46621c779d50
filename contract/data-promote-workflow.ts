/**
 * The data promote's workflow plan (issue 17, docs/data-promote.md): per app with a promote
 * credential, the two jobs of `tierkit-data-promote.yml` as far as security goes — the GitHub
 * environment each runs in, the GitHub token permissions it gets, the Vault JWT role it logs in as,
 * the one credential it reads and the one database it writes; and the job that commits the
 * record, which holds none of them. Synth writes it to
 * `dist/ci/data-promote.json`; `tierkit ci github` renders the workflow's jobs from the same
 * function; TK163 holds the written file to the manifest and to what a rehearsal may reach.
 */
import type { Manifest, ManifestAppEnvironment } from './manifest';
import { compareStrings } from './order';
import { DATA_PROMOTE_WORKFLOW_FILE } from './ci-names';

export const DATA_PROMOTE_PLAN_FILE = 'ci/data-promote.json';

/**
 * How old a rehearsal may be when the replay starts: the approval may wait a working day, no more
 * (the sandbox's golden, and so what the rehearsal proved, ages with prod).
 */
export const DATA_PROMOTE_MAX_REHEARSAL_AGE_SECONDS = 86_400;

/** GitHub token permissions: the rehearsal reads the repository and asks for an OIDC token. */
export const REHEARSE_PERMISSIONS = { contents: 'read', 'id-token': 'write' } as const;
/** The replay also reads the run's approvals (GET /repos/{owner}/{repo}/actions/runs/{run_id}/approvals needs `actions: read`). */
export const REPLAY_PERMISSIONS = { actions: 'read', contents: 'read', 'id-token': 'write' } as const;

/**
 * The record job pushes one new branch and nothing else: `contents: write` only. No
 * `pull-requests: write`: a PR opened with the job's token starts no workflow run (so the PR checks
 * main's ruleset requires never run on it), and letting the token open PRs needs the repository
 * setting that also lets every workflow approve them (docs/data-promote.md).
 */
export const RECORD_PERMISSIONS = { contents: 'write' } as const;

/** The branches the record job creates (one per record id); it never writes an existing branch. */
export function recordBranchPrefix(app: string): string {
  return `tierkit/promotions/${app}/`;
}

/**
 * The job that commits the record: after the replay, with no GitHub environment (so no
 * environment secret reaches it), no Vault role, no OIDC token, its token's `contents: write` alone.
 */
export interface DataPromoteRecordJob {
  readonly job: string;
  readonly needs: readonly string[];
  readonly permissions: Readonly<Record<string, string>>;
  /** `tierkit/promotions/<app>/`: the record goes to `<branchPrefix><record id>`, a branch that must not exist yet. */
  readonly branchPrefix: string;
}

export interface DataPromoteJob {
  /** The job id in the workflow. */
  readonly job: string;
  /** The GitHub environment it runs in: its OIDC token's `environment` claim. */
  readonly environment: string;
  readonly permissions: Readonly<Record<string, string>>;
  readonly needs: readonly string[];
  /** The Vault JWT role it logs in as, and the one credential (creds path) it reads with it. */
  readonly vaultRole: string;
  readonly credsPath: string;
  /** The app-environment (manifest slug) whose database it writes. */
  readonly target: string;
}

export interface DataPromoteApp {
  readonly app: string;
  readonly maxRehearsalAgeSeconds: number;
  readonly rehearse: DataPromoteJob;
  readonly replay: DataPromoteJob;
  readonly record: DataPromoteRecordJob;
}

export interface DataPromotePlan {
  readonly workflow: string;
  readonly apps: readonly DataPromoteApp[];
}

export function rehearseJobId(app: string): string {
  return `rehearse-${app}`;
}

export function replayJobId(app: string): string {
  return `replay-${app}`;
}

export function recordJobId(app: string): string {
  return `record-${app}`;
}

/** The record job of an app: the same whatever the manifest says (TK167 holds the written plan to it). */
export function recordJob(app: string): DataPromoteRecordJob {
  return { job: recordJobId(app), needs: [replayJobId(app)], permissions: { ...RECORD_PERMISSIONS }, branchPrefix: recordBranchPrefix(app) };
}

/** Prod envs carrying a promote credential, by app. */
export function promoteEnvs(m: Manifest): ManifestAppEnvironment[] {
  return m.appEnvironments.filter((e) => e.promote !== undefined).sort((a, b) => compareStrings(a.app, b.app));
}

/** The plan of the manifest; undefined when no app has a promote credential (no workflow then). */
export function dataPromotePlan(m: Manifest): DataPromotePlan | undefined {
  const envs = promoteEnvs(m);
  if (envs.length === 0) return undefined;
  return {
    workflow: DATA_PROMOTE_WORKFLOW_FILE,
    apps: envs.map((env) => {
      const promote = env.promote!;
      const sandbox = m.appEnvironments.find((e) => e.slug === promote.rehearse.sandbox);
      return {
        app: env.app,
        maxRehearsalAgeSeconds: DATA_PROMOTE_MAX_REHEARSAL_AGE_SECONDS,
        rehearse: {
          job: rehearseJobId(env.app), environment: promote.rehearse.environment, permissions: { ...REHEARSE_PERMISSIONS }, needs: [],
          vaultRole: promote.rehearse.name, credsPath: sandbox?.names.vaultCredsPath ?? '', target: promote.rehearse.sandbox,
        },
        replay: {
          job: replayJobId(env.app), environment: env.tier, permissions: { ...REPLAY_PERMISSIONS }, needs: [rehearseJobId(env.app)],
          vaultRole: promote.name, credsPath: promote.credsPath, target: env.slug,
        },
        record: recordJob(env.app),
      };
    }),
  };
}
