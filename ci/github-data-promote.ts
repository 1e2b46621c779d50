import { DataPromoteApp, DataPromoteJob, dataPromotePlan } from '../contract/data-promote-workflow';
import { NO_GIT_HOOKS } from './github-promotion';
import type { Manifest, ManifestAppEnvironment, ManifestServer } from '../contract/manifest';
import { seedExportPath, seedHashKvSecretName, SEED_DUMP_FILE, workloadName } from '../constructs/naming';
import { ACTIONS, RUNNER } from './pins';
import { pgCaFile } from '../contract/pg-ca';
import { caEnv, caFileStep, checkout, revokeVaultToken, setupNode, Step, TIERKIT, vaultLogin } from './steps';

/**
 * `tierkit-data-promote.yml` (issue 17, docs/data-promote.md): a reviewed change script, by hand.
 * Per app, two jobs from the plan synth wrote (contract/data-promote-workflow.ts, TK163):
 * - rehearse, in the golden sandbox's tier environment, as `<app>-rehearse` (the sandbox's own
 *   credential and the golden's published hashes, nothing of prod: TK162): resets the sandbox from
 *   the golden, runs the script there, uploads the before/after content hashes;
 * - replay, in the prod environment (its reviewers' approval is the human gate), as `<app>-promote`
 *   (TK161): reads the approvers from GitHub's API, replays the same bytes on prod (the script
 *   refuses a changed script, a stale rehearsal and DDL), uploads the promotion record;
 * and a third, record, after the replay, with no environment, no Vault role, no OIDC token and a
 * token of `contents: write` alone: re-reads the uploaded record strictly, holds it to this run
 * (TK167 holds its plan), and pushes it on a new branch `tierkit/promotions/<app>/<id>` it refuses
 * to write if it exists; a human opens the pull request (docs/data-promote.md says why).
 * The dispatch's inputs reach scripts only through `env:`, never interpolated into `run:`.
 */

export const DATA_PROMOTE_ARTIFACT = {
  rehearsal: (app: string) => `tierkit-data-promote-rehearsal-${app}`,
  record: (app: string) => `tierkit-data-promote-record-${app}`,
} as const;

/** What the dispatcher names: a tracked file of the dispatched commit, data only (`tierkit data-promote inspect`). */
export const SCRIPT_CHECK = String.raw`if [[ ! "$TIERKIT_CHANGE_SCRIPT" =~ ^[A-Za-z0-9._/-]+$ || "$TIERKIT_CHANGE_SCRIPT" == *..* || "$TIERKIT_CHANGE_SCRIPT" == /* ]]; then
  echo "::error::the change script must be a plain repository path ([A-Za-z0-9._/-], no ..), not: $TIERKIT_CHANGE_SCRIPT"; exit 1
fi
git ls-files --error-unmatch -- "$TIERKIT_CHANGE_SCRIPT" >/dev/null || { echo "::error::$TIERKIT_CHANGE_SCRIPT is not a file of commit $GITHUB_SHA: only a reviewed, merged change script is promoted"; exit 1; }
[ ! -L "$TIERKIT_CHANGE_SCRIPT" ] || { echo "::error::$TIERKIT_CHANGE_SCRIPT is a symbolic link"; exit 1; }
$TIERKIT data-promote inspect "$TIERKIT_CHANGE_SCRIPT"
`;

/** The job's one credential, read once with its Vault token into a private file the scripts source. */
export const CREDENTIAL_SCRIPT = String.raw`body="$(curl --fail-with-body --silent --show-error --header "X-Vault-Token: $VAULT_TOKEN" "$VAULT_ADDR/v1/$CREDS_PATH")"
user="$(jq -r '.data.username // empty' <<< "$body")"
password="$(jq -r '.data.password // empty' <<< "$body")"
[[ "$user" =~ ^[A-Za-z0-9_.-]+$ && -n "$password" && "$password" != *"'"* ]] || { echo "::error::$CREDS_PATH returned no usable credential"; exit 1; }
echo "::add-mask::$password"
umask 077
printf "export PGUSER='%s'\nexport PGPASSWORD='%s'\n" "$user" "$password" > "$RUNNER_TEMP/credentials"
echo "read the credential at $CREDS_PATH (login $user)"
`;

