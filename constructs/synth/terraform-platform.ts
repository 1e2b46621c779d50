import {
  DatabaseSecretBackendConnection, DatabaseSecretBackendRole, JwtAuthBackend, JwtAuthBackendRole, TerraformApp, TerraformStack,
  VaultAuthBackend, VaultMount, VaultPolicy,
} from '../cdktf';
import { AppEnvironment } from '../app-environment';
import { Estate } from '../estate';
import { hasGoldenDump, hasReset, resetRevokesLeases } from '../lifecycle/plan';
import { seedProducers } from '../lifecycle/producers';
import * as naming from '../naming';
import { Sandbox } from '../sandbox';
import { PostgresServer } from '../postgres-server';
import { PolicyRule, renderPolicy } from '../statements';
import { addVaultQuotas, vaultQuotaPolicyRules } from './vault-quotas';
import { Tier } from '../tier';
import { addBackend, addVaultProvider } from './terraform-common';
import { addVariables } from './cdktf-config';
import { ROOT_ROTATION_STATEMENTS } from '../statements';
import {
  PLANNER_CREATION_STATEMENTS, PLANNER_CREDENTIAL_TTL, PLANNER_REVOCATION_STATEMENTS, hasShortLivedPlanner,
} from '../../contract/planner';
import {
  PROMOTE_TOKEN_TTL_SECONDS, hasPromoteCredential, promoteClaims, promotePolicyRules, rehearsalSandbox, rehearsePolicyRules,
} from '../promote-credential';
import { rehearseClaims } from '../../contract/ci-names';
import { environmentsOf, gatingTierOfEstate } from '../query';
import { hostsPreviews, previewWorkloadAccessor } from '../previews';

/** Shared mounts and auth backends of the estate (one stack, behind the strictest gate). */
export function buildSharedPlatformStack(
  app: TerraformApp, estate: Estate, platformTiers: readonly string[], plannerIssuerServers: readonly string[] = [],
): TerraformStack {
  const name = naming.SHARED_PLATFORM_STACK;
  const stack = new TerraformStack(app, name);
  addBackend(stack, estate, name, { gatingTier: gatingTierOfEstate(estate).name });
  addVaultProvider(stack, estate);
  new VaultMount(stack, 'database_mount', { path: estate.vault.databaseMount, type: 'database', description: 'tierkit: dynamic Postgres credentials' });
  new VaultMount(stack, 'kv_mount', { path: estate.vault.kvMount, type: 'kv', options: { version: '2' }, description: 'tierkit: app configuration' });
  new VaultAuthBackend(stack, 'kubernetes_auth', { type: 'kubernetes', path: estate.vault.kubernetesAuthPath });
  new JwtAuthBackend(stack, 'ci_jwt_auth', {
    path: estate.vault.jwtAuthPath, oidcDiscoveryUrl: estate.ci.oidcIssuer, boundIssuer: estate.ci.oidcIssuer,
    description: 'tierkit: CI appliers (GitHub Actions OIDC)',
  });
  const policy = new VaultPolicy(stack, 'platform_admin_policy', {
    name: naming.PLATFORM_ADMIN_ROLE,
    policy: renderPolicy('tierkit: CI applier of the platform stacks (mounts, auth backends, CI roles and their policies)', platformAdminRules(estate, platformTiers, plannerIssuerServers)),
  });
  ciRole(stack, 'platform_admin_role', estate, naming.PLATFORM_ADMIN_ROLE, policy, applierClaims(estate, naming.PLATFORM_ADMIN_ENVIRONMENT));
  return stack;
}

/**
 * What the platform-admin identity must touch to apply the platform stacks, derived from the
 * resources those stacks declare (buildSharedPlatformStack, buildTierPlatformStack): each mount and
 * auth backend, the JWT backend's config, and
 * every CI role and policy — its own included, since later changes to it are applied by it.
 * `sys/mounts` and `sys/auth` (read): the vault provider reads a mount back from those listings.
 */
