import { pgCaFile } from '../contract/pg-ca';
import type { Manifest, ManifestServer, ManifestTier } from '../contract/manifest';
import { hasShortLivedPlanner } from '../contract/planner';
import {
  applierRoleName, CI_WORKFLOW_FILES, PLATFORM_ADMIN_ENVIRONMENT, PLATFORM_ADMIN_ROLE, planEnvironmentName, plannerRoleName,
  PROVIDER_LOCKS_DIR, plannerIssuerPasswordVariable, plannerVaultName, serverAdminSecretName, serverPlannerIssuerSecretName,
  serverPlannerSecretName, stateRoleName, tierPlatformStackName,
} from '../constructs/naming';
import { compareStrings } from '../contract/order';
import { ACTIONS, NODE_VERSION, TERRAFORM_VERSION } from './pins';
import { BIND_PLAN_SCRIPT, DESTROY_SCRIPT } from './plan-binding';

/** Steps both workflows share. Every credential comes from OIDC, Vault or `secrets.*`; none is written here. */

export type Step = Record<string, unknown>;

/** How the workflows run tierkit: the version the repository installs (its lockfile), never a download. */
export const TIERKIT = 'npx --no-install tierkit';

/** File names of the generated workflows (the apply workflow looks the PR workflow's runs up by name). */
export const WORKFLOW_FILES = CI_WORKFLOW_FILES;

/** The diff leaves room for the plans section; the comment job bounds the whole comment (ci/github-comment.ts). */
export const COMMENT_MAX_CHARS = 60_000;

export const ARTIFACT = {
  diff: 'tierkit-diff',
  dist: 'tierkit-dist',
  plans: 'tierkit-plans',
  plan: (stackExpr: string) => `tierkit-plan-${stackExpr}`,
  /** Main's synthesized stacks and committed provider lock files, uploaded by `locate` for the apply jobs. */
  main: 'tierkit-main',
  /** The same of main before the push, when stacks were removed: what their destroy plans must have been made from. */
  mainBefore: 'tierkit-main-before',
  /** The comment rendered again with the plans' actions (`tierkit diff --plans`). */
  plansDiff: 'tierkit-plans-diff',
} as const;

export function checkout(extra: Record<string, unknown> = {}): Step {
  return { name: 'Check out', uses: ACTIONS.checkout, with: { 'persist-credentials': false, ...extra } };
}

export function setupNode(): Step[] {
  return [
    { name: 'Set up Node', uses: ACTIONS.setupNode, with: { 'node-version': NODE_VERSION, cache: 'npm' } },
    { name: 'Install dependencies', run: 'npm ci' },
  ];
}

export function setupTerraform(): Step {
  return { name: 'Set up Terraform', uses: ACTIONS.setupTerraform, with: { terraform_version: TERRAFORM_VERSION, terraform_wrapper: false } };
}

/**
 * Terraform state (S3 backend) through OIDC, as one of the state identities of
 * dist/ci/state-access.json (a tier's planner or applier, or platform-admin: naming.stateRoleName).
 * AWS checks the token's `sub` against that role's trust; the region is the backend's. No step for
 * a local backend (a laptop's state: CI has nothing to assume).
 */
export function stateCredentials(m: Manifest, roleName: string): Step[] {
  const b = m.estate.backend;
  if (!b || b.type !== 's3') return [];
  const account = b.accountId ?? '${{ vars.TIERKIT_AWS_ACCOUNT_ID }}';
  return [{
    name: `Terraform state credentials (OIDC, ${roleName})`,
    uses: ACTIONS.awsCredentials,
    with: { 'role-to-assume': `arn:aws:iam::${account}:role/${roleName}`, 'aws-region': b.region, 'role-session-name': 'tierkit-${{ github.run_id }}' },
  }];
}

/** The JWT audience Vault's CI roles bind: GitHub's default, the repository owner's URL. */
export function jwtAudience(m: Manifest): string {
  return `https://github.com/${m.estate.ci.repository.split('/')[0]}`;
}

/** KV v2 API path of a logical secret name (`<mount>/data/<name>`), as vault-action reads it. */
function kvDataPath(m: Manifest, name: string): string {
  return `${m.estate.vault.kvMount}/data/${name}`;
}

