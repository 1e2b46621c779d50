import { describe, expect, it } from 'vitest';
import { check, env, findings, synthDist } from './helpers';

/**
 * fix22b (attack22): TK008 on whom a Kubernetes auth role admits. Admitting a looser tier's
 * namespace, one no env declares, or a glob to a stricter env's policies is beyond any suppression;
 * a namespace of the same tier (or a stricter one) stays a suppressible finding.
 */
describe('TK008: admitting another namespace to an env\'s policies', () => {
  it('refuses the suppression for a glob and an undeclared namespace on staging', async () => {
    const report = await check(synthDist((e) => env(e, 'crm', 'staging')
      .addSuppression('TK008', 'Release harness namespaces share the staging login')
      .addEscapeHatch((r) => { r.kubernetesAuthRole.boundServiceAccountNamespaces = ['crm-staging', 'crm-*', 'release-harness']; }), 'tk008-admit-glob'));
    const tk008 = findings(report, 'TK008');
    expect(tk008.map((f) => [f.message.replace(/^.* binds /, 'binds '), f.suppressed])).toEqual([
      ['binds namespace "crm-*": a wildcard admits every namespace', undefined],
      ['binds namespace "release-harness", not its env\'s "crm-staging"', undefined],
    ]);
    expect(findings(report, 'TK100').map((f) => f.message)).toEqual([
      expect.stringContaining('because it admits namespace "release-harness", which no declared env owns, to env crm-staging\'s policies'),
      expect.stringContaining('because it reaches env crm-staging\'s policies, which auth role binds to namespace "crm-*" (crm-alice, tier dev), of tier staging, stricter than tier dev'),
    ]);
  });

  it('accepts a reasoned suppression for a namespace of the same tier, and one of a stricter tier', async () => {
    const report = await check(synthDist((e) => env(e, 'shop', 'dev')
      .addSuppression('TK008', 'Pairing with crm-dev and staging on the checkout migration')
      .addEscapeHatch((r) => { r.kubernetesAuthRole.boundServiceAccountNamespaces = ['shop-dev', 'crm-dev', 'shop-staging']; }), 'tk008-admit-same'));
    expect(findings(report, 'TK008').map((f) => f.suppressed?.reason)).toEqual([
      'Pairing with crm-dev and staging on the checkout migration', 'Pairing with crm-dev and staging on the checkout migration',
    ]);
    expect(findings(report, 'TK100')).toEqual([]);
  });
});