export function platformAdminRules(estate: Estate, platformTiers: readonly string[], plannerIssuerServers: readonly string[] = []): PolicyRule[] {
  const v = estate.vault;
  const ciRoles = [naming.PLATFORM_ADMIN_ROLE, ...platformTiers.flatMap((t) => [naming.applierRoleName(t), naming.plannerRoleName(t)]),
    // The data-promote replay identities (a policy and a JWT role each), declared by the tier platform stacks.
    ...environmentsOf(estate).filter(hasPromoteCredential).flatMap((e) => [naming.promoteName(e.app.appName), naming.rehearseName(e.app.appName)])];
  return [
    { path: 'sys/mounts', capabilities: ['read'] },
    { path: 'sys/auth', capabilities: ['read'] },
    ...[v.databaseMount, v.kvMount].flatMap((m) => [
      { path: `sys/mounts/${m}`, capabilities: CRUD },
      { path: `sys/mounts/${m}/tune`, capabilities: ['read', 'update'] },
    ]),
    // Enabling or disabling an auth method needs `sudo` (API docs, POST /sys/auth/:path); the provider
    // tunes it through `sys/mounts/auth/<path>/tune`, which does not.
    ...[v.kubernetesAuthPath, v.jwtAuthPath].flatMap((a) => [
      { path: `sys/auth/${a}`, capabilities: [...CRUD, 'sudo'] },
      { path: `sys/mounts/auth/${a}/tune`, capabilities: ['read', 'update'] },
    ]),
    { path: `auth/${v.jwtAuthPath}/config`, capabilities: CRUD },
    ...ciRoles.flatMap((r) => [
      { path: `sys/policies/acl/${r}`, capabilities: CRUD },
      { path: `auth/${v.jwtAuthPath}/role/${r}`, capabilities: CRUD },
    ]),
    // Each env's quotas, written into its tier's platform stack (vault-quotas.ts: why not its applier).
    ...vaultQuotaPolicyRules(estate, platformTiers),
    // The short-lived planner logins' connections and roles (plannerLoginIssuer below): written and
    // rotated by platform-admin, whose apply also reads the issuer's first password once.
    ...plannerIssuerServers.flatMap((id) => plannerIssuerAdminRules(estate, id)),
  ];
}

/** platform-admin's paths for one server's short-lived planner login. */
export function plannerIssuerAdminRules(estate: Estate, serverId: string): PolicyRule[] {
  const v = estate.vault;
  const name = naming.plannerVaultName(serverId);
  return [
    { path: `${v.databaseMount}/config/${name}`, capabilities: CRUD },
    { path: `${v.databaseMount}/roles/${name}`, capabilities: CRUD },
    { path: `${v.databaseMount}/rotate-root/${name}`, capabilities: ['update'] },
    { path: `${v.kvMount}/data/${naming.serverPlannerIssuerSecretName(serverId)}`, capabilities: ['read'] },
  ];
}

/** Claims every CI identity binds: this repository, by name and by its numeric id. */
function repositoryClaims(estate: Estate): Record<string, string> {
  return { repository: estate.ci.repository, repository_id: estate.ci.repositoryId };
}

/**
 * An applier's claims: a push to main, running the apply workflow as it is at main, in the GitHub
 * environment `environment` (whose protection rules are the human gate). A pull request's run —
 * whatever its workflow file says — has `event_name: pull_request` and a `refs/pull/…` ref.
 */
export function applierClaims(estate: Estate, environment: string): Record<string, string> {
  return {
    ...repositoryClaims(estate),
    environment,
    ref: naming.CI_MAIN_REF,
    event_name: 'push',
    job_workflow_ref: naming.jobWorkflowRef(estate.ci.repository, naming.CI_WORKFLOW_FILES.apply, naming.CI_MAIN_REF),
  };
}

/** A planner's claims: a pull request run; a human-gated tier's planner only in its `<tier>-plan` environment. */
export function plannerClaims(estate: Estate, tier: Tier): Record<string, string> {
  const claims: Record<string, string> = { ...repositoryClaims(estate), event_name: 'pull_request' };
  if (estate.tier(tier).config.applyGate.human) claims.environment = naming.planEnvironmentName(tier.name);
  return claims;
}

/**
 * The data-promote replay job's identity (promote-credential.ts): a policy reading the app's
 * promote credential and nothing else, and a JWT role handing it only to a manual dispatch of the
 * data-promote workflow at main in the prod env's GitHub environment. A CI identity like the
 * appliers': declared here, applied by platform-admin.
 */
