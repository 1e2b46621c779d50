import { beforeAll, describe, expect, it } from 'vitest';
import { loadSqlParser } from '../../policies/graph/sql';
import { creationProblems, revocationProblems } from '../../policies/rules/TK004-dynamic-role-statements';
import { check, cleanDist, distWithFiles, env, findings, synthDist } from './helpers';

const GROUP = 'erp_sandbox_role';
const GOOD = [
  `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}' IN ROLE "${GROUP}";`,
  `ALTER ROLE "{{name}}" SET ROLE "${GROUP}";`,
];
const GOOD_REVOKE = ['GRANT "{{name}}" TO CURRENT_USER;', 'REASSIGN OWNED BY "{{name}}" TO "erp_sandbox_role";', 'DROP OWNED BY "{{name}}";', 'DROP ROLE IF EXISTS "{{name}}";'];

describe('TK004 dynamic role statements', () => {
  beforeAll(() => loadSqlParser());

  it('accepts the statements tierkit writes', () => {
    expect(creationProblems(GOOD, GROUP)).toEqual([]);
    expect(revocationProblems(GOOD_REVOKE, GROUP)).toEqual([]);
  });

  it.each([
    ['an extra GRANT of the prod group', [...GOOD, 'GRANT "erp_role" TO "{{name}}";'], 'GRANTs "erp_role" to tierkit_vault_user: no grant besides IN ROLE is allowed'],
    ['no VALID UNTIL', [`CREATE ROLE "{{name}}" LOGIN PASSWORD '{{password}}' IN ROLE "${GROUP}";`], "has no VALID UNTIL '{{expiration}}': the login outlives its lease"],
    ['a fixed VALID UNTIL', [`CREATE ROLE "{{name}}" LOGIN VALID UNTIL 'infinity' IN ROLE "${GROUP}";`], "VALID UNTIL is 'infinity', not '{{expiration}}'"],
    ['CREATEDB', [`CREATE ROLE "{{name}}" LOGIN CREATEDB VALID UNTIL '{{expiration}}' IN ROLE "${GROUP}";`], 'uses CREATE ROLE option CREATEDB'],
    ['IN ROLE of the prod group too', [`CREATE ROLE "{{name}}" LOGIN VALID UNTIL '{{expiration}}' IN ROLE "${GROUP}", "erp_role";`], `IN ROLE "${GROUP}", "erp_role"; it must be exactly its env's group "${GROUP}"`],
    ['NOLOGIN', [`CREATE ROLE "{{name}}" VALID UNTIL '{{expiration}}' IN ROLE "${GROUP}";`], 'the created role is not LOGIN'],
    ['SET ROLE to another role', [GOOD[0], 'ALTER ROLE "{{name}}" SET ROLE "erp_role";'], 'ALTER ROLE … SET ROLE "erp_role", not its env\'s group "erp_sandbox_role"'],
    ['a literal password', [`CREATE ROLE "{{name}}" LOGIN PASSWORD 'hunter2' VALID UNTIL '{{expiration}}' IN ROLE "${GROUP}";`], "sets a literal PASSWORD instead of '{{password}}'"],
    ['SQL that does not parse', ['CREATE ROLE "{{name}}" LOGIN WITH WITH;'], 'creation statement 1 does not parse: syntax error at or near "WITH"'],
    ['ALTER ROLE … SUPERUSER in a second statement', [GOOD[0], 'ALTER ROLE "{{name}}" SUPERUSER;'], 'runs AlterRole: only CREATE ROLE, ALTER ROLE … SET ROLE timeout defaults and temp_file_limit are allowed'],
    ['a session default other than a timeout', [GOOD[0], 'ALTER ROLE "{{name}}" SET search_path = \'evil\';'], 'runs AlterRoleSet: only CREATE ROLE, ALTER ROLE … SET ROLE timeout defaults and temp_file_limit are allowed'],
    ['a timeout default on another role', [GOOD[0], 'ALTER ROLE "erp_role" SET statement_timeout = \'0\';'], 'runs AlterRoleSet: only CREATE ROLE, ALTER ROLE … SET ROLE timeout defaults and temp_file_limit are allowed'],
  ])('refuses creation statements with %s', (_, statements, problem) => {
    expect(creationProblems(statements, GROUP)).toContain(problem);
  });

  it.each([
    ['no statements', [], "has no revocation statements: Vault's default fails on an IN ROLE member that owns objects, leaving the login behind"],
    ['DROP ROLE before DROP OWNED', ['DROP ROLE "{{name}}";', 'DROP OWNED BY "{{name}}";'], 'drops the user before DROP OWNED BY "{{name}}": the drop fails while it owns objects or holds privileges'],
    ['a drop of the group', [...GOOD_REVOKE, 'DROP OWNED BY "erp_role";'], 'DROP OWNED BY erp_role: drops objects of roles other than the user'],
    ['a grant of the group to the connection user', ['GRANT "erp_role" TO CURRENT_USER;', ...GOOD_REVOKE], 'runs GrantRole on revocation'],
    ['ADMIN OPTION on the user', ['GRANT "{{name}}" TO CURRENT_USER WITH ADMIN OPTION;', ...GOOD_REVOKE.slice(1)], 'runs GrantRole on revocation'],
    ['no DROP ROLE', ['DROP OWNED BY "{{name}}";'], 'never drops the user (DROP ROLE "{{name}}")'],
  ])('refuses revocation statements with %s', (_, statements, problem) => {
    expect(revocationProblems(statements as string[], GROUP)).toContain(problem);
  });

  it('passes the example estate', async () => {
    expect(findings(await check(cleanDist()), 'TK004')).toEqual([]);
  });

  it('catches an escape hatch that grants the prod group in the creation statements', async () => {
    // cdktf's addOverride appends to a list: this adds one statement after the generated ones.
    const dir = synthDist((e) => env(e, 'erp', 'sandbox').addEscapeHatch((r) => r.vaultRole.addOverride('creation_statements', [
      'GRANT "erp_role" TO "{{name}}";',
    ])));
    const [f, ...rest] = findings(await check(dir), 'TK004');
    expect(rest).toEqual([]);
    expect(f.message).toBe('Vault role "postgres/roles/erp-sandbox" of erp-sandbox (tier dev): GRANTs "erp_role" to tierkit_vault_user: no grant besides IN ROLE is allowed');
    expect(f.pointer).toBe('/resource/vault_database_secret_backend_role/vault_role');
  });

  it('judges a hand-written Vault role by the connection it runs on', async () => {
    const dir = distWithFiles({
      'terraform/extra/cdk.tf.json': { resource: { vault_database_secret_backend_role: { reporting: {
        backend: 'postgres', name: 'erp-reporting', db_name: 'erp', default_ttl: 3600, max_ttl: 3600,
        creation_statements: [`CREATE ROLE "{{name}}" LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}' IN ROLE "erp_sandbox_role";`],
        revocation_statements: GOOD_REVOKE,
      } } } },
    });
    const messages = findings(await check(dir), 'TK004').map((f) => f.message);
    expect(messages).toContain('Vault role "postgres/roles/erp-reporting" of erp (tier prod): IN ROLE "erp_sandbox_role"; it must be exactly its env\'s group "erp_role"');
  });
});

