import type { Manifest } from '../contract/manifest';
import { PLATFORM_ADMIN_ENVIRONMENT, PLATFORM_ADMIN_ROLE, PROVIDER_LOCKS_DIR, stateRoleName } from '../constructs/naming';
import { PROVIDER_SOURCES } from '../contract/known-types';
import { ACTIONS, RUNNER } from './pins';
import { applierRole, applySteps, ARTIFACT, ciServers, refuseServer, Step, TIERKIT, verifyConfigScript } from './steps';

/**
 * Stacks a merged pull request removed have no `apply-<stack>` job any more (those jobs follow the
 * current manifest), yet their reviewed destroy plans must be applied. `locate` finds them — the
 * reviewed plans of stacks main no longer has — and takes their kind, server and gating tier from
 * main as it was before this push (synthesized here, by main's own code: not from anything the
 * pull request run produced; with main's own tierkit, installed from its lockfile). Each is applied in the GitHub environment of the stricter of that
 * gating tier and the one it was planned under, with that tier's applier role. Removed
 * app-environments go first, removed platform stacks last.
 */

export const REMOVED_JOBS = { envs: 'remove-app-environments', platforms: 'remove-platforms' } as const;

export const REMOVED_OUTPUTS = {
  'removed-envs': '${{ steps.removed.outputs.envs }}',
  'any-removed-envs': '${{ steps.removed.outputs.any-envs }}',
  'removed-platforms': '${{ steps.removed.outputs.platforms }}',
  'any-removed-platforms': '${{ steps.removed.outputs.any-platforms }}',
};

/**
 * Reviewed plans (`$index`) of stacks not in main → {stack, kind, gatingTier, applyGate, server}, from main before the push
 * (`$before`). Main (`$main`) must retire each (estate `retiredStacks`) as exactly what the destroy runs as — kind,
 * tier and server — since only that keeps the stack's state key for the applier that destroys it
 * (contract/state-access.ts); anything else is refused with the entry to declare.
 */
const RESOLVE_JQ = String.raw`($before[0].tiers | map({key: .name, value: .}) | from_entries) as $tiers
| [$cands[] as $n
   | ($index[0].planned[$n] // {}) as $p
   | ([$before[0].stacks[] | select(.name == $n)] | first) as $b
   | if $p.action != "destroy" then error("stack \($n) is not in main, but its reviewed plan is no destroy plan")
     elif $b == null then error("stack \($n) has a reviewed destroy plan, but main had no such stack before this push")
     elif $tiers[$p.gatingTier // ""] == null then error("stack \($n) was planned under an unknown tier \($p.gatingTier)")
     else . end
   | (if $tiers[$p.gatingTier].rank > $tiers[$b.gatingTier].rank then $p.gatingTier else $b.gatingTier end) as $gt
   | if $tiers[$gt].applyGate.name == "none" then error("stack \($n): tier \($gt) has no CI apply") else . end
   | (if $b.kind == "app-environment" then "app-environment" else "platform" end) as $kind
   | ([$main[0].estate.retiredStacks // [] | .[] | select(.stack == $n)] | first) as $r
   | if $r == null then error("stack \($n) was removed, but main does not retire it, so no state identity keeps its key: add { stack: \"\($n)\", tier: Tier.\($gt | ascii_upcase)\(if $kind == "app-environment" then ", server: \"\($b.server)\"" else "" end), reason } to the estate prop retiredStacks in a pull request, apply dist/ci/state-access.json, then re-run this workflow")
     elif $r.gatingTier != $gt or $r.kind != $kind or ($r.server // "") != ($b.server // "") then error("stack \($n) is retired as \($r.kind) of tier \($r.gatingTier) on server \($r.server // "none"), but its destroy applies as \($kind) of tier \($gt) on server \($b.server // "none"): the applier holding its key is not the one that destroys it; correct the estate prop retiredStacks and re-run")
     else . end
   | if ($b.artifact | type) != "string" or ($b.artifact | test("^terraform/[A-Za-z0-9][A-Za-z0-9._-]*/cdk\\.tf\\.json$") | not) then error("stack \($n): main before this push names its artifact \($b.artifact | tojson), not terraform/<stack>/cdk.tf.json") else . end
   | {stack: $n, kind: $b.kind, gatingTier: $gt, applyGate: $tiers[$gt].applyGate.name, server: ($b.server // ""), artifact: $b.artifact}]`;

