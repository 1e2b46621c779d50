import { Construct } from 'constructs';
import { PostgresqlProvider, TerraformStack, VaultProvider } from '../cdktf';
import type { StatePlacement } from '../../contract/ci-names';
import { Estate } from '../estate';
import { PostgresServer } from '../postgres-server';
import { postgresProvider, vaultProvider } from './app-environment-stack';
import { addVariables, cdktfConfig } from './cdktf-config';

/** `placement`: the stack's gating tier and (app-environment stacks) server, which its state key names. */
export function addBackend(stack: TerraformStack, estate: Estate, stackName: string, placement: Omit<StatePlacement, 'stack'>): void {
  estate.backend.attach(stack, stackName, placement);
}

/** The Vault provider as `vaultProvider` (app-environment-stack.ts) describes it. */
export function addVaultProvider(scope: Construct, estate: Estate): VaultProvider {
  const d = vaultProvider(estate);
  addVariables(scope, d.variables);
  return new VaultProvider(scope, 'vault', cdktfConfig(VaultProvider, 'provider vault', d.attributes) as never);
}

/** The server's admin connection as `postgresProvider` (app-environment-stack.ts) describes it, with its variables. */
export function addPostgresProvider(scope: Construct, server: PostgresServer): PostgresqlProvider {
  const d = postgresProvider(server);
  addVariables(scope, d.variables);
  return new PostgresqlProvider(scope, 'postgresql', cdktfConfig(PostgresqlProvider, 'provider postgresql', d.attributes) as never);
}
