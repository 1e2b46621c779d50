import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { isPublicRole, KEYWORD_ROLE } from '../../policies/rules/support/pg-role-names';
import { uncleanPath } from '../../policies/rules/support/vault-path-clean';
import { check, cleanDist, findings, freshDir } from './helpers';
import { editDist, rehashManifest } from './rehash';

/**
 * Names and paths the rules read as written while PostgreSQL or Vault read them otherwise (attack21):
 * a role "PUBLIC" is no PUBLIC (TK002, TK041, TK170, TK039), Vault's built-in `default` policy is on
 * every token (TK152, TK007, TK072), and the Vault client cleans request paths (TK062). Each fixture
 * is a hand edit of dist/, re-hashed so that only the rules can catch it.
 */

let clean: string;
beforeAll(() => {
  clean = cleanDist();
});

const policy = (...paths: string[]) => paths.map((p) => `path "${p}" {\n  capabilities = ["create", "read", "update", "delete"]\n}\n`).join('\n');

async function errors(label: string, edits: Record<string, (j: any) => void>, rule?: string): Promise<string[]> {
  const report = await check(editDist(clean, freshDir(`names-paths-${label}`), edits));
  return report.findings.filter((f) => f.severity === 'error' && f.suppressed === undefined && (rule === undefined || f.ruleId === rule))
    .map((f) => `${f.ruleId} ${f.message}`);
}

describe('PUBLIC is exactly `public`; keyword-named roles are refused', () => {
  it('helpers: only the exact string is PUBLIC; every case of a keyword name is reserved', () => {
    expect(['public'].map(isPublicRole)).toEqual([true]);
    expect(['PUBLIC', 'Public', ' public', ''].map(isPublicRole)).toEqual([false, false, false, false]);
    expect(['PUBLIC', 'none', 'Current_User', 'SESSION_USER', 'current_role'].every((n) => KEYWORD_ROLE.test(n))).toBe(true);
    expect(['public_reader', 'erp_role', 'nobody'].some((n) => KEYWORD_ROLE.test(n))).toBe(false);
  });

  it('the example estate has no finding of TK002, TK039, TK041, TK062, TK170', async () => {
    const report = await check(clean);
    for (const id of ['TK002', 'TK039', 'TK041', 'TK062', 'TK170']) expect(findings(report, id), id).toEqual([]);
  }, 120_000);

  it('TK002: prod\'s revoke written FROM "Public" is no PUBLIC revoke', async () => {
    const m = await errors('tk002-public', { erp: (j) => { j.resource.postgresql_grant.database_public_revoke.role = 'Public'; } }, 'TK002');
    expect(m.some((x) => /database "erp" of .* never revokes PUBLIC/.test(x)), m.join('\n')).toBe(true);
  }, 120_000);

  it('TK170: the preview home\'s revoke FROM "PUBLIC" is no PUBLIC revoke', async () => {
    const m = await errors('tk170-public', { 'erp-dev': (j) => { j.resource.postgresql_grant.preview_home_public_revoke.role = 'PUBLIC'; } }, 'TK170');
    expect(m.some((x) => /does not revoke PUBLIC on the preview home/.test(x)), m.join('\n')).toBe(true);
  }, 120_000);

  it('TK039: a role named "Current_User" (and a grant to it), and a role named exactly "public", are refused', async () => {
    const m = await errors('tk039-keywords', { erp: (j) => {
      j.resource.postgresql_role.current = { name: 'Current_User', login: false };
      j.resource.postgresql_role.public_named = { name: 'public', login: false };
      j.resource.postgresql_grant.current_connect = { database: 'erp', role: 'Current_User', object_type: 'database', privileges: ['CONNECT'] };
    } }, 'TK039');
    expect(m.some((x) => /postgresql_role\.current .*names name = "Current_User" is, in some case, PUBLIC, NONE, CURRENT_USER/.test(x)), m.join('\n')).toBe(true);
    expect(m.some((x) => /postgresql_grant\.current_connect .*names role = "Current_User" is, in some case/.test(x)), m.join('\n')).toBe(true);
    expect(m.some((x) => /postgresql_role\.public_named .*names name = "public" is, in some case/.test(x)), m.join('\n')).toBe(true);
  }, 120_000);
});