describe('TK005 Vault connection', () => {
  it('passes the example estate', async () => {
    expect(findings(await check(cleanDist()), 'TK005')).toEqual([]);
  });

  it('catches a wildcard and a foreign role in allowed_roles, and a foreign login', async () => {
    const dir = synthDist((e) => {
      env(e, 'erp', 'sandbox').addEscapeHatch((r) => r.vaultConnection.addOverride('allowed_roles', ['erp']));
      env(e, 'crm', 'dev').addEscapeHatch((r) => r.vaultConnection.addOverride('allowed_roles', ['*']));
      env(e, 'shop', 'dev').addEscapeHatch((r) => r.vaultConnection.addOverride('postgresql.username', 'shop_role'));
    });
    expect(findings(await check(dir), 'TK005').map((f) => f.message)).toEqual([
      'Vault connection "postgres/config/crm-dev" of crm-dev (tier dev) allows "*": a glob admits any role on the mount',
      'Vault connection "postgres/config/erp-sandbox" of erp-sandbox (tier dev) allows role "erp" of erp (tier prod); only "erp-sandbox" may use it',
      'Vault connection "postgres/config/shop-dev" of shop-dev (tier dev) logs in as "shop_role", not as its env\'s connection role "shop_dev_vault"',
    ]);
  });

  it('reads the connections of a hand-written vault_database_secrets_mount (the combined resource) too', async () => {
    const dir = distWithFiles({
      'terraform/dbmount/cdk.tf.json': { resource: { vault_database_secrets_mount: { db: {
        path: 'postgres-v2',
        postgresql: [
          { name: 'erp', allowed_roles: ['*'], username: 'erp_vault', connection_url: 'postgresql://{{username}}:{{password}}@pg-prod.arcodange.lab:5432/erp' },
          { name: 'scratch', allowed_roles: ['*'], username: '${var.u}', connection_url: 'postgresql://{{username}}:{{password}}@pg-prod.arcodange.lab:5432/erp' },
        ],
      } } } },
    });
    const found = findings(await check(dir), 'TK005');
    expect(found.map((f) => f.message)).toEqual([
      'Vault connection "postgres-v2/config/erp" of erp (tier prod) allows "*": a glob admits any role on the mount',
      'Vault connection "postgres-v2/config/scratch" of no declared app-environment allows "*": a glob admits any role on the mount',
    ]);
    expect(found[0]).toMatchObject({ file: 'terraform/dbmount/cdk.tf.json', pointer: '/resource/vault_database_secrets_mount/db/postgresql/0' });
  });

  it('catches an empty allowed_roles', async () => {
    const dir = synthDist((e) => env(e, 'erp', 'dev').addEscapeHatch((r) => r.vaultConnection.resetAllowedRoles()));
    expect(findings(await check(dir), 'TK005').map((f) => f.message)).toEqual(['Vault connection "postgres/config/erp-dev" of erp-dev (tier dev) has no allowed_roles']);
  });
});
