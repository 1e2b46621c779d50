import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../constructs/synth/serialize';
import { PLANNER_CREATION_STATEMENTS } from '../../contract/planner';
import { check, cleanDist, findings } from './helpers';
import { DistEdit } from './dist-edit';
import { manifestEdit } from './rehash';

/**
 * TK144–TK147: the short-lived planner login (contract/planner.ts) as dist declares it, judged against
 * a hand-edited dist (re-hashed, so only the rules can catch it), as a hostile PR author would write it.
 */

let clean: string;
beforeAll(() => {
  clean = cleanDist();
});

const CONN = 'planner_login_connection_prod_pg';
const ROLE = 'planner_login_role_prod_pg';
const stackFile = (stack: string) => `terraform/${stack}/cdk.tf.json`;

function editStacks(label: string, edits: Record<string, (j: any) => void>, manifest?: (m: any) => void): string {
  const e = new DistEdit(label, clean);
  for (const [stack, edit] of Object.entries(edits)) {
    const j = JSON.parse(readFileSync(join(e.dir, stackFile(stack)), 'utf8'));
    edit(j);
    e.write(stackFile(stack), canonicalJson(j));
  }
  if (manifest) manifestEdit(e.dir, manifest);
  return e.dir;
}

const appendPath = (j: any, policy: string, path: string, caps = '"read"') => {
  j.resource.vault_policy[policy].policy += `\npath "${path}" {\n  capabilities = [${caps}]\n}\n`;
};

async function ruleMessages(dir: string, ...ids: string[]): Promise<Record<string, string[]>> {
  const report = await check(dir);
  return Object.fromEntries(ids.map((id) => [id, findings(report, id).map((f) => f.message)]));
}

describe('the short-lived planner login in the example estate', () => {
  it('passes TK144–TK147, and the rules that leave it to them (TK004, TK005, TK097)', async () => {
    const report = await check(clean);
    for (const id of ['TK144', 'TK145', 'TK146', 'TK147', 'TK004', 'TK005', 'TK097', 'TK096']) expect(findings(report, id), id).toEqual([]);
  });
});

