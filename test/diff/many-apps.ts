import { App, Estate, Tier } from '../../constructs';
import { crm } from '../../apps/crm';
import { erp } from '../../apps/erp';
import { shop } from '../../apps/shop';
import { defineEstate } from '../../environments/estate';

/** The example estate plus `n` prod-only apps (`bulk-000`, …): a change far larger than one comment. */
export function estateWithApps(n: number): Estate {
  const e = defineEstate();
  erp(e);
  crm(e);
  shop(e);
  for (let i = 0; i < n; i++) {
    new App(e, `bulk-${String(i).padStart(3, '0')}`, { tiers: [Tier.PROD], objectPrefix: `bulk${i}_`, image: `ghcr.io/example/bulk:1.0.0@sha256:${'b'.repeat(64)}` });
  }
  return e;
}