function buildPromoteIdentity(stack: TerraformStack, estate: Estate, env: AppEnvironment): void {
  const app = env.app.appName;
  const name = naming.promoteName(app);
  const policy = new VaultPolicy(stack, `promote_policy_${app}`, {
    name, policy: renderPolicy(`tierkit: data promote of ${app} (replay job only)`, promotePolicyRules(app, estate.naming)),
  });
  const role = ciRole(stack, `promote_role_${app}`, estate, name, policy, promoteClaims(estate.ci.repository, estate.ci.repositoryId, env.tier.name));
  role.tokenTtl = PROMOTE_TOKEN_TTL_SECONDS;
  role.tokenMaxTtl = PROMOTE_TOKEN_TTL_SECONDS;
  // The rehearsal job's identity: the golden sandbox's credential only, in the sandbox tier's environment.
  const sandbox = rehearsalSandbox(env)!;
  const rehearse = naming.rehearseName(app);
  const rehearsePolicy = new VaultPolicy(stack, `rehearse_policy_${app}`, {
    name: rehearse,
    policy: renderPolicy(`tierkit: data promote rehearsal of ${app} on ${sandbox.coordinate.app}-${sandbox.coordinate.env} (rehearse job only)`,
      rehearsePolicyRules(app, sandbox.coordinate, estate.naming)),
  });
  const rehearseRole = ciRole(stack, `rehearse_role_${app}`, estate, rehearse, rehearsePolicy,
    rehearseClaims(estate.ci.repository, estate.ci.repositoryId, sandbox.tier.name));
  rehearseRole.tokenTtl = PROMOTE_TOKEN_TTL_SECONDS;
  rehearseRole.tokenMaxTtl = PROMOTE_TOKEN_TTL_SECONDS;
}

/** A CI JWT role: exact string matching (never `glob`), GitHub's default audience, one policy. */
function ciRole(stack: TerraformStack, id: string, estate: Estate, name: string, policy: VaultPolicy, claims: Record<string, string>): JwtAuthBackendRole {
  const [owner] = estate.ci.repository.split('/');
  return new JwtAuthBackendRole(stack, id, {
    backend: estate.vault.jwtAuthPath,
    roleName: name,
    roleType: 'jwt',
    userClaim: 'sub',
    boundAudiences: [`https://github.com/${owner}`],
    boundClaimsType: 'string',
    boundClaims: claims,
    tokenPolicies: [policy.name],
    tokenTtl: 3600,
    tokenMaxTtl: 3600,
  });
}

const CRUD = ['create', 'read', 'update', 'delete'];

/**
 * What an applier must touch in Vault to apply one app-environment stack: every Vault object the
 * stack declares, including the lifecycle ones (lifecycle/plan.ts decides both sides).
 */
