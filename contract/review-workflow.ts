/**
 * The review workflow (issue 12, docs/pr-flow.md): the sticky PR comment and the required check are
 * produced by `tierkit-pr-review.yml`, which runs on `workflow_run` (completed) of the PR workflow.
 * GitHub runs a `workflow_run` workflow from the DEFAULT branch's file, with GITHUB_SHA the default
 * branch's last commit (github/docs#2062; the file must be on the default branch, github/docs#799),
 * so the PR can edit neither this workflow nor the tierkit it installs. It reads the PR run's
 * artifacts (head dist, plans) as data: downloaded beside main's checkout, never executed.
 *
 * Synth writes this plan to `dist/ci/review.json`; `tierkit ci github` renders the workflow from the
 * same function; TK023–TK025 judge the written plan, TK026 the main ruleset's required check.
 */

export const REVIEW_PLAN_FILE = 'ci/review.json';

/** The workflow file and the PR workflow whose completed runs it reviews (workflow_run matches by NAME). */
export const REVIEW_WORKFLOW_FILE = 'tierkit-pr-review.yml';
export const PR_WORKFLOW_NAME = 'tierkit pull request';
/** The PR workflow's path as a run reports it (`workflow_run.path`): a run of another file under that name is refused. */
export const PR_WORKFLOW_PATH = '.github/workflows/tierkit-pr.yml';

/** The commit status the review posts on the PR's head commit; main's ruleset requires it. */
export const REVIEW_STATUS_CONTEXT = 'tierkit review';

/**
 * The GitHub Actions app's id. A required check bound to it is satisfied by a status ANY workflow
 * of the repository posts with its GITHUB_TOKEN (a branch's own workflow given `statuses: write`
 * included): main's check is bound to the estate's review App instead (`ci.reviewAppId`), and
 * this id is refused as that App (TK019).
 */
export const GITHUB_ACTIONS_APP_ID = 15368;

/**
 * The GitHub environment holding the review App's private key (secret REVIEW_APP_KEY_SECRET). Its
 * deployment branch policy is `main` only (docs/pr-flow.md): a `workflow_run` run's ref is the
 * default branch (github/docs#2062), so main's review workflow gets the key and a job of a PR
 * branch's workflow is refused the environment, hence the token, hence the status main requires.
 */
export const REVIEW_ENVIRONMENT = 'tierkit-review';
export const REVIEW_APP_KEY_SECRET = 'TIERKIT_REVIEW_APP_PRIVATE_KEY';
/** What the review App's token may do: the sticky comment and the commit status, on this repository only. */
export const REVIEW_APP_PERMISSIONS = { 'pull-requests': 'write', statuses: 'write' } as const;

/** Where main is checked out, and where the PR run's artifacts land (outside main: not a rule, not a config). */
export const REVIEW_MAIN_DIR = 'main';
export const REVIEW_HEAD_DIR = 'head';

/**
 * `review`: reads the triggering run's artifacts (`actions: read`), main (`contents: read`) and the
 * PR it resolves (`pull-requests: read`); it installs and runs main's tierkit on the head dist and
 * holds no write permission. `post`: no GITHUB_TOKEN permission at all (a status it posted would be
 * GitHub Actions', which any workflow can post); it writes the comment and the status with the review
 * App's token (REVIEW_APP_PERMISSIONS), minted in the `tierkit-review` environment; no checkout, no install.
 */
export const REVIEW_PERMISSIONS = { actions: 'read', contents: 'read', 'pull-requests': 'read' } as const;
export const POST_PERMISSIONS = {} as const;

/**
 * What every job checks out: `${{ github.sha }}`, which in a `workflow_run` run is the default
 * branch's last commit — never an expression naming the head (workflow_run.head_sha, head_branch).
 */
export const REVIEW_CHECKOUT_REF = '${{ github.sha }}';

