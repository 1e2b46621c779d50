import { describe, expect, it } from 'vitest';
import { check, cleanDist, findings, freshDir } from './helpers';
import { editDist } from './rehash';

describe('a bool attribute written as the string "1" is true, as Terraform (go-cty) converts it', () => {
  it('catches with_admin_option = "1" on the temp_file_limit role for erp-sandbox\'s connection user (TK003, TK043)', async () => {
    const dir = editDist(cleanDist(), freshDir('bool-strings'), {
      'erp-sandbox': (j) => {
        j.resource.postgresql_grant_role.tfl_admin = { role: 'erp_sandbox_vault', grant_role: 'tierkit_temp_file_limit', with_admin_option: '1' };
      },
    });
    const report = await check(dir);
    expect(findings(report, 'TK003').map((f) => f.message)).toEqual([
      'Vault connection role "erp_sandbox_vault" holds ADMIN OPTION on "tierkit_temp_file_limit", not only on its group "erp_sandbox_role": with CREATEROLE it can grant that role to anyone',
    ]);
    expect(findings(report, 'TK043').map((f) => f.message)).toEqual([
      'stack erp-sandbox makes "erp_sandbox_vault" a member of "tierkit_temp_file_limit" WITH ADMIN OPTION (SET on temp_file_limit) on prod-pg: only its own env\'s Vault connection user may be, without admin option',
    ]);
  });
});
