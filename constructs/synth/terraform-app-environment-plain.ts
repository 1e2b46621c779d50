import { CDKTF_VERSION, Token, Tokenization } from '../cdktf';
import { sandboxRenewStatements } from '../../contract/vault-statements';
import { AppEnvironment } from '../app-environment';
import { DEFAULT_TEMP_FILE_LIMIT_KILOBYTES } from '../runtime';
import { hasGoldenDump, hasReset, resetRevokesLeases, resetSeed } from '../lifecycle/plan';
import * as naming from '../naming';
import { Sandbox } from '../sandbox';
import {
  ROOT_ROTATION_STATEMENTS, creationStatements, environmentPolicyRules, renderPolicy, revocationStatements,
} from '../statements';
import { VAULT_TOKEN_AUDIENCE } from './pod-security';
import { TTL_SWEEP_TOKEN_TTL_SECONDS } from './terraform-app-environment';

/**
 * The app-environment stack of `terraform-app-environment.ts`, written as plain JSON without
 * cdktf: the same resources, attributes, references, `depends_on` order and cdktf metadata, for
 * the same canonical bytes (test/estate/fast-synth.test.ts compares both renderers env by env on
 * the example, bench and fixture estates). cdktf's construct tree and token resolution cost
 * ~7 ms per env, ~80 % of a large synth; this costs ~0.1 ms.
 *
 * It renders only what tierkit itself declares. An env with escape hatches, a backend other than
 * tierkit's own, or any value that is a cdktf token goes through cdktf (`undefined` here), so
 * `addEscapeHatch`, `addOverride` and tokens behave exactly as they always did.
 */

type Json = string | number | boolean | null | Json[] | { [key: string]: Json | undefined };
type Block = { [key: string]: Json | undefined };

/**
 * The providers' `required_providers` entries, as the generated provider classes of the pinned
 * @cdktf/provider-postgresql 12.1.1 and @cdktf/provider-vault 15.6.1 declare them (and cdktf.json).
 * A provider upgrade changes them; the comparison test then fails until this follows.
 */
const REQUIRED_PROVIDERS: Block = {
  postgresql: { source: 'cyrilgdn/postgresql', version: '1.26.0' },
  vault: { source: 'hashicorp/vault', version: '5.6.0' },
};

// What a backend writes into a stack rendered without cdktf is the backend's to say (backend.ts).
export type { PlainBackend } from '../backend';

const ref = (type: string, id: string, attr = 'name') => `\${${type}.${id}.${attr}}`;
const variable = (name: string) => `\${var.${name}}`;

/** A sensitive, ephemeral string variable, as `new TerraformVariable(…)` + `addOverride('ephemeral', true)` write it. */
function secretVariable(description: string): Block {
  return { description, ephemeral: true, sensitive: true, type: 'string' };
}

class PlainStack {
  readonly resources: Record<string, Record<string, Block>> = {};
  readonly variables: Record<string, Block> = {};
  constructor(readonly name: string) {}

  add(type: string, id: string, attrs: Block): Block {
    const block: Block = { '//': { metadata: { path: `${this.name}/${id}`, uniqueId: id } }, ...attrs };
    (this.resources[type] ??= {})[id] = block;
    return block;
  }
}

/** Any cdktf token among the values: only cdktf may render those. */
function holdsToken(value: unknown): boolean {
  // cdktf encodes string, list and map tokens as text holding `TfToken[`, numbers as reserved doubles.
  if (typeof value === 'string') return value.includes('TfToken[');
  if (typeof value === 'number') return Token.isUnresolved(value);
  if (Array.isArray(value)) return value.some(holdsToken);
  if (value && typeof value === 'object') return Tokenization.isResolvable(value) || Object.values(value).some(holdsToken);
  return false;
}


