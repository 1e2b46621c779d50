import { dist, publishEnvironmentName } from '../constructs/naming';
import type { Manifest, ManifestStack, ManifestTier } from '../contract/manifest';
import { renderedOutcomesDir } from '../contract/promotion-outcomes';
import { ACTIONS, RUNNER } from './pins';
import { ARTIFACT, checkout } from './steps';

/**
 * The rendered-manifests half of GitOps: after merge, each tier's reviewed Kubernetes manifests
 * are committed to the branch the Argo CD Applications track (`argocd.targetRevision`, which holds
 * dist/k8s at its root). One job per CI-applied tier, after that tier's Terraform applies (its
 * databases, roles and Vault objects exist before its pods start), in the tier's `publish-<tier>`
 * environment (a human-gated tier's rollout is approved there, like its apply), pushing with that
 * tier's publisher App — the only writer the rulesets (dist/ci/rulesets/) admit for the tier's paths.
 * The job installs and synthesizes nothing; the PR diff already showed every line that lands.
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
# Every rendered commit is GPG-signed with the tier's publisher key (Argo CD verifies signatureKeys
# with GnuPG only): an unsigned commit is never pushed. The keyring lives in this job's temp dir.
if [ -z "${'$'}{SIGNING_KEY:-}" ]; then
  echo "::error::no signing key: set the secret TIERKIT_PUBLISHER_GPG_PRIVATE_KEY of environment publish-$TIER (an armored GPG secret key without passphrase, whose key id the tier's AppProject lists in signatureKeys)"
  exit 1
fi
GNUPGHOME="$(mktemp -d)"
export GNUPGHOME
chmod 700 "$GNUPGHOME"
gpg --batch --quiet --import <<< "$SIGNING_KEY" 2>/dev/null || { echo "::error::the publisher's signing key of $TIER is not an importable GPG secret key"; exit 1; }
fpr="$(gpg --batch --with-colons --list-secret-keys | awk -F: '$1 == "fpr" { print $10; exit }')"
if [ -z "$fpr" ]; then echo "::error::the publisher's signing key of $TIER holds no secret key"; exit 1; fi
git config user.signingkey "$fpr"
git config gpg.format openpgp
git config commit.gpgsign true
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
    git worktree add --quiet --detach "$work" "$(git commit-tree -S "$(git mktree </dev/null)" -m "tierkit: rendered manifests")"
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
  # Never ship a tier whose stacks are behind: each of its stacks was applied at the configuration
  # the tier's record holds (the sha256 of its cdk.tf.json when last published), or is applied by
  # this run (its reviewed plan). A stack changed by a merge whose apply run was cancelled or failed
  # differs from the record and has no plan here: its manifests must wait for its apply.
  record="$work/$RENDERED_TIER_DIR/.tierkit-applied"
  current="$(jq -c --argjson stacks "$TIER_STACKS" '[.artifacts[] | select(.kind == "terraform-stack" and (.stack as $s | $stacks | index($s))) | {key: .stack, value: .sha256}] | from_entries' dist/manifest.json)"
  planned="$(jq -c -n --argjson a "$PLANNED_STACKS" --argjson b "${'$'}{CAUGHT_UP_STACKS:-[]}" '$a + $b')"
  # Per stack: the commit whose configuration was applied, and its sha256 (the first records held the sha256 alone).
  was='{}'
  if [ -f "$record" ]; then
    was="$(jq -c 'with_entries(.value |= (if type == "string" then {commit: "", sha256: .} else . end))' "$record")"
    behind="$(jq -r -n --argjson was "$was" --argjson now "$current" --argjson planned "$planned" '[$now | to_entries[] | select(.value != $was[.key].sha256 and (.key as $k | $planned | index($k) | not)) | .key] | join(" ")')"
    if [ -n "$behind" ]; then
      echo "::error::not publishing $TIER: stack(s) $behind changed since their last apply and were neither planned nor caught up by this run (their apply job failed, was skipped or rejected); re-run this workflow (it re-plans every stack behind), then approve its applies"
      return 3
    fi
  else
    echo "::notice::$BRANCH has no apply record for $TIER yet: recording its stacks as applied at $SOURCE_SHA"
  fi
  next="$(jq -c -n --argjson was "$was" --argjson now "$current" --arg sha "$SOURCE_SHA" '$now | with_entries(.key as $k | .value as $v | .value = (if $was[$k].sha256 == $v and ($was[$k].commit // "") != "" then $was[$k] else {commit: $sha, sha256: $v} end))')"
  # The promotion outcome logs the tier's gated jobs keep in its directory are not manifests: kept.
  keep="$(mktemp -d)"
  if [ -d "$work/$OUTCOMES_DIR" ]; then mv "$work/$OUTCOMES_DIR" "$keep/outcomes"; fi
  rm -rf "${'$'}{work:?}/${'$'}{RENDERED_TIER_DIR:?}" "${'$'}{work:?}/${'$'}{RENDERED_APP_OF_APPS:?}"
  mkdir -p "$work/$RENDERED_TIER_DIR" "$(dirname "$work/$RENDERED_APP_OF_APPS")"
  cp -R "dist/$TIER_DIR/." "$work/$RENDERED_TIER_DIR/"
  if [ -d "$keep/outcomes" ]; then mkdir -p "$(dirname "$work/$OUTCOMES_DIR")"; mv "$keep/outcomes" "$work/$OUTCOMES_DIR"; fi
  cp "dist/$APP_OF_APPS" "$work/$RENDERED_APP_OF_APPS"
  printf '%s\n' "$SOURCE_SHA" > "$marker"
  jq -S . <<< "$next" > "$record"
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
  git -C "$work" commit --quiet -S -m "tierkit: render $TIER from $SOURCE_SHA"
  git -C "$work" verify-commit HEAD 2>/dev/null || { echo "::error::the rendered commit of $TIER is not signed by the publisher key"; return 1; }
  git -C "$work" -c "http.extraheader=$auth" push --quiet origin "HEAD:refs/heads/$BRANCH"
}
for attempt in 1 2 3 4 5; do
  set +e
  (publish)
  status=$?
  set -e
  if [ "$status" -eq 0 ]; then exit 0; fi
  # Stacks behind: retrying cannot help.
  if [ "$status" -eq 3 ]; then exit 1; fi
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

/**
 * Before the publisher's token exists: main's dist (uploaded by `locate`, which synthesized it
 * without write rights) is the reviewed one, and every file of the tier is one the manifest lists,
 * with its sha256 — nothing more, nothing changed.
 */
