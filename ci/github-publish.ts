import { dist } from '../constructs/naming';
import type { Manifest, ManifestStack, ManifestTier } from '../contract/manifest';
import { RUNNER } from './pins';
import { checkout, setupNode, TIERKIT } from './steps';

/**
 * The rendered-manifests half of GitOps: after merge, each tier's reviewed Kubernetes manifests
 * are committed to the branch the Argo CD Applications track (`argocd.targetRevision`, which holds
 * dist/k8s at its root). One job per CI-applied tier, after that tier's Terraform applies (its
 * databases, roles and Vault objects exist before its pods start), in the tier's GitHub environment
 * when its gate is human — a rollout to prod is approved like its apply. Nobody else writes the
 * branch, and the PR diff already showed every line that lands on it.
 */

export function publishJobId(tier: string): string {
  return `publish-${tier.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

/** Tiers whose manifests CI publishes: those CI applies (a `none` gate is a developer's own machine). */
export function publishedTiers(m: Manifest): ManifestTier[] {
  return m.tiers.filter((t) => t.applyGate.name !== 'none');
}

/**
 * Replace one tier's files on the rendered branch and push, retried when another tier's job pushed
 * first. The tier's `.tierkit-source` records the main commit it came from: an older run (say, a
 * rollout approved late) never overwrites a newer one's manifests.
 */
const PUBLISH_SCRIPT = String.raw`test "$(sha256sum dist/manifest.json | cut -d' ' -f1)" = "$REVIEWED_DIST_SHA256" || { echo "::error::main synthesizes to a different dist than the reviewed one"; exit 1; }
git config user.name "tierkit"
git config user.email "tierkit@users.noreply.github.com"
basic="$(printf 'x-access-token:%s' "$GITHUB_TOKEN" | base64 | tr -d '\n')"
echo "::add-mask::$basic"
auth="AUTHORIZATION: basic $basic"
publish() {
  set -e
  work="$(mktemp -d)/rendered"
  if git -c "http.extraheader=$auth" fetch --quiet origin "+refs/heads/$BRANCH:refs/remotes/origin/$BRANCH" 2>/dev/null; then
    git worktree add --quiet --detach "$work" "origin/$BRANCH"
  else
    echo "::notice::creating branch $BRANCH"
    git worktree add --quiet --detach "$work" "$(git commit-tree "$(git mktree </dev/null)" -m "tierkit: rendered manifests")"
  fi
  marker="$work/$RENDERED_TIER_DIR/.tierkit-source"
  if [ -f "$marker" ]; then
    published="$(cat "$marker")"
    if [ "$published" = "$SOURCE_SHA" ]; then echo "$BRANCH already holds $TIER from $SOURCE_SHA"; return 0; fi
    if git merge-base --is-ancestor "$SOURCE_SHA" "$published" 2>/dev/null; then
      echo "::notice::$BRANCH holds $TIER from $published, newer than $SOURCE_SHA: not overwriting it"
      return 0
    fi
  fi
  rm -rf "${'$'}{work:?}/${'$'}{RENDERED_TIER_DIR:?}" "${'$'}{work:?}/${'$'}{RENDERED_APP_OF_APPS:?}"
  mkdir -p "$work/$RENDERED_TIER_DIR" "$(dirname "$work/$RENDERED_APP_OF_APPS")"
  cp -R "dist/$TIER_DIR/." "$work/$RENDERED_TIER_DIR/"
  cp "dist/$APP_OF_APPS" "$work/$RENDERED_APP_OF_APPS"
  printf '%s\n' "$SOURCE_SHA" > "$marker"
  # A tier no longer published (removed, or now applied by hand) leaves the branch, so Argo CD
  # prunes it: but only when an older commit published it (a newer one may have added it).
  for dir in "$work"/*/; do
    name="$(basename "$dir")"
    case " $PUBLISHED_TIERS $APP_OF_APPS_DIR " in *" $name "*) continue ;; esac
    if [ -f "$dir/.tierkit-source" ] && git merge-base --is-ancestor "$(cat "$dir/.tierkit-source")" "$SOURCE_SHA" 2>/dev/null; then
      echo "::notice::tier $name is no longer published: removing it from $BRANCH"
      rm -rf "$dir" "${'$'}{work:?}/${'$'}{APP_OF_APPS_DIR:?}/$name$APP_OF_APPS_SUFFIX"
    fi
  done
  git -C "$work" add -A
  git -C "$work" commit --quiet -m "tierkit: render $TIER from $SOURCE_SHA"
  git -C "$work" -c "http.extraheader=$auth" push --quiet origin "HEAD:refs/heads/$BRANCH"
}
for attempt in 1 2 3 4 5; do
  set +e
  (publish)
  status=$?
  set -e
  if [ "$status" -eq 0 ]; then exit 0; fi
  echo "::warning::publishing $TIER failed (attempt $attempt); retrying on the branch as it is now"
  git worktree prune
  sleep "$attempt"
done
echo "::error::could not publish $TIER to $BRANCH"
exit 1
`;

/** Where the rendered branch keeps the apps of apps: `<dir>/<tier><suffix>`. */
const appOfApps = (() => {
  const [path, suffix] = dist.renderedPath(dist.k8sAppOfApps('\u0000')).split('\u0000');
  return { dir: path.replace(/\/$/, ''), suffix };
})();

function publishJob(m: Manifest, tier: ManifestTier, applies: readonly { job: string; stack: string }[]): Record<string, unknown> {
  // Each of its stacks was applied, or had nothing to apply: an apply skipped because an earlier one
  // failed (or its approval was rejected) must hold the rollout back, not just a failed one.
  const applied = applies.map((a) => ` && (needs.${a.job}.result == 'success' || !contains(fromJSON(needs.locate.outputs.stacks), '${a.stack}'))`).join('');
  return {
    name: `publish ${tier.name} manifests to ${m.estate.argocd.targetRevision} (${tier.applyGate.name})`,
    needs: ['locate', ...applies.map((a) => a.job)],
    if: `\${{ !cancelled() && needs.locate.result == 'success'${applied} }}`,
    'runs-on': RUNNER,
    ...(tier.applyGate.human ? { environment: tier.name } : {}),
    permissions: { contents: 'write' },
    steps: [
      // History and branches: the rendered branch is fetched, and its source commit compared with this one.
      checkout({ 'fetch-depth': 0 }),
      ...setupNode(),
      { name: 'Synthesize main', run: `${TIERKIT} synth --out dist --quiet` },
      {
        name: `Publish ${dist.k8sTierDir(tier.name)}`,
        env: {
          TIER: tier.name,
          BRANCH: m.estate.argocd.targetRevision,
          TIER_DIR: dist.k8sTierDir(tier.name),
          APP_OF_APPS: dist.k8sAppOfApps(tier.name),
          RENDERED_TIER_DIR: dist.renderedPath(dist.k8sTierDir(tier.name)),
          RENDERED_APP_OF_APPS: dist.renderedPath(dist.k8sAppOfApps(tier.name)),
          PUBLISHED_TIERS: publishedTiers(m).map((t) => dist.renderedPath(dist.k8sTierDir(t.name))).join(' '),
          APP_OF_APPS_DIR: appOfApps.dir,
          APP_OF_APPS_SUFFIX: appOfApps.suffix,
          SOURCE_SHA: '${{ github.sha }}',
          REVIEWED_DIST_SHA256: '${{ needs.locate.outputs.dist-sha256 }}',
          GITHUB_TOKEN: '${{ github.token }}',
        },
        run: PUBLISH_SCRIPT,
      },
    ],
  };
}

/** One publish job per CI-applied tier, after the apply jobs of that tier's stacks and of the shared platform. */
export function publishJobs(m: Manifest, stacks: readonly ManifestStack[], jobId: (stack: string) => string): Record<string, unknown> {
  const jobs: Record<string, unknown> = {};
  for (const tier of publishedTiers(m)) {
    const before = stacks.filter((s) => s.tier === tier.name || s.kind === 'shared-platform').map((s) => ({ job: jobId(s.name), stack: s.name }));
    jobs[publishJobId(tier.name)] = publishJob(m, tier, before);
  }
  return jobs;
}