/**
 * Main as it was before this push, synthesized by main's own code with its own tierkit (the version
 * its lockfile installs, never this checkout's node_modules: a push may change tierkit's version).
 * `locate` reads it twice: the catch-up check (a stack this push changed is never caught up) and the
 * removed stacks' kind, server and gating tier. Without a previous commit (a branch's first push)
 * nothing is written, and both refuse whatever would need it.
 */
export function synthMainBeforeStep(): Step {
  return {
    name: 'Synthesize main as it was before this push (the catch-up check and removed stacks read it)',
    env: { BEFORE: '${{ github.event.before }}' },
    run: [
      // The checkout is main's tree, which a merged PR writes: a committed before-dist/ would speak for main before the push.
      'if [ -e before-dist ] || [ -e before-main ]; then echo "::error::the checkout holds before-dist/ or before-main/, which only this job writes: remove them from the repository in a pull request"; exit 1; fi',
      'if [ -z "$BEFORE" ] || [ -z "${BEFORE//0/}" ]; then echo "::notice::no previous commit of main: nothing to synthesize"; exit 0; fi',
      'git worktree add --detach "$RUNNER_TEMP/before" "$BEFORE"',
      `(cd "$RUNNER_TEMP/before" && npm ci && ${TIERKIT} synth --out "$GITHUB_WORKSPACE/before-dist" --quiet)`,
      '',
    ].join('\n'),
  };
}

/** Steps of the `locate` job, after the plan index was verified and main before the push synthesized. */
export function removedStackSteps(): Step[] {
  return [
    {
      id: 'removed-candidates',
      name: 'Reviewed plans of stacks main no longer has',
      run: [
        `cands="$(jq -c --slurpfile main dist/manifest.json '[.plans | keys[]] - [$main[0].stacks[].name]' reviewed/tierkit-plans.json)"`,
        'echo "stacks=$cands" >> "$GITHUB_OUTPUT"',
        `echo "any=$(jq -r 'length > 0' <<< "$cands")" >> "$GITHUB_OUTPUT"`,
        '',
      ].join('\n'),
    },
    {
      id: 'removed',
      name: 'Removed stacks: gate and server from main before this push',
      if: "steps.removed-candidates.outputs.any == 'true'",
      env: { CANDIDATES: '${{ steps.removed-candidates.outputs.stacks }}', PROGRAM: RESOLVE_JQ },
      run: [
        'if [ ! -f before-dist/manifest.json ]; then echo "::error::no previous commit of main to read the removed stacks from"; exit 1; fi',
        'if ! removed="$(jq -c -n --argjson cands "$CANDIDATES" --slurpfile before before-dist/manifest.json --slurpfile main dist/manifest.json --slurpfile index reviewed/tierkit-plans.json "$PROGRAM" 2> jq.err)"; then',
        '  echo "::error::refusing to apply: $(cat jq.err)"',
        '  exit 1',
        'fi',
        `jq -r '.[] | "destroy plan of removed stack \\(.stack) (\\(.kind)) applies in environment \\(.gatingTier)"' <<< "$removed"`,
        '{',
        `  echo "envs=$(jq -c '{include: [.[] | select(.kind == "app-environment")]}' <<< "$removed")"`,
        `  echo "any-envs=$(jq -r 'any(.[]; .kind == "app-environment")' <<< "$removed")"`,
        `  echo "platforms=$(jq -c '{include: [.[] | select(.kind != "app-environment")]}' <<< "$removed")"`,
        `  echo "any-platforms=$(jq -r 'any(.[]; .kind != "app-environment")' <<< "$removed")"`,
        '} >> "$GITHUB_OUTPUT"',
        '',
      ].join('\n'),
    },
    {
      // The destroy jobs check each plan's embedded configuration and lock against these (never the artifact's own).
      name: 'Stage the stacks and committed provider lock files of main before this push',
      if: "steps.removed-candidates.outputs.any == 'true'",
      run: [
        'mkdir -p before-main/dist before-main/' + PROVIDER_LOCKS_DIR,
        'cp before-dist/manifest.json before-main/dist/',
        'cp -R before-dist/terraform before-main/dist/',
        `if [ -d "$RUNNER_TEMP/before/${PROVIDER_LOCKS_DIR}" ]; then cp -R "$RUNNER_TEMP/before/${PROVIDER_LOCKS_DIR}/." before-main/${PROVIDER_LOCKS_DIR}/; fi`,
        '',
      ].join('\n'),
    },
    {
      name: "Upload the stacks and provider lock files of main before this push",
      if: "steps.removed-candidates.outputs.any == 'true'",
      uses: ACTIONS.uploadArtifact,
      with: { name: ARTIFACT.mainBefore, path: 'before-main/', 'if-no-files-found': 'error', 'retention-days': 30 },
    },
  ];
}

