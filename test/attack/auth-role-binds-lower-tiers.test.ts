// attack22: TK008 findings are suppressible, and unsuppressibleReason (policies/suppressions.ts) only
// looks UP from the finding's env: what the rule says the subject reaches, the env's own tier, its
// stack's and server's gates. A stricter env's Kubernetes auth role that binds LOWER tiers' namespaces
// is the same hand-out as "a dev auth role handing out a staging policy" (which docs/policies.md lists
// as never suppressible), seen from the other side — and it is accepted. A PR to apps/crm.ts gives
// crm's preprod env an escape hatch binding its auth role also to the dev sandbox crm-alice, the CI
// branch sandbox crm-br-lead-scoring, crm-dev and crm-staging (their service accounts by name), plus
// `addSuppression('TK008', '…')`. check passes (0 errors, 3 suppressed); Vault then lets every pod of
// those lower-tier namespaces log in as `crm-preprod` and read postgres/creds/crm-preprod — preprod's
// database credential (CONNECT on it); crm-staging's pods reach stage-pg (10.30.5.10, inside staging's
// 10.30.0.0/16 allow list), so a staging workload connects to preprod's database with it. The PR
// comment files it under "5 · Also needs attention" as "changed auth role crm-preprod", "0 items to
// review first": nothing under "2 · Reach into a stricter tier".
// Secure: a binding that admits a lower tier's workload to a stricter env's policies is unsuppressible
// (TK100 names the suppression and the finding stays an error).
import { describe, expect, it } from 'vitest';
import { check, env, synthDist } from '../policies/helpers';

const LOWER = ['crm-alice', 'crm-br-lead-scoring', 'crm-dev', 'crm-staging'];

describe('attack22: a suppression accepts preprod\'s auth role bound to lower tiers\' namespaces', () => {
  it('TK008 on a binding that admits dev, ci and staging workloads to preprod\'s policy stays an error', async () => {
    const dir = synthDist((e) => {
      env(e, 'crm', 'preprod')
        .addSuppression('TK008', 'Release rehearsal harness reads preprod volumes (REL-12)')
        .addEscapeHatch((r) => {
          r.kubernetesAuthRole.boundServiceAccountNamespaces = ['crm-preprod', ...LOWER];
          r.kubernetesAuthRole.boundServiceAccountNames = ['crm-preprod', ...LOWER];
        });
    }, 'a22-auth-lower');
    const report = await check(dir);
    const tk008 = report.findings.filter((f) => f.ruleId === 'TK008');
    // The rule does see it (today: 3 findings, each suppressed).
    expect(tk008.map((f) => f.message)).toEqual(expect.arrayContaining([expect.stringContaining('binds namespace "crm-alice"')]));
    // Secure: the hand-out downward is not accepted by a suppression.
    const errors = report.findings.filter((f) => f.severity === 'error' && !f.suppressed);
    expect(errors.map((f) => `${f.ruleId} ${f.message}`)).toEqual(expect.arrayContaining([expect.stringMatching(/crm-alice|crm-br-lead-scoring/)]));
  }, 120_000);
});