export const VERIFY_RENDERED_SCRIPT = [
  'got="$(sha256sum dist/manifest.json | cut -d" " -f1)"',
  'if [ "$got" != "$REVIEWED_DIST_SHA256" ]; then',
  '  echo "::error::main\'s synthesized dist (manifest sha256 $got) is not the reviewed one ($REVIEWED_DIST_SHA256): refusing to publish $TIER"',
  '  exit 1',
  'fi',
  'jq -r --arg dir "$TIER_DIR/" --arg aoa "$APP_OF_APPS" \'.artifacts[] | select((.path | startswith($dir)) or .path == $aoa) | "\\(.sha256)  dist/\\(.path)"\' dist/manifest.json > listed.sha256',
  'if ! sha256sum --check --strict --quiet listed.sha256; then',
  '  echo "::error::a manifest of $TIER differs from the sha256 main\'s manifest lists for it: refusing to publish"',
  '  exit 1',
  'fi',
  'unlisted="$(find "dist/$TIER_DIR" -type f | LC_ALL=C sort | comm -23 - <(cut -d" " -f3- listed.sha256 | LC_ALL=C sort))"',
  'if [ -n "$unlisted" ]; then',
  '  echo "::error::files no manifest lists would be published for $TIER: $unlisted"',
  '  exit 1',
  'fi',
  'echo "$(wc -l < listed.sha256) file(s) of $TIER verified"',
  '',
].join('\n');

/** git in the publish job never runs a hook (a planted .git/hooks/* would run with the publisher's token). */
const NO_GIT_HOOKS = { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'core.hooksPath', GIT_CONFIG_VALUE_0: '/dev/null' };