/** The golden's published hashes (its producer alone writes them), as the reset parses them. */
export const SEED_HASHES_SCRIPT = String.raw`body="$(curl --fail-with-body --silent --show-error --header "X-Vault-Token: $VAULT_TOKEN" "$VAULT_ADDR/v1/$SEED_HASH_PATH")"
jq -r '"file_sha256=" + .data.data.file_sha256, "content_sha256=" + .data.data.content_sha256' <<< "$body" > "$RUNNER_TEMP/seed-hashes"
cat "$RUNNER_TEMP/seed-hashes"
`;

/** The golden, read-only, from the seed store (the runner must reach it, as the apply jobs reach the servers). */
export const MOUNT_GOLDEN_SCRIPT = String.raw`sudo apt-get update -qq
sudo apt-get install --yes --no-install-recommends nfs-common >/dev/null
sudo mkdir -p /mnt/tierkit-golden
sudo mount -t nfs -o ro,nosuid,nodev,noexec,nfsvers=4.1 "$SEED_SERVER:$SEED_EXPORT" /mnt/tierkit-golden
test -f "/mnt/tierkit-golden/$SEED_DUMP_FILE" || { echo "::error::no golden dump at $SEED_SERVER:$SEED_EXPORT/$SEED_DUMP_FILE"; exit 1; }
`;

/** Runs one of tierkit's scripts (`tierkit data-promote script <name>`) with `tierkit` on PATH (the rehearsal inspects with it). */
export const RUN_SCRIPT = String.raw`export PATH="$GITHUB_WORKSPACE/node_modules/.bin:$PATH"
$TIERKIT data-promote script "$SCRIPT_NAME" > "$RUNNER_TEMP/$SCRIPT_NAME.sh"
bash "$RUNNER_TEMP/$SCRIPT_NAME.sh"
`;

/**
 * The runner has no Kubernetes identity, so it cannot scale the sandbox app down as the in-cluster
 * reset does (docs/data-promote.md): when the reset fails, say what to scale, by name.
 */
export const RESET_FAILED_SCRIPT = String.raw`echo "::error::the reset of $SANDBOX from the golden did not complete. If it aborted with sessions of $TIERKIT_GROUP_ROLE still connected (exit 4, before anything was dropped), the sandbox app is running and this runner cannot scale it: scale it to 0 (kubectl --namespace $SANDBOX_NAMESPACE scale deployment/$SANDBOX_DEPLOYMENT --replicas=0), dispatch again, then scale it back."
exit 1
`;

export const REHEARSE_SCRIPT_STEP = String.raw`TIERKIT_SEED_CONTENT_SHA256="$(sed -n 's/^content_sha256=\([0-9a-f]\{64\}\)$/\1/p' "$RUNNER_TEMP/seed-hashes")"
export TIERKIT_SEED_CONTENT_SHA256
${RUN_SCRIPT}{
  echo "### Rehearsal of $TIERKIT_CHANGE_SCRIPT on $PGDATABASE"
  echo '~~~'
  cat "$TIERKIT_REHEARSAL_FILE"
  echo '~~~'
} >> "$GITHUB_STEP_SUMMARY"
`;

/** The approvers: GitHub's record of who approved this run's environment, never an input. */
export const APPROVERS_SCRIPT = String.raw`curl --fail-with-body --silent --show-error --header "Authorization: Bearer $GITHUB_TOKEN" \
  --header "Accept: application/vnd.github+json" --header "X-GitHub-Api-Version: 2022-11-28" \
  "$GITHUB_API_URL/repos/$GITHUB_REPOSITORY/actions/runs/$GITHUB_RUN_ID/approvals" > "$RUNNER_TEMP/approvals.json"
approvers="$($TIERKIT data-promote approvers "$RUNNER_TEMP/approvals.json" --environment "$ENVIRONMENT")"
echo "approvers=$approvers" >> "$GITHUB_OUTPUT"
echo "approved by $approvers"
`;