function applierRulesFor(env: AppEnvironment): PolicyRule[] {
  const estate = env.estate;
  const c = env.coordinate;
  const v = estate.vault;
  const kvSecret = (name: string): PolicyRule[] => [
    { path: `${v.kvMount}/data/${name}`, capabilities: CRUD },
    { path: `${v.kvMount}/metadata/${name}`, capabilities: ['read', 'delete'] },
  ];
  const aclPolicy = (name: string): PolicyRule => ({ path: `sys/policies/acl/${name}`, capabilities: CRUD });
  const authRole = (name: string): PolicyRule => ({ path: `auth/${v.kubernetesAuthPath}/role/${name}`, capabilities: CRUD });
  const rules: PolicyRule[] = [
    { path: `${v.databaseMount}/config/${naming.vaultConnectionName(c)}`, capabilities: CRUD },
    // The apply job rotates a new connection's first password away (ci: APPLY_SCRIPT, ROTATE_SCRIPT).
    { path: `${v.databaseMount}/rotate-root/${naming.vaultConnectionName(c)}`, capabilities: ['update'] },
    { path: `${v.databaseMount}/roles/${naming.vaultRoleName(c)}`, capabilities: CRUD },
    ...kvSecret(naming.kvSecretName(c)),
    aclPolicy(naming.vaultPolicyName(c)),
    authRole(naming.kubernetesAuthRoleName(c)),
  ];
  if (hasGoldenDump(env)) {
    rules.push(...kvSecret(naming.goldenDumpKvSecretName(c)), aclPolicy(naming.goldenDumpName(c)), authRole(naming.goldenDumpName(c)));
  }
  if (hasReset(env)) rules.push(aclPolicy(naming.resetName(c)), authRole(naming.resetName(c)));
  // Each seed producer's policy and auth role (lifecycle/producers.ts): written by the applier, never granted to it.
  for (const p of seedProducers(env)) rules.push(aclPolicy(p.name), authRole(p.name));
  // An hourly reset's own revoke policy (buildAppEnvironmentStack): written by the applier, never granted to it.
  if (resetRevokesLeases(env)) rules.push(aclPolicy(naming.resetRevokeName(c)));
  // The TTL sweep's own policy and auth role (buildTtlSweep): the applier writes them, it is never granted them.
  if (env instanceof Sandbox && env.expiresAt !== undefined) rules.push(aclPolicy(naming.ttlSweepName(c)), authRole(naming.ttlSweepName(c)));
  // The promote credential's Vault role (written, never read as a credential); its policy and JWT role are platform-admin's.
  if (hasPromoteCredential(env)) rules.push({ path: `${v.databaseMount}/roles/${naming.promoteName(c.app)}`, capabilities: CRUD });
  // The app's previews (synth/terraform-previews.ts): their connection (never rotated), the admin's KV credential, the Jobs' policy and auth role.
  if (hostsPreviews(env)) {
    const app = env.app.appName;
    // The admin's KV secret is written, never read: the resource has disable_read, and without `read`
    // here the planner (readOnly below), which runs a pull request's code, never reaches it (TK173).
    rules.push({ path: `${v.databaseMount}/config/${naming.previewConnectionName(app)}`, capabilities: CRUD },
      { path: `${v.kvMount}/data/${naming.previewAdminKvSecretName(app)}`, capabilities: ['create', 'update', 'delete'] },
      aclPolicy(naming.previewApplicationSetName(app)), authRole(naming.previewApplicationSetName(app)));
    // The preview workload's templated policy and auth role, when declared (TK164, TK166).
    if (previewWorkloadAccessor(env) !== undefined) rules.push(aclPolicy(naming.previewWorkloadLoginName(app)), authRole(naming.previewWorkloadLoginName(app)));
  }
  return rules;
}

/** Capabilities a planner keeps of an applier's rule: reading only (a plan refreshes, it never writes). */
function readOnly(rules: readonly PolicyRule[]): PolicyRule[] {
  return rules.filter((r) => r.capabilities.includes('read')).map((r) => ({ path: r.path, capabilities: ['read'] }));
}

/**
 * The CI identities of the stacks a tier gates: an applier (a push to main running the apply
 * workflow, in the GitHub environment named after the tier) whose policy reaches only those
 * stacks' Vault paths and the admin credential of the servers the tier gates; and a read-only
 * planner (pull request runs; in `<tier>-plan` for a human-gated tier) that reads the same paths.
 * The tier that gates the platform stacks also plans them: its planner reads the platform paths.
 */