function publishJob(m: Manifest, tier: ManifestTier, applies: readonly { job: string; stack: string }[]): Record<string, unknown> {
  // Each of its stacks was applied, or had nothing to apply: an apply skipped because an earlier one
  // failed (or its approval was rejected) must hold the rollout back, not just a failed one.
  const applied = applies.map((a) => ` && (needs.${a.job}.result == 'success' || (!contains(fromJSON(needs.locate.outputs.stacks), '${a.stack}') && !contains(fromJSON(needs.locate.outputs.catch-up), '${a.stack}')))`).join('');
  const env = {
    TIER: tier.name,
    TIER_DIR: dist.k8sTierDir(tier.name),
    APP_OF_APPS: dist.k8sAppOfApps(tier.name),
    REVIEWED_DIST_SHA256: '${{ needs.locate.outputs.dist-sha256 }}',
  };
  return {
    name: `publish ${tier.name} manifests to ${m.estate.argocd.targetRevision} (${tier.applyGate.name})`,
    needs: ['locate', ...applies.map((a) => a.job)],
    if: `\${{ !cancelled() && needs.locate.result == 'success'${applied} }}`,
    'runs-on': RUNNER,
    // The tier's publisher identity lives in this environment (main only; a human-gated tier's reviewers approve the rollout).
    environment: publishEnvironmentName(tier.name),
    // GITHUB_TOKEN stays read-only: the rendered branch admits only the tier's publisher App (the emitted rulesets).
    permissions: { contents: 'read' },
    steps: [
      // History and branches: the rendered branch is fetched, and its source commit compared with this one.
      checkout({ 'fetch-depth': 0 }),
      // No install, no synth here: main's dist as `locate` synthesized it, verified, then pushed.
      { name: "Download main's synthesized dist", uses: ACTIONS.downloadArtifact, with: { name: ARTIFACT.main, path: '.' } },
      { name: `Verify ${dist.k8sTierDir(tier.name)} against the reviewed manifest`, env, run: VERIFY_RENDERED_SCRIPT },
      {
        id: 'publisher',
        name: `The ${tier.name} publisher's token`,
        uses: ACTIONS.createAppToken,
        with: { 'app-id': '${{ secrets.TIERKIT_PUBLISHER_APP_ID }}', 'private-key': '${{ secrets.TIERKIT_PUBLISHER_PRIVATE_KEY }}', 'permission-contents': 'write' },
      },
      {
        name: `Publish ${dist.k8sTierDir(tier.name)}`,
        env: {
          ...env,
          BRANCH: m.estate.argocd.targetRevision,
          RENDERED_TIER_DIR: dist.renderedPath(dist.k8sTierDir(tier.name)),
          OUTCOMES_DIR: renderedOutcomesDir(tier.name),
          RENDERED_APP_OF_APPS: dist.renderedPath(dist.k8sAppOfApps(tier.name)),
          PUBLISHED_TIERS: publishedTiers(m).map((t) => dist.renderedPath(dist.k8sTierDir(t.name))).join(' '),
          APP_OF_APPS_DIR: appOfApps.dir,
          APP_OF_APPS_SUFFIX: appOfApps.suffix,
          SOURCE_SHA: '${{ github.sha }}',
          // The stacks the tier's rollout depends on, and those this run applied (its reviewed plans).
          TIER_STACKS: JSON.stringify(applies.map((a) => a.stack).sort()),
          PLANNED_STACKS: '${{ needs.locate.outputs.stacks }}',
          // Stacks behind their last apply that this run re-planned from main and applied (ci/github-catch-up.ts).
          CAUGHT_UP_STACKS: '${{ needs.locate.outputs.catch-up }}',
          GITHUB_TOKEN: '${{ steps.publisher.outputs.token }}',
          // The tier's commit-signing key (an environment secret of publish-<tier>, like the App's key).
          SIGNING_KEY: '${{ secrets.TIERKIT_PUBLISHER_GPG_PRIVATE_KEY }}',
          ...NO_GIT_HOOKS,
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