export const RECORD_SCRIPT = String.raw`record="$($TIERKIT data-promote record "$TIERKIT_PROMOTION_RECORD" --approvals "$RUNNER_TEMP/approvals.json" --environment "$ENVIRONMENT" --repository "$GITHUB_REPOSITORY" --run-id "$GITHUB_RUN_ID" --run-attempt "$GITHUB_RUN_ATTEMPT" --out "$RUNNER_TEMP/record")"
echo "record-id=$(basename "$record" .json)" >> "$GITHUB_OUTPUT"
{
  echo "### Data promote of $TIERKIT_CHANGE_SCRIPT on $PGDATABASE"
  echo '~~~json'
  cat "$record"
  echo
  echo '~~~'
} >> "$GITHUB_STEP_SUMMARY"
`;

/** The record job's check: the artifact holds this run's record, read strictly (`tierkit data-promote verify`). */
export const VERIFY_RECORD_SCRIPT = String.raw`record="$($TIERKIT data-promote verify "$RECORD_DIR" --app "$TIERKIT_APP" --environment "$ENVIRONMENT" --repository "$GITHUB_REPOSITORY" --run-id "$GITHUB_RUN_ID" --run-attempt "$GITHUB_RUN_ATTEMPT" --record-id "$RECORD_ID" --script "$TIERKIT_CHANGE_SCRIPT")"
echo "record=$record" >> "$GITHUB_OUTPUT"
echo "verified $record: the record of run $GITHUB_RUN_ID of $GITHUB_REPOSITORY, script $TIERKIT_CHANGE_SCRIPT"
`;

/**
 * One new branch per record, on the dispatched commit, with the record alone. The push names the
 * branch's expected value as none (force-with-lease with an empty expectation): the server refuses
 * it if the branch exists, atomically, so a branch tierkit did not create is never written.
 */
export const PUSH_RECORD_SCRIPT = String.raw`[[ "$RECORD_ID" =~ ^[0-9a-f]{16}$ && "$RECORD_PATH" == "promotions/$TIERKIT_APP/data/$RECORD_ID.json" ]] || { echo "::error::not a record of $TIERKIT_APP: $RECORD_PATH ($RECORD_ID)"; exit 1; }
branch="$BRANCH_PREFIX$RECORD_ID"
git config user.name "tierkit"
git config user.email "tierkit@users.noreply.github.com"
basic="$(printf 'x-access-token:%s' "$GITHUB_TOKEN" | base64 | tr -d '
')"
echo "::add-mask::$basic"
auth="AUTHORIZATION: basic $basic"
set +e
git -c "http.extraheader=$auth" ls-remote --exit-code --heads origin "refs/heads/$branch" >/dev/null
found=$?
set -e
if [ "$found" -eq 0 ]; then echo "::error::branch $branch already exists: tierkit pushes a record only on a branch it creates, nothing pushed"; exit 1; fi
if [ "$found" -ne 2 ]; then echo "::error::cannot ask origin whether $branch exists (git ls-remote exit $found)"; exit 1; fi
if git cat-file -e "HEAD:$RECORD_PATH" 2>/dev/null; then echo "::error::$RECORD_PATH is already committed at $GITHUB_SHA"; exit 1; fi
git switch --quiet --create "$branch"
mkdir -p "$(dirname "$RECORD_PATH")"
cp "$RECORD_DIR/$RECORD_PATH" "$RECORD_PATH"
git add -- "$RECORD_PATH"
git commit --quiet -m "tierkit: data promote $RECORD_ID of $TIERKIT_APP ($TIERKIT_CHANGE_SCRIPT), run $GITHUB_RUN_ID attempt $GITHUB_RUN_ATTEMPT"
git -c "http.extraheader=$auth" push --quiet --force-with-lease="refs/heads/$branch:" origin "HEAD:refs/heads/$branch"
url="$GITHUB_SERVER_URL/$GITHUB_REPOSITORY/compare/$GITHUB_REF_NAME...$branch?expand=1"
echo "pushed $RECORD_PATH on $branch"
{
  echo "### Data promote record $RECORD_ID"
  echo "Committed on the new branch $branch. Open its pull request into $GITHUB_REF_NAME: $url"
} >> "$GITHUB_STEP_SUMMARY"
echo "::notice::the record is on $branch: open its pull request, $url"
`;

