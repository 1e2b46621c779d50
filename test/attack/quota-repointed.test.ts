// attack5: TK046 attributes a platform quota to "the env whose creds path it names" and then only
// asks whether it counts *other* envs' requests. So a lower tier's quota (platform-dev's
// `crm-alice-creds-rate`, whose name platform-admin may write) repointed at prod's creds path
// `postgres/creds/erp` is taken to be prod's own quota: check passes, and Vault throttles every
// prod credential request to one an hour. A trailing glob (`postgres/creds/erp*`, which Vault
// matches as a string prefix: /sys/quotas/rate-limit "path") is not modelled by `covers` at all.
import { describe, expect, it } from 'vitest';
import { check, cleanDist, freshDir } from '../policies/helpers';
import { editDist } from '../policies/rehash';

const repoint = (path: string) => (j: any) => {
  Object.assign(j.resource.vault_quota_rate_limit.vault_rate_quota_crm_alice, { path, rate: 0.001, interval: 3600 });
};

describe("attack5: a dev env's Vault quota repointed at prod's creds path", () => {
  for (const path of ['postgres/creds/erp', 'postgres/creds/erp*', 'postgres/creds/*']) {
    it(`refuses crm-alice's quota on "${path}" (counts prod's credential requests)`, async () => {
      const dir = editDist(cleanDist(), freshDir('attack5-quota'), { 'platform-dev': repoint(path) });
      const report = await check(dir);
      const tk046 = report.findings.filter((f) => f.ruleId === 'TK046' && !f.suppressed && f.severity === 'error');
      expect(tk046.map((f) => f.message)).not.toEqual([]);
    }, 120_000);
  }
});