export function buildTierPlatformStack(
  app: TerraformApp, estate: Estate, tier: Tier, gated: readonly AppEnvironment[], servers: readonly PostgresServer[],
  opts: { readonly platformTiers?: readonly string[]; readonly plannerIssuerServers?: readonly string[] } = {},
): TerraformStack {
  const name = naming.tierPlatformStackName(tier.name);
  const stack = new TerraformStack(app, name);
  addBackend(stack, estate, name, { gatingTier: gatingTierOfEstate(estate).name });
  addVaultProvider(stack, estate);
  const adminSecret = (s: PostgresServer): PolicyRule => ({
    path: `${estate.vault.kvMount}/data/${naming.serverAdminSecretName(s.serverId)}`, capabilities: ['read'],
  });
  const envRules = gated.flatMap(applierRulesFor);
  const applier = naming.applierRoleName(tier.name);
  const policy = new VaultPolicy(stack, 'applier_policy', {
    name: applier,
    policy: renderPolicy(`tierkit: CI applier of the stacks gated by tier ${tier.name}`, [...envRules, ...servers.map(adminSecret)]),
  });
  ciRole(stack, 'applier_role', estate, applier, policy, applierClaims(estate, tier.name));
  // A planner never reads a server's admin credential: it reads the server's read-only planner
  // login (contract/planner.ts). Without a human gate, only of servers whose admin is no superuser
  // (the workflows plan the others behind `<tier>-plan`; the login is read-only either way).
  const human = estate.tier(tier).config.applyGate.human;
  const plannerServers = human ? servers : servers.filter((s) => !s.adminKind.superuser);
  // A 16+ server's planner login is issued per job by Vault (plannerLoginIssuer); older servers keep the declared one.
  const plannerSecret = (s: PostgresServer): PolicyRule => (hasShortLivedPlanner(s.majorVersion)
    ? { path: `${estate.vault.databaseMount}/creds/${naming.plannerVaultName(s.serverId)}`, capabilities: ['read'] }
    : { path: `${estate.vault.kvMount}/data/${naming.serverPlannerSecretName(s.serverId)}`, capabilities: ['read'] });
  const planner = naming.plannerRoleName(tier.name);
  const plannerPolicy = new VaultPolicy(stack, 'planner_policy', {
    name: planner,
    policy: renderPolicy(`tierkit: read-only CI planner of the stacks gated by tier ${tier.name}`, [
      ...readOnly(envRules), ...plannerServers.map(plannerSecret),
      // Reading an auth method's own path needs sudo too: the planner reads the `sys/auth` listing instead.
      // Nor the planner issuer's first password (the platform applies' alone).
      ...(opts.platformTiers ? readOnly(platformAdminRules(estate, opts.platformTiers, opts.plannerIssuerServers))
        .filter((r) => !r.path.startsWith('sys/auth/') && !r.path.startsWith(`${estate.vault.kvMount}/data/tierkit/postgres-planner-issuer/`)) : []),
    ]),
  });
  ciRole(stack, 'planner_role', estate, planner, plannerPolicy, plannerClaims(estate, tier));
  for (const env of gated.filter(hasPromoteCredential)) buildPromoteIdentity(stack, estate, env);
  for (const s of servers.filter((x) => hasShortLivedPlanner(x.majorVersion))) plannerLoginIssuer(stack, estate, s);
  addVaultQuotas(stack, gated);
  return stack;
}

/**
 * A 16+ server's short-lived planner login (contract/planner.ts): a Vault connection as the
 * bootstrapped issuer (CREATEROLE, ADMIN on the planner group, neither inherited nor settable), on
 * the maintenance database, rotated after its first apply; and one role whose only statement makes
 * a LOGIN member of the group VALID UNTIL the lease's end. The planner policy reads its `creds/`.
 */
function plannerLoginIssuer(stack: TerraformStack, estate: Estate, server: PostgresServer): void {
  const id = server.serverId.replace(/[^A-Za-z0-9]/g, '_');
  const name = naming.plannerVaultName(server.serverId);
  const password = naming.plannerIssuerPasswordVariable(server.serverId);
  addVariables(stack, [{ id: password, description: `first password of ${naming.PLANNER_ISSUER_ROLE} on ${server.serverId} (KV ${naming.serverPlannerIssuerSecretName(server.serverId)}); Vault rotates it` }]);
  const connection = new DatabaseSecretBackendConnection(stack, `planner_login_connection_${id}`, {
    backend: estate.vault.databaseMount,
    name,
    pluginName: 'postgresql-database-plugin',
    allowedRoles: [name],
    verifyConnection: true,
    rootRotationStatements: [...ROOT_ROTATION_STATEMENTS],
    postgresql: {
      connectionUrl: `postgresql://{{username}}:{{password}}@${server.host}:${server.port}/postgres?sslmode=${server.sslMode}`,
      username: naming.PLANNER_ISSUER_ROLE,
      passwordWo: `\${var.${password}}`,
      passwordWoVersion: 1,
      ...(server.caCertificatePem !== undefined ? { tlsCa: server.caCertificatePem } : {}),
    },
  });
  new DatabaseSecretBackendRole(stack, `planner_login_role_${id}`, {
    backend: estate.vault.databaseMount,
    name,
    dbName: connection.name,
    creationStatements: [...PLANNER_CREATION_STATEMENTS],
    revocationStatements: [...PLANNER_REVOCATION_STATEMENTS],
    defaultTtl: PLANNER_CREDENTIAL_TTL.defaultSeconds,
    maxTtl: PLANNER_CREDENTIAL_TTL.maxSeconds,
  });
}
