// attack21: TK010 ("no literal secret anywhere"; "no sensitive variable with a default") accepts any
// `${local.…}` or `${var.…}` as a reference without looking at what it resolves to. In erp-sandbox's stack
// (on prod-pg), `postgresql_role { login = true, password = "${local.x}", roles = ["erp_sandbox_role"] }` with
// `locals { x = "hunter2hunter2" }` — or a variable `x` with that default and no `sensitive` — passes check
// (exit 0). Terraform applies the literal: a standing LOGIN on prod-pg whose password is in git, a member of the
// sandbox's group, with no VALID UNTIL — outside Vault, so no lease, no TTL sweep, no expiry guard (TK126): it
// outlives the sandbox's expiry and every reset, for anyone who can read the repository.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DistEdit } from '../policies/dist-edit';
import { check, cleanDist } from '../policies/helpers';

const LOGIN = { name: 'erp_sandbox_extra', login: true, roles: ['erp_sandbox_role'] };

async function errorsWith(label: string, edit: (json: any) => void): Promise<string[]> {
  const e = new DistEdit(label, cleanDist());
  const rel = 'terraform/erp-sandbox/cdk.tf.json';
  const json = JSON.parse(readFileSync(join(e.dir, rel), 'utf8'));
  edit(json);
  e.write(rel, `${JSON.stringify(json, null, 2)}\n`);
  const report = await check(e.dir);
  return report.findings.filter((f) => f.severity === 'error' && !f.suppressed).map((f) => `${f.ruleId} ${f.message}`);
}

describe('attack21: a literal password one local or variable default away', () => {
  it('control: password = "hunter2hunter2" is refused', async () => {
    expect(await errorsWith('attack21-secret-literal', (j) => { j.resource.postgresql_role.extra = { ...LOGIN, password: 'hunter2hunter2' }; })).not.toEqual([]);
  }, 240_000);
  it('refuses password = "${local.x}" with locals.x a literal', async () => {
    expect(await errorsWith('attack21-secret-local', (j) => {
      j.locals = { x: 'hunter2hunter2' };
      j.resource.postgresql_role.extra = { ...LOGIN, password: '${local.x}' };
    })).not.toEqual([]);
  }, 240_000);
  it('refuses password = "${var.x}" with a literal default (the variable not marked sensitive)', async () => {
    expect(await errorsWith('attack21-secret-var', (j) => {
      j.variable.x = { default: 'hunter2hunter2', type: 'string' };
      j.resource.postgresql_role.extra = { ...LOGIN, password: '${var.x}' };
    })).not.toEqual([]);
  }, 240_000);
});
