// attack12: Vault stores ACL policy names lowercased and trimmed (vault/policy_store.go sanitizeName:
// strings.ToLower(strings.TrimSpace(name)); auth roles' token_policies likewise, policyutil.SanitizePolicies).
// So a `vault_policy` named "ERP-SANDBOX" or "erp-sandbox " IS Vault's policy "erp-sandbox": whichever stack
// applies last writes the dev sandbox's workload policy. The graph keys policies by their exact text
// (vault-reach.ts maps only `sys/policies/acl/<exact name>` to its env; TK139 counts `x.name === p.name`),
// so prod erp's stack may declare the twin granting prod's credentials: TK007 judges it as prod's own policy
// reaching prod (allowed), TK072 sees no write to another env's `sys/policies/acl/erp-sandbox`, check exits 0.
// Gain: every erp-sandbox (tier dev) pod — and the same twin of "crm-ci-seed-synthetic-v1" for a seed
// producer — reads postgres/creds/erp, prod's credential. The exact name "erp-sandbox" IS refused today.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DistEdit } from '../policies/dist-edit';
import { check, cleanDist } from '../policies/helpers';

const PROD_CREDS = 'path "postgres/creds/erp" {\n  capabilities = ["read"]\n}\n';

async function errorsWithTwin(label: string, name: string): Promise<string[]> {
  const e = new DistEdit(label, cleanDist());
  const rel = 'terraform/erp/cdk.tf.json';
  const json = JSON.parse(readFileSync(join(e.dir, rel), 'utf8'));
  json.resource.vault_policy.shadow_policy = { name, policy: PROD_CREDS };
  e.write(rel, `${JSON.stringify(json, null, 2)}\n`);
  const report = await check(e.dir);
  return report.findings.filter((f) => f.severity === 'error' && !f.suppressed).map((f) => `${f.ruleId} ${f.message}`);
}

describe("attack12: a policy twin differing only by case or whitespace overwrites another env's Vault policy", () => {
  it('control: the exact name is refused', async () => {
    expect(await errorsWithTwin('attack12-twin-exact', 'erp-sandbox')).not.toEqual([]);
  }, 180_000);
  it('refuses prod stack vault_policy "ERP-SANDBOX" (Vault: erp-sandbox) granting prod creds', async () => {
    expect(await errorsWithTwin('attack12-twin-upper', 'ERP-SANDBOX')).not.toEqual([]);
  }, 180_000);
  it('refuses prod stack vault_policy "erp-sandbox " (trailing space; Vault trims it)', async () => {
    expect(await errorsWithTwin('attack12-twin-space', 'erp-sandbox ')).not.toEqual([]);
  }, 180_000);
  it('refuses a twin of the synthetic producer\'s policy "CRM-CI-SEED-SYNTHETIC-V1" in crm-ci\'s own stack granting its own creds', async () => {
    const e = new DistEdit('attack12-twin-producer', cleanDist());
    const rel = 'terraform/crm-ci/cdk.tf.json';
    const json = JSON.parse(readFileSync(join(e.dir, rel), 'utf8'));
    json.resource.vault_policy.shadow_policy = { name: 'CRM-CI-SEED-SYNTHETIC-V1', policy: 'path "postgres/creds/crm-ci" {\n  capabilities = ["read"]\n}\n' };
    e.write(rel, `${JSON.stringify(json, null, 2)}\n`);
    const report = await check(e.dir);
    expect(report.findings.filter((f) => f.severity === 'error' && !f.suppressed).map((f) => `${f.ruleId} ${f.message}`)).not.toEqual([]);
  }, 180_000);
});
