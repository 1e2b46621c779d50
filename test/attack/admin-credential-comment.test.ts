// attack21: TK040 finds uses of the Postgres admin credential with a regex over the JSON text
// (`var\s*(.|[")pg_admin_`). HCL lets a comment sit inside a traversal: Terraform 1.11.4 evaluates
// `${nonsensitive(var./*x*/pg_admin_password)}` to the variable's value. An `output` block (a section TK022
// allows, no rule judges) in erp-sandbox's stack with
// `value = "${nonsensitive(base64encode(var./*x*/pg_admin_password))}"` passes check (exit 0); the apply job
// (APPLY_SCRIPT: `terraform plan -out=main.tfplan`, then `terraform apply`) prints prod-pg's superuser password,
// base64-encoded (GitHub masks only the literal secret), in the Actions log and writes it to the state. In a dev
// stack (crm-alice, applied on merge without a human) the same leaks nonprod-pg's admin, a member of every
// group there (demo's included).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DistEdit } from '../policies/dist-edit';
import { check, cleanDist } from '../policies/helpers';

async function errorsWith(label: string, stack: string, value: string): Promise<string[]> {
  const e = new DistEdit(label, cleanDist());
  const rel = `terraform/${stack}/cdk.tf.json`;
  const json = JSON.parse(readFileSync(join(e.dir, rel), 'utf8'));
  json.output = { leak: { value } };
  e.write(rel, `${JSON.stringify(json, null, 2)}\n`);
  const report = await check(e.dir);
  return report.findings.filter((f) => f.severity === 'error' && !f.suppressed).map((f) => `${f.ruleId} ${f.message}`);
}

describe('attack21: the admin credential through a comment inside the traversal', () => {
  it('control: var.pg_admin_password in an output is refused', async () => {
    expect(await errorsWith('attack21-admin-plain', 'erp-sandbox', '${nonsensitive(base64encode(var.pg_admin_password))}')).not.toEqual([]);
  }, 240_000);
  it('refuses var./*x*/pg_admin_password in an output of erp-sandbox', async () => {
    expect(await errorsWith('attack21-admin-comment', 'erp-sandbox', '${nonsensitive(base64encode(var./*x*/pg_admin_password))}')).not.toEqual([]);
  }, 240_000);
  it('refuses var.#…\\npg_admin_password in an output of crm-alice', async () => {
    expect(await errorsWith('attack21-admin-hash', 'crm-alice', '${nonsensitive(base64encode(var.#x\npg_admin_password))}')).not.toEqual([]);
  }, 240_000);
});
