import { describe, expect, it } from 'vitest';
import { buildGraph } from '../../policies/graph/build';
import { loadSqlParser } from '../../policies/graph/sql';
import { evaluateGraph } from '../../policies/engine';
import { readDist } from '../../policies/dist/read';
import type { Rule } from '../../policies/rules/rule';
import { NOW, check, cleanDist, env, findings, synthDist } from './helpers';

describe('suppressions and exceptions', () => {
  it('applies a reasoned suppression: the finding stays in the report, marked with its reason, and does not fail', async () => {
    const reason = 'Load tests on erp-dev need a day-long lease until ticket OPS-42 lands';
    const dir = synthDist((e) => env(e, 'erp', 'dev')
      .addSuppression('TK006', reason)
      .addEscapeHatch((r) => r.vaultRole.addOverride('max_ttl', 86400)));
    const report = await check(dir);
    const [f] = findings(report, 'TK006');
    expect(f.suppressed).toEqual({ reason });
    expect(report.summary).toMatchObject({ errors: 0, suppressed: 1 });
    expect(report.exceptions).toContainEqual({ kind: 'suppression', subject: 'env erp-dev', property: 'TK006', value: '1 finding', reason, constructPath: 'arcodange/erp/dev' });
  });

  it('refuses to suppress an isolation rule: the finding stays an error and the suppression is an error itself', async () => {
    const dir = synthDist((e) => env(e, 'erp', 'sandbox')
      .addSuppression('TK001', 'We really need prod membership for the rehearsal')
      .addEscapeHatch((r) => r.groupRole.addOverride('roles', ['erp_role'])));
    const report = await check(dir);
    expect(findings(report, 'TK001').every((f) => f.suppressed === undefined)).toBe(true);
    expect(findings(report, 'TK100').map((f) => f.message)).toEqual([
      'erp-sandbox suppresses TK001 (ownership-and-membership), which cannot be suppressed; its findings stay errors',
    ]);
  });

  it('warns about a suppression that matches nothing, or names no rule', async () => {
    const dir = synthDist((e) => env(e, 'shop', 'dev')
      .addSuppression('TK011', 'Egress is opened for the payment sandbox')
      .addSuppression('TK999', 'Typo of a rule id in a suppression'));
    const report = await check(dir);
    expect(findings(report, 'TK101').map((f) => `${f.severity} ${f.message}`)).toEqual([
      'warning shop-dev suppresses TK011, but the rule finds nothing there',
      'warning shop-dev suppresses "TK999", which is no tierkit rule',
    ]);
    expect(report.summary.errors).toBe(0);
  });

  it('turns a rule that throws into an error finding of that rule', async () => {
    await loadSqlParser();
    const broken: Rule = {
      id: 'TK990', name: 'broken', severity: 'warning', title: 't', explanation: 'e', fix: 'f', suppressible: true,
      evaluate: () => { throw new Error('boom'); },
    };
    const report = evaluateGraph(buildGraph(readDist(cleanDist())), { now: NOW, rules: [broken] });
    expect(report.findings).toMatchObject([{ ruleId: 'TK990', severity: 'error', message: 'rule TK990 failed while evaluating: boom' }]);
  });

  it('orders findings by rule id, then file, then pointer, whatever the order of the rules', async () => {
    await loadSqlParser();
    const dir = synthDist((e) => {
      env(e, 'shop', 'dev').addEscapeHatch((r) => r.groupRole.addOverride('superuser', true));
      env(e, 'crm', 'dev').addEscapeHatch((r) => r.groupRole.addOverride('superuser', true));
      env(e, 'erp', 'dev').addEscapeHatch((r) => r.vaultRole.addOverride('max_ttl', 999999));
    });
    const graph = buildGraph(readDist(dir));
    const { RULES } = await import('../../policies/rules');
    const forward = evaluateGraph(graph, { now: NOW });
    const backward = evaluateGraph(graph, { now: NOW, rules: [...RULES].reverse() });
    expect(backward.findings).toEqual(forward.findings);
    expect(forward.findings.map((f) => `${f.ruleId} ${f.file}`)).toEqual([
      'TK003 terraform/crm-dev/cdk.tf.json', 'TK003 terraform/shop-dev/cdk.tf.json', 'TK006 terraform/erp-dev/cdk.tf.json',
    ]);
  });
});
