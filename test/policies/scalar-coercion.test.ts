import { describe, expect, it } from 'vitest';
import { checkDist } from '../../policies';
import { cleanDist, freshDir } from './helpers';
import { editDist } from './rehash';

const NOW = new Date('2026-11-22T06:00:00Z');

/**
 * Terraform converts a JSON number or bool to a string where the attribute is a string (or a list
 * of strings): `10` binds namespace "10". The graph read only strings and dropped the rest, so a
 * prod auth role bound to an extra namespace, or handing out an extra policy, passed check.
 */
describe('numbers and bools where Terraform reads strings', () => {
  it('a prod auth role bound to namespace 10 and handing out policy 5 is judged as "10" and "5"', async () => {
    const dir = editDist(cleanDist(), freshDir('scalar-coercion'), {
      erp: (j) => {
        const role = j.resource.vault_kubernetes_auth_backend_role.kubernetes_auth_role;
        role.bound_service_account_namespaces = [...role.bound_service_account_namespaces, 10];
        role.token_policies = [...role.token_policies, 5];
      },
    });
    const report = await checkDist(dir, { now: NOW });
    const errors = report.findings.filter((f) => f.severity === 'error' && !f.suppressed && f.ruleId === 'TK008').map((f) => f.message).join('\n');
    expect(errors).toMatch(/"10"/);
    expect(errors).toMatch(/"5"/);
  });
});
