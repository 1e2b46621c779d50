import { beforeAll, describe, expect, it } from 'vitest';
import { nameProblem, vaultKey } from '../../policies/rules/support/vault-names';
import { check, cleanDist, env, findings, freshDir, synthDist } from './helpers';
import { editDist } from './rehash';

/**
 * TK152: Vault lowercases and trims policy names (policy_store.go sanitizeName, policyutil.SanitizePolicies)
 * and lowercases Kubernetes and JWT auth role names; the other rules compare names as written. Each
 * fixture is a hand edit of dist/ (re-hashed, so only the rules can catch it) or an escape hatch.
 */

let clean: string;
beforeAll(() => {
  clean = cleanDist();
});

const PROD_CREDS = 'path "postgres/creds/erp" {\n  capabilities = ["read"]\n}\n';

async function tk152(label: string, edits: Record<string, (j: any) => void>): Promise<string[]> {
  const report = await check(editDist(clean, freshDir(`tk152-${label}`), edits));
  return report.findings.filter((f) => f.ruleId === 'TK152' && f.severity === 'error' && f.suppressed === undefined).map((f) => f.message);
}

describe('TK152: the example estate writes every Vault name as Vault stores it', () => {
  it('has no finding', async () => {
    expect(findings(await check(clean), 'TK152')).toEqual([]);
  }, 120_000);
});