/**
 * A removed stack's destroy plan: its configuration must be main's before the push (`../before`,
 * uploaded by `locate`), byte for byte, as a live stack's is main's.
 */
export const VERIFY_DESTROY_CONFIG_SCRIPT = verifyConfigScript('../before', 'main before this push', "main's (before this push)");

/**
 * Run by `node -e` on the staged (verified) cdk.tf.json of a removed stack: a destroy runs with the
 * applier's credentials in its environment, so its configuration may hold no provisioner (a `when =
 * destroy` local-exec runs during a deletes-only apply), no module, and only tierkit's providers from
 * their pinned sources (`PROVIDERS`, contract/known-types.ts). Defence in depth behind the byte check.
 */
export const DESTROY_CONFIG_SCRIPT = [
  "const j = JSON.parse(require('fs').readFileSync(process.argv[1], 'utf8'));",
  'const allowed = JSON.parse(process.env.PROVIDERS);',
  'const bad = [];',
  // Terraform JSON takes provisioner/connection only as meta-arguments of a resource block.
  "for (const [type, byName] of Object.entries(j.resource || {})) for (const [name, r] of Object.entries(byName || {})) for (const k of ['provisioner', 'connection']) if (r && r[k] !== undefined) bad.push('/resource/' + type + '/' + name + '/' + k);",
  "if (j.module !== undefined) bad.push('/module');",
  "for (const name of Object.keys(j.provider || {})) if (!(name in allowed)) bad.push('/provider/' + name);",
  'for (const [name, req] of Object.entries((j.terraform && j.terraform.required_providers) || {})) {',
  "  const said = String((req && req.source) || '').toLowerCase();",
  "  const src = said.startsWith('registry.terraform.io/') ? said.slice('registry.terraform.io/'.length) : said;",
  "  if (allowed[name] !== src) bad.push('/terraform/required_providers/' + name + ' (source ' + JSON.stringify(src) + ')');",
  '}',
  "if (bad.length > 0) { console.log('::error::the destroy configuration of ' + process.env.STACK + ' holds what a destroy never needs: ' + bad.join(', ') + ': refusing to apply'); process.exit(1); }",
].join('\n');

