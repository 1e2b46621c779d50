import { describe, expect, it } from 'vitest';
import { check, cleanDist, distWithFiles, env, findings, handStack, synthDist } from './helpers';

describe('TK001 ownership and membership', () => {
  it('passes the example estate', async () => {
    expect(findings(await check(cleanDist()), 'TK001')).toEqual([]);
  });

  it('catches an escape hatch that makes the sandbox group a member of the prod group', async () => {
    const dir = synthDist((e) => env(e, 'erp', 'sandbox').addEscapeHatch((r) => r.groupRole.addOverride('roles', ['erp_role'])));
    const [transitive, f, ...rest] = findings(await check(dir), 'TK001');
    expect(rest).toEqual([]);
    expect(f.message).toContain('"erp_sandbox_role" of erp-sandbox (tier dev) reaches "erp_role" of erp (tier prod)');
    // The Vault connection role is a member of the group, so it now reaches prod too.
    expect(transitive.message).toBe('role "erp_sandbox_vault" of erp-sandbox (tier dev) reaches "erp_role" of erp (tier prod) (erp_sandbox_vault → erp_sandbox_role → erp_role, via grant_role)');
    expect(f).toMatchObject({ file: 'terraform/erp-sandbox/cdk.tf.json', pointer: '/resource/postgresql_role/group_role',
      resourcePath: 'erp-sandbox/group_role', constructPath: 'arcodange/erp/sandbox', env: 'erp-sandbox' });
  });

  it('follows memberships transitively, through a hand-written stack', async () => {
    // crm-dev's group gains a hand-written bridge role, which is a member of erp_role: crm-dev reaches prod.
    const dir = distWithFiles({
      'terraform/bridge/cdk.tf.json': handStack({
        postgresql_role: { bridge: { name: 'bridge', roles: ['erp_role'] } },
        postgresql_grant_role: { crm_dev_in_bridge: { role: 'crm_dev_role', grant_role: 'bridge' } },
      }, { host: 'pg-nonprod.arcodange.lab', superuser: false }),
    });
    const messages = findings(await check(dir), 'TK001').map((f) => f.message);
    expect(messages.some((m) => m.includes('"bridge" of no declared app-environment reaches "erp_role" of erp'))).toBe(true);
  });

  it('lets a managed server\'s declared admin role join every group, but catches an env role that reaches it', async () => {
    // The example estate's managed servers make tierkit_admin a member of each group: no finding (first test).
    const dir = synthDist((e) => env(e, 'crm', 'alice').addEscapeHatch((r) => r.groupRole.addOverride('roles', ['tierkit_admin'])));
    const messages = findings(await check(dir), 'TK001').map((f) => f.message);
    expect(messages).toContain('role "crm_alice_role" of crm-alice (tier dev) reaches "tierkit_admin", the provider\'s admin role on server nonprod-pg, '
      + 'and through it every env\'s group there (crm_alice_role → tierkit_admin, via roles)');
    // …and, through it, the groups of the other envs on that server.
    expect(messages.some((m) => m.startsWith('role "crm_alice_role" of crm-alice (tier dev) reaches "erp_dev_role" of erp-dev'))).toBe(true);
  });

  it('catches a stack that grants the managed admin role another env\'s group (only the template edge is the applier\'s)', async () => {
    const dir = synthDist((e) => env(e, 'crm', 'alice').addEscapeHatch((r) => {
      r.providerMembership!.addOverride('grant_role', 'crm_dev_role');
    }));
    const messages = findings(await check(dir), 'TK001').map((f) => f.message);
    expect(messages).toEqual(['stack crm-alice makes "tierkit_admin", the provider\'s admin role on server nonprod-pg, reach "crm_dev_role" of crm-dev (tier dev) '
      + '(tierkit_admin → crm_dev_role, via grant_role): only an env\'s own stack may grant the admin its group']);
  });

  it('catches a database owned by another env\'s role', async () => {
    const dir = synthDist((e) => env(e, 'erp', 'sandbox').addEscapeHatch((r) => r.database.addOverride('owner', 'erp_role')));
    const messages = findings(await check(dir), 'TK001').map((f) => f.message);
    expect(messages).toContain('database "erp-sandbox" of erp-sandbox (tier dev) is owned by "erp_role", not by its group role "erp_sandbox_role"');
  });
});

describe('TK002 database connect', () => {
  it('passes the example estate', async () => {
    expect(findings(await check(cleanDist()), 'TK002')).toEqual([]);
  });

  it('catches a database whose PUBLIC revoke was turned into a grant', async () => {
    const dir = synthDist((e) => env(e, 'erp', 'prod').addEscapeHatch((r) => r.databasePublicRevoke.addOverride('privileges', ['CONNECT'])));
    const messages = findings(await check(dir), 'TK002').map((f) => f.message);
    expect(messages).toEqual([
      'database "erp" of erp (tier prod) never revokes PUBLIC: every login on the server keeps CONNECT and TEMPORARY',
      'database "erp" of erp (tier prod) grants CONNECT to PUBLIC; only "erp_role" may connect',
    ]);
  });

  it('catches a hand-written grant of CONNECT on the prod database to the sandbox group', async () => {
    const dir = distWithFiles({
      'terraform/oops/cdk.tf.json': handStack({
        postgresql_grant: { peek: { database: 'erp', role: 'erp_sandbox_role', object_type: 'database', privileges: ['CONNECT'] } },
      }),
    });
    const [f] = findings(await check(dir), 'TK002');
    expect(f.message).toBe('database "erp" of erp (tier prod) grants CONNECT to "erp_sandbox_role" (erp-sandbox (tier dev)); only "erp_role" may connect');
    expect(f.file).toBe('terraform/oops/cdk.tf.json');
  });
});

