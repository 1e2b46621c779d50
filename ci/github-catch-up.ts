import { dist, PROVIDER_LOCKS_DIR } from '../constructs/naming';
import type { Manifest, ManifestStack } from '../contract/manifest';
import { compareStrings } from '../contract/order';
import { ciStacks, Step } from './steps';

/**
 * No merge is ever dropped. GitHub keeps one pending run per concurrency group: while a run waits
 * for an approval, a third merge cancels the second, whose stacks its own reviewed plans would have
 * applied. The rendered branch records, per stack, the commit whose configuration was last applied
 * and its sha256 (`<tier>/.tierkit-applied`, written by publish-<tier>). At every push, `locate`
 * compares main's synthesized stacks with that record: a stack whose sha256 differs and that has no
 * reviewed plan in this run is behind — its merge's run was cancelled or failed — and its apply job
 * re-plans it from main and applies that plan, in its gating environment (the tier's approval).
 * Catch-up is only for a change that predates this push: a stack whose synthesized configuration
 * differs between main before the push (`github.event.before`, synthesized by `locate`) and main
 * now was changed by this push, and its plan must be in the merged PR's reviewed index — its absence
 * there refuses the run (the index is the PR run's, so a PR could leave its own change out).
 */

/** The record of one stack: the main commit whose configuration was applied, and that configuration's sha256. */
export interface AppliedRecord {
  readonly commit: string;
  readonly sha256: string;
}

/**
 * `locate`: the stacks behind their last apply. The rendered branch is fetched with the job's
 * read-only token; its absence (first run) records nothing; any other fetch error fails (a record
 * that cannot be read is never read as "nothing behind"). A record whose commit is not an ancestor
 * of this push (history rewritten, or written from another branch) counts as behind too. A stack's
 * record is read only from its own tier's directory (STACK_DIRS): another tier's publisher never
 * speaks for it.
 */
export const BEHIND_SCRIPT = String.raw`basic="$(printf 'x-access-token:%s' "$GITHUB_TOKEN" | base64 | tr -d '\n')"
echo "::add-mask::$basic"
auth="AUTHORIZATION: basic $basic"
records="{}"
set +e
git -c "http.extraheader=$auth" ls-remote --exit-code --heads origin "$BRANCH" > /dev/null
found=$?
set -e
if [ "$found" -eq 2 ]; then
  echo "::notice::no branch $BRANCH yet: no stack has an apply record, none is behind"
elif [ "$found" -ne 0 ]; then
  echo "::error::could not read branch $BRANCH (git ls-remote exit $found): the apply records cannot be read, so no stack can be known to be up to date"
  exit 1
else
  git -c "http.extraheader=$auth" fetch --quiet origin "+refs/heads/$BRANCH:refs/remotes/origin/$BRANCH"
  for dir in $TIER_DIRS; do
    if record="$(git show "origin/$BRANCH:$dir/.tierkit-applied" 2>/dev/null)"; then
      # The first records held a bare sha256 per stack (no commit): read as applied at an unknown commit.
      records="$(jq -c --argjson r "$record" --argjson own "$STACK_DIRS" --arg dir "$dir" '. + ($r | with_entries(select($own[.key] == $dir) | .value |= (if type == "string" then {commit: "", sha256: .} else . end)))' <<< "$records")"
    fi
  done
fi
current="$(jq -c --argjson stacks "$CI_STACKS" '[.artifacts[] | select(.kind == "terraform-stack" and (.stack as $s | $stacks | index($s))) | {key: .stack, value: .sha256}] | from_entries' dist/manifest.json)"
catchup="[]"
: > behind.txt
while IFS=$'\t' read -r stack sha; do
  [ -n "$stack" ] || continue
  if jq -e --arg s "$stack" 'index($s)' <<< "$REVIEWED_STACKS" > /dev/null; then continue; fi
  was="$(jq -r --arg s "$stack" '.[$s].sha256 // ""' <<< "$records")"
  at="$(jq -r --arg s "$stack" '.[$s].commit // ""' <<< "$records")"
  if [ -z "$was" ]; then
    # Never recorded: a tier published before this record existed, or a stack its first publish will record.
    if [ "$records" = "{}" ]; then continue; fi
    why="has no apply record"
  elif [ "$was" = "$sha" ] && [ -n "$at" ] && git merge-base --is-ancestor "$at" HEAD 2>/dev/null; then
    continue
  elif [ "$was" = "$sha" ]; then
    [ -n "$at" ] || continue
    why="was last recorded at $at, which is not in main's history"
  else
    if [ -n "$at" ] && git merge-base --is-ancestor "$at" HEAD 2>/dev/null; then
      why="changed since its last apply at $at ($(git rev-list --count "$at..HEAD") commit(s) since)"
    else
      why="changed since its last recorded apply"
    fi
  fi
  echo "$stack $why" >> behind.txt
  catchup="$(jq -c --arg s "$stack" '. + [$s]' <<< "$catchup")"
done < <(jq -r 'to_entries[] | "\(.key)\t\(.value)"' <<< "$current")
if [ "$catchup" != "[]" ]; then
  if [ ! -f before-dist/manifest.json ]; then
    echo "::error::refusing to apply: stacks $(jq -r 'join(", ")' <<< "$catchup") differ from their last apply and have no reviewed plan in this run, but main before this push (github.event.before: \"$BEFORE\") was not synthesized, so nothing tells whether this push changed them; re-run this workflow once main has a previous commit to compare with"
    exit 1
  fi
  prior="$(jq -c '[.artifacts[] | select(.kind == "terraform-stack") | {key: .stack, value: .sha256}] | from_entries' before-dist/manifest.json)"
  own="$(jq -c --argjson before "$prior" --argjson now "$current" '[.[] | select($before[.] != $now[.])]' <<< "$catchup")"
  if [ "$own" != "[]" ]; then
    while IFS=$'\t' read -r stack was now; do
      echo "::error::refusing to apply: stack $stack changed in this push (main before it, $BEFORE, synthesizes it to sha256 $was; main now to $now), yet the merged pull request's reviewed run has no plan for it. A push's own change is applied only from its reviewed plan, never caught up: open a pull request that reverts this change or makes it again, and merge it once its plan for $stack is reviewed"
    done < <(jq -r --argjson before "$prior" --argjson now "$current" '.[] | "\(.)\t\($before[.] // "(none: the stack is new)")\t\($now[.])"' <<< "$own")
    exit 1
  fi
fi
if [ -s behind.txt ]; then
  while read -r line; do echo "::warning::stack $line, with no reviewed plan in this run: its apply job re-plans it from main"; done < behind.txt
  { echo "### Stacks behind their last apply (re-planned from main)"; sed 's/^/- /' behind.txt; } >> "${'$'}{GITHUB_STEP_SUMMARY:-/dev/null}"
fi
echo "catch-up=$catchup" >> "$GITHUB_OUTPUT"
`;