/** A removed stack (matrix entry): verify its plan's configuration against main's before the push, and stage that. */
export function removedStackConfigSteps(): Step[] {
  return [
    { name: "Download main's synthesized stacks and lock files from before this push", uses: ACTIONS.downloadArtifact, with: { name: ARTIFACT.mainBefore, path: 'before' } },
    {
      name: "Refuse a destroy plan whose configuration or provider lock is not main's before this push",
      'working-directory': 'stack',
      env: { STACK: '${{ matrix.stack }}', ARTIFACT_PATH: '${{ matrix.artifact }}' },
      run: VERIFY_DESTROY_CONFIG_SCRIPT,
    },
    {
      name: 'Refuse a destroy configuration with a provisioner, a module or a provider tierkit does not pin',
      'working-directory': 'stack',
      env: { STACK: '${{ matrix.stack }}', PROVIDERS: JSON.stringify(PROVIDER_SOURCES), PROGRAM: DESTROY_CONFIG_SCRIPT },
      run: 'node -e "$PROGRAM" cdk.tf.json\n',
    },
  ];
}

function removeJob(m: Manifest, which: 'envs' | 'platforms', needs: readonly string[]): Record<string, unknown> {
  const ciTiers = m.tiers.filter((t) => t.applyGate.name !== 'none');
  const roles = Object.fromEntries(ciTiers.map((t) => [t.name, applierRole(t.name)]));
  const apply = applySteps(m, { matrix: true }, which === 'platforms' ? PLATFORM_ADMIN_ROLE : '${{ fromJSON(env.APPLIER_ROLES)[matrix.gatingTier] }}',
    stateRoleName(which === 'platforms' ? 'platform-admin' : { role: 'apply', tier: '${{ matrix.gatingTier }}' }), { onlyDeletes: true, verifyConfig: removedStackConfigSteps() });
  return {
    name: `destroy removed \${{ matrix.stack }} (\${{ matrix.gatingTier }}: \${{ matrix.applyGate }})`,
    needs: ['locate', ...needs],
    if: `\${{ !cancelled() && needs.locate.result == 'success' && !contains(needs.*.result, 'failure') && needs.locate.outputs.any-removed-${which} == 'true' }}`,
    'runs-on': RUNNER,
    // The gating tier comes from main before this push (trusted), never from the PR run's own output.
    // Platform stacks hold the CI roles and mounts: only the platform-admin identity may destroy them.
    environment: which === 'platforms' ? PLATFORM_ADMIN_ENVIRONMENT : '${{ matrix.gatingTier }}',
    permissions: { contents: 'read', actions: 'read', 'id-token': 'write' },
    concurrency: { group: 'tierkit-apply-${{ matrix.stack }}', 'cancel-in-progress': false },
    strategy: { 'fail-fast': false, matrix: `\${{ fromJSON(needs.locate.outputs.removed-${which}) }}` },
    ...(which === 'platforms' ? {} : { env: { APPLIER_ROLES: JSON.stringify(roles) } }),
    steps: [
      refuseServer(ciServers(m), 'a server main no longer declares (destroy this stack by hand)'),
      ...apply.slice(0, -1),
      {
        // Nothing else records that the destroy ran: the next step is the estate's (the entry keeps the key).
        name: 'Destroyed: its retiredStacks entry can go',
        env: { STACK: '${{ matrix.stack }}', HOLDER: which === 'platforms' ? 'platform-admin' : 'the ${{ matrix.gatingTier }} applier' },
        run: [
          'msg="stack $STACK is destroyed: drop it from the estate prop retiredStacks in a pull request, so its state key leaves $HOLDER"',
          'echo "::notice title=retired stack destroyed::$msg"',
          'echo "$msg" >> "${GITHUB_STEP_SUMMARY:-/dev/null}"',
          '',
        ].join('\n'),
      },
      apply[apply.length - 1], // the token revocation stays last
    ],
  };
}

/** `first`: before every apply job; `last`: after all of them. */
export function removedStackJobs(m: Manifest, applyJobs: readonly string[]): { first: Record<string, unknown>; last: Record<string, unknown> } {
  return {
    first: { [REMOVED_JOBS.envs]: removeJob(m, 'envs', []) },
    last: { [REMOVED_JOBS.platforms]: removeJob(m, 'platforms', [REMOVED_JOBS.envs, ...applyJobs]) },
  };
}
