// attack12: Vault's Kubernetes auth backend stores and looks up roles lowercased
// (vault-plugin-auth-kubernetes: s.Get(rolePrefix + strings.ToLower(name))), so a
// `vault_kubernetes_auth_backend_role` named "ERP" in the dev sandbox's stack IS prod's `auth/kubernetes/role/erp`.
// vault-reach.ts owns `auth/kubernetes/role/<exact name>` only, TK008 judges the twin as erp-sandbox's own role
// (its own namespace, service account and policies), so check exits 0 — while applying erp-sandbox (tier dev, no
// human gate) rewrites prod's login binding: prod erp's pods can no longer log in (prod's Vault credentials stop
// at their TTL), and it flips back at every prod apply. The exact name "erp" is refused today.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DistEdit } from '../policies/dist-edit';
import { check, cleanDist } from '../policies/helpers';

async function errorsWithTwin(label: string, roleName: string): Promise<string[]> {
  const e = new DistEdit(label, cleanDist());
  const rel = 'terraform/erp-sandbox/cdk.tf.json';
  const json = JSON.parse(readFileSync(join(e.dir, rel), 'utf8'));
  const roles = json.resource.vault_kubernetes_auth_backend_role;
  roles.twin = { ...JSON.parse(JSON.stringify(roles.kubernetes_auth_role)), role_name: roleName };
  e.write(rel, `${JSON.stringify(json, null, 2)}\n`);
  const report = await check(e.dir);
  return report.findings.filter((f) => f.severity === 'error' && !f.suppressed).map((f) => `${f.ruleId} ${f.message}`);
}

describe("attack12: a dev stack's auth role named like prod's in another case rewrites prod's Vault login", () => {
  it('control: the exact name "erp" is refused', async () => {
    expect(await errorsWithTwin('attack12-role-exact', 'erp')).not.toEqual([]);
  }, 180_000);
  it('refuses role_name "ERP" in erp-sandbox\'s stack (Vault: auth/kubernetes/role/erp, prod\'s)', async () => {
    expect(await errorsWithTwin('attack12-role-upper', 'ERP')).not.toEqual([]);
  }, 180_000);
});
