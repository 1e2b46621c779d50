import { publishEnvironmentName } from '../contract/ci-names';
import type { Manifest } from '../contract/manifest';
import { renderedOutcomesDir } from '../contract/promotion-outcomes';
import { publishedTiers, publishJobId } from './github-publish';
import { ACTIONS, RUNNER } from './pins';
import { ARTIFACT, checkout, setupNode, TIERKIT } from './steps';

/**
 * After a tier's manifests are published, the promotions this push merged into that tier are asked
 * about where only the gated job can ask (docs/promotion.md): `tierkit promote --health` (the source
 * env Synced, Healthy, running the promoted image, per Argo CD), the approval the job's environment
 * stands for, then `--rollout-outcome` (the target env: succeeded, failed, or still rolling out).
 * The outcome logs are pushed to the rendered branch under the tier's own directory
 * (`<tier>/.tierkit-promotions/`), which only the tier's publisher App may write
 * (contract/github-rulesets.ts); `tierkit promote --status --rendered` and `tierkit diff --rendered`
 * read them there. The PR run never holds the Argo CD token.
 */

/** `locate`'s output: tier → the ids of the promotion records this push adds into that tier (space-separated). */
export const PROMOTIONS_OUTPUT = { promotions: '${{ steps.promotions.outputs.promotions }}' };

/**
 * Which promotion records the push adds (`promotions/<app>/<id>.json` new between the commit main
 * was at and this one), routed by their target env's tier in main's dist. A push whose earlier
 * commit is unknown (force push) is refused: its promotions cannot be told.
 */
export const PROMOTIONS_SCRIPT = String.raw`empty="$(git hash-object -t tree /dev/null)"
case "$BEFORE_SHA" in
  ""|0000000000000000000000000000000000000000) before="$empty" ;;
  *) git cat-file -e "$BEFORE_SHA^{commit}" 2>/dev/null || { echo "::error::cannot tell which promotion records $SOURCE_SHA adds: the commit main was at before this push ($BEFORE_SHA) is not in its history (a force push?)"; exit 1; }
     before="$BEFORE_SHA" ;;
esac
routes='{}'
while IFS= read -r file; do
  case "$file" in promotions/*/*.json) ;; *) continue ;; esac
  id="$(basename "$file" .json)"
  [[ "$id" =~ ^[0-9a-f]{16}$ ]] || { echo "::error::$file is not named by a promotion id"; exit 1; }
  [ "$(jq -r .kind "$file")" = promote ] || continue
  tier="$(jq -r --slurpfile r "$file" '[.appEnvironments[] | select(.kind == "tier" and .app == $r[0].app and .env == $r[0].to) | .tier][0] // ""' dist/manifest.json)"
  [ -n "$tier" ] || { echo "::error::promotion $id targets $(jq -r '.app + "-" + .to' "$file"), which main's dist has no tier env for"; exit 1; }
  routes="$(jq -c --arg t "$tier" --arg id "$id" '.[$t] = ((.[$t] // "") + (if .[$t] then " " else "" end) + $id)' <<< "$routes")"
done < <(git diff --name-only --diff-filter=A "$before" "$SOURCE_SHA" -- promotions)
echo "promotions=$routes" >> "$GITHUB_OUTPUT"
echo "promotions merged by this push, by target tier: $routes"
`;

export const PROMOTIONS_STEP = {
  id: 'promotions',
  name: 'The promotions this push merges, by target tier',
  env: { BEFORE_SHA: '${{ github.event.before }}', SOURCE_SHA: '${{ github.sha }}' },
  run: PROMOTIONS_SCRIPT,
};

/**
 * Ask, record, push. Asked once into a scratch copy of the tier's logs; the push is retried on the
 * branch as it is then (another tier's job may have pushed first), never asking Argo CD twice.
 */
