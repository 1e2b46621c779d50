import { App, Estate, Sandbox, SandboxKind, ScrubAction, SeedProfile, Tier } from 'tierkit';
import { server } from '../environments/estate';

/**
 * Dolibarr ERP, the decision record's app: prod `erp`, and `erp-sandbox` on the prod server,
 * seeded from the golden (iso-prod) dump and reset by DROP OWNED BY erp_sandbox_role.
 */
export function erp(estate: Estate): App {
  const app = new App(estate, 'erp', {
    tiers: [Tier.DEV, Tier.STAGING, Tier.PROD],
    objectPrefix: 'llx_',
    // Live tiers run images by digest (a tag can be moved under prod): the estate's own mirror of
    // Dolibarr 20.0.4. ghcr.io/arcodange is the example's organisation; like shop's and crm's
    // releases, the digest is the example's, not one of a published image.
    image: 'ghcr.io/arcodange/dolibarr:20.0.4@sha256:3c9d1e4a7b2f60581d0e9a8c7b6f5e4d3c2b1a09f8e7d6c5b4a3928170f6e5d4',
    flags: { 'ai-write-skill': false },
    // Per-PR previews on the non-prod server (PostgreSQL 18): `erp-pr-<n>` for each pull request
    // labelled `preview`, synthetic data, at most 3 at once (docs/previews.md).
    // The accessor is the example's (copy yours from `vault auth list -format=json`): with it each
    // preview's workload logs in to Vault and reads only its own PR's database credential.
    previews: { tier: Tier.DEV, maxOpen: 3, vaultKubernetesAuthAccessor: 'auth_kubernetes_5e1f0c7a' },
    // Dolibarr's credentials never leave prod: the golden keeps prod-shaped data, not prod logins
    // (htdocs/install/mysql/tables/llx_user.sql, llx_societe_account.sql, llx_oauth_token.sql, llx_const).
    scrub: [
      { table: 'llx_user', columns: { pass: ScrubAction.NULL, pass_crypted: ScrubAction.NULL, pass_temp: ScrubAction.NULL, api_key: ScrubAction.NULL } },
      { table: 'llx_societe_account', columns: { pass_crypted: ScrubAction.NULL, pass_temp: ScrubAction.NULL } },
      // OAuth and payment tokens (Google, Stripe, …): every row.
      { table: 'llx_oauth_token', deleteWhere: 'true' },
      // SMTP passwords, payment and API keys, OAuth client secrets, salts.
      { table: 'llx_const', deleteWhere: "name ~* '(PASS|PWD|_PW$|SECRET|TOKEN|APIKEY|API_KEY|PRIVATE|_KEY$|SALT|SIGNATURE)'" },
    ],
    // ADR-0003 §4: what a rehearsed, approved data promote may write on prod (invoices and their
    // lines, third parties' fields); everything else, and every schema change, goes through the gated apply.
    promoteGrants: [
      { table: 'llx_facture', privileges: ['SELECT', 'INSERT', 'UPDATE'] },
      { table: 'llx_facturedet', privileges: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'] },
      { table: 'llx_societe', privileges: ['SELECT', 'UPDATE'] },
    ],
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
