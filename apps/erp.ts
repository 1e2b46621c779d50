import { App, Estate, Sandbox, SandboxKind, SeedProfile, Tier } from 'tierkit';
import { server } from '../environments/estate';

/**
 * Dolibarr ERP, the decision record's app: prod `erp`, and `erp-sandbox` on the prod server,
 * seeded from the golden (iso-prod) dump and reset by DROP OWNED BY erp_sandbox_role.
 */
export function erp(estate: Estate): App {
  const app = new App(estate, 'erp', {
    tiers: [Tier.DEV, Tier.STAGING, Tier.PROD],
    objectPrefix: 'llx_',
    image: 'docker.io/dolibarr/dolibarr:20.0.4',
    flags: { 'ai-write-skill': false },
  });
  new Sandbox(app, 'sandbox', {
    tier: Tier.DEV,
    kind: SandboxKind.APP,
    owner: 'arcodange',
    createdAt: '2026-11-16',
    ttlHours: 24 * 30,
    seed: SeedProfile.GOLDEN,
    server: server(estate, 'prod-pg'),
    reason: 'ADR-0003: write rehearsals of the V9 agent need prod-shaped accounting data; long-lived, reset from golden',
    flags: { 'ai-write-skill': true },
  });
  return app;
}