export interface ReviewJob {
  readonly job: string;
  readonly needs: readonly string[];
  readonly permissions: Readonly<Record<string, string>>;
  /** The refs it checks out (empty: none). */
  readonly checkouts: readonly string[];
  /**
   * Other checkouts, read as data only: the rendered branch (argocd.targetRevision; the gated jobs'
   * promotion outcome logs, written only by the tiers' publisher Apps under the rulesets).
   */
  readonly dataCheckouts: readonly { readonly ref: string; readonly path: string }[];
  /** Artifacts of the triggering (PR) run it downloads, and where: data only. */
  readonly headArtifacts: readonly { readonly name: string; readonly path: string }[];
  /** How it runs tierkit: `main` = the install of main's checkout (`npm ci` in main/), never the artifact's; `none`. */
  readonly tierkit: 'main' | 'none';
  /** The GitHub environment the job runs in (only `post`: REVIEW_ENVIRONMENT, main only). */
  readonly environment?: string;
  /** The review App's token the job mints (only `post`), with actions/create-github-app-token. */
  readonly appToken?: ReviewAppToken;
}

export interface ReviewAppToken {
  /** `ci.reviewAppId`; null when the estate declares none (TK018/TK019 report it; the job cannot mint a token). */
  readonly appId: number | null;
  /** The environment secret holding the App's private key. */
  readonly privateKeySecret: string;
  /** The installation's owner and the one repository the token is scoped to (`ci.repository`). */
  readonly owner: string;
  readonly repositories: readonly string[];
  readonly permissions: Readonly<Record<string, string>>;
}

/** The post job's token, derived from the estate's `ci` settings. */
export function reviewAppToken(ci: { readonly repository: string; readonly reviewAppId?: number }): ReviewAppToken {
  const [owner = '', repo = ''] = String(ci.repository).split('/');
  return {
    appId: ci.reviewAppId ?? null, privateKeySecret: REVIEW_APP_KEY_SECRET, owner, repositories: [repo], permissions: REVIEW_APP_PERMISSIONS,
  };
}

export interface ReviewPlan {
  readonly workflow: string;
  readonly on: { readonly workflow_run: { readonly workflows: readonly string[]; readonly types: readonly string[] } };
  readonly triggering: { readonly path: string; readonly event: 'pull_request' };
  readonly statusContext: string;
  readonly jobs: readonly ReviewJob[];
}

/** Where the rendered branch is checked out (promotion outcomes for `tierkit diff --rendered`). */
export const REVIEW_RENDERED_DIR = '.tierkit-rendered';

/** The review plan; of the estate it reads the rendered branch's name, the repository and the review App. */
export function reviewWorkflowPlan(estate: {
  readonly argocd: { readonly targetRevision: string };
  readonly ci: { readonly repository: string; readonly reviewAppId?: number };
}): ReviewPlan {
  const renderedBranch = estate.argocd.targetRevision;
  return {
    workflow: REVIEW_WORKFLOW_FILE,
    on: { workflow_run: { workflows: [PR_WORKFLOW_NAME], types: ['completed'] } },
    triggering: { path: PR_WORKFLOW_PATH, event: 'pull_request' },
    statusContext: REVIEW_STATUS_CONTEXT,
    jobs: [
      {
        job: 'review', needs: [], permissions: REVIEW_PERMISSIONS, checkouts: [REVIEW_CHECKOUT_REF],
        dataCheckouts: [{ ref: renderedBranch, path: REVIEW_RENDERED_DIR }],
        headArtifacts: [
          { name: 'tierkit-dist', path: `${REVIEW_HEAD_DIR}/dist` },
          { name: 'tierkit-plan-*', path: `${REVIEW_HEAD_DIR}/plans` },
          { name: 'tierkit-plans', path: `${REVIEW_HEAD_DIR}/index` },
        ],
        tierkit: 'main',
      },
      {
        job: 'post', needs: ['review'], permissions: POST_PERMISSIONS, checkouts: [], dataCheckouts: [], headArtifacts: [], tierkit: 'none',
        environment: REVIEW_ENVIRONMENT, appToken: reviewAppToken(estate.ci),
      },
    ],
  };
}
