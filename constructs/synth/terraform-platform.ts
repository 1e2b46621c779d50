import {
  JwtAuthBackend, JwtAuthBackendRole, TerraformApp, TerraformStack, VaultAuthBackend, VaultMount, VaultPolicy,
} from '../cdktf';
import { AppEnvironment } from '../app-environment';
import { Estate } from '../estate';
import { hasGoldenDump, hasReset } from '../lifecycle/plan';
import * as naming from '../naming';
import { PostgresServer } from '../postgres-server';
import { PolicyRule, renderPolicy } from '../statements';
import { Tier } from '../tier';
import { addBackend, addVaultProvider } from './terraform-common';

/** Shared mounts and auth backends of the estate (one stack, behind the strictest gate). */
export function buildSharedPlatformStack(app: TerraformApp, estate: Estate): TerraformStack {
  const name = naming.SHARED_PLATFORM_STACK;
  const stack = new TerraformStack(app, name);
  addBackend(stack, estate, name);
  addVaultProvider(stack, estate);
  new VaultMount(stack, 'database_mount', { path: estate.vault.databaseMount, type: 'database', description: 'tierkit: dynamic Postgres credentials' });
  new VaultMount(stack, 'kv_mount', { path: estate.vault.kvMount, type: 'kv', options: { version: '2' }, description: 'tierkit: app configuration' });
  new VaultAuthBackend(stack, 'kubernetes_auth', { type: 'kubernetes', path: estate.vault.kubernetesAuthPath });
  new JwtAuthBackend(stack, 'ci_jwt_auth', {
    path: estate.vault.jwtAuthPath, oidcDiscoveryUrl: estate.ci.oidcIssuer, boundIssuer: estate.ci.oidcIssuer,
    description: 'tierkit: CI appliers (GitHub Actions OIDC)',
  });
  return stack;
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
  if (hasReset(env)) rules.push(authRole(naming.resetName(c)));
  return rules;
}

/**
 * The CI identity that applies the stacks a tier gates: a JWT role bound to this repository and
 * the GitHub environment named after the tier, whose policy reaches only those stacks' Vault
 * paths and the admin credential of the servers the tier gates.
 */
export function buildTierPlatformStack(
  app: TerraformApp, estate: Estate, tier: Tier, gated: readonly AppEnvironment[], servers: readonly PostgresServer[],
): TerraformStack {
  const name = naming.tierPlatformStackName(tier.name);
  const stack = new TerraformStack(app, name);
  addBackend(stack, estate, name);
  addVaultProvider(stack, estate);
  const rules = [
    ...gated.flatMap(applierRulesFor),
    ...servers.map((s) => ({
      path: `${estate.vault.kvMount}/data/${naming.serverAdminSecretName(s.serverId)}`, capabilities: ['read'],
    })),
  ];
  const applier = naming.applierRoleName(tier.name);
  const policy = new VaultPolicy(stack, 'applier_policy', {
    name: applier,
    policy: renderPolicy(`tierkit: CI applier of the stacks gated by tier ${tier.name}`, rules),
  });
  const [owner] = estate.ci.repository.split('/');
  new JwtAuthBackendRole(stack, 'applier_role', {
    backend: estate.vault.jwtAuthPath,
    roleName: applier,
    roleType: 'jwt',
    userClaim: 'sub',
    boundAudiences: [`https://github.com/${owner}`],
    boundClaimsType: 'string',
    boundClaims: { repository: estate.ci.repository, environment: tier.name },
    tokenPolicies: [policy.name],
    tokenTtl: 3600,
    tokenMaxTtl: 3600,
  });
  return stack;
}