describe('TK152: a name Vault would canonicalise differently is refused', () => {
  it('a vault_policy "ERP-SANDBOX" in prod\'s stack (Vault: erp-sandbox, the dev sandbox\'s policy)', async () => {
    const m = await tk152('policy-upper', { erp: (j) => { j.resource.vault_policy.shadow = { name: 'ERP-SANDBOX', policy: PROD_CREDS }; } });
    expect(m).toContain('vault_policy.shadow in stack erp: name "ERP-SANDBOX" (a Vault policy name) is not Vault\'s canonical form: Vault files it as "erp-sandbox"');
  }, 120_000);

  it('a vault_policy "erp-sandbox\\u00a0" (Go trims NBSP; JavaScript\'s view is not trusted: non-ASCII is refused)', async () => {
    const m = await tk152('policy-nbsp', { erp: (j) => { j.resource.vault_policy.shadow = { name: 'erp-sandbox\u00a0', policy: PROD_CREDS }; } });
    expect(m.some((x) => /vault_policy\.shadow in stack erp: name "erp-sandbox\u00a0" .* holds U\+00A0, outside printable ASCII/.test(x)), m.join('\n')).toBe(true);
  }, 120_000);

  it("a Kubernetes auth role's token_policies naming a policy in another case (Vault: SanitizePolicies at login)", async () => {
    const m = await tk152('token-policies', { 'crm-staging': (j) => { j.resource.vault_kubernetes_auth_backend_role.kubernetes_auth_role.token_policies = ['CRM-STAGING ']; } });
    expect(m).toContain('vault_kubernetes_auth_backend_role.kubernetes_auth_role in stack crm-staging: token_policies.0 "CRM-STAGING " (a Vault policy name) is not Vault\'s canonical form: Vault files it as "crm-staging"');
  }, 120_000);

  it("the deprecated policies attribute is read too, and an unresolvable entry is refused", async () => {
    const m = await tk152('policies-attr', { 'crm-staging': (j) => { j.resource.vault_kubernetes_auth_backend_role.kubernetes_auth_role.policies = ['Crm-Staging', '${var.policy}']; } });
    expect(m.some((x) => /policies\.0 "Crm-Staging" \(a Vault policy name\) is not Vault's canonical form/.test(x)), m.join('\n')).toBe(true);
    expect(m.some((x) => /policies\.1 \(not a string\) \(a Vault policy name\) is an expression tierkit cannot resolve/.test(x)), m.join('\n')).toBe(true);
  }, 120_000);

  it("a JWT auth role's role_name and token_policies in another case (vault-plugin-auth-jwt: TypeLowerCaseString)", async () => {
    const m = await tk152('jwt', { 'platform-prod': (j) => {
      const r = j.resource.vault_jwt_auth_backend_role.planner_role;
      r.role_name = 'TIERKIT-PLAN-PROD';
      r.token_policies = ['Tierkit-Plan-Prod'];
    } });
    expect(m.some((x) => /vault_jwt_auth_backend_role\.planner_role in stack platform-prod: role_name "TIERKIT-PLAN-PROD" \(a JWT auth role name\) is not Vault's canonical form: Vault files it as "tierkit-plan-prod"/.test(x)), m.join('\n')).toBe(true);
    expect(m.some((x) => /planner_role in stack platform-prod: token_policies\.0 "Tierkit-Plan-Prod" \(a Vault policy name\)/.test(x)), m.join('\n')).toBe(true);
  }, 120_000);
});

describe('TK152: two declarations Vault files under one key', () => {
  it('a second vault_policy "CRM" in crm\'s own stack (no other owner: TK072 is silent) is one policy with "crm"', async () => {
    const m = await tk152('dup-case', { crm: (j) => { j.resource.vault_policy.twin = { name: 'CRM', policy: 'path "postgres/creds/crm" {\n  capabilities = ["read"]\n}\n' }; } });
    expect(m).toContain('vault_policy.twin (stack crm, "CRM") and vault_policy.vault_policy (stack crm, "crm") are one Vault policy name in Vault, "crm": each apply overwrites the other');
    expect(m).toContain('vault_policy.vault_policy (stack crm, "crm") and vault_policy.twin (stack crm, "CRM") are one Vault policy name in Vault, "crm": each apply overwrites the other');
  }, 120_000);

  it('an exact twin of a Kubernetes auth role in the same stack is refused', async () => {
    const m = await tk152('dup-role', { crm: (j) => {
      const roles = j.resource.vault_kubernetes_auth_backend_role;
      roles.twin = JSON.parse(JSON.stringify(roles.kubernetes_auth_role));
    } });
    expect(m.some((x) => /vault_kubernetes_auth_backend_role\.twin \(stack crm, "crm"\) and vault_kubernetes_auth_backend_role\.kubernetes_auth_role .* "kubernetes\/crm"/.test(x)), m.join('\n')).toBe(true);
  }, 120_000);

  it('database roles are case-sensitive in Vault: "CRM" is another role (no finding), an exact twin is refused', async () => {
    const twin = (name: string) => (j: any) => {
      const roles = j.resource.vault_database_secret_backend_role;
      roles.twin = { ...JSON.parse(JSON.stringify(roles.vault_role)), name };
    };
    expect(await tk152('db-case', { crm: twin('CRM') })).toEqual([]);
    const m = await tk152('db-dup', { crm: twin('crm') });
    expect(m.some((x) => /vault_database_secret_backend_role\.twin \(stack crm, "crm"\) and vault_database_secret_backend_role\.vault_role \(stack crm, "crm"\) are one database secrets role name in Vault, "postgres\/crm"/.test(x)), m.join('\n')).toBe(true);
  }, 120_000);
});

describe('TK152 against an escape hatch and a suppression', () => {
  it("an app's escape hatch renaming its policy to \"CRM\" is an error its suppression cannot silence", async () => {
    const dir = synthDist((e) => {
      const crm = env(e, 'crm', 'prod');
      crm.addEscapeHatch((r) => { r.vaultPolicy.addOverride('name', 'CRM'); });
      crm.addSuppression('TK152', 'upper-case policy names are our house style, says the author');
    }, 'tk152-hatch');
    const found = findings(await check(dir), 'TK152');
    expect(found.map((f) => f.message)).toContain('vault_policy.vault_policy in stack crm: name "CRM" (a Vault policy name) is not Vault\'s canonical form: Vault files it as "crm"');
    expect(found.length).toBeGreaterThan(0);
    expect(found.every((f) => f.severity === 'error' && f.suppressed === undefined)).toBe(true);
  }, 120_000);
});

describe('TK152 canonical form (Go semantics over printable ASCII)', () => {
  it('accepts tierkit names and refuses case, ASCII whitespace, control and non-ASCII characters', () => {
    expect(nameProblem('policy', 'erp-sandbox')).toBeUndefined();
    expect(nameProblem('kubernetes-role', 'crm-ci-seed-synthetic-v1')).toBeUndefined();
    expect(nameProblem('policy', '\terp')).toMatch(/holds U\+0009/);
    expect(nameProblem('policy', ' erp')).toMatch(/files it as "erp"/);
    expect(nameProblem('jwt-role', 'Erp')).toMatch(/files it as "erp"/);
    expect(nameProblem('policy', 'erp\u0085')).toMatch(/holds U\+0085/);
    expect(nameProblem('policy', 'crm-c\u0130')).toMatch(/holds U\+0130/);
    expect(nameProblem('policy', '')).toBe('is empty');
    expect(nameProblem('policy', 7)).toBe('is 7, not a string');
    expect(nameProblem('database-role', 'CRM')).toBeUndefined();
    expect(nameProblem('policy', 'erp-sandbox/')).toMatch(/holds "\/": tierkit models only names of letters, digits/);
    expect(nameProblem('policy', 'erp sandbox')).toMatch(/holds " "/);
    expect(nameProblem('database-connection', 'crm%2f')).toMatch(/holds "%"/);
    expect(vaultKey('database-role', 'CRM')).toBe('CRM');
    expect(vaultKey('policy', ' CRM ')).toBe('crm');
  });
});
