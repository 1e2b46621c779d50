import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkDist } from '../../policies';
import { cleanDist, freshDir } from './helpers';
import { editDist, rehashManifest } from './rehash';

const NOW = new Date('2026-11-22T06:00:00Z');
const REASON = 'Temporary access for the migration OPS-77 rehearsal';

/** A dev policy reading another env's creds, with a TK007 suppression on the dev env. */
async function suppressedReach(label: string, stack: string, path: string): Promise<ReturnType<typeof checkDist>> {
  return suppressed(label, stack, 'TK007', (j) => { j.resource.vault_policy.vault_policy.policy += `path "${path}" {\n  capabilities = ["read"]\n}\n`; });
}

async function suppressed(label: string, stack: string, ruleId: string, edit: (j: any) => void): Promise<ReturnType<typeof checkDist>> {
  const dir = editDist(cleanDist(), freshDir(label), { [stack]: edit });
  const file = join(dir, 'manifest.json');
  const m = JSON.parse(readFileSync(file, 'utf8'));
  m.appEnvironments.find((e: { slug: string }) => e.slug === stack).suppressions = [{ ruleId, reason: REASON }];
  writeFileSync(file, JSON.stringify(m, null, 2));
  rehashManifest(dir);
  return checkDist(dir, { now: NOW });
}

describe('TK007 suppressions: reaching an env reaches the tiers gating its stack and server', () => {
  it('refuses erp-dev reading erp-sandbox\'s creds (tier dev, but a golden copy on the prod server, prod-gated)', async () => {
    const report = await suppressedReach('supp-sandbox', 'erp-dev', 'postgres/creds/erp-sandbox');
    const errors = report.findings.filter((f) => f.severity === 'error' && !f.suppressed);
    expect(errors.map((f) => f.ruleId).sort()).toEqual(['TK007', 'TK100']);
    expect(errors.find((f) => f.ruleId === 'TK100')!.message).toMatch(/erp-sandbox, whose stack tier prod gates/);
  });

  it('still accepts a reasoned suppression within the same tier on a non-prod server (crm-alice → crm-dev)', async () => {
    const report = await suppressedReach('supp-same-tier', 'crm-alice', 'postgres/creds/crm-dev');
    expect(report.findings.filter((f) => f.severity === 'error' && !f.suppressed)).toEqual([]);
    expect(report.findings.filter((f) => f.ruleId === 'TK007' && f.suppressed)).toHaveLength(1);
  });
});

describe('TK008 suppressions: handing out the policy of an env gated by prod', () => {
  it('refuses erp-dev\'s auth role handing out erp-sandbox\'s policy under a TK008 suppression', async () => {
    const report = await suppressed('supp-auth-sandbox', 'erp-dev', 'TK008', (j) => {
      j.resource.vault_kubernetes_auth_backend_role.kubernetes_auth_role.token_policies = ['${vault_policy.vault_policy.name}', 'erp-sandbox'];
    });
    const errors = report.findings.filter((f) => f.severity === 'error' && !f.suppressed);
    expect(errors.map((f) => f.ruleId).sort()).toEqual(['TK008', 'TK100']);
  });
});