/** A Kubernetes auth role; its token TTLs are the tier's secret TTLs unless `ttlSeconds` is given. */
function kubernetesAuthRole(
  env: AppEnvironment, roleName: string, serviceAccount: string, policyIds: readonly string[], ttlSeconds?: number,
): Block {
  const c = env.coordinate;
  const tier = env.estate.tier(env.tier).config;
  return {
    audience: VAULT_TOKEN_AUDIENCE,
    backend: env.estate.naming.kubernetesAuthPath,
    bound_service_account_names: [serviceAccount],
    bound_service_account_namespaces: [naming.namespace(c)],
    role_name: roleName,
    token_max_ttl: ttlSeconds ?? tier.secretTtl.maxSeconds,
    token_policies: policyIds.map((id) => ref('vault_policy', id)),
    token_ttl: ttlSeconds ?? tier.secretTtl.defaultSeconds,
  };
}

/** The TTL sweep's Vault identity (see `buildTtlSweep`). */
function addTtlSweep(stack: PlainStack, env: AppEnvironment): void {
  const c = env.coordinate;
  stack.add('vault_policy', 'ttl_sweep_policy', {
    name: naming.ttlSweepName(c),
    policy: renderPolicy(`tierkit: TTL sweep of ${env.slug}`, [
      { path: naming.ttlSweepRevokePath(c, env.estate.naming), capabilities: ['update', 'sudo'] },
    ]),
  });
  stack.add('vault_kubernetes_auth_backend_role', 'ttl_sweep_auth_role',
    kubernetesAuthRole(env, naming.ttlSweepName(c), naming.ttlSweepName(c), ['ttl_sweep_policy'], TTL_SWEEP_TOKEN_TTL_SECONDS));
}

/** The golden dump's resources (see `buildGoldenDump` for why they are shaped so). */
function addGoldenDump(stack: PlainStack, env: AppEnvironment): void {
  const c = env.coordinate;
  const n = env.estate.naming;
  stack.variables.golden_dump_password = secretVariable(
    `Password of ${naming.goldenDumpRoleName(c)}, the golden dump's read-only role (TF_VAR_golden_dump_password)`);
  stack.add('postgresql_role', 'golden_dump_role', {
    login: true, name: naming.goldenDumpRoleName(c), password_wo: variable('golden_dump_password'), password_wo_version: '1',
    roles: ['pg_read_all_data'],
  });
  stack.add('postgresql_grant', 'golden_dump_connect', {
    database: ref('postgresql_database', 'database'), object_type: 'database', privileges: ['CONNECT'],
    role: ref('postgresql_role', 'golden_dump_role'),
  });
  stack.add('vault_kv_secret_v2', 'golden_dump_credential', {
    data_json_wo: `\${jsonencode({ username = ${JSON.stringify(naming.goldenDumpRoleName(c))}, password = var.golden_dump_password })}`,
    data_json_wo_version: 1, mount: n.kvMount, name: naming.goldenDumpKvSecretName(c),
  });
  stack.add('vault_policy', 'golden_dump_policy', {
    name: naming.goldenDumpName(c),
    policy: renderPolicy(`tierkit: golden dump of ${env.slug}`, [
      { path: `${n.kvMount}/data/${naming.goldenDumpKvSecretName(c)}`, capabilities: ['read'] },
      { path: `${n.kvMount}/data/${naming.seedHashKvSecretName(c.app, 'golden')}`, capabilities: ['create', 'update'] },
    ]),
  });
  stack.add('vault_kubernetes_auth_backend_role', 'golden_dump_auth_role',
    kubernetesAuthRole(env, naming.goldenDumpName(c), naming.goldenDumpName(c), ['golden_dump_policy']));
}

/**
 * The canonical JSON object of `env`'s stack, or `undefined` when only cdktf may render it
 * (escape hatches, a backend without a plain form, tokens among the values).
 */
