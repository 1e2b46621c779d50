import * as naming from '../naming';
import { sandboxRenewStatements } from '../../contract/vault-statements';
import { TEMPLATE_RESET_LOGIN_TTL_SECONDS, templateResetLoginRevocation, templateResetLoginStatements } from '../../contract/template-reset-login';
import type { Sandbox } from '../sandbox';
import { ResourceDescription, address, ref } from './stack-description';

/**
 * The Terraform part of a sandbox's template reset (issue 19; constructs/lifecycle/template-reset.ts),
 * in the sandbox's own stack, described once as data for both renderers:
 *
 * - `<env>_template`: NOLOGIN CREATEDB, nothing else. CREATEDB is never inherited, so only a
 *   session that sets this role can create a database; no login holds it.
 * - its membership in the env's group: DROP DATABASE needs the owner's privileges, and
 *   CREATE DATABASE … OWNER <group> needs SET on the group. No ADMIN OPTION.
 * - `<env>_golden`: the golden template database, owned by the template role, closed to
 *   connections, no template (any CREATEDB role of the server may clone a template: TK037). No
 *   grant resource: the provider grants on a database from inside it (docs/provider-sql.md), which
 *   a closed database refuses; the reset Job revokes PUBLIC's default before it ever opens it.
 *
 * - on a managed server, the provider login's membership in the template role (as in the group).
 * - the reset Job's login (contract/template-reset-login.ts): a Vault role on the env's own
 *   connection whose creation statements make a plain LOGIN IN ROLE the template role, and the
 *   connection user's ADMIN OPTION on the template role, which PostgreSQL 16+ requires to grant it
 *   (cyrilgdn/postgresql v1.26 writes `GRANT "g" TO "r" WITH ADMIN OPTION`, no INHERIT/SET
 *   clause: the membership also inherits and may SET). On 16+ the operator narrows it once to
 *   `WITH ADMIN OPTION, INHERIT FALSE, SET FALSE` and the reset Job refuses to run until then
 *   (templateResetConnectionGrant in contract/template-reset-login.ts).
 *   Only the reset's Vault policy reads its creds path (app-environment-stack.ts; TK117).
 *
 * TK128, TK129 and TK137 judge these whole; the other rules leave exactly them to those three.
 */
export function describeTemplateReset(sandbox: Sandbox): ResourceDescription[] {
  const c = sandbox.coordinate;
  const server = sandbox.server!;
  const template = ref('postgresql_role', 'template_reset_role');
  // A managed server's provider login creates the golden OWNER the template role and revokes PUBLIC
  // on it as the owner's member (as it does for the group: provider_owner_membership).
  const managed = !server.adminKind.superuser;
  const providerMembership: ResourceDescription[] = managed ? [{
    type: 'postgresql_grant_role', id: 'provider_template_membership',
    attributes: { role: server.adminRole!, grant_role: template, lifecycle: { ignore_changes: ['with_admin_option'] } },
  }] : [];
  const afterProvider = managed ? [address('postgresql_grant_role', 'provider_template_membership')] : [];
  return [
    ...providerMembership,
    { type: 'postgresql_role', id: 'template_reset_role', attributes: { name: naming.templateResetRoleName(c), login: false, create_database: true } },
    {
      type: 'postgresql_grant_role', id: 'template_reset_membership',
      attributes: { role: template, grant_role: ref('postgresql_role', 'group_role') },
    },
    {
      type: 'postgresql_grant_role', id: 'template_reset_vault_admin',
      attributes: { role: ref('postgresql_role', 'vault_connection_role'), grant_role: template, with_admin_option: true },
    },
    {
      type: 'vault_database_secret_backend_role', id: 'template_reset_vault_role',
      attributes: {
        backend: sandbox.estate.naming.databaseMount,
        name: naming.templateResetVaultRoleName(c),
        db_name: ref('vault_database_secret_backend_connection', 'vault_connection'),
        creation_statements: templateResetLoginStatements(naming.templateResetRoleName(c), sandbox.slug, sandbox.expiresAt),
        revocation_statements: templateResetLoginRevocation(naming.groupRoleName(c)),
        ...(sandbox.expiresAt !== undefined ? { renew_statements: sandboxRenewStatements(sandbox.slug, sandbox.expiresAt) } : {}),
        default_ttl: TEMPLATE_RESET_LOGIN_TTL_SECONDS.defaultSeconds,
        max_ttl: TEMPLATE_RESET_LOGIN_TTL_SECONDS.maxSeconds,
      },
      dependsOn: [address('postgresql_grant_role', 'template_reset_vault_admin')],
    },
    {
      type: 'postgresql_database', id: 'golden_database',
      attributes: { name: naming.goldenTemplateDatabaseName(c), owner: template, allow_connections: false, is_template: false },
      dependsOn: [address('postgresql_grant_role', 'template_reset_membership'), ...afterProvider],
    },
  ];
}
