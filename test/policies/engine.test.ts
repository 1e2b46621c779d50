import { describe, expect, it } from 'vitest';
import { buildGraph } from '../../policies/graph/build';
import { loadSqlParser } from '../../policies/graph/sql';
import { evaluateGraph } from '../../policies/engine';
import { readDist } from '../../policies/dist/read';
import type { Rule } from '../../policies/rules/support/rule';
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

  it('no suppression accepts a sandbox policy that reaches prod: the finding stays an error, and the suppression is one itself', async () => {
    const dir = synthDist((e) => env(e, 'crm', 'alice')
      .addSuppression('TK007', 'Debugging a production incident from the sandbox')
      .addEscapeHatch((r) => r.vaultPolicy.addOverride('policy',
        'path "kvv2/data/crm-alice/config" { capabilities = ["read"] }\npath "postgres/creds/crm" { capabilities = ["read"] }')));
    const report = await check(dir);
    const [f, ...rest] = findings(report, 'TK007');
    expect(rest).toEqual([]);
    expect(f.suppressed).toBeUndefined();
    expect(f.severity).toBe('error');
    expect(findings(report, 'TK100').map((x) => x.message)).toEqual([
      `crm-alice suppresses TK007, which cannot accept this finding because it reaches env crm, of the live-data tier prod; it stays an error: ${f.message}`,
    ]);
    expect(findings(report, 'TK101')).toEqual([]);
    expect(report.summary.errors).toBe(2);
  });

  it('nor one that hands a dev workload a stricter tier\'s policy; a suppression still accepts a reach within the tier', async () => {
    const upward = await check(synthDist((e) => env(e, 'shop', 'alice')
      .addSuppression('TK008', 'Shared read access agreed with the staging owners')
      .addEscapeHatch((r) => r.kubernetesAuthRole.addOverride('token_policies', ['shop-alice', 'shop-staging']))));
    expect(findings(upward, 'TK008').map((x) => x.suppressed)).toEqual([undefined]);
    expect(findings(upward, 'TK100').map((x) => x.message)).toEqual([
      expect.stringContaining('because it reaches env shop-staging\'s policy, of tier staging, stricter than tier dev'),
    ]);
    const sideways = await check(synthDist((e) => env(e, 'shop', 'alice')
      .addSuppression('TK008', 'Pairing with shop-dev on the checkout migration this sprint')
      .addEscapeHatch((r) => r.kubernetesAuthRole.addOverride('token_policies', ['shop-alice', 'shop-dev']))));
    expect(findings(sideways, 'TK008').map((x) => x.suppressed?.reason)).toEqual(['Pairing with shop-dev on the checkout migration this sprint']);
    expect(findings(sideways, 'TK100')).toEqual([]);
    expect(sideways.summary.errors).toBe(0);
  });

  it('nor one that hands CI tokens an applier\'s policy from a sandbox\'s own JWT role', async () => {
    const report = await check(synthDist((e) => env(e, 'shop', 'alice')
      .addSuppression('TK008', 'Temporary CI role for the checkout migration pipeline')
      .addEscapeHatch((r) => {
        const stack = r.database.cdktfStack;
        stack.addOverride('resource.vault_jwt_auth_backend_role.ci_role', {
          backend: 'jwt', role_name: 'shop-alice-ci', role_type: 'jwt', user_claim: 'sub',
          bound_claims: { repository: 'someone/else' }, token_policies: ['tierkit-apply-prod'],
        });
      })));
    expect(findings(report, 'TK008').map((f) => [f.suppressed, f.message])).toEqual([[undefined,
      'jwt auth role "auth/jwt/role/shop-alice-ci" of shop-alice (tier dev) grants the CI applier policy "tierkit-apply-prod" without being that tier\'s applier role']]);
    expect(findings(report, 'TK100').map((f) => f.message)).toEqual([expect.stringContaining("because it hands CI tokens the prod CI applier's policy")]);
  });

  it('warns about a suppression that matches nothing, and refuses one that names no rule', async () => {
    const dir = synthDist((e) => env(e, 'shop', 'dev')
      .addSuppression('TK011', 'Egress is opened for the payment sandbox')
      .addSuppression('TK999', 'Typo of a rule id in a suppression'));
    const report = await check(dir);
    expect(findings(report, 'TK101').map((f) => `${f.severity} ${f.message}`)).toEqual([
      'warning shop-dev suppresses TK011, but the rule finds nothing there',
    ]);
    // A mistyped id is an error: its author believes something is accepted.
    expect(findings(report, 'TK103').map((f) => `${f.severity} ${f.message}`)).toEqual([
      'error shop-dev suppresses "TK999", which is no tierkit rule',
    ]);
    expect(report.summary.errors).toBe(1);
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