function serverOf(m: Manifest, env: ManifestAppEnvironment): ManifestServer {
  const s = m.servers.find((x) => x.id === env.server);
  if (!s) throw new Error(`manifest.json: app-environment ${env.slug} names server ${JSON.stringify(env.server)}, which the manifest does not list; run tierkit synth again`);
  return s;
}

function envOf(m: Manifest, slug: string): ManifestAppEnvironment {
  const e = m.appEnvironments.find((x) => x.slug === slug);
  if (!e) throw new Error(`manifest.json: the data promote names app-environment ${JSON.stringify(slug)}, which the manifest does not list; run tierkit synth again`);
  return e;
}

/**
 * libpq's target, from the manifest (the scripts unset every other way to name one). verify-full
 * without PGSSLROOTCERT reads ~/.postgresql/root.crt: hand it the server's declared CA, which
 * `caFileStep` writes (sha256-checked) before the job connects.
 */
function pgTarget(m: Manifest, env: ManifestAppEnvironment): Record<string, string> {
  const s = serverOf(m, env);
  const mode = s.sslMode ?? 'verify-full';
  return { PGHOST: s.host, PGPORT: String(s.port), PGDATABASE: env.names.database, PGSSLMODE: mode, ...(mode === 'verify-full' ? { PGSSLROOTCERT: pgCaFile(s.id) } : {}) };
}

function credentialStep(m: Manifest, job: DataPromoteJob): Step {
  return { name: `Read ${job.credsPath}`, env: { VAULT_ADDR: m.estate.vault.address, CREDS_PATH: job.credsPath }, run: CREDENTIAL_SCRIPT };
}

const INPUT_SCRIPT = '${{ inputs.script }}';

function commonHead(): Step[] {
  return [
    checkout(),
    // Installed before any Vault token or credential exists in the job (install scripts never see one).
    ...setupNode(),
    { name: 'The change script: a tracked file of this commit, data only', env: { TIERKIT_CHANGE_SCRIPT: INPUT_SCRIPT, TIERKIT }, run: SCRIPT_CHECK },
  ];
}

