import { App, Estate, Sandbox, SandboxKind, SeedProfile, Tier } from 'tierkit';

/** One app in ci, dev, staging and prod, with an engineer's sandbox on the dev tier. */
export function orders(estate: Estate): App {
  const app = new App(estate, 'orders', {
    tiers: [Tier.CI, Tier.DEV, Tier.STAGING, Tier.PROD],
    objectPrefix: 'orders_',
    // Prod runs an image by digest (a tag can be moved under it): replace with your image's digest.
    image: 'ghcr.io/acme/orders:1.0.0@sha256:0000000000000000000000000000000000000000000000000000000000000001',
    flags: { 'new-checkout': false },
  });
  new Sandbox(app, 'alice', {
    tier: Tier.DEV, kind: SandboxKind.ENGINEER, owner: 'alice', createdAt: '2026-01-05', ttlHours: 72,
    seed: SeedProfile.SYNTHETIC_V1, flags: { 'new-checkout': true },
  });
  return app;
}
