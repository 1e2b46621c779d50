import { pgCaFile } from '../../contract/pg-ca';
import { AppEnvironment } from '../app-environment';
import { Estate } from '../estate';
import { DEFAULT_TEMP_FILE_LIMIT_KILOBYTES } from '../runtime';
import { hasGoldenDump, hasReset, resetRevokesLeases, resetSeed } from '../lifecycle/plan';
import { producerPolicyRules, seedProducers } from '../lifecycle/producers';
import { sandboxRenewStatements } from '../../contract/vault-statements';
import * as naming from '../naming';
import { PostgresServer } from '../postgres-server';
import { Sandbox } from '../sandbox';
import {
  ROOT_ROTATION_STATEMENTS, creationStatements, environmentPolicyRules, renderPolicy, revocationStatements,
} from '../statements';
import {
  AppEnvironmentStackDescription, ProviderDescription, ResourceDescription, VariableDescription, address, ref, variable,
} from './stack-description';
import { describePreviews } from './terraform-previews';
import { kubernetesAuthRole } from './vault-auth-role';
import { describeTemplateReset } from './terraform-template-reset';
import { SandboxReset } from '../enums';
import { hostsPreviews } from '../previews';
import { gatingTierOfServer } from '../query';
import { TEMPLATE_RESET_VAULT_POOL_LIFETIME_SECONDS } from '../../contract/template-reset-login';
import { PROMOTE_CREDENTIAL_TTL, hasPromoteCredential, promoteCreationStatements } from '../promote-credential';

/*
 * The one description of an app-environment stack: every resource, variable and provider tierkit
 * declares there, as data. Two renderers consume it and nothing else decides what a stack holds:
 *   - terraform-app-environment-plain.ts writes it as plain JSON (the fast path, no cdktf);
 *   - terraform-app-environment.ts builds the typed cdktf resources from it, for escape hatches,
 *     other backends and tokens.
 * A new resource is added here once (CONTRIBUTING.md, "A new resource in an app-environment stack").
 *
 * Attribute names are Terraform's (snake_case), as they land in cdk.tf.json; the cdktf path turns
 * object keys into the generated classes' camelCase config and refuses a key the class does not
 * know (it would silently drop it). References are Terraform expressions written as text
 * (`${postgresql_role.group_role.name}`): cdktf writes such text unchanged, so both renderers
 * write the same bytes (test/estate/fast-synth.test.ts compares them env by env).
 */

// The description's vocabulary lives in stack-description.ts; re-exported for the renderers.
export * from './stack-description';

/** The sweep's token lives for one run: long enough to log in and revoke, no longer. */
export const TTL_SWEEP_TOKEN_TTL_SECONDS = 300;

/**
 * The Vault provider. skip_child_token: the CI applier's JWT-issued token is already short-lived
 * and scoped; a child token would need `auth/token/create` in every applier policy.
 */
export function vaultProvider(estate: Estate): ProviderDescription {
  return { attributes: { address: estate.vault.address, skip_child_token: true }, variables: [] };
}

/**
 * What an env's state key names (naming.stackStateKey): its server and that server's gating tier.
 * Synth passes the tier it computed once for every env; alone, it is derived here.
 */
export function statePlacement(env: AppEnvironment, gatingTier?: string): { readonly gatingTier: string; readonly server: string } {
  return { gatingTier: gatingTier ?? gatingTierOfServer(env.estate, env.server!)!.name, server: env.server!.serverId };
}

/**
 * The server's admin connection. The password (and, unless the server declares its admin role,
 * the username) come from TF_VAR_pg_admin_password / TF_VAR_pg_admin_username, set by the gated
 * apply job; nothing secret is written here. Both are `ephemeral` (Terraform >= 1.10): a saved
 * plan then holds no value of them, and every job that plans or applies supplies them again.
 * A managed server declares its admin role (the stack grants it each env's group); a role name
 * is no secret, its password stays a variable.
 */