export const PROMOTION_SCRIPT = String.raw`test "$(sha256sum dist/manifest.json | cut -d' ' -f1)" = "$REVIEWED_DIST_SHA256" || { echo "::error::main synthesizes to a different dist than the reviewed one"; exit 1; }
git config user.name "tierkit"
git config user.email "tierkit@users.noreply.github.com"
basic="$(printf 'x-access-token:%s' "$GITHUB_TOKEN" | base64 | tr -d '\n')"
echo "::add-mask::$basic"
auth="AUTHORIZATION: basic $basic"
git -c "http.extraheader=$auth" fetch --quiet origin "+refs/heads/$BRANCH:refs/remotes/origin/$BRANCH"
logs="$(mktemp -d)/logs"
mkdir -p "$logs"
if git cat-file -e "origin/$BRANCH:$OUTCOMES_DIR" 2>/dev/null; then git archive "origin/$BRANCH" "$OUTCOMES_DIR" | tar -x -C "$logs" --strip-components="$(tr -cd / <<< "$OUTCOMES_DIR/" | wc -c)"; fi
failed=""
for id in $PROMOTION_IDS; do
  # A re-run asks only what is still open: an ended promotion is reported, a healthy and approved one only awaits its rollout.
  status_json="$($TIERKIT promote --status "$id" --outcomes "$logs" --json)"
  state="$(jq -r .state <<< "$status_json")"
  if [ "$state" != rolling_out ]; then
    echo "promotion $id already ended: $state"
    [ "$state" = succeeded ] || failed="$failed $id"
    continue
  fi
  if [ "$(jq '[.events[] | select(.event == "approved")] | length' <<< "$status_json")" -eq 0 ]; then
    if ! $TIERKIT promote --health "$id" --argocd-server "$ARGOCD_SERVER" --outcomes "$logs"; then failed="$failed $id"; continue; fi
    $TIERKIT promote --record-outcome "$id" --event approved --by "$ACTOR" --outcomes "$logs" \
      --why "the $ENVIRONMENT job ran (its protection rules passed) after $TIER was published from $SOURCE_SHA"
  fi
  $TIERKIT promote --rollout-outcome "$id" --argocd-server "$ARGOCD_SERVER" --wait-minutes "$WAIT_MINUTES" --outcomes "$logs" || failed="$failed $id"
done
push() {
  set -e
  work="$(mktemp -d)/rendered"
  git -c "http.extraheader=$auth" fetch --quiet origin "+refs/heads/$BRANCH:refs/remotes/origin/$BRANCH"
  git worktree add --quiet --detach "$work" "origin/$BRANCH"
  mkdir -p "$work/$OUTCOMES_DIR"
  cp -R "$logs/." "$work/$OUTCOMES_DIR/"
  git -C "$work" add -A -- "$OUTCOMES_DIR"
  if git -C "$work" diff --cached --quiet; then echo "no outcome to record"; return 0; fi
  git -C "$work" commit --quiet -m "tierkit: promotion outcomes of $TIER from $SOURCE_SHA"
  git -C "$work" -c "http.extraheader=$auth" push --quiet origin "HEAD:refs/heads/$BRANCH"
}
pushed=""
for attempt in 1 2 3 4 5; do
  set +e
  (push)
  status=$?
  set -e
  if [ "$status" -eq 0 ]; then pushed=1; break; fi
  echo "::warning::recording the promotion outcomes of $TIER failed (attempt $attempt); retrying on the branch as it is now"
  git worktree prune
  sleep "$attempt"
done
[ -n "$pushed" ] || { echo "::error::could not record the promotion outcomes of $TIER on $BRANCH"; exit 1; }
if [ -n "$failed" ]; then echo "::error::promotion(s)$failed into $TIER failed or were refused (recorded on $BRANCH): tierkit promote --status <id> --rendered <checkout>; abort with tierkit promote --abort <id>"; exit 1; fi
`;

/** git here never runs a hook (a planted .git/hooks/* would run with the publisher's token). */
export const NO_GIT_HOOKS = { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'core.hooksPath', GIT_CONFIG_VALUE_0: '/dev/null' };

export function promotionJobId(tier: string): string {
  return `promotions-${tier.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

function promotionJob(m: Manifest, tier: string): Record<string, unknown> {
  const ids = `fromJSON(needs.locate.outputs.promotions)['${tier}']`;
  return {
    name: `promotions into ${tier}: health, approval, outcome`,
    needs: ['locate', publishJobId(tier)],
    // Only when this push merged a promotion into the tier, and the tier's manifests were published.
    if: `\${{ !cancelled() && needs.${publishJobId(tier)}.result == 'success' && format('{0}', ${ids}) != '' }}`,
    'runs-on': RUNNER,
    // The tier's environment: its publisher identity writes the logs, its Argo CD token asks.
    environment: publishEnvironmentName(tier),
    permissions: { contents: 'read' },
    steps: [
      checkout({ 'fetch-depth': 0 }),
      // Installed before any token exists in the job (install scripts never see one).
      ...setupNode(),
      { name: "Download main's synthesized dist", uses: ACTIONS.downloadArtifact, with: { name: ARTIFACT.main, path: '.' } },
      {
        id: 'publisher',
        name: `The ${tier} publisher's token`,
        uses: ACTIONS.createAppToken,
        with: { 'app-id': '${{ secrets.TIERKIT_PUBLISHER_APP_ID }}', 'private-key': '${{ secrets.TIERKIT_PUBLISHER_PRIVATE_KEY }}', 'permission-contents': 'write' },
      },
      {
        name: `Ask Argo CD about the promotions into ${tier} and record the outcomes`,
        env: {
          TIER: tier,
          ENVIRONMENT: publishEnvironmentName(tier),
          PROMOTION_IDS: `\${{ ${ids} }}`,
          BRANCH: m.estate.argocd.targetRevision,
          OUTCOMES_DIR: renderedOutcomesDir(tier),
          REVIEWED_DIST_SHA256: '${{ needs.locate.outputs.dist-sha256 }}',
          SOURCE_SHA: '${{ github.sha }}',
          ACTOR: '${{ github.actor }}',
          TIERKIT,
          // Environment secrets of the tier's publish environment (actionlint's GitHub has no vars context).
          ARGOCD_SERVER: '${{ secrets.ARGOCD_SERVER }}',
          ARGOCD_AUTH_TOKEN: '${{ secrets.ARGOCD_AUTH_TOKEN }}',
          // A canary pauses for hours: the job waits a little, then leaves it rolling out (docs/promotion.md).
          WAIT_MINUTES: '10',
          GITHUB_TOKEN: '${{ steps.publisher.outputs.token }}',
          ...NO_GIT_HOOKS,
        },
        run: PROMOTION_SCRIPT,
      },
    ],
  };
}

/** One job per published tier, after its publish job; it runs only when the push promotes into the tier. */
export function promotionJobs(m: Manifest): Record<string, unknown> {
  return Object.fromEntries(publishedTiers(m).map((t) => [promotionJobId(t.name), promotionJob(m, t.name)]));
}