describe("Vault's built-in policies are no stack's", () => {
  it('TK152: vault_policy "default" in the shared platform stack, and "response-wrapping" in an env stack, are refused; TK072 refuses the env stack\'s', async () => {
    const body = policy('postgres/creds/crm-alice');
    const m = await errors('builtin', {
      platform: (j) => { j.resource.vault_policy.dflt = { name: 'default', policy: body }; },
      'crm-alice': (j) => { j.resource.vault_policy.rt = { name: 'response-wrapping', policy: body }; },
    });
    expect(m).toContain('TK152 vault_policy.dflt in stack platform: name "default" is Vault\'s built-in "default" policy, attached to every token Vault issues (every tier\'s, prod\'s included): writing it rewrites what all of them may do');
    expect(m).toContain('TK152 vault_policy.rt in stack crm-alice: name "response-wrapping" is Vault\'s built-in "response-wrapping" policy, which Vault keeps for itself');
    expect(m.some((x) => /^TK072 vault_policy\.rt in stack crm-alice writes "sys\/policies\/acl\/response-wrapping", which belongs to the shared platform/.test(x)), m.join('\n')).toBe(true);
  }, 120_000);

  it('TK007: an env\'s policy writing sys/policy/default (the legacy alias) reaches the platform\'s', async () => {
    const m = await errors('builtin-reach', { 'crm-alice': (j) => { j.resource.vault_policy.vault_policy.policy += `\n${policy('sys/policy/default')}`; } }, 'TK007');
    expect(m.some((x) => /Vault policy "crm-alice" .* on "sys\/policy\/default", which reaches .*the shared platform/.test(x)), m.join('\n')).toBe(true);
  }, 120_000);

  it('a reasoned TK007 suppression on the sandbox does not accept writing the default policy (it reaches every tier)', async () => {
    const dir = editDist(clean, freshDir('names-paths-builtin-suppressed'), {
      'crm-alice': (j) => { j.resource.vault_policy.vault_policy.policy += `\n${policy('sys/policies/acl/default')}`; },
    });
    const file = join(dir, 'manifest.json');
    const m = JSON.parse(readFileSync(file, 'utf8'));
    m.appEnvironments.find((e: { slug: string }) => e.slug === 'crm-alice').suppressions = [{ ruleId: 'TK007', reason: 'Temporary access for the migration OPS-77 rehearsal' }];
    writeFileSync(file, JSON.stringify(m, null, 2));
    rehashManifest(dir);
    const report = await check(dir);
    const open = report.findings.filter((f) => f.severity === 'error' && f.suppressed === undefined);
    expect(open.some((f) => f.ruleId === 'TK007' && f.message.includes('"sys/policies/acl/default"')), open.map((f) => f.message).join('\n')).toBe(true);
  }, 120_000);

  it('TK007: a workload policy on <db mount>/reload/<plugin> (every env\'s connections) is refused like reset/ of another\'s', async () => {
    const reload = await errors('reload', { 'erp-sandbox': (j) => { j.resource.vault_policy.vault_policy.policy += `\n${policy('postgres/reload/postgresql-database-plugin')}`; } }, 'TK007');
    expect(reload.some((x) => /"postgres\/reload\/postgresql-database-plugin", which reaches .*the shared platform/.test(x)), reload.join('\n')).toBe(true);
    // Control: reset/ of its own connection is the env's own path.
    expect(await errors('reset-own', { 'erp-sandbox': (j) => { j.resource.vault_policy.vault_policy.policy += `\n${policy('postgres/reset/erp-sandbox')}`; } }, 'TK007')).toEqual([]);
  }, 120_000);
});

describe('TK062: a Vault path the client would clean is refused', () => {
  it('uncleanPath: clean paths pass; empty, "/" at either end, "//", "." and ".." segments do not', () => {
    expect(['kvv2', 'erp/config', 'a.b/c..d', '...'].map(uncleanPath)).toEqual([undefined, undefined, undefined, undefined]);
    expect(['', '/kvv2', 'kvv2/', 'kvv2//data', 'a/./b', 'erp-sandbox/../erp/config', '.', '..'].map(uncleanPath)).toEqual([
      'is empty', 'starts with "/"', 'ends with "/"', 'holds "//"', 'holds a "." segment', 'holds a ".." segment', 'holds a "." segment', 'holds a ".." segment']);
  });

  it('refuses each path-bearing attribute written unclean, and an unreadable mount; leaves expressions to TK071', async () => {
    const m = await errors('unclean', {
      'erp-sandbox': (j) => {
        j.resource.vault_kv_secret_v2.dotdot = { mount: 'kvv2', name: 'erp-sandbox/../erp/config', data_json: '{}' };
        j.resource.vault_kv_secret_v2.slash = { mount: 'kvv2/', name: 'erp-sandbox/other', data_json: '{}' };
        j.resource.vault_kv_secret_v2.number = { mount: 5, name: 'erp-sandbox/n', data_json: '{}' };
        j.resource.vault_kv_secret_v2.expr = { mount: '${var.mount}', name: 'erp-sandbox/e', data_json: '{}' };
        j.resource.vault_policy.dot = { name: '..', policy: policy('postgres/creds/erp-sandbox') };
        j.resource.vault_kubernetes_auth_backend_role.kubernetes_auth_role.backend = '/kubernetes';
        j.resource.vault_database_secret_backend_role.vault_role.backend = 'postgres//';
      },
      'platform-dev': (j) => { j.resource.vault_quota_rate_limit.vault_rate_quota_crm_alice.name = 'crm-alice/./x'; },
    }, 'TK062');
    const want = [
      /vault_kv_secret_v2\.dotdot in stack erp-sandbox: name "erp-sandbox\/\.\.\/erp\/config" holds a "\.\." segment: the Vault client cleans/,
      /vault_kv_secret_v2\.slash in stack erp-sandbox: mount "kvv2\/" ends with "\/"/,
      /vault_kv_secret_v2\.number in stack erp-sandbox: mount 5 is 5, not a string/,
      /vault_policy\.dot in stack erp-sandbox: name "\.\." holds a "\.\." segment/,
      /vault_kubernetes_auth_backend_role\.kubernetes_auth_role in stack erp-sandbox: backend "\/kubernetes" starts with "\/"/,
      /vault_database_secret_backend_role\.vault_role in stack erp-sandbox: backend "postgres\/\/" ends with "\/"/,
      /vault_quota_rate_limit\.vault_rate_quota_crm_alice in stack platform-dev: name "crm-alice\/\.\/x" holds a "\." segment/,
    ];
    for (const w of want) expect(m.some((x) => w.test(x)), `${w}\n${m.join('\n')}`).toBe(true);
    expect(m.some((x) => x.includes('vault_kv_secret_v2.expr')), m.join('\n')).toBe(false);
    expect(m.length).toBe(want.length);
  }, 120_000);
});