/**
 * A verify-full server's CA, written where its stacks' provider reads it (`sslrootcert`,
 * contract/pg-ca.ts) from the manifest, and refused unless its sha256 is the one the manifest
 * records (base64 in the workflow: one line). The directory must be the job's own (a shared runner's /tmp may hold another's).
 */
export function caFileStep(server: ManifestServer, condition?: string): Step[] {
  if (server.sslMode !== 'verify-full' || server.caCertificatePem === undefined) return [];
  const step: Step = {
    name: `Write the CA of ${server.id} for verify-full`,
    env: { CA_PEM_BASE64: `${'${{'} env.${caEnvName(server.id)} }}`, CA_SHA256: server.caCertificateSha256 ?? '', CA_FILE: pgCaFile(server.id) },
    run: CA_FILE_SCRIPT,
  };
  return [condition ? { if: condition, ...step } : step];
}

/** The workflow-level variable holding a server's CA PEM, base64 (written once per workflow, not per job). */
export const caEnvName = (serverId: string): string => `TIERKIT_PG_CA_${serverId.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;

/** Workflow-level env: each verify-full server's CA PEM, base64 (one line; `caFileStep` writes it out). */
export function caEnv(m: Manifest): Record<string, string> | undefined {
  const servers = m.servers.filter((s) => s.sslMode === 'verify-full' && s.caCertificatePem !== undefined).sort((a, b) => compareStrings(a.id, b.id));
  if (servers.length === 0) return undefined;
  return Object.fromEntries(servers.map((s) => [caEnvName(s.id), Buffer.from(s.caCertificatePem!, 'utf8').toString('base64')]));
}

export const CA_FILE_SCRIPT = [
  'umask 077',
  'dir="$(dirname "$CA_FILE")"',
  'mkdir -p "$dir"',
  'if [ ! -O "$dir" ] || [ -L "$dir" ]; then',
  '  echo "::error::$dir is not a directory of this job: refusing to write the CA there"',
  '  exit 1',
  'fi',
  'rm -f "$CA_FILE"',
  'printf \'%s\' "$CA_PEM_BASE64" | base64 -d > "$CA_FILE"',
  'got="$(sha256sum "$CA_FILE" | cut -d" " -f1)"',
  'if [ "$got" != "$CA_SHA256" ]; then',
  '  echo "::error::the CA written to $CA_FILE has sha256 $got, not $CA_SHA256 as the manifest records: refusing"',
  '  exit 1',
  'fi',
  '',
].join('\n');

/**
 * Vault login with the job's GitHub OIDC token, exporting VAULT_TOKEN for Terraform's vault
 * provider, and — for a stack that reaches a Postgres server — that server's admin credential
 * (appliers) or read-only planner login (planners, `credential: 'planner'`)
 * as TF_VAR_pg_admin_username / TF_VAR_pg_admin_password.
 */
export function vaultLogin(m: Manifest, role: string, server: ManifestServer | undefined, condition?: string, credential: 'admin' | 'planner' = 'admin'): Step {
  const withs: Record<string, unknown> = {
    url: m.estate.vault.address,
    method: 'jwt',
    path: m.estate.vault.jwtAuthPath,
    role,
    jwtGithubAudience: jwtAudience(m),
    exportToken: true,
  };
  if (server) {
    // The stack's provider reads var.pg_admin_*; a planner fills them with the read-only login: on
    // PostgreSQL 16+ a short-lived one Vault issues per job (contract/planner.ts; vault-action reads a
    // path once per step, so both fields come from one lease, revoked with the job's token).
    const shortLived = credential === 'planner' && hasShortLivedPlanner(server.majorVersion);
    const path = shortLived ? `${m.estate.vault.databaseMount}/creds/${plannerVaultName(server.id)}`
      : kvDataPath(m, credential === 'admin' ? serverAdminSecretName(server.id) : serverPlannerSecretName(server.id));
    withs.secrets = `${path} username | TF_VAR_pg_admin_username ;\n${path} password | TF_VAR_pg_admin_password\n`;
  }
  const what = credential === 'admin' ? 'admin credential'
    : server && hasShortLivedPlanner(server.majorVersion) ? 'short-lived planner login' : 'read-only planner login';
  const step: Step = { name: server ? `Vault login (${role}) and ${server.id} ${what}` : `Vault login (${role})`, uses: ACTIONS.vault, with: withs };
  return condition ? { if: condition, ...step } : step;
}

/**
 * Revoke the job's Vault token (and the leases it created) at job end, whatever happened: a token
 * left to its TTL outlives the job on a runner the next step of an attack may still control.
 * `auth/token/revoke-self` needs no policy (Vault's default policy grants it).
 */
export function revokeVaultToken(m: Manifest): Step {
  return {
    name: 'Revoke the Vault token',
    if: "${{ always() && env.VAULT_TOKEN != '' }}",
    env: { VAULT_ADDR: m.estate.vault.address },
    run: [
      'if curl --fail-with-body --silent --show-error --retry 3 --retry-all-errors --request POST --header "X-Vault-Token: $VAULT_TOKEN" "$VAULT_ADDR/v1/auth/token/revoke-self"; then',
      '  echo "revoked the job\'s Vault token"',
      'else',
      '  echo "::warning::could not revoke the job\'s Vault token; it expires with its TTL"',
      'fi',
      '',
    ].join('\n'),
  };
}

export function applierRole(tier: string): string {
  return applierRoleName(tier);
}

/** The read-only planner of a tier's stacks (platform-<tier> declares it, bound to pull_request runs). */
export function plannerRole(tier: string): string {
  return plannerRoleName(tier);
}

/**
 * Who applies a stack: the platform stacks (mounts, auth backends, the CI roles themselves) by the
 * platform-admin identity in its own environment; every other stack by its gating tier's applier.
 */
export function applyIdentity(s: { readonly kind: string; readonly gatingTier: string }): { environment: string; role: string; stateRole: string } {
  return s.kind === 'app-environment'
    ? { environment: s.gatingTier, role: applierRoleName(s.gatingTier), stateRole: stateRoleName({ role: 'apply', tier: s.gatingTier }) }
    : { environment: PLATFORM_ADMIN_ENVIRONMENT, role: PLATFORM_ADMIN_ROLE, stateRole: stateRoleName('platform-admin') };
}

/**
 * First passwords of the write-only roles (Vault connection user, golden dump role, preview admin):
 * used only when the role is created (or its `*_wo_version` bumped) — Vault rotates the first, the
 * same apply stores the others in their KV secrets — so a fresh random value per job is right, and
 * never reused.
 */
export const WRITE_ONLY_PASSWORD_VARIABLES = ['vault_connection_password', 'golden_dump_password', 'preview_admin_password'] as const;

export function ephemeralPassword(extra: readonly string[] = []): Step {
  return {
    name: 'Ephemeral first passwords of write-only roles',
    run: [...WRITE_ONLY_PASSWORD_VARIABLES, ...extra].map((v) => `pw="$(openssl rand -hex 32)"\necho "::add-mask::$pw"\necho "TF_VAR_${v}=$pw" >> "$GITHUB_ENV"\n`).join(''),
  };
}

/** Servers whose short-lived planner issuer a tier platform stack declares (contract/planner.ts), sorted. */
function plannerIssuerServers(m: Manifest): ManifestServer[] {
  return m.servers.filter((s) => s.gatingTier !== undefined && hasShortLivedPlanner(s.majorVersion)).sort((a, b) => compareStrings(a.id, b.id));
}

/**
 * Plans: the issuer connections' password variables, random (write-only: a plan never sends them).
 * The apply of a tier platform stack fills them from KV instead (plannerIssuerSecrets).
 */
export function plannerIssuerPlanVariables(m: Manifest): string[] {
  return plannerIssuerServers(m).map((s) => plannerIssuerPasswordVariable(s.id));
}

/**
 * vault-action lines reading, for platform-admin's apply of a tier platform stack, the first password
 * of each issuer it declares — the operator's bootstrap stores it (docs/pr-flow.md); the apply's
 * rotate step then rotates it away, so the KV value is dead after the first apply.
 */
export function plannerIssuerSecrets(m: Manifest, stack: string): string {
  return plannerIssuerServers(m).filter((s) => tierPlatformStackName(s.gatingTier!) === stack)
    .map((s) => `${kvDataPath(m, serverPlannerIssuerSecretName(s.id))} password | TF_VAR_${plannerIssuerPasswordVariable(s.id)}`).join(' ;\n');
}

/** Stacks CI plans and applies: a tier whose gate is `none` is applied by hand, on a laptop. */
export function ciStacks(m: Manifest) {
  return m.stacks.filter((s) => s.applyGate !== 'none');
}

/** Servers whose stacks CI applies (their gating tier's gate is not `none`). */
export function ciServers(m: Manifest): ManifestServer[] {
  return m.servers.filter((s) => m.tiers.some((t) => t.name === s.gatingTier && t.applyGate.name !== 'none'));
}

/** Tiers whose apply gate is a human approval, strictest first. */
export function humanTiers(m: Manifest): ManifestTier[] {
  return m.tiers.filter((t) => t.applyGate.human).sort((a, b) => b.rank - a.rank);
}

/**
 * The GitHub environment a plan of a human-gated stack runs in: `<tier>-plan`. Its required
 * reviewers approve running the pull request's code with the server's planner login; only a
 * Vault role bound to this environment claim may read that credential.
 */
export function planEnvironment(tier: string): string {
  return planEnvironmentName(tier);
}

/** Servers whose stacks plan without a human gate: automatic gating tier and no superuser admin. */
export function ungatedServers(m: Manifest): ManifestServer[] {
  return m.servers.filter((s) => {
    const tier = m.tiers.find((t) => t.name === s.gatingTier);
    return !!tier && !tier.applyGate.human && tier.applyGate.name !== 'none' && !s.superuser;
  });
}

/** Fails the job when the matrix entry's server is not one whose credential this job may read. */
export function refuseServer(servers: readonly ManifestServer[], why: string): Step {
  return {
    name: 'Refuse a server whose credential this job may not read',
    env: { STACK: '${{ matrix.stack }}', SERVER: '${{ matrix.server }}', ALLOWED: JSON.stringify(servers.map((s) => s.id)) },
    run: `if [ -n "$SERVER" ] && ! jq -e --arg s "$SERVER" 'any(.[]; . == $s)' <<< "$ALLOWED" > /dev/null; then\n  echo "::error::stack $STACK reaches server $SERVER: ${why}"\n  exit 1\nfi\n`,
  };
}

/** Which stack a job applies: a literal name (and its artifact path in dist), or a matrix entry (`matrix.stack`, `matrix.server`). */
export type StackRef =
  | { readonly name: string; readonly server?: string; readonly artifact: string }
  | { readonly matrix: true };

/**
 * Bash: `lock` = the committed provider lock file (naming.providerLockFile) of the stack whose
 * `cdk.tf.json` is `$1`, under the directory `$2` (a checkout of the estate repo).
 */
const LOCK_OF = `lock_of() {
  local providers
  providers="$(jq -r '.terraform.required_providers // {} | keys | join("+")' "$1")"
  lock="$2/${PROVIDER_LOCKS_DIR}/\${providers:-none}.terraform.lock.hcl"
}
`;

/**
 * Plan jobs: put the committed provider lock file of the stack's provider set beside it (the head's,
 * or the base's for a destroy plan), so \`terraform init -lockfile=readonly\` installs only packages
 * whose checksums the repository records — a lock file change is a reviewed line of the PR.
 */
export const STAGE_LOCK_SCRIPT = [
  LOCK_OF,
  'root="head"; if [ "$ACTION" = destroy ]; then root="base"; fi',
  'lock_of stack/cdk.tf.json "$root"',
  'if [ ! -f "$lock" ]; then',
  '  echo "::error::no committed provider lock file ${lock#"$root"/} for stack $STACK: run terraform providers lock -platform=linux_amd64 in a directory holding its cdk.tf.json, commit the .terraform.lock.hcl it writes as ${lock#"$root"/}, and push"',
  '  exit 1',
  'fi',
  'cp "$lock" stack/.terraform.lock.hcl',
  '',
].join('\n');

/**
 * Apply jobs, in the stack directory holding the reviewed plan: refuse unless the plan's embedded
 * configuration (the zip's \`tfconfig/\`) is exactly main's synthesized stack — one module, one file,
 * byte-identical — and its embedded provider lock is main's committed lock file; then stage main's
 * stack and lock file (never the artifact's, whose other files are removed) for \`terraform init -lockfile=readonly\`. The PR run made
 * the plan with code the PR controls; this makes its output, not its honesty, what is checked.
 * `root` holds that `dist/` and `terraform-locks/` (main's, or main's before the push for a removed stack).
 */
export function verifyConfigScript(root: string, who: string, whose: string): string {
  return [
    LOCK_OF,
    `want="${root}/dist/$ARTIFACT_PATH"`,
    'if [ ! -f "$want" ]; then',
    `  echo "::error::${who} synthesizes no $ARTIFACT_PATH, yet a plan for it was reviewed: refusing; re-run the PR checks on the current main and merge again"`,
    '  exit 1',
    'fi',
    '# Not a planfile (not a zip, no tfconfig/) lists nothing, and is refused below with that message.',
    'listed="$( { unzip -Z1 tfplan 2>/dev/null || true; } | { grep \'^tfconfig/\' || true; } | LC_ALL=C sort | tr \'\\n\' \' \')"',
    'if [ "$listed" != "tfconfig/m-/cdk.tf.json tfconfig/modules.json " ]; then',
    `  echo "::error::the plan of $STACK was made from configuration files $listed — not ${whose} cdk.tf.json alone (a file staged beside the stack changes what Terraform applies): refusing; re-run the PR checks and merge again"`,
    '  exit 1',
    'fi',
    'if ! unzip -p tfplan tfconfig/m-/cdk.tf.json | cmp -s - "$want"; then',
    `  echo "::error::the plan of $STACK was made from a configuration that is not ${whose} synthesized $ARTIFACT_PATH (a forged or outdated plan): refusing; re-run the PR checks on the merged head, then re-run this workflow"`,
    '  exit 1',
    'fi',
    `lock_of "$want" ${root}`,
    'if [ ! -f "$lock" ]; then',
    `  echo "::error::${who} has no committed provider lock file \${lock#${root}/} for $STACK: commit it (terraform providers lock -platform=linux_amd64) through a reviewed PR"`,
    '  exit 1',
    'fi',
    'if ! unzip -p tfplan .terraform.lock.hcl | cmp -s - "$lock"; then',
    `  echo "::error::the plan of $STACK was made with provider packages other than ${whose} committed \${lock#${root}/} records: refusing; re-run the PR checks and merge again"`,
    '  exit 1',
    'fi',
    // Only the verified plan stays: the artifact is the PR run's (a .terraform/ directory, a *.tf file,
    // a created-connections.txt the rotate step would read are all what the PR chose).
    'find . -mindepth 1 -maxdepth 1 ! -name tfplan -exec rm -rf -- {} +',
    'cp "$want" cdk.tf.json',
    'cp "$lock" .terraform.lock.hcl',
    '',
  ].join('\n');
}

export const VERIFY_CONFIG_SCRIPT = verifyConfigScript('../main', 'main', "main's");

/**
 * Run by `node -e` on `terraform show -json` of a plan: exits 1 unless every planned action is a
 * delete (or no-op). A removed stack's reviewed plan was made with `-destroy`; this makes the apply
 * job refuse anything else even if the plan index were wrong.
 */
export const ONLY_DELETES_SCRIPT = [
  "const plan = JSON.parse(require('fs').readFileSync(process.argv[1], 'utf8'));",
  "const other = (plan.resource_changes || []).filter((r) => !r.change.actions.every((a) => a === 'delete' || a === 'no-op'));",
  "if (other.length > 0) { console.log('::error::the destroy plan of a removed stack would ' + other.map((r) => r.change.actions.join('+') + ' ' + r.address).join(', ') + ': refusing to apply'); process.exit(1); }",
].join('\n');

/**
 * Download the reviewed plan of the stack, refuse it unless its sha256 is the reviewed one and its
 * configuration and lock are main's, log into Vault as `role` (with the stack's server's admin
 * credential, if any), plan main's stack and apply that plan if it does what the reviewed one does.
 */
export function applySteps(
  m: Manifest, stack: StackRef, role: string, stateRole: string,
  opts: { readonly onlyDeletes?: boolean; readonly verifyConfig?: readonly Step[]; readonly catchUp?: { readonly reviewed: string; readonly steps: (behind: string) => { stage: Step; plan: Step } } } = {},
): Step[] {
  // A stack behind its last apply (ci/github-catch-up.ts) has no reviewed plan: its job plans main's stack instead.
  const reviewedOnly = (st: Step): Step => (opts.catchUp ? { if: opts.catchUp.reviewed, ...st } : st);
  const catchUp = opts.catchUp?.steps(`!(${opts.catchUp.reviewed})`);
  const servers = ('matrix' in stack ? ciServers(m) : [...m.servers]).sort((a, b) => compareStrings(a.id, b.id));
  const login = 'matrix' in stack
    ? [vaultLogin(m, role, undefined, "matrix.server == ''"), ...servers.map((x) => vaultLogin(m, role, x, `matrix.server == '${x.id}'`))]
    : [vaultLogin(m, role, servers.find((x) => x.id === stack.server))].map((st) => {
      const issuers = role === PLATFORM_ADMIN_ROLE ? plannerIssuerSecrets(m, stack.name) : '';
      return issuers === '' ? st : { ...st, name: `${st.name} and the planner issuers' first passwords`, with: { ...(st.with as Record<string, unknown>), secrets: `${issuers}\n` } };
    });
  const name = 'matrix' in stack ? '${{ matrix.stack }}' : stack.name;
  const key = 'matrix' in stack ? 'matrix.stack' : `'${stack.name}'`;
  return [
    reviewedOnly({
      name: 'Download the reviewed plan',
      uses: ACTIONS.downloadArtifact,
      with: { name: ARTIFACT.plan(name), path: 'stack', 'run-id': '${{ needs.locate.outputs.run-id }}', 'github-token': '${{ github.token }}' },
    }),
    reviewedOnly({
      name: 'Refuse a plan whose sha256 differs from the reviewed one',
      'working-directory': 'stack',
      env: { REVIEWED: `\${{ fromJSON(needs.locate.outputs.plans)[${key}] }}` },
      run: 'got="$(sha256sum tfplan | cut -d" " -f1)"\nif [ -z "$REVIEWED" ] || [ "$got" != "$REVIEWED" ]; then\n  echo "::error::plan sha256 $got is not the reviewed $REVIEWED: refusing to apply"\n  exit 1\nfi\n',
    }),
    ...('matrix' in stack ? (opts.verifyConfig ?? []) : [
      {
        name: "Download main's synthesized stacks and lock files",
        uses: ACTIONS.downloadArtifact,
        with: { name: ARTIFACT.main, path: 'main' },
      },
      reviewedOnly({
        name: "Refuse a plan whose configuration or provider lock is not main's",
        'working-directory': 'stack',
        env: { STACK: stack.name, ARTIFACT_PATH: stack.artifact },
        run: VERIFY_CONFIG_SCRIPT,
      }),
      ...(catchUp ? [catchUp.stage] : []),
    ]),
    setupTerraform(),
    ...stateCredentials(m, stateRole),
    ...login,
    ...('matrix' in stack ? servers.flatMap((x) => caFileStep(x, `matrix.server == '${x.id}'`)) : servers.filter((x) => x.id === stack.server).flatMap((x) => caFileStep(x))),
    // A removed stack's destroy (matrix jobs) may be a platform stack's: its issuer variables, random (a destroy sends none).
    ephemeralPassword('matrix' in stack ? plannerIssuerPlanVariables(m) : []),
    ...(catchUp ? [catchUp.plan] : []),
    opts.onlyDeletes
      ? {
        name: 'terraform apply (the reviewed destroy plan, deletes only)', 'working-directory': 'stack',
        env: { STACK: name, BIND_PLAN: BIND_PLAN_SCRIPT, ONLY_DELETES: ONLY_DELETES_SCRIPT },
        run: DESTROY_SCRIPT,
      }
      : {
        id: 'apply', name: 'terraform apply (the reviewed plan, nothing else)', 'working-directory': 'stack',
        env: {
          STACK: name,
          // `false` only for a stack behind its last apply (no reviewed plan: its catch-up plan is main's own).
          REVIEWED: opts.catchUp ? `\${{ ${opts.catchUp.reviewed} }}` : 'true',
          // The label the apply job's name showed the approvers (github-apply.ts): the applied plan must match it.
          APPROVED: `\${{ needs.locate.outputs.counts && fromJSON(needs.locate.outputs.counts)[${key}] || '' }}`,
          BIND_PLAN: BIND_PLAN_SCRIPT,
        },
        run: APPLY_SCRIPT,
      },
    ...(opts.onlyDeletes ? [] : [{
      name: 'Rotate the root credential of each Vault connection the plan created',
      // Also after a failed apply: it may have created a connection before it failed, and no later
      // plan shows that creation again.
      if: "${{ always() && steps.apply.outcome != 'skipped' }}",
      'working-directory': 'stack',
      env: { VAULT_ADDR: m.estate.vault.address },
      run: ROTATE_SCRIPT,
    }]),
    revokeVaultToken(m),
  ];
}