export function postgresProvider(server: PostgresServer): ProviderDescription {
  const variables: VariableDescription[] = [];
  if (server.adminRole === undefined) {
    variables.push({ id: 'pg_admin_username', description: `Admin role on Postgres server ${server.serverId} (TF_VAR_pg_admin_username)` });
  }
  variables.push({ id: 'pg_admin_password', description: `Password of the admin role on ${server.serverId} (TF_VAR_pg_admin_password)` });
  // verify-full needs the CA as a file: CI writes the manifest's PEM there first (ci/steps.ts, caFileStep).
  const verifyFull = server.sslMode === 'verify-full';
  return {
    variables,
    attributes: {
      host: server.host, port: server.port, username: server.adminRole ?? variable('pg_admin_username'),
      password: variable('pg_admin_password'), superuser: server.adminKind.superuser, sslmode: server.sslMode,
      ...(verifyFull ? { sslrootcert: pgCaFile(server.serverId) } : {}),
      expected_version: String(server.majorVersion),
    },
  };
}

/**
 * A Vault Kubernetes auth role of one of the env's service accounts: bound to exactly that account
 * in the env's namespace, and only to the token projected for Vault (pod-security.ts) — a pod's
 * API token is refused. One shape for the workload, the golden dump, the reset and the TTL sweep.
 */
function serviceAccountAuthRole(
  id: string, env: AppEnvironment, roleName: string, serviceAccount: string, policyIds: readonly string[],
  ttl: { readonly defaultSeconds: number; readonly maxSeconds: number },
): ResourceDescription {
  return kubernetesAuthRole(id, { backend: env.estate.naming.kubernetesAuthPath, roleName, serviceAccount, namespace: naming.namespace(env.coordinate), policyIds, ttl });
}

/**
 * The TTL sweep's Vault identity: a policy of exactly one literal path,
 * `sys/leases/revoke-prefix/<mount>/creds/<role>` with update + sudo (the endpoint is
 * root-protected), bound to the sweep's service account in the env's namespace only.
 */
function ttlSweep(env: AppEnvironment): ResourceDescription[] {
  const c = env.coordinate;
  return [
    {
      type: 'vault_policy', id: 'ttl_sweep_policy',
      attributes: {
        name: naming.ttlSweepName(c),
        policy: renderPolicy(`tierkit: TTL sweep of ${env.slug}`, [{ path: naming.ttlSweepRevokePath(c, env.estate.naming), capabilities: ['update', 'sudo'] }]),
      },
    },
    serviceAccountAuthRole('ttl_sweep_auth_role', env, naming.ttlSweepName(c), naming.ttlSweepName(c), ['ttl_sweep_policy'],
      { defaultSeconds: TTL_SWEEP_TOKEN_TTL_SECONDS, maxSeconds: TTL_SWEEP_TOKEN_TTL_SECONDS }),
  ];
}

/**
 * The golden dump's read-only role: LOGIN, `pg_read_all_data` and nothing else, CONNECT on its
 * own prod database only.
 *
 * Its password is a write-only Terraform variable, stored by the same apply into a write-only KV
 * secret that only the golden dump Job's Vault role can read. Not a Vault dynamic role: the prod
 * connection user would need ADMIN OPTION on pg_read_all_data (PostgreSQL 16+), i.e. the power
 * to hand server-wide read access to anyone it creates. Not a Vault static role either: Vault
 * would need to ALTER the role, so the prod connection user would need ADMIN on it, and the
 * provider grants that membership with INHERIT — the prod connection user would then read every
 * database it can connect to. Rotation: change the variable and bump the two `*_wo_version`s.
 */
function goldenDump(env: AppEnvironment): { variable: VariableDescription; resources: ResourceDescription[] } {
  const c = env.coordinate;
  const n = env.estate.naming;
  const tier = env.estate.tier(env.tier).config;
  return {
    variable: { id: 'golden_dump_password', description: `Password of ${naming.goldenDumpRoleName(c)}, the golden dump's read-only role (TF_VAR_golden_dump_password)` },
    resources: [
      {
        type: 'postgresql_role', id: 'golden_dump_role',
        attributes: {
          name: naming.goldenDumpRoleName(c), login: true, roles: ['pg_read_all_data'],
          password_wo: variable('golden_dump_password'), password_wo_version: '1',
        },
      },
      {
        type: 'postgresql_grant', id: 'golden_dump_connect',
        attributes: {
          database: ref('postgresql_database', 'database'), role: ref('postgresql_role', 'golden_dump_role'),
          object_type: 'database', privileges: ['CONNECT'],
        },
      },
      {
        type: 'vault_kv_secret_v2', id: 'golden_dump_credential',
        attributes: {
          mount: n.kvMount,
          name: naming.goldenDumpKvSecretName(c),
          // Write-only: the password never lands in the Terraform state.
          data_json_wo: `\${jsonencode({ username = ${JSON.stringify(naming.goldenDumpRoleName(c))}, password = var.golden_dump_password })}`,
          data_json_wo_version: 1,
        },
      },
      {
        type: 'vault_policy', id: 'golden_dump_policy',
        attributes: {
          name: naming.goldenDumpName(c),
          policy: renderPolicy(`tierkit: golden dump of ${env.slug}`, [
            { path: `${n.kvMount}/data/${naming.goldenDumpKvSecretName(c)}`, capabilities: ['read'] },
            // The producer publishes the golden's hashes; no other policy may write them (TK132).
            { path: `${n.kvMount}/data/${naming.seedHashKvSecretName(c.app, 'golden')}`, capabilities: ['create', 'update'] },
          ]),
        },
      },
      serviceAccountAuthRole('golden_dump_auth_role', env, naming.goldenDumpName(c), naming.goldenDumpName(c), ['golden_dump_policy'], tier.secretTtl),
    ],
  };
}

