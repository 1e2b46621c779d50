import { describe, expect, it } from 'vitest';
import { checkDist } from '../../policies';
import { cleanDist, freshDir } from './helpers';
import { editDist } from './rehash';

const NOW = new Date('2026-11-22T06:00:00Z');

/**
 * An `import` block adopts an existing object into a stack's state. erp-sandbox (tier dev) logs in
 * to the prod server: importing prod's connection role or database hands them to the sandbox's
 * stack — its next plan alters them (a role declared without CREATEROLE loses it), its teardown drops them —
 * while every resource it declares looks like a create that would fail.
 */
describe('TK030: import blocks on a provider reaching a live-data server', () => {
  it('refuses an import of prod\'s connection role into erp-sandbox\'s state (r.stack.addOverride("import", …) writes the same)', async () => {
    const dir = editDist(cleanDist(), freshDir('import-prod-role'), {
      'erp-sandbox': (j) => {
        j.resource.postgresql_role.stolen = { name: 'erp_vault', login: true };
        j.import = [{ to: 'postgresql_role.stolen', id: 'erp_vault' }];
      },
    });
    const report = await checkDist(dir, { now: NOW });
    const errors = report.findings.filter((f) => f.severity === 'error' && !f.suppressed);
    // TK022 refuses any top-level block tierkit does not write; TK030 says what this one does on prod's server.
    expect(errors.map((f) => [f.ruleId, f.pointer])).toEqual([['TK022', '/import'], ['TK030', '/import/0']]);
    expect(errors.find((f) => f.ruleId === 'TK030')!.message).toMatch(/import postgresql_role\.stolen in stack erp-sandbox adopts an existing object.*prod-pg/);
  });

  it('the clean example has no import and passes', async () => {
    const report = await checkDist(cleanDist(), { now: NOW });
    expect(report.findings.filter((f) => f.ruleId === 'TK030')).toEqual([]);
  });
});
