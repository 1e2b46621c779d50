import { join } from 'node:path';
import { App, Estate, Releases, Sandbox, SandboxKind, SeedProfile, Tier } from 'tierkit';

/** The storefront: shown to prospects in the demo tier (reset hourly), with a team sandbox. */
export function shop(estate: Estate): App {
  const app = new App(estate, 'shop', {
    // What runs in each env, as data `tierkit promote` edits (docs/promotion.md).
    releases: Releases.fromFile(join(__dirname, 'shop.releases.json')),
    tiers: [Tier.DEV, Tier.DEMO, Tier.STAGING, Tier.PROD],
    objectPrefix: 'shop_',
    image: 'ghcr.io/arcodange/shop:5.0.2',
    port: 3000,
    flags: { 'one-click-checkout': false },
  });
  new Sandbox(app, 'team-growth', {
    tier: Tier.DEV, kind: SandboxKind.TEAM, owner: 'team-growth', createdAt: '2026-11-19', ttlHours: 120,
    seed: SeedProfile.sanitized('customers-2026q3'),
  });
  new Sandbox(app, 'alice', {
    tier: Tier.DEV, kind: SandboxKind.ENGINEER, owner: 'alice', createdAt: '2026-11-21',
  });
  return app;
}