/**
 * One stack per app-environment (docs/design.md, isolation layers 1–4 and 6). Resource ids are stable
 * public API: diffs and policy findings point at them. The provider-membership `depends_on` of
 * database-level grants is not written here: both renderers add it after everything (escape
 * hatches' resources included) is declared, see `NEEDS_OWNER_PRIVILEGES`.
 */
export function describeAppEnvironmentStack(env: AppEnvironment): AppEnvironmentStackDescription {
  const estate = env.estate;
  const server = env.server!;
  const c = env.coordinate;
  const n = estate.naming;
  const tier = estate.tier(env.tier).config;
  const variables: VariableDescription[] = [];
  const resources: ResourceDescription[] = [];
  const add = (r: ResourceDescription) => { resources.push(r); };

  const group = ref('postgresql_role', 'group_role');
  add({ type: 'postgresql_role', id: 'group_role', attributes: { name: env.groupRole.name, login: false } });

  // Write-only: Terraform sends the first password once; Vault's rotate-root owns it after that.
  variables.push({ id: 'vault_connection_password', description: `First password of ${env.vaultConnectionRole.name}; rotated by Vault (TF_VAR_vault_connection_password)` });
  const caps = estate.tier(env.tier).databaseCaps;
  // Where the platform declared a role holding SET on temp_file_limit, the connection user joins
  // it so the credentials it creates carry the cap (a superuser-only setting they cannot lift).
  const tempFileLimit = caps && server.tempFileLimitRole !== undefined;
  add({
    type: 'postgresql_role', id: 'vault_connection_role',
    attributes: {
      name: env.vaultConnectionRole.name, login: true, create_role: true,
      ...(tempFileLimit ? { roles: [server.tempFileLimitRole!] } : {}),
      password_wo: variable('vault_connection_password'), password_wo_version: '1',
    },
  });
  // ADMIN OPTION on its own group only: PostgreSQL 16+ lets it grant nothing else.
  add({
    type: 'postgresql_grant_role', id: 'vault_connection_admin',
    attributes: { role: ref('postgresql_role', 'vault_connection_role'), grant_role: group, with_admin_option: true },
  });

  // The provider issues database GRANT/REVOKE as itself, never as the owner: a provider user that
  // is neither superuser nor a member of the owner only gets warnings (01006/01007, ignored by the
  // provider), and PUBLIC keeps CONNECT. On a managed server the provider's role is therefore a
  // declared, inheriting member of the env's group, before the database and every grant.
  // On 16+ the creator also holds its own ADMIN-only link to each role it creates (it may not be
  // granted the admin option "back", 0LP01), and the provider reads one unordered row per
  // (member, role): it may read that link's admin_option = true. with_admin_option forces a
  // replacement, so its read-back is ignored rather than planning a replace on every run.
  if (!server.adminKind.superuser) {
    add({
      type: 'postgresql_grant_role', id: 'provider_owner_membership',
      attributes: { role: server.adminRole!, grant_role: group, lifecycle: { ignore_changes: ['with_admin_option'] } },
    });
  }
  // Enforced by the server for every non-superuser connection: a lower tier's env on a shared
  // server cannot take the connections its neighbours (prod's, on prod's server) need.
  add({
    type: 'postgresql_database', id: 'database',
    attributes: { name: env.database.name, owner: group, ...(caps ? { connection_limit: caps.connectionLimit } : {}) },
  });
  const database = ref('postgresql_database', 'database');
  add({ type: 'postgresql_grant', id: 'database_public_revoke', attributes: { database, role: 'public', object_type: 'database', privileges: [] } });
  add({ type: 'postgresql_grant', id: 'database_connect', attributes: { database, role: group, object_type: 'database', privileges: ['CONNECT'] } });
  // The CI planners' read-only group may connect (a grant's refresh opens its transaction in that
  // database) and do nothing else there: no TEMPORARY, no membership (contract/planner.ts).
  add({ type: 'postgresql_grant', id: 'planner_connect', attributes: { database, role: naming.PLANNER_GROUP_ROLE, object_type: 'database', privileges: ['CONNECT'] } });
  // Every login on the server (a sandbox's credential on prod's) may otherwise connect to the
  // server's own databases and use TEMP there. The server is shared by its envs' stacks, so each
  // stack declares the same revoke: idempotent, and its destroy issues the same REVOKE (the
  // provider never restores PUBLIC's defaults), so no env's removal reopens it. The owner (or a
  // superuser) alone can revoke: a managed provider login that does not own them only warns.
  for (const name of naming.MAINTENANCE_DATABASES) {
    add({ type: 'postgresql_grant', id: `maintenance_${name}_public_revoke`, attributes: { database: name, role: 'public', object_type: 'database', privileges: [] } });
  }

  const roleName = naming.vaultRoleName(c);
  const templateReset = env instanceof Sandbox && env.reset === SandboxReset.TEMPLATE;
  add({
    type: 'vault_database_secret_backend_connection', id: 'vault_connection',
    attributes: {
      backend: n.databaseMount,
      name: naming.vaultConnectionName(c),
      plugin_name: 'postgresql-database-plugin',
      allowed_roles: [roleName, ...(hasPromoteCredential(env) ? [naming.promoteName(c.app)] : []), ...(templateReset ? [naming.templateResetVaultRoleName(c)] : [])],
      verify_connection: true,
      root_rotation_statements: [...ROOT_ROTATION_STATEMENTS],
      postgresql: {
        connection_url: `postgresql://{{username}}:{{password}}@${server.host}:${server.port}/${env.database.name}?sslmode=${server.sslMode}`,
        username: ref('postgresql_role', 'vault_connection_role'),
        password_wo: variable('vault_connection_password'),
        password_wo_version: 1,
        // A template reset drops the database Vault's pool sits in: idle sessions must end (contract/template-reset-login.ts).
        ...(templateReset ? { max_connection_lifetime: TEMPLATE_RESET_VAULT_POOL_LIFETIME_SECONDS } : {}),
        ...(server.caCertificatePem !== undefined ? { tls_ca: server.caCertificatePem } : {}),
      },
    },
    dependsOn: [address('postgresql_grant_role', 'vault_connection_admin'), address('postgresql_grant', 'database_connect')],
  });
  add({
    type: 'vault_database_secret_backend_role', id: 'vault_role',
    attributes: {
      backend: n.databaseMount,
      name: roleName,
      db_name: ref('vault_database_secret_backend_connection', 'vault_connection'),
      creation_statements: creationStatements(c, caps && {
        ...caps, tempFileLimitKilobytes: tempFileLimit ? caps.tempFileLimitKilobytes ?? DEFAULT_TEMP_FILE_LIMIT_KILOBYTES : undefined,
      }, env instanceof Sandbox ? env.expiresAt : undefined),
      revocation_statements: revocationStatements(c),
      // Vault's renewal, refused past the sandbox's expiry (contract/vault-statements.ts).
      ...(env instanceof Sandbox && env.expiresAt !== undefined ? { renew_statements: sandboxRenewStatements(env.slug, env.expiresAt) } : {}),
      default_ttl: tier.secretTtl.defaultSeconds,
      max_ttl: tier.secretTtl.maxSeconds,
    },
  });
  add({
    type: 'vault_kv_secret_v2', id: 'kv_config',
    attributes: {
      mount: n.kvMount,
      name: naming.kvSecretName(c),
      // Configuration only; credentials come from the dynamic role, never from KV.
      data_json: JSON.stringify({
        app: c.app, env: c.env, tier: env.tier.name,
        database: env.database.name, database_host: server.host, database_port: server.port,
        host: env.host, vault_creds_path: naming.vaultCredsPath(c, n),
      }),
    },
  });
  add({
    type: 'vault_policy', id: 'vault_policy',
    attributes: { name: naming.vaultPolicyName(c), policy: renderPolicy(`tierkit: workload of ${env.slug}`, environmentPolicyRules(c, n)) },
  });
  add(serviceAccountAuthRole('kubernetes_auth_role', env, naming.kubernetesAuthRoleName(c), naming.serviceAccountName(c), ['vault_policy'], tier.secretTtl));

  if (hasGoldenDump(env)) {
    const golden = goldenDump(env);
    variables.push(golden.variable);
    resources.push(...golden.resources);
  }
  // The reset Job logs in with its own service account (which may scale the Deployment) and
  // gets the env's own policy plus reading its seed's hashes: the workload's service account gains nothing.
  if (hasReset(env)) {
    add({
      type: 'vault_policy', id: 'reset_policy',
      attributes: {
        name: naming.resetName(c),
        policy: renderPolicy(`tierkit: reset of ${env.slug}`, [
          { path: `${n.kvMount}/data/${naming.seedHashKvSecretName(c.app, resetSeed(env))}`, capabilities: ['read'] },
          // A template reset logs in as a member of the template role (terraform-template-reset.ts).
          ...(templateReset ? [{ path: naming.templateResetCredsPath(c, n), capabilities: ['read'] }] : []),
        ]),
      },
    });
    // An hourly reset revokes the env's leases after restoring it: one literal revoke-prefix path,
    // the TTL sweep's, in a policy of its own (TK124) that only the reset's role hands out (TK125).
    const revoke = resetRevokesLeases(env);
    if (revoke) {
      add({
        type: 'vault_policy', id: 'reset_revoke_policy',
        attributes: {
          name: naming.resetRevokeName(c),
          policy: renderPolicy(`tierkit: hourly reset of ${env.slug} revokes its leases`, [{ path: naming.ttlSweepRevokePath(c, n), capabilities: ['update', 'sudo'] }]),
        },
      });
    }
    add(serviceAccountAuthRole('reset_auth_role', env, naming.resetName(c), naming.resetName(c),
      ['vault_policy', 'reset_policy', ...(revoke ? ['reset_revoke_policy'] : [])], tier.secretTtl));
  }
  if (env instanceof Sandbox && env.expiresAt !== undefined) resources.push(...ttlSweep(env));
  // A template-reset sandbox's CREATEDB role and golden template database (terraform-template-reset.ts).
  if (templateReset) resources.push(...describeTemplateReset(env as Sandbox));
  // The promote credential's Vault role (promote-credential.ts), on prod's own connection: the
  // declared DML only. Its policy and the replay job's JWT role are CI identity objects: the tier
  // platform stack declares them (terraform-platform.ts), applied by platform-admin, never a tier applier.
  if (hasPromoteCredential(env)) {
    add({
      type: 'vault_database_secret_backend_role', id: 'promote_role',
      attributes: {
        backend: n.databaseMount,
        name: naming.promoteName(c.app),
        db_name: ref('vault_database_secret_backend_connection', 'vault_connection'),
        creation_statements: promoteCreationStatements(c, env.app.promoteGrants),
        revocation_statements: revocationStatements(c),
        default_ttl: PROMOTE_CREDENTIAL_TTL.defaultSeconds,
        max_ttl: PROMOTE_CREDENTIAL_TTL.maxSeconds,
      },
    });
  }

  // The seed producers' Vault identities (lifecycle/producers.ts): each writes only its own seed's
  // hashes; a sanitized producer also reads the golden's. Bound to its own service account only.
  for (const p of seedProducers(env)) {
    const id = `seed_producer_${naming.seedSlug(p.seed).replace(/[^A-Za-z0-9]/g, '_')}`;
    add({
      type: 'vault_policy', id: `${id}_policy`,
      attributes: { name: p.name, policy: renderPolicy(`tierkit: ${p.kind} seed producer of ${p.seed} (${env.slug})`, producerPolicyRules(env, p)) },
    });
    add(serviceAccountAuthRole(`${id}_auth_role`, env, p.name, p.name, [`${id}_policy`], tier.secretTtl));
  }

  // The app's per-PR previews: their admin, home database, connection and Jobs' identity (terraform-previews.ts).
  if (hostsPreviews(env)) {
    const previews = describePreviews(env);
    variables.push(previews.variable);
    resources.push(...previews.resources);
  }

  return { resources, variables, providers: { postgresql: postgresProvider(server), vault: vaultProvider(estate) } };
}