/** The `locate` step that runs BEHIND_SCRIPT (after main is synthesized and the reviewed index verified). */
export function behindStep(m: Manifest): Step {
  const stacks = ciStacks(m).map((s) => s.name).sort(compareStrings);
  const tiers = [...new Set(m.tiers.filter((t) => t.applyGate.name !== 'none').map((t) => dist.renderedPath(dist.k8sTierDir(t.name))))].sort(compareStrings);
  // Whose record speaks for a stack: its own tier's publisher, and for the shared platform its gating tier's
  // (every publisher records it; a lower tier's must not mark it up to date).
  const owner = (s: ManifestStack) => (s.kind === 'shared-platform' ? s.gatingTier : s.tier);
  const stackDirs = Object.fromEntries(ciStacks(m).map((s) => [s.name, owner(s) ? dist.renderedPath(dist.k8sTierDir(owner(s)!)) : ''])
    .sort((a, b) => compareStrings(a[0], b[0])));
  return {
    id: 'behind',
    name: 'Stacks behind their last apply (a merge whose apply run was cancelled or failed)',
    env: {
      BRANCH: m.estate.argocd.targetRevision,
      TIER_DIRS: tiers.join(' '),
      CI_STACKS: JSON.stringify(stacks),
      STACK_DIRS: JSON.stringify(stackDirs),
      REVIEWED_STACKS: '${{ steps.verify.outputs.stacks }}',
      GITHUB_TOKEN: '${{ github.token }}',
      BEFORE: '${{ github.event.before }}',
    },
    run: BEHIND_SCRIPT,
  };
}

/**
 * Apply job steps of a stack that is behind (no reviewed plan in this run): main's stack and
 * committed lock file are staged (as for a reviewed plan) and planned by the applier; the plan's
 * actions go to the job summary, and APPLY_SCRIPT applies it. The environment's approval (a
 * human-gated tier) is given for the catch-up named in the job's title.
 */
export function catchUpStageStep(artifact: string, condition: string): Step {
  return {
    if: condition,
    name: "Catch-up: stage main's stack and committed lock file (no reviewed plan in this run)",
    'working-directory': 'stack',
    env: { ARTIFACT_PATH: artifact },
    run: [
      'want="../main/dist/$ARTIFACT_PATH"',
      'providers="$(jq -r \'.terraform.required_providers // {} | keys | join("+")\' "$want")"',
      `lock="../main/${PROVIDER_LOCKS_DIR}/\${providers:-none}.terraform.lock.hcl"`,
      'if [ ! -f "$lock" ]; then echo "::error::main has no committed provider lock file ${lock#../main/}: commit it through a reviewed PR"; exit 1; fi',
      'cp "$want" cdk.tf.json',
      'cp "$lock" .terraform.lock.hcl',
      '',
    ].join('\n'),
  };
}

export function catchUpPlanStep(condition: string): Step {
  return {
    if: condition,
    name: 'Catch-up: terraform plan of main\'s stack',
    'working-directory': 'stack',
    run: 'terraform init -input=false -lockfile=readonly\nterraform plan -input=false -out=tfplan\nterraform show -no-color tfplan >> "${GITHUB_STEP_SUMMARY:-/dev/null}"\n',
  };
}