describe('TK003 privileged role attributes', () => {
  it('passes the example estate (Vault connection roles hold CREATEROLE only)', async () => {
    expect(findings(await check(cleanDist()), 'TK003')).toEqual([]);
  });

  it('catches SUPERUSER on a group role and CREATEDB on a connection role', async () => {
    const dir = synthDist((e) => {
      env(e, 'shop', 'dev').addEscapeHatch((r) => r.groupRole.addOverride('superuser', true));
      env(e, 'crm', 'alice').addEscapeHatch((r) => r.vaultConnectionRole.addOverride('create_database', true));
    });
    const messages = findings(await check(dir), 'TK003').map((f) => f.message);
    expect(messages).toEqual([
      'role "crm_alice_vault" of crm-alice (tier dev) is CREATEDB, CREATEROLE in a stack that applies without a human gate (automatic-on-merge)',
      'role "shop_dev_role" of shop-dev (tier dev) is SUPERUSER in a stack that applies without a human gate (automatic-on-merge)',
    ]);
  });

  it('catches a connection role holding ADMIN OPTION on another env\'s group', async () => {
    const dir = synthDist((e) => env(e, 'erp', 'sandbox').addEscapeHatch((r) => r.vaultConnectionAdmin.addOverride('grant_role', 'erp_role')));
    const report = await check(dir);
    expect(findings(report, 'TK003').map((f) => f.message)).toEqual([
      'Vault connection role "erp_sandbox_vault" holds ADMIN OPTION on "erp_role", not only on its group "erp_sandbox_role": with CREATEROLE it can grant that role to anyone',
    ]);
    expect(findings(report, 'TK001')).toHaveLength(1);
  });

  it('counts an attribute it cannot resolve as held: "${var.su}" cannot be proven false', async () => {
    const dir = synthDist((e) => {
      env(e, 'shop', 'dev').addEscapeHatch((r) => r.groupRole.addOverride('superuser', '${var.su}'));
      // CREATEROLE is the connection role's own exception: an unknown value there is no worse.
      env(e, 'crm', 'dev').addEscapeHatch((r) => r.vaultConnectionRole.addOverride('create_role', '${var.cr}'));
    });
    const hand = distWithFiles({ 'terraform/ops/cdk.tf.json': handStack({
      postgresql_role: { ops: { name: 'ops_reader', login: true, bypass_row_level_security: '${local.rls}', replication: 'false' } },
    }) });
    expect(findings(await check(dir), 'TK003').map((f) => f.message)).toEqual([
      'role "shop_dev_role" of shop-dev (tier dev) sets superuser = "${var.su}", which tierkit cannot resolve: SUPERUSER cannot be proven false',
    ]);
    const [f, ...rest] = findings(await check(hand), 'TK003');
    expect(rest).toEqual([]);
    expect(f).toMatchObject({
      message: 'role "ops_reader" of no declared app-environment sets bypass_row_level_security = "${local.rls}", which tierkit cannot resolve: BYPASSRLS cannot be proven false',
      fix: 'set bypass_row_level_security = false (a literal), or leave it unset',
    });
  });

  it('catches membership in the superuser-equivalent predefined roles (escape hatch and hand-written grant)', async () => {
    const dir = synthDist((e) => env(e, 'crm', 'dev').addEscapeHatch((r) => r.groupRole.addOverride('roles', ['pg_execute_server_program'])));
    expect(findings(await check(dir), 'TK003').map((f) => f.message)).toEqual([
      'role "crm_dev_role" of crm-dev (tier dev) is a member of "pg_execute_server_program" (via roles): it runs programs or reads/writes files as the server\'s OS user — superuser in all but name',
    ]);
    const hand = distWithFiles({ 'terraform/files/cdk.tf.json': handStack({
      postgresql_grant_role: {
        w: { role: 'erp_sandbox_role', grant_role: 'pg_write_server_files' },
        r: { role: 'erp_sandbox_vault', grant_role: 'pg_read_server_files' },
        ok: { role: 'erp_golden', grant_role: 'pg_read_all_data' },
      },
    }) });
    expect(findings(await check(hand), 'TK003').map((f) => f.message)).toEqual([
      'role "erp_sandbox_vault" of erp-sandbox (tier dev) is a member of "pg_read_server_files" (via grant_role): it runs programs or reads/writes files as the server\'s OS user — superuser in all but name',
      'role "erp_sandbox_role" of erp-sandbox (tier dev) is a member of "pg_write_server_files" (via grant_role): it runs programs or reads/writes files as the server\'s OS user — superuser in all but name',
    ]);
  });

  it('catches a CREATEROLE role in a hand-written stack', async () => {
    const dir = distWithFiles({ 'terraform/ops/cdk.tf.json': handStack({ postgresql_role: { ops: { name: 'ops_admin', login: true, create_role: true } } }) });
    expect(findings(await check(dir), 'TK003').map((f) => f.message)).toEqual([
      'role "ops_admin" of no declared app-environment is CREATEROLE in a stack that applies without a human gate (not in the manifest)',
    ]);
  });
});