export function plainAppEnvironmentStack(env: AppEnvironment): Block | undefined {
  if (env.escapeHatches.length > 0) return undefined;
  const estate = env.estate;
  const backend = estate.backend.plain(env.stackName);
  if (!backend) return undefined;
  const server = env.server!;
  const c = env.coordinate;
  const n = estate.naming;
  const tier = estate.tier(env.tier).config;
  const stack = new PlainStack(env.stackName);

  // addPostgresProvider / addVaultProvider (terraform-common.ts)
  if (server.adminRole === undefined) {
    stack.variables.pg_admin_username = secretVariable(`Admin role on Postgres server ${server.serverId} (TF_VAR_pg_admin_username)`);
  }
  stack.variables.pg_admin_password = secretVariable(`Password of the admin role on ${server.serverId} (TF_VAR_pg_admin_password)`);
  const provider: Block = {
    postgresql: [{
      expected_version: String(server.majorVersion), host: server.host, password: variable('pg_admin_password'), port: server.port,
      sslmode: server.sslMode, superuser: server.adminKind.superuser, username: server.adminRole ?? variable('pg_admin_username'),
    }],
    vault: [{ address: estate.vault.address, skip_child_token: true }],
  };

  const group = ref('postgresql_role', 'group_role');
  stack.add('postgresql_role', 'group_role', { login: false, name: env.groupRole.name });
  stack.variables.vault_connection_password = secretVariable(
    `First password of ${env.vaultConnectionRole.name}; rotated by Vault (TF_VAR_vault_connection_password)`);
  const caps = estate.tier(env.tier).databaseCaps;
  // The connection user joins the server's temp_file_limit role, if declared, on a capped tier.
  const tempFileLimit = caps && server.tempFileLimitRole !== undefined;
  stack.add('postgresql_role', 'vault_connection_role', {
    create_role: true, login: true, name: env.vaultConnectionRole.name,
    password_wo: variable('vault_connection_password'), password_wo_version: '1',
    ...(tempFileLimit ? { roles: [server.tempFileLimitRole!] } : {}),
  });
  stack.add('postgresql_grant_role', 'vault_connection_admin', {
    grant_role: group, role: ref('postgresql_role', 'vault_connection_role'), with_admin_option: true,
  });
  // The provider's inheriting membership in the group, which every database-level grant waits for.
  const managed = !server.adminKind.superuser;
  if (managed) {
    stack.add('postgresql_grant_role', 'provider_owner_membership', {
      grant_role: group, lifecycle: { ignore_changes: ['with_admin_option'] }, role: server.adminRole!,
    });
  }
  const afterMembership = managed ? { depends_on: ['postgresql_grant_role.provider_owner_membership'] } : {};
  stack.add('postgresql_database', 'database', {
    ...(caps ? { connection_limit: caps.connectionLimit } : {}), ...afterMembership, name: env.database.name, owner: group,
  });
  const database = ref('postgresql_database', 'database');
  stack.add('postgresql_grant', 'database_public_revoke', {
    database, ...afterMembership, object_type: 'database', privileges: [], role: 'public',
  });
  stack.add('postgresql_grant', 'database_connect', {
    database, ...afterMembership, object_type: 'database', privileges: ['CONNECT'], role: group,
  });
  // REVOKE PUBLIC on the server's own databases, declared by every env stack on the server.
  for (const name of naming.MAINTENANCE_DATABASES) {
    stack.add('postgresql_grant', `maintenance_${name}_public_revoke`, {
      database: name, ...afterMembership, object_type: 'database', privileges: [], role: 'public',
    });
  }

  const roleName = naming.vaultRoleName(c);
  stack.add('vault_database_secret_backend_connection', 'vault_connection', {
    allowed_roles: [roleName], backend: n.databaseMount,
    depends_on: ['postgresql_grant_role.vault_connection_admin', 'postgresql_grant.database_connect'],
    name: naming.vaultConnectionName(c), plugin_name: 'postgresql-database-plugin',
    postgresql: {
      connection_url: `postgresql://{{username}}:{{password}}@${server.host}:${server.port}/${env.database.name}?sslmode=${server.sslMode}`,
      password_wo: variable('vault_connection_password'), password_wo_version: 1,
      username: ref('postgresql_role', 'vault_connection_role'),
    },
    root_rotation_statements: [...ROOT_ROTATION_STATEMENTS], verify_connection: true,
  });
  stack.add('vault_database_secret_backend_role', 'vault_role', {
    backend: n.databaseMount,
    creation_statements: creationStatements(c, caps && {
      ...caps, tempFileLimitKilobytes: tempFileLimit ? caps.tempFileLimitKilobytes ?? DEFAULT_TEMP_FILE_LIMIT_KILOBYTES : undefined,
    }, env instanceof Sandbox ? env.expiresAt : undefined),
    db_name: ref('vault_database_secret_backend_connection', 'vault_connection'),
    default_ttl: tier.secretTtl.defaultSeconds, max_ttl: tier.secretTtl.maxSeconds, name: roleName,
    ...(env instanceof Sandbox && env.expiresAt !== undefined ? { renew_statements: sandboxRenewStatements(env.slug, env.expiresAt) } : {}),
    revocation_statements: revocationStatements(c),
  });
  stack.add('vault_kv_secret_v2', 'kv_config', {
    data_json: JSON.stringify({
      app: c.app, env: c.env, tier: env.tier.name,
      database: env.database.name, database_host: server.host, database_port: server.port,
      host: env.host, vault_creds_path: naming.vaultCredsPath(c, n),
    }),
    mount: n.kvMount, name: naming.kvSecretName(c),
  });
  stack.add('vault_policy', 'vault_policy', {
    name: naming.vaultPolicyName(c), policy: renderPolicy(`tierkit: workload of ${env.slug}`, environmentPolicyRules(c, n)),
  });
  stack.add('vault_kubernetes_auth_backend_role', 'kubernetes_auth_role',
    kubernetesAuthRole(env, naming.kubernetesAuthRoleName(c), naming.serviceAccountName(c), ['vault_policy']));
  if (hasGoldenDump(env)) {
    addGoldenDump(stack, env);
    if (managed) stack.resources.postgresql_grant.golden_dump_connect.depends_on = ['postgresql_grant_role.provider_owner_membership'];
  }
  if (hasReset(env)) {
    stack.add('vault_policy', 'reset_policy', {
      name: naming.resetName(c),
      policy: renderPolicy(`tierkit: reset of ${env.slug}`, [
        { path: `${n.kvMount}/data/${naming.seedHashKvSecretName(c.app, resetSeed(env))}`, capabilities: ['read'] },
      ]),
    });
    // See buildAppEnvironmentStack: an hourly reset's own revoke policy.
    const revoke = resetRevokesLeases(env);
    if (revoke) {
      stack.add('vault_policy', 'reset_revoke_policy', {
        name: naming.resetRevokeName(c),
        policy: renderPolicy(`tierkit: hourly reset of ${env.slug} revokes its leases`, [
          { path: naming.ttlSweepRevokePath(c, n), capabilities: ['update', 'sudo'] },
        ]),
      });
    }
    stack.add('vault_kubernetes_auth_backend_role', 'reset_auth_role',
      kubernetesAuthRole(env, naming.resetName(c), naming.resetName(c), ['vault_policy', 'reset_policy', ...(revoke ? ['reset_revoke_policy'] : [])]));
  }
  if (env instanceof Sandbox && env.expiresAt !== undefined) addTtlSweep(stack, env);

  const json: Block = {
    '//': {
      metadata: {
        backend: backend.name, ...(backend.stackOverride ? { overrides: { stack: ['terraform'] } } : {}),
        stackName: env.stackName, version: CDKTF_VERSION,
      },
      outputs: {},
    },
    provider,
    resource: stack.resources,
    terraform: { backend: { [backend.name]: backend.config }, required_providers: REQUIRED_PROVIDERS },
    variable: stack.variables,
  };
  return holdsToken(json) ? undefined : json;
}
