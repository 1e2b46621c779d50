import { describe, expect, it } from 'vitest';
import { check, env, findings, synthDist } from './helpers';

describe('TK008: a Kubernetes auth role\'s namespace selector is a binding too', () => {
  it('catches an auth role admitting namespaces by label (bound_service_account_namespace_selector, ORed by Vault with its namespace list), even suppressed', async () => {
    const dir = synthDist((e) => env(e, 'shop', 'dev')
      .addSuppression('TK008', 'the dev workload also runs from the team namespaces')
      .addEscapeHatch((r) => r.kubernetesAuthRole.addOverride('bound_service_account_namespace_selector', '{"matchLabels":{"team":"growth"}}')));
    const report = await check(dir);
    const found = findings(report, 'TK008');
    expect(found.map((f) => f.message)).toEqual([
      'kubernetes auth role "auth/kubernetes/role/shop-dev" of shop-dev (tier dev) binds namespaces by label selector "{\\"matchLabels\\":{\\"team\\":\\"growth\\"}}" (bound_service_account_namespace_selector), which Vault ORs with its namespace list: any namespace whose labels match logs in with its policies',
    ]);
    expect(found.every((f) => f.suppressed === undefined && f.severity === 'error')).toBe(true);
  });

  it('catches prod\'s auth role reaching a dev namespace through the selector', async () => {
    const dir = synthDist((e) => env(e, 'shop', 'prod')
      .addEscapeHatch((r) => r.kubernetesAuthRole.addOverride('bound_service_account_namespace_selector', '{"matchLabels":{"kubernetes.io/metadata.name":"shop-dev"}}')));
    const report = await check(dir);
    expect(findings(report, 'TK008').map((f) => f.message)).toHaveLength(1);
    expect(report.summary.errors).toBe(1);
  });
});
