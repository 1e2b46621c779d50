import { join } from 'node:path';
import { App, Estate, Releases, Sandbox, SandboxKind, SeedProfile, Tier } from 'tierkit';

/** A CRM that runs in every tier, with an engineer sandbox and a branch sandbox. */
export function crm(estate: Estate): App {
  const app = new App(estate, 'crm', {
    // What runs in each env, as data `tierkit promote` edits (docs/promotion.md).
    releases: Releases.fromFile(join(__dirname, 'crm.releases.json')),
    tiers: [Tier.LOCAL, Tier.CI, Tier.DEV, Tier.STAGING, Tier.PREPROD, Tier.PROD],
    objectPrefix: 'crm_',
    image: 'ghcr.io/arcodange/crm:2.3.1',
    flags: { 'new-pipeline-view': false },
  });
  new Sandbox(app, 'alice', {
    tier: Tier.DEV, kind: SandboxKind.ENGINEER, owner: 'alice', createdAt: '2026-11-20', ttlHours: 72,
    flags: { 'new-pipeline-view': true },
  });
  new Sandbox(app, 'br-lead-scoring', {
    tier: Tier.CI, kind: SandboxKind.BRANCH, owner: 'bob', createdAt: '2026-11-21T09:30:00Z', ttlHours: 24,
    seed: SeedProfile.SYNTHETIC_V1,
  });
  return app;
}