describe('TK145: exactly tierkit\'s statements', () => {
  it('a second role in IN ROLE is refused, and TK004/TK097 do not mistake it for theirs', async () => {
    const dir = editStacks('tk145-inrole', { 'platform-prod': (j) => {
      j.resource.vault_database_secret_backend_role[ROLE].creation_statements = [PLANNER_CREATION_STATEMENTS[0].replace('IN ROLE "tierkit_planner"', 'IN ROLE "tierkit_planner", "erp_prod_group"')];
    } });
    const m = await ruleMessages(dir, 'TK145');
    expect(m.TK145).toHaveLength(1);
    expect(m.TK145[0]).toMatch(/^Vault role "postgres\/roles\/tierkit-planner-prod-pg" of stack platform-prod has creation_statements .*erp_prod_group.*, not exactly tierkit's/);
  });

  it('a non-string entry beside the statement (which the graph\'s string list would drop) is refused', async () => {
    const dir = editStacks('tk145-nonstring', { 'platform-prod': (j) => {
      j.resource.vault_database_secret_backend_role[ROLE].creation_statements = [...PLANNER_CREATION_STATEMENTS, { sql: 'ALTER ROLE "{{name}}" CREATEDB' }];
    } });
    expect((await ruleMessages(dir, 'TK145')).TK145).toHaveLength(1);
  });

  it('renew statements (which would move VALID UNTIL) and a foreign role on the issuer connection are refused', async () => {
    const dir = editStacks('tk145-renew', {
      'platform-prod': (j) => {
        j.resource.vault_database_secret_backend_role[ROLE].renew_statements = ['ALTER ROLE "{{name}}" VALID UNTIL \'infinity\';'];
      },
      erp: (j) => {
        const [id] = Object.keys(j.resource.vault_database_secret_backend_role);
        j.resource.vault_database_secret_backend_role.sneaky = { ...j.resource.vault_database_secret_backend_role[id], name: 'sneaky', db_name: 'tierkit-planner-prod-pg' };
      },
    });
    const m = await ruleMessages(dir, 'TK145');
    expect(m.TK145.sort()).toEqual([
      expect.stringMatching(/^Vault role "postgres\/roles\/sneaky" of stack erp uses server prod-pg's planner issuer connection/),
      expect.stringMatching(/has renew_statements/),
    ].sort((a: any, b: any) => String(a).localeCompare(String(b))));
  });
});

describe('TK146: one plan job long', () => {
  it('a day-long max_ttl and an unset default_ttl are refused', async () => {
    const dir = editStacks('tk146', { 'platform-prod': (j) => {
      const r = j.resource.vault_database_secret_backend_role[ROLE];
      r.max_ttl = 86400;
      delete r.default_ttl;
    } });
    expect((await ruleMessages(dir, 'TK146')).TK146).toEqual([
      'Vault role "postgres/roles/tierkit-planner-prod-pg" (server prod-pg\'s planner login) has default_ttl null: at most 900 s, set',
      'Vault role "postgres/roles/tierkit-planner-prod-pg" (server prod-pg\'s planner login) has max_ttl 86400: at most 3600 s, set',
    ]);
  });
});

describe('TK144: the issuer connection', () => {
  it('another allowed role, another login and another database are refused', async () => {
    const dir = editStacks('tk144-conn', { 'platform-prod': (j) => {
      const c = j.resource.vault_database_secret_backend_connection[CONN];
      c.allowed_roles = ['tierkit-planner-prod-pg', 'erp-prod'];
      c.postgresql.connection_url = c.postgresql.connection_url.replace('/postgres?', '/erp?');
      c.plugin_name = 'postgresql-legacy-database-plugin';
    } });
    const m = (await ruleMessages(dir, 'TK144')).TK144;
    expect(m).toHaveLength(3);
    expect(m.some((x) => x.includes('uses plugin "postgresql-legacy-database-plugin"'))).toBe(true);
    expect(m.find((x) => x.includes('allows roles'))).toMatch(/allows roles \["tierkit-planner-prod-pg","erp-prod"\]: only "tierkit-planner-prod-pg" may use it/);
    expect(m.find((x) => x.includes('connects to'))).toMatch(/connects to ".*\/erp\?sslmode=verify-full", not server prod-pg's maintenance database/);
  });

  it('a server declared PostgreSQL 15 in the manifest gets no issuer (CREATEROLE there grants any role)', async () => {
    const dir = editStacks('tk144-pg15', {}, (m) => {
      m.servers.find((s: any) => s.id === 'prod-pg').majorVersion = 15;
    });
    expect((await ruleMessages(dir, 'TK144')).TK144).toEqual([
      expect.stringMatching(/^Vault connection "postgres\/config\/tierkit-planner-prod-pg" of stack platform-prod issues planner logins on server prod-pg, PostgreSQL 15: before 16/),
    ]);
  });

  it('the issuer connection copied into an env stack is no issuer: TK005 refuses it, and TK144 the issuer login there', async () => {
    const dir = editStacks('tk144-moved', { erp: (j) => {
      const src = JSON.parse(readFileSync(join(clean, stackFile('platform-prod')), 'utf8')).resource.vault_database_secret_backend_connection[CONN];
      j.resource.vault_database_secret_backend_connection.copied = { ...src, postgresql: { ...src.postgresql, password_wo: '${var.vault_connection_password}' } };
    } });
    const m = await ruleMessages(dir, 'TK144', 'TK005');
    expect(m.TK144).toEqual([expect.stringMatching(/^Vault connection "postgres\/config\/tierkit-planner-prod-pg" of stack erp logs in as tierkit_planner_issuer, yet is no server's planner issuer connection/)]);
    expect(m.TK005.length).toBeGreaterThan(0);
  });
});

describe('TK147: who reads and writes the planner login', () => {
  it("an env's policy reading prod's planner creds, and the dev planner reading them, are refused", async () => {
    const dir = editStacks('tk147-read', {
      'erp-dev': (j) => appendPath(j, 'vault_policy', 'postgres/creds/tierkit-planner-*'),
      'platform-dev': (j) => appendPath(j, 'planner_policy', 'postgres/creds/tierkit-planner-prod-pg'),
    });
    const m = (await ruleMessages(dir, 'TK147')).TK147;
    expect(m.filter((x) => x.includes('prod-pg (postgres/creds/tierkit-planner-prod-pg)')).length).toBe(2);
    expect(m).toContain('policy "tierkit-plan-dev" of stack platform-dev reaches its planner logins (creds) of server prod-pg (postgres/creds/tierkit-planner-prod-pg) through "postgres/creds/tierkit-planner-prod-pg" [read]');
  });

  it("the prod planner writing its role, a static role on the issuer connection, and an applier reading the issuer's first password are refused", async () => {
    const dir = editStacks('tk147-write', { 'platform-prod': (j) => {
      appendPath(j, 'planner_policy', 'postgres/roles/tierkit-planner-prod-pg', '"update"');
      appendPath(j, 'applier_policy', 'postgres/static-roles/tierkit-planner-prod-pg', '"create", "update"');
      appendPath(j, 'applier_policy', 'kvv2/data/tierkit/postgres-planner-issuer/+');
    } });
    const m = (await ruleMessages(dir, 'TK147')).TK147;
    expect(m.some((x) => x.startsWith('policy "tierkit-plan-prod" of stack platform-prod reaches its planner login role of server prod-pg'))).toBe(true);
    expect(m.some((x) => x.startsWith('policy "tierkit-apply-prod" of stack platform-prod reaches a static role on its issuer connection of server prod-pg'))).toBe(true);
    // `+` matches every manifest server's first password (local-pg's too).
    expect(m.filter((x) => x.startsWith('policy "tierkit-apply-prod"') && x.includes("its issuer's first password")).length).toBe(4);
  });

  it("a Kubernetes auth role attaching the prod planner's policy is refused", async () => {
    const dir = editStacks('tk147-attach', { erp: (j) => {
      j.resource.vault_kubernetes_auth_backend_role.kubernetes_auth_role.token_policies = ['${vault_policy.vault_policy.name}', 'tierkit-plan-prod'];
    } });
    expect((await ruleMessages(dir, 'TK147')).TK147).toEqual([
      expect.stringMatching(/^kubernetes auth role ".*" of stack erp attaches the planner policy "tierkit-plan-prod", which reads planner logins/),
    ]);
  });
});

describe('TK097: no stack makes, joins or changes the planner issuer', () => {
  it('a stack declaring a postgresql_role named tierkit_planner_issuer (its password, its attributes) is refused', async () => {
    const dir = editStacks('tk097-issuer-role', { 'erp-dev': (j) => {
      j.resource.postgresql_role.taken = { name: 'tierkit_planner_issuer', login: true, password_wo: '${var.vault_connection_password}', password_wo_version: 1 };
    } });
    expect((await ruleMessages(dir, 'TK097')).TK097).toEqual([expect.stringMatching(/^postgresql_role\.taken of stack erp-dev names "tierkit_planner_issuer" as its name/)]);
  });

  it("a membership in the issuer (SET ROLE to it: CREATEROLE and ADMIN on the group) is refused", async () => {
    const dir = editStacks('tk097-issuer-member', { 'erp-dev': (j) => {
      j.resource.postgresql_grant_role = { ...(j.resource.postgresql_grant_role ?? {}), joins_issuer: { role: 'erp_dev_role', grant_role: 'tierkit_planner_issuer', with_admin_option: false } };
    } });
    expect((await ruleMessages(dir, 'TK097')).TK097).toEqual([expect.stringMatching(/makes "erp_dev_role" reach "tierkit_planner_issuer"/)]);
  });
});
