import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Sandbox, SandboxKind, SandboxReset, Tier } from '../../constructs';
import { check, cleanDist, env, findings, freshDir, synthDist } from './helpers';
import { editDist } from './rehash';

/**
 * TK151: a Vault database connection is an allowlist of what tierkit writes. Each fixture is a hand
 * edit (re-hashed, so only the rules can catch it) or an escape hatch, as a hostile PR author writes it.
 */

let clean: string;
beforeAll(() => {
  clean = cleanDist();
});

const CRM = (j: any) => j.resource.vault_database_secret_backend_connection.vault_connection;
const PLANNER = (j: any) => j.resource.vault_database_secret_backend_connection.planner_login_connection_prod_pg;

async function tk151(label: string, stack: string, edit: (j: any) => void): Promise<{ messages: string[]; others: string[] }> {
  const report = await check(editDist(clean, freshDir(`tk151-${label}`), { [stack]: edit }));
  const errors = report.findings.filter((f) => f.severity === 'error' && f.suppressed === undefined);
  return {
    messages: errors.filter((f) => f.ruleId === 'TK151').map((f) => f.message),
    others: [...new Set(errors.filter((f) => f.ruleId !== 'TK151').map((f) => f.ruleId))],
  };
}

describe('TK151: every Vault connection of the example estate is what tierkit writes', () => {
  it('passes: env, planner issuer and preview connections', async () => {
    expect(findings(await check(clean), 'TK151')).toEqual([]);
  }, 120_000);

  it("passes a template-reset sandbox's connection (postgresql.max_connection_lifetime, TK118's)", async () => {
    const dir = synthDist((e) => {
      const crm = e.node.tryFindChild('crm') as ConstructorParameters<typeof Sandbox>[0];
      new Sandbox(crm, 'fast', { tier: Tier.DEV, kind: SandboxKind.ENGINEER, owner: 'arcodange', createdAt: '2026-11-21', ttlHours: 72, reset: SandboxReset.TEMPLATE });
    }, 'tk151-template-reset');
    const pg = JSON.parse(readFileSync(join(dir, 'terraform/crm-fast/cdk.tf.json'), 'utf8')).resource.vault_database_secret_backend_connection.vault_connection.postgresql;
    expect(pg.max_connection_lifetime).toBeGreaterThan(0);
    expect(findings(await check(dir), 'TK151')).toEqual([]);
  }, 120_000);
});

