import { join } from 'node:path';
import { App, Estate, FakeKind, Releases, Sandbox, SandboxKind, SeedProfile, SyntheticColumn, Tier } from 'tierkit';

/** A CRM that runs in every tier, with an engineer sandbox and a branch sandbox. */
export function crm(estate: Estate): App {
  const app = new App(estate, 'crm', {
    // What runs in each env, as data `tierkit promote` edits (docs/promotion.md).
    releases: Releases.fromFile(join(__dirname, 'crm.releases.json')),
    tiers: [Tier.LOCAL, Tier.CI, Tier.DEV, Tier.STAGING, Tier.PREPROD, Tier.PROD],
    objectPrefix: 'crm_',
    image: 'ghcr.io/arcodange/crm:2.3.1',
    flags: { 'new-pipeline-view': false },
    // synthetic:v1, produced by `tierkit seed generate crm --out <dir> --dump` (docs/seed-data.md).
    synthetic: {
      version: 'v1', seed: 20261126,
      schema: `CREATE TABLE crm_account (id int PRIMARY KEY, name text NOT NULL, city text NOT NULL);
CREATE TABLE crm_contact (id int PRIMARY KEY, account_id int NOT NULL REFERENCES crm_account (id), name text NOT NULL, email text UNIQUE NOT NULL, phone text);
CREATE TABLE crm_deal (id int PRIMARY KEY, account_id int NOT NULL REFERENCES crm_account (id), contact_id int REFERENCES crm_contact (id), stage text NOT NULL, amount_eur int NOT NULL);`,
      tables: [
        { table: 'crm_account', rows: 50, columns: { id: SyntheticColumn.sequence(), name: SyntheticColumn.fake(FakeKind.COMPANY), city: SyntheticColumn.fake(FakeKind.CITY) } },
        {
          table: 'crm_contact', rows: 200,
          columns: {
            id: SyntheticColumn.sequence(), account_id: SyntheticColumn.reference('crm_account', 'id'), name: SyntheticColumn.fake(FakeKind.FULL_NAME),
            email: SyntheticColumn.fake(FakeKind.EMAIL), phone: SyntheticColumn.fake(FakeKind.PHONE),
          },
        },
        {
          table: 'crm_deal', rows: 300,
          columns: {
            id: SyntheticColumn.sequence(), account_id: SyntheticColumn.reference('crm_account', 'id'), contact_id: SyntheticColumn.reference('crm_contact', 'id'),
            stage: SyntheticColumn.pick(['lead', 'qualified', 'proposal', 'won', 'lost']), amount_eur: SyntheticColumn.integer(500, 250000),
          },
        },
      ],
    },
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