function rehearseJob(m: Manifest, a: DataPromoteApp): Record<string, unknown> {
  const job = a.rehearse;
  const sandbox = envOf(m, job.target);
  const store = m.estate.seedStore;
  const seedHashPath = `${m.estate.vault.kvMount}/data/${seedHashKvSecretName(a.app, 'golden')}`;
  const target = pgTarget(m, sandbox);
  return {
    name: `rehearse on ${sandbox.slug}: reset from golden, run the script, hash before and after`,
    if: `\${{ inputs.app == '${a.app}' }}`,
    'runs-on': RUNNER,
    environment: job.environment,
    permissions: { ...job.permissions },
    'timeout-minutes': 60,
    steps: [
      ...commonHead(),
      vaultLogin(m, job.vaultRole, undefined),
      credentialStep(m, job),
      ...caFileStep(serverOf(m, sandbox)),
      { name: "The golden's published hashes", env: { VAULT_ADDR: m.estate.vault.address, SEED_HASH_PATH: seedHashPath }, run: SEED_HASHES_SCRIPT },
      ...(store ? [{
        name: 'Mount the golden (read-only)',
        env: { SEED_SERVER: store.server, SEED_EXPORT: seedExportPath(store.exportRoot, a.app, 'golden'), SEED_DUMP_FILE },
        run: MOUNT_GOLDEN_SCRIPT,
      }] : []),
      {
        id: 'reset',
        name: `Reset ${sandbox.slug} from the golden`,
        env: {
          ...target, TIERKIT, SCRIPT_NAME: 'reset', TIERKIT_CREDENTIALS_FILE: '${{ runner.temp }}/credentials', TIERKIT_OBJECT_PREFIX: sandbox.objectPrefix,
          TIERKIT_GROUP_ROLE: sandbox.names.groupRole, TIERKIT_VAULT_CONNECTION_ROLE: sandbox.names.vaultConnectionRole,
          TIERKIT_DUMP_FILE: `/mnt/tierkit-golden/${SEED_DUMP_FILE}`, TIERKIT_SEED_HASH_FILE: '${{ runner.temp }}/seed-hashes', TIERKIT_DRAIN_TIMEOUT_SECONDS: '300',
        },
        run: RUN_SCRIPT,
      },
      {
        name: `If the reset failed: what to scale down`,
        if: "${{ failure() && steps.reset.outcome == 'failure' }}",
        env: { SANDBOX: sandbox.slug, TIERKIT_GROUP_ROLE: sandbox.names.groupRole, SANDBOX_NAMESPACE: sandbox.names.namespace, SANDBOX_DEPLOYMENT: workloadName({ app: sandbox.app, env: sandbox.env }) },
        run: RESET_FAILED_SCRIPT,
      },
      {
        name: `Rehearse the change script on ${sandbox.slug}`,
        env: {
          ...target, TIERKIT, SCRIPT_NAME: 'rehearse', TIERKIT_CREDENTIALS_FILE: '${{ runner.temp }}/credentials', TIERKIT_OBJECT_PREFIX: sandbox.objectPrefix,
          TIERKIT_GROUP_ROLE: sandbox.names.groupRole, TIERKIT_CHANGE_SCRIPT: INPUT_SCRIPT, TIERKIT_REHEARSAL_FILE: '${{ runner.temp }}/rehearsal',
          TIERKIT_SANDBOX_HOST: target.PGHOST, TIERKIT_SANDBOX_DATABASE: target.PGDATABASE,
        },
        run: REHEARSE_SCRIPT_STEP,
      },
      { name: 'Upload the rehearsal', uses: ACTIONS.uploadArtifact, with: { name: DATA_PROMOTE_ARTIFACT.rehearsal(a.app), path: '${{ runner.temp }}/rehearsal', 'if-no-files-found': 'error', 'retention-days': 7 } },
      revokeVaultToken(m),
    ],
  };
}

function replayJob(m: Manifest, a: DataPromoteApp): Record<string, unknown> {
  const job = a.replay;
  const prod = envOf(m, job.target);
  const target = pgTarget(m, prod);
  return {
    name: `replay on ${prod.slug} after the ${job.environment} approval, with the promote credential`,
    needs: [...job.needs],
    if: `\${{ inputs.app == '${a.app}' }}`,
    'runs-on': RUNNER,
    environment: job.environment,
    permissions: { ...job.permissions },
    'timeout-minutes': 30,
    outputs: { 'record-id': '${{ steps.record.outputs.record-id }}' },
    steps: [
      ...commonHead(),
      { name: 'Download the rehearsal', uses: ACTIONS.downloadArtifact, with: { name: DATA_PROMOTE_ARTIFACT.rehearsal(a.app), path: '${{ runner.temp }}/rehearsed' } },
      {
        id: 'approvers',
        name: `Who approved ${job.environment} (GitHub's approvals of this run)`,
        env: { GITHUB_TOKEN: '${{ github.token }}', ENVIRONMENT: job.environment, TIERKIT },
        run: APPROVERS_SCRIPT,
      },
      vaultLogin(m, job.vaultRole, undefined),
      credentialStep(m, job),
      ...caFileStep(serverOf(m, prod)),
      {
        name: `Replay the change script on ${prod.slug}`,
        env: {
          ...target, TIERKIT, SCRIPT_NAME: 'replay', TIERKIT_CREDENTIALS_FILE: '${{ runner.temp }}/credentials', TIERKIT_OBJECT_PREFIX: prod.objectPrefix,
          TIERKIT_GROUP_ROLE: prod.names.groupRole, TIERKIT_CHANGE_SCRIPT: INPUT_SCRIPT, TIERKIT_REHEARSAL_FILE: '${{ runner.temp }}/rehearsed/rehearsal',
          TIERKIT_PROD_HOST: target.PGHOST, TIERKIT_PROD_DATABASE: target.PGDATABASE,
          TIERKIT_PROMOTE_TABLES: (prod.promote?.grants ?? []).map((g) => g.table).join(' '),
          TIERKIT_MAX_REHEARSAL_AGE_SECONDS: String(a.maxRehearsalAgeSeconds),
          TIERKIT_APPROVERS: '${{ steps.approvers.outputs.approvers }}', TIERKIT_APP: a.app, TIERKIT_PROMOTION_RECORD: '${{ runner.temp }}/replay.json',
        },
        run: RUN_SCRIPT,
      },
      {
        id: 'record',
        name: 'The promotion record (approvers from GitHub, hashes from the rehearsal and the replay)',
        env: { TIERKIT, ENVIRONMENT: job.environment, TIERKIT_PROMOTION_RECORD: '${{ runner.temp }}/replay.json', TIERKIT_CHANGE_SCRIPT: INPUT_SCRIPT, PGDATABASE: target.PGDATABASE },
        run: RECORD_SCRIPT,
      },
      {
        name: 'Upload the promotion record',
        uses: ACTIONS.uploadArtifact,
        with: { name: DATA_PROMOTE_ARTIFACT.record(a.app), path: '${{ runner.temp }}/record', 'if-no-files-found': 'error', 'retention-days': 90 },
      },
      revokeVaultToken(m),
    ],
  };
}

