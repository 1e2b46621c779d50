import { describe, expect, it } from 'vitest';
import { RULES } from '../../policies/rules';
import { check, cleanDist } from './helpers';

describe('the example estate', () => {
  it('checks clean: no finding of any rule, and its reasoned exceptions are listed', async () => {
    const report = await check(cleanDist());
    expect(report.findings.map((f) => `${f.ruleId} ${f.message}`)).toEqual([]);
    expect(report.summary).toEqual({ errors: 0, warnings: 0, notes: 0, suppressed: 0 });
    const subjects = report.exceptions.map((e) => `${e.kind} ${e.subject} ${e.property}`);
    // The golden seed and long TTL of erp-sandbox, the demo tier's longer secrets, the local loopback superuser,
    // and each tier's egress allow list (a widening of the built-in default: none).
    expect(subjects).toEqual([
      'environment env erp-sandbox seed',
      'environment env erp-sandbox ttlHours',
      'rule-exemption TK009 stack crm-local: superuser provider on localhost superuser-provider-gate',
      'rule-exemption TK044 cluster https://kubernetes.default.svc shared by tiers local, ci, dev, demo, staging, preprod, prod tier-cluster-sharing',
      'rule-exemption TK095 argocd.repoUrl https://git.arcodange.lab/platform/estate.git mirrors arcodange/estate argocd-source-repository',
      'tier tier demo secretTtl.maxSeconds',
      'tier tier dev egressAllowList',
      'tier tier preprod egressAllowList',
      'tier tier prod egressAllowList',
      'tier tier staging egressAllowList',
    ]);
    expect(report.exceptions.every((e) => e.reason.length >= 10)).toBe(true);
  });

  it('is judged by every rule, each with a stable id, a why and a fix', () => {
    const ids = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `TK${String(from + i).padStart(3, '0')}`);
    expect(RULES.map((r) => r.id)).toEqual([...ids(1, 26), ...ids(30, 46), ...ids(48, 63), ...ids(70, 72), ...ids(90, 98), ...ids(110, 118), ...ids(120, 147), ...ids(150, 152), ...ids(160, 168), ...ids(170, 180), ...ids(184, 184)]);
    for (const r of RULES) {
      expect(r.explanation.length).toBeGreaterThan(40);
      expect(r.fix.length).toBeGreaterThan(10);
    }
    const fixed = RULES.filter((r) => !r.suppressible).map((r) => r.id);
    expect(fixed).toEqual(['TK001', 'TK002', 'TK003', 'TK004', 'TK005', 'TK009', 'TK010', 'TK014', 'TK016', 'TK017', 'TK018', 'TK019', 'TK020', 'TK022', 'TK023', 'TK024', 'TK025', 'TK026', 'TK030', 'TK038',
      'TK039', 'TK040', 'TK042', 'TK044', 'TK048', 'TK058', 'TK060', 'TK061', 'TK062', 'TK063', 'TK070', 'TK071', 'TK072', 'TK090', 'TK091', 'TK092', 'TK093', 'TK094', 'TK095', 'TK096',
      'TK097', 'TK098', 'TK110', 'TK111', 'TK112', 'TK113', 'TK114', 'TK115', 'TK116', 'TK117', 'TK118', 'TK120', 'TK121', 'TK122', 'TK123', 'TK124', 'TK125', 'TK126', 'TK128', 'TK129',
      'TK130', 'TK131', 'TK132', 'TK133', 'TK134', 'TK135', 'TK136', 'TK137', 'TK138', 'TK139', 'TK140', 'TK141', 'TK142', 'TK143', 'TK144', 'TK145', 'TK146', 'TK147', 'TK150', 'TK151',
      'TK152', 'TK160', 'TK161', 'TK162', 'TK163', 'TK164', 'TK165', 'TK166', 'TK167', 'TK168', 'TK170', 'TK171', 'TK172', 'TK173', 'TK174', 'TK175', 'TK176', 'TK177', 'TK178', 'TK179',
      'TK180', 'TK184']);
  });
});
