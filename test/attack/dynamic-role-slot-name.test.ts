// pv8: TK004 judges each distinct statement shape once, after replacing the env's group and connection
// role names by slot names. The slots were fixed words ("tierkit_env_group_slot"), so a dynamic role whose
// creation statement put the leased login IN ROLE "tierkit_env_group_slot" (or U&"…" spelling it) was judged
// as if it named its own env's group: check exited 0. The slots are now random per process.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DistEdit } from '../policies/dist-edit';
import { check, cleanDist } from '../policies/helpers';

async function tk004(label: string, inRole: string): Promise<string[]> {
  const e = new DistEdit(label, cleanDist());
  const rel = 'terraform/erp-dev/cdk.tf.json';
  const json = JSON.parse(readFileSync(join(e.dir, rel), 'utf8'));
  const role = json.resource.vault_database_secret_backend_role.vault_role;
  role.creation_statements = role.creation_statements.map((s: string) => s.replace('IN ROLE "erp_dev_role"', `IN ROLE ${inRole}`));
  e.write(rel, `${JSON.stringify(json, null, 2)}\n`);
  const report = await check(e.dir);
  return report.findings.filter((f) => f.ruleId === 'TK004' && f.severity === 'error' && !f.suppressed).map((f) => f.message);
}

describe('pv8: a dynamic role naming the old fixed slot instead of its env group', () => {
  it('control: the env group itself passes', async () => {
    expect(await tk004('pv8-slot-control', '"erp_dev_role"')).toEqual([]);
  }, 180_000);
  it('refuses IN ROLE "tierkit_env_group_slot"', async () => {
    expect(await tk004('pv8-slot-quoted', '"tierkit_env_group_slot"')).toEqual([
      expect.stringContaining('IN ROLE "tierkit_env_group_slot"; it must be exactly its env\'s group "erp_dev_role"'),
    ]);
  }, 180_000);
  it('refuses the slot spelled with a Unicode escape (the parser yields the same name)', async () => {
    expect(await tk004('pv8-slot-uescape', 'U&"tierkit\\005fenv_group_slot"')).toEqual([
      expect.stringContaining('IN ROLE "tierkit_env_group_slot"'),
    ]);
  }, 180_000);
});
