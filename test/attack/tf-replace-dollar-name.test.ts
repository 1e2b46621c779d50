// attack21: tierkit's Terraform evaluator reads a `replace()` regex replacement with JavaScript's `$n`
// rules; Terraform (Go regexp.Expand) takes the longest name after `$`: `$1_x` is the (absent) group
// named "1_x", i.e. "". So `replace("", "/(a?)/", "erp_role$1_x")` is "erp_role_x" to tierkit and
// "erp_role" to Terraform (terraform 1.11.4 `output`: "erp_role"). In erp-sandbox's stack (tier dev, a
// sandbox on prod-pg), a postgresql_grant_role whose grant_role is that expression, beside a role the
// stack declares as "erp_role_x", is judged as the sandbox's group joining its own role — check exits 0 —
// while Terraform grants prod's owner group erp_role to erp_sandbox_role: every leased sandbox login
// (IN ROLE erp_sandbox_role, INHERIT) then owns, and can drop, prod's database. Also: sort() orders by UTF-16
// code units here, by UTF-8 bytes in Terraform (["\uff5e", "\u{1F600}"] sorts differently), so element(sort(...), 0)
// used as a lookup() key picks another map value.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DistEdit } from '../policies/dist-edit';
import { check, cleanDist } from '../policies/helpers';

async function errorsWith(label: string, grantRole: string, ownName = 'erp_role_x'): Promise<string[]> {
  const e = new DistEdit(label, cleanDist());
  const rel = 'terraform/erp-sandbox/cdk.tf.json';
  const json = JSON.parse(readFileSync(join(e.dir, rel), 'utf8'));
  json.resource.postgresql_role.extra_role = { login: false, name: ownName };
  json.resource.postgresql_grant_role.extra_membership = { grant_role: grantRole, role: '${postgresql_role.group_role.name}' };
  e.write(rel, `${JSON.stringify(json, null, 2)}\n`);
  const report = await check(e.dir);
  return report.findings.filter((f) => f.severity === 'error' && !f.suppressed).map((f) => `${f.ruleId} ${f.message}`);
}

describe('attack21: replace() "$1_x" is "" to Terraform, group 1 + "_x" to tierkit', () => {
  it('control: the literal grant_role "erp_role" is refused', async () => {
    expect(await errorsWith('attack21-replace-literal', 'erp_role')).not.toEqual([]);
  }, 240_000);
  it('refuses grant_role = replace("", "/(a?)/", "erp_role$1_x") (Terraform: "erp_role")', async () => {
    expect(await errorsWith('attack21-replace-dollar', '${replace("", "/(a?)/", "erp_role$1_x")}')).not.toEqual([]);
  }, 240_000);
  // The same class, other functions (each measured with terraform 1.11.4 against tierkit's evaluator):
  it('refuses "erp_${replace("", "", "role")}" (Go strings.Replace with an empty old string inserts: "erp_role"; tierkit: "erp_")', async () => {
    expect(await errorsWith('attack21-replace-empty', 'erp_${replace("", "", "role")}', 'erp_')).not.toEqual([]);
  }, 240_000);
  it('refuses format("erp_role%+s", "") (Terraform: "erp_role"; tierkit leaves "%+s" in the name)', async () => {
    expect(await errorsWith('attack21-format-flag', '${format("erp_role%+s", "")}', 'erp_role%+s')).not.toEqual([]);
  }, 240_000);
});
