// attack21: Vault attaches the built-in policy `default` to every token (prod workloads', CI appliers', every
// sandbox's), and `vault_policy` overwrites it in place (PutPolicy is an upsert; Vault only refuses to delete it).
// tierkit's reach index counts a policy a stack declares as that stack's own, so crm-alice (a dev sandbox,
// applied automatically on merge) declaring `vault_policy { name = "default" }`, and its tier's applier policy
// (tierkit-apply-dev) granting CRUD on `sys/policies/acl/default`, pass check (exit 0). The apply replaces the
// default policy for the whole Vault: prod's tokens lose `auth/token/renew-self`, `sys/leases/renew`,
// lookup-self and cubbyhole (prod's agents can no longer renew their database leases: prod's credentials
// lapse at max TTL), and every token of every tier receives whatever the sandbox writes there.
// The lowercase-canonical "Default" is already refused (TK152); the exact name is not.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DistEdit } from '../policies/dist-edit';
import { check, cleanDist } from '../policies/helpers';

function edit(e: DistEdit, stack: string, fn: (json: any) => void): void {
  const rel = `terraform/${stack}/cdk.tf.json`;
  const json = JSON.parse(readFileSync(join(e.dir, rel), 'utf8'));
  fn(json);
  e.write(rel, `${JSON.stringify(json, null, 2)}\n`);
}

async function errorsWith(label: string, name: string): Promise<string[]> {
  const e = new DistEdit(label, cleanDist());
  edit(e, 'crm-alice', (j) => {
    j.resource.vault_policy.dflt = { name, policy: 'path "postgres/creds/crm-alice" {\n  capabilities = ["read"]\n}\n' };
  });
  edit(e, 'platform-dev', (j) => {
    j.resource.vault_policy.applier_policy.policy += `\npath "sys/policies/acl/${name}" {\n  capabilities = ["create", "read", "update", "delete"]\n}\n`;
  });
  const report = await check(e.dir);
  return report.findings.filter((f) => f.severity === 'error' && !f.suppressed).map((f) => `${f.ruleId} ${f.message}`);
}

describe('attack21: a sandbox stack rewrites Vault\'s built-in `default` policy', () => {
  it('control: "Default" (not canonical) is refused', async () => {
    expect(await errorsWith('attack21-default-cased', 'Default')).not.toEqual([]);
  }, 240_000);
  it('refuses vault_policy "default" in crm-alice and its applier\'s grant on sys/policies/acl/default', async () => {
    expect(await errorsWith('attack21-default', 'default')).not.toEqual([]);
  }, 240_000);
});
