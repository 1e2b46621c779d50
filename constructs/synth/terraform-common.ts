import { Construct } from 'constructs';
import {
  PostgresqlProvider, TerraformStack, TerraformVariable, VaultProvider,
} from '../cdktf';
import { Estate } from '../estate';
import { PostgresServer } from '../postgres-server';

export function addBackend(stack: TerraformStack, estate: Estate, stackName: string): void {
  estate.backend.attach(stack, stackName);
}

export function addVaultProvider(scope: Construct, estate: Estate): VaultProvider {
  // skip_child_token: the CI applier's JWT-issued token is already short-lived and scoped;
  // a child token would need `auth/token/create` in every applier policy.
  return new VaultProvider(scope, 'vault', { address: estate.vault.address, skipChildToken: true });
}

/**
 * The server's admin connection. The password (and, unless the server declares its admin role,
 * the username) come from TF_VAR_pg_admin_password / TF_VAR_pg_admin_username, set by the gated
 * apply job; nothing secret is written here.
 * Both are `ephemeral` (Terraform >= 1.10): a saved plan (`tfplan`, uploaded as a PR artifact)
 * then holds no value of them, and every job that plans or applies supplies them again.
 * cdktf 0.21's TerraformVariable has no `ephemeral` option, hence the override.
 */
export function addPostgresProvider(scope: Construct, server: PostgresServer): PostgresqlProvider {
  // A managed server declares its admin role (the stack grants it each env's group, see
  // terraform-app-environment.ts); a role name is no secret, its password stays a variable.
  let username = server.adminRole;
  if (username === undefined) {
    const variable = new TerraformVariable(scope, 'pg_admin_username', {
      type: 'string', sensitive: true, description: `Admin role on Postgres server ${server.serverId} (TF_VAR_pg_admin_username)`,
    });
    variable.addOverride('ephemeral', true);
    username = variable.stringValue;
  }
  const password = new TerraformVariable(scope, 'pg_admin_password', {
    type: 'string', sensitive: true, description: `Password of the admin role on ${server.serverId} (TF_VAR_pg_admin_password)`,
  });
  password.addOverride('ephemeral', true);
  return new PostgresqlProvider(scope, 'postgresql', {
    host: server.host,
    port: server.port,
    username,
    password: password.stringValue,
    superuser: server.adminKind.superuser,
    sslmode: server.sslMode,
    expectedVersion: String(server.majorVersion),
  });
}