/**
 * Apply the reviewed plan, first noting the Vault database connections it creates (or replaces) and
 * rotates (never a preview connection, see below):
 * their first password comes from this job (`TF_VAR_vault_connection_password`), and ROTATE_SCRIPT
 * hands it to Vault alone. Terraform never sends it again (write-only, fixed version).
 */
export const APPLY_SCRIPT = [
  'terraform init -input=false -lockfile=readonly',
  'plan=tfplan',
  'if [ "$REVIEWED" != false ]; then',
  // The reviewed plan is compared, never applied: main's stack, backend and state make the plan applied.
  '  terraform show -json tfplan > reviewed.json',
  '  terraform plan -input=false -out=main.tfplan',
  '  terraform show -json main.tfplan > main.json',
  '  node -e "${BIND_PLAN:?}" reviewed.json main.json "$APPROVED"',
  '  plan=main.tfplan',
  'fi',
  'terraform show -json "$plan" > plan.json',
  // The job summary: what the applied plan (this job's own) does.
  `jq -r '[.resource_changes[]? | .change.actions] as $a | "### \\($ENV.STACK // "stack"): \\([$a[] | select(index("create"))] | length) to add, \\([$a[] | select(. == ["update"])] | length) to change, \\([$a[] | select(index("delete"))] | length) to destroy"' plan.json >> "\${GITHUB_STEP_SUMMARY:-/dev/null}"`,
  // An env's connection carries tierkit's root_rotation_statements (TK045) and is rotated; a preview
  // connection carries none (TK171): its Jobs read the same password from KV, so it is never rotated.
  'jq -r \'.resource_changes[]? | select(.type == "vault_database_secret_backend_connection" and (.change.actions | index("create")) and ((.change.after.root_rotation_statements // []) | length > 0)) | "\\(.change.after.backend)/rotate-root/\\(.change.after.name)"\' plan.json > created-connections.txt',
  'terraform apply -input=false "$plan"',
  '',
].join('\n');

/** `rotate-root` of each connection APPLY_SCRIPT noted; a failure says how to finish by hand. */
export const ROTATE_SCRIPT = [
  'status=0',
  'if [ -f created-connections.txt ]; then',
  '  while read -r path; do',
  '    [ -n "$path" ] || continue',
  '    if curl --fail-with-body --silent --show-error --retry 3 --retry-all-errors --request POST --header "X-Vault-Token: $VAULT_TOKEN" "$VAULT_ADDR/v1/$path"; then',
  '      echo "rotated the root credential of $path: only Vault knows it now"',
  '    else',
  '      echo "::error::could not rotate $path (if the apply created it, run: vault write -force $path)"',
  '      status=1',
  '    fi',
  '  done < created-connections.txt',
  'fi',
  'exit "$status"',
  '',
].join('\n');