describe('TK151: an attribute tierkit does not write is refused', () => {
  // A harmless-looking template: no quote, so no other rule sees SQL in it; Vault still renders it into {{name}}.
  const cases: [string, string, (j: any) => void, RegExp][] = [
    ['username-template', 'crm', (j) => { CRM(j).postgresql.username_template = '{{.RoleName}}-{{random 8}}'; }, /vault_database_secret_backend_connection\.vault_connection of stack crm sets postgresql\.username_template, which tierkit never writes: Vault substitutes/],
    ['planner-template', 'platform-prod', (j) => { PLANNER(j).postgresql.username_template = 'x'; }, /planner_login_connection_prod_pg of stack platform-prod sets postgresql\.username_template/],
    ['password-authentication', 'crm', (j) => { CRM(j).postgresql.password_authentication = 'password'; }, /sets postgresql\.password_authentication, which tierkit never writes/],
    ['disable-escaping', 'crm', (j) => { CRM(j).postgresql.disable_escaping = true; }, /sets postgresql\.disable_escaping/],
    ['data', 'crm', (j) => { CRM(j).data = { username_template: 'x' }; }, /sets data, which tierkit never writes on a connection/],
    ['mysql-block', 'crm', (j) => { CRM(j).mysql = { connection_url: 'x' }; }, /sets mysql \(another database plugin\)/],
    ['plugin-name', 'crm', (j) => { CRM(j).plugin_name = 'postgresql-database-plugin-custom'; }, /has plugin_name "postgresql-database-plugin-custom", not "postgresql-database-plugin"/],
    ['verify-false', 'crm', (j) => { CRM(j).verify_connection = false; }, /has verify_connection false, not true/],
    ['lifecycle', 'crm', (j) => { CRM(j).lifecycle = { ignore_changes: ['postgresql'] }; }, /sets lifecycle, which tierkit never writes/],
    ['provider-alias', 'crm', (j) => { CRM(j).provider = 'vault.elsewhere'; }, /sets provider, which tierkit never writes/],
    ['count', 'crm', (j) => { CRM(j).count = 1; }, /sets count, which tierkit never writes/],
    ['two-blocks', 'crm', (j) => { CRM(j).postgresql = [CRM(j).postgresql, CRM(j).postgresql]; }, /has 2 postgresql blocks; exactly one/],
    ['quoted-username', 'platform-prod', (j) => { PLANNER(j).postgresql.username = 'tierkit_planner_issuer" SUPERUSER --'; }, /logs in as "tierkit_planner_issuer\\" SUPERUSER --": not a plain role name/],
  ];
  for (const [label, stack, edit, want] of cases) {
    it(`${label}`, async () => {
      const r = await tk151(label, stack, edit);
      expect(r.messages.some((m) => want.test(m)), r.messages.join('\n')).toBe(true);
    }, 120_000);
  }

  it('a benign username_template is refused by TK151 alone (no other rule reads it)', async () => {
    const r = await tk151('template-alone', 'crm', (j) => { CRM(j).postgresql.username_template = '{{.RoleName}}-{{random 8}}'; });
    expect(r.messages).toHaveLength(1);
    expect(r.others).toEqual([]);
  }, 120_000);

  it('root_rotation_statements other than tierkit\'s are refused on a platform connection too (TK045 reads env stacks only)', async () => {
    const r = await tk151('rotation', 'platform-prod', (j) => { PLANNER(j).root_rotation_statements = ['ALTER ROLE "{{name}}" WITH PASSWORD \'{{password}}\'; ALTER ROLE "{{name}}" VALID UNTIL \'infinity\';']; });
    expect(r.messages.some((m) => /has root_rotation_statements .* not tierkit's/.test(m)), r.messages.join('\n')).toBe(true);
  }, 120_000);

  it('each postgresql block of a vault_database_secrets_mount is held to the same allowlist', async () => {
    const r = await tk151('mount', 'crm', (j) => {
      const c = CRM(j);
      j.resource.vault_database_secrets_mount = { extra: {
        path: 'db2',
        postgresql: [{ name: 'x', plugin_name: 'postgresql-database-plugin', verify_connection: true, allowed_roles: ['x'],
          connection_url: c.postgresql.connection_url, username: 'x', username_template: 'y' }],
        mongodb: [{ name: 'm' }],
      } };
    });
    expect(r.messages.some((m) => /vault_database_secrets_mount\.extra \(postgresql block 0\) of stack crm sets username_template/.test(m)), r.messages.join('\n')).toBe(true);
    expect(r.messages.some((m) => /vault_database_secrets_mount\.extra of stack crm sets mongodb \(another database plugin\)/.test(m)), r.messages.join('\n')).toBe(true);
  }, 120_000);
});

describe('TK151 against an escape hatch and a suppression', () => {
  it("an app's escape hatch setting postgresql.password_authentication is an error its suppression cannot silence", async () => {
    const dir = synthDist((e) => {
      const crm = env(e, 'crm', 'prod');
      crm.addEscapeHatch((r) => { r.vaultConnection.addOverride('postgresql.password_authentication', 'scram-sha-256'); });
      crm.addSuppression('TK151', 'the connection needs scram for a while, says the author');
    }, 'tk151-hatch');
    const found = findings(await check(dir), 'TK151');
    expect(found.map((f) => f.message)).toEqual(['Vault connection vault_database_secret_backend_connection.vault_connection of stack crm sets postgresql.password_authentication, which tierkit never writes']);
    expect(found.every((f) => f.severity === 'error' && f.suppressed === undefined)).toBe(true);
  }, 120_000);
});
