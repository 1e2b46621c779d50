import { k8sAppOfApps, k8sTierDir, renderedPath } from './ci-names';
import type { Manifest } from './manifest';
import { GITHUB_ACTIONS_APP_ID, REVIEW_STATUS_CONTEXT } from './review-workflow';

/**
 * GitHub repository rulesets (`POST /repos/{owner}/{repo}/rulesets` bodies), written by synth to
 * `dist/ci/rulesets/<name>.json` and judged by TK094:
 * - `tierkit-rendered`: the branch Argo CD tracks (argocd.targetRevision) — no creation, update,
 *   deletion or force push but by a tier's publisher App;
 * - `tierkit-rendered-<tier>`: a push ruleset restricting the tier's paths on that branch
 *   (`<tier>/**`, `argocd/<tier>.k8s.yaml`): only that tier's publisher may push a commit touching
 *   them, so `publish-dev` can never write `prod/`;
 * - `tierkit-main`: changes reach main only through a pull request whose required checks passed
 *   on a branch up to date with main (each PR's plans are made on top of every earlier merge).
 * Bypass actors are GitHub Apps only (`Integration`), each a tier's declared publisher.
 */

export type Ruleset = {
  readonly name: string;
  readonly target: 'branch' | 'push';
  readonly enforcement: 'active';
  readonly bypass_actors: readonly { readonly actor_id: number; readonly actor_type: 'Integration'; readonly bypass_mode: 'always' }[];
  readonly conditions?: { readonly ref_name: { readonly include: readonly string[]; readonly exclude: readonly string[] } };
  readonly rules: readonly Record<string, unknown>[];
};

/** Tiers whose manifests CI publishes (a `none` gate is a developer's own machine). */
export function publishedTierNames(m: Manifest): string[] {
  return m.tiers.filter((t) => t.applyGate.name !== 'none').map((t) => t.name).sort();
}

/** Paths of a tier on the rendered branch (which holds dist/k8s at its root). */
export function renderedTierPaths(tier: string): string[] {
  return [`${renderedPath(k8sTierDir(tier))}/**`, renderedPath(k8sAppOfApps(tier))];
}

/**
 * The checks required on main: the commit status main's review workflow posts on the PR's head
 * (contract/review-workflow.ts), bound to the estate's review App (`integration_id` = ci.reviewAppId),
 * whose key only main's review workflow holds (environment `tierkit-review`, main only). Never a job
 * of the PR workflow, never GitHub Actions: any workflow of the repository posts as GitHub Actions.
 * With no review App declared it stays bound to GitHub Actions, and TK019 refuses the estate.
 */
export function requiredChecks(m: Manifest): { readonly context: string; readonly integration_id: number }[] {
  return [{ context: REVIEW_STATUS_CONTEXT, integration_id: m.estate.ci.reviewAppId ?? GITHUB_ACTIONS_APP_ID }];
}

export function rulesetFile(name: string): string {
  return `ci/rulesets/${name}.json`;
}

export function githubRulesets(m: Manifest): Ruleset[] {
  const ids = m.estate.ci.publisherAppIds ?? {};
  const actor = (tier: string) => (ids[tier] === undefined ? [] : [{ actor_id: ids[tier], actor_type: 'Integration' as const, bypass_mode: 'always' as const }]);
  const tiers = publishedTierNames(m);
  const branch = `refs/heads/${m.estate.argocd.targetRevision}`;
  const publishers = [...new Map(tiers.flatMap(actor).map((a) => [a.actor_id, a])).values()].sort((a, b) => a.actor_id - b.actor_id);
  return [
    {
      name: 'tierkit-main',
      target: 'branch',
      enforcement: 'active',
      bypass_actors: [],
      conditions: { ref_name: { include: ['refs/heads/main'], exclude: [] } },
      rules: [
        { type: 'deletion' },
        { type: 'non_fast_forward' },
        {
          type: 'pull_request',
          parameters: {
            required_approving_review_count: 1, dismiss_stale_reviews_on_push: true, require_code_owner_review: false,
            require_last_push_approval: true, required_review_thread_resolution: false,
          },
        },
        {
          type: 'required_status_checks',
          parameters: { strict_required_status_checks_policy: true, required_status_checks: requiredChecks(m) },
        },
      ],
    },
    {
      name: 'tierkit-rendered',
      target: 'branch',
      enforcement: 'active',
      bypass_actors: publishers,
      conditions: { ref_name: { include: [branch], exclude: [] } },
      rules: [{ type: 'creation' }, { type: 'deletion' }, { type: 'non_fast_forward' }, { type: 'update', parameters: { update_allows_fetch_and_merge: false } }],
    },
    ...tiers.map((tier): Ruleset => ({
      name: `tierkit-rendered-${tier}`,
      target: 'push',
      enforcement: 'active',
      bypass_actors: actor(tier),
      rules: [{ type: 'file_path_restriction', parameters: { restricted_file_paths: renderedTierPaths(tier) } }],
    })),
  ];
}
