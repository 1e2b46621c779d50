import { describe, expect, it } from 'vitest';
import { check, cleanDist, env, findings, freshDir, synthDist } from '../helpers';
import { copyDist, editJson } from '../support/dist-edit';
import { EXPRESSION_CASES, SANDBOX } from './cases';

/** Class 1 of issue #10: Terraform expressions are evaluated, and what cannot be is a finding. */
describe('fail closed: Terraform expressions', () => {
  for (const c of EXPRESSION_CASES) {
    it(`dist edit (hashes rewritten): ${c.name} → ${c.rules.join(', ')}`, async () => {
      const dir = copyDist(cleanDist(), freshDir('expr'));
      editJson(dir, c.stack, c.edit);
      const report = await check(dir);
      expect(findings(report, 'TK020'), 'the hashes were rewritten: integrity has nothing to say').toEqual([]);
      for (const id of c.rules) expect(findings(report, id).map((f) => f.file), id).toContain(c.stack);
      expect(report.summary.errors).toBeGreaterThan(0);
    });
    if (c.hatch) {
      it(`escape hatch: ${c.name} → ${c.rules.join(', ')}`, async () => {
        const report = await check(synthDist(c.hatch));
        for (const id of c.rules) expect(findings(report, id).map((f) => f.file), id).toContain(c.stack);
      });
    }
  }

  it('names the value, the expression as written and why it is unknown; unsuppressible on a stack reaching the prod server', async () => {
    const dir = synthDist((e) => env(e, 'erp', 'sandbox')
      .addSuppression('TK021', 'we trust this variable, it is set by the platform team in CI')
      .addEscapeHatch((r) => { r.stack.addOverride('variable.g', { type: 'string' }); r.groupRole.addOverride('roles', ['${var.g}']); }));
    const report = await check(dir);
    const [f] = findings(report, 'TK021');
    expect(f).toMatchObject({ file: SANDBOX, pointer: '/resource/postgresql_role/group_role/roles/0', env: 'erp-sandbox', severity: 'error' });
    expect(f.message).toBe('stack erp-sandbox: roles.0 of resource postgresql_role.group_role is "${var.g}", which tierkit cannot resolve '
      + '(var.g has no default: its value is given at plan time): it cannot be proven to stay within its env');
    expect(f.suppressed).toBeUndefined();
    expect(findings(report, 'TK100').map((x) => x.message)).toEqual([expect.stringContaining("cannot accept this finding because stack erp-sandbox's provider reaches server prod-pg, which holds the live-data tier prod")]);
  });

  it('accepts a reasoned suppression of an unknown on a stack confined to its own tier\'s server (dev on the non-prod server)', async () => {
    const dir = synthDist((e) => env(e, 'crm', 'dev')
      .addSuppression('TK021', 'the comment role is set per developer machine, reviewed in #123')
      .addEscapeHatch((r) => { r.stack.addOverride('variable.g', { type: 'string' }); r.databaseConnect.addOverride('role', '${var.g}'); }));
    const report = await check(dir);
    const [f] = findings(report, 'TK021');
    expect(f.env).toBe('crm-dev');
    expect(f.suppressed).toEqual({ reason: 'the comment role is set per developer machine, reviewed in #123' });
    expect(findings(report, 'TK100')).toEqual([]);
  });

  describe('legitimate neighbours pass', () => {
    it('expressions that resolve to the env\'s own names: local, variable default, function, directive, for_each, count', async () => {
      const dir = copyDist(cleanDist(), freshDir('neighbour'));
      editJson(dir, SANDBOX, (j) => {
        j.locals = { own: 'erp_sandbox_role', app: 'erp' };
        j.variable.db = { type: 'string', default: 'erp-sandbox' };
        j.resource.postgresql_database.database.name = '${var.db}';
        j.resource.postgresql_database.database.owner = '${format("%s_sandbox_role", local.app)}';
        j.resource.postgresql_grant_role.vault_connection_admin.grant_role = '%{ if true }${local.own}%{ else }erp_role%{ endif }';
        j.resource.postgresql_grant.database_connect.role = '${lower("ERP_SANDBOX_ROLE")}';
        j.resource.vault_kubernetes_auth_backend_role.kubernetes_auth_role.token_policies = '${concat([vault_policy.vault_policy.name])}';
        j.resource.postgresql_grant_role.each_own = { for_each: '${toset([postgresql_role.group_role.name])}', role: '${postgresql_role.vault_connection_role.name}', grant_role: '${each.value}' };
        j.resource.postgresql_grant_role.count_own = { count: 1, role: '${postgresql_role.vault_connection_role.name}', grant_role: '${element([local.own], count.index)}' };
      });
      const report = await check(dir);
      expect(report.findings.filter((f) => f.severity === 'error')).toEqual([]);
    });

    it('a password from a sensitive variable stays unknown without a finding (the example estate does this)', async () => {
      const report = await check(cleanDist());
      expect(findings(report, 'TK021')).toEqual([]);
      expect(report.summary.errors).toBe(0);
    });
  });
});