function recordJob(a: DataPromoteApp): Record<string, unknown> {
  const job = a.record;
  const recordDir = '${{ runner.temp }}/record';
  const mine = { TIERKIT, TIERKIT_APP: a.app, TIERKIT_CHANGE_SCRIPT: INPUT_SCRIPT, RECORD_DIR: recordDir, RECORD_ID: `\${{ needs.${a.replay.job}.outputs.record-id }}` };
  return {
    name: `commit the record of the ${a.app} data promote on a new branch`,
    needs: [...job.needs],
    if: `\${{ inputs.app == '${a.app}' }}`,
    'runs-on': RUNNER,
    // No environment: none of its secrets, and no approval to wait for (the replay had it).
    permissions: { ...job.permissions },
    'timeout-minutes': 10,
    steps: [
      ...commonHead(),
      { name: 'Download the promotion record', uses: ACTIONS.downloadArtifact, with: { name: DATA_PROMOTE_ARTIFACT.record(a.app), path: recordDir } },
      { id: 'verify', name: "The record is this run's (read strictly)", env: { ...mine, ENVIRONMENT: a.replay.environment }, run: VERIFY_RECORD_SCRIPT },
      {
        name: `Push it on a new branch ${job.branchPrefix}<id>`,
        env: { ...mine, RECORD_PATH: '${{ steps.verify.outputs.record }}', BRANCH_PREFIX: job.branchPrefix, GITHUB_TOKEN: '${{ github.token }}', ...NO_GIT_HOOKS },
        run: PUSH_RECORD_SCRIPT,
      },
    ],
  };
}

/** The workflow, or undefined when no app has a promote credential. */
export function dataPromoteWorkflow(m: Manifest): Record<string, unknown> | undefined {
  const plan = dataPromotePlan(m);
  if (!plan) return undefined;
  const apps = plan.apps.map((a) => a.app);
  const jobs: Record<string, unknown> = {};
  for (const a of plan.apps) {
    jobs[a.rehearse.job] = rehearseJob(m, a);
    jobs[a.replay.job] = replayJob(m, a);
    jobs[a.record.job] = recordJob(a);
  }
  return {
    name: 'tierkit data promote',
    on: {
      workflow_dispatch: {
        inputs: {
          app: { description: 'The app whose prod data changes', type: 'choice', options: apps, required: true },
          script: { description: 'The reviewed change script: its path in this repository (INSERT, UPDATE and DELETE only)', type: 'string', required: true },
        },
      },
    },
    // Each job names its own; id-token only where a job logs into Vault.
    permissions: { contents: 'read' },
    // One data promote per app at a time: a second waits, it never cancels one mid-replay.
    concurrency: { group: 'tierkit-data-promote-${{ inputs.app }}', 'cancel-in-progress': false },
    ...(caEnv(m) ? { env: caEnv(m) } : {}),
    jobs,
  };
}
