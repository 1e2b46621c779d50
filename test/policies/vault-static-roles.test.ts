import { describe, expect, it } from 'vitest';
import { checkDist } from '../../policies';
import { cleanDist, freshDir } from './helpers';
import { editDist } from './rehash';

const NOW = new Date('2026-11-22T06:00:00Z');

/**
 * A static role named after prod's dynamic role passes prod's connection `allowed_roles`: its
 * `rotation_statements` run as erp_vault (CREATEROLE, ADMIN OPTION on erp_role) — e.g. `CREATE ROLE
 * x LOGIN PASSWORD '…' IN ROLE erp_role` — and `static-creds/erp` reads a prod login. `kvv2/config`
 * sets the KV mount's `delete_version_after` for prod's secrets too.
 */
describe('TK007: the database mount\'s static roles and the KV mount\'s config are owned', () => {
  for (const path of ['postgres/static-roles/erp', 'postgres/static-roles/*', 'postgres/static-creds/erp', 'postgres/rotate-role/erp', 'kvv2/config']) {
    it(`refuses erp-dev's policy on ${path}`, async () => {
      const dir = editDist(cleanDist(), freshDir(`static-${path.replace(/\W/g, '-')}`), {
        'erp-dev': (j) => { j.resource.vault_policy.vault_policy.policy += `path "${path}" {\n  capabilities = ["create", "update", "read"]\n}\n`; },
      });
      const report = await checkDist(dir, { now: NOW });
      const errors = report.findings.filter((f) => f.severity === 'error' && !f.suppressed);
      expect(errors.map((f) => f.ruleId)).toContain('TK007');
      expect(errors.find((f) => f.ruleId === 'TK007')!.message).toContain(`"${path}"`);
    });
  }
});
