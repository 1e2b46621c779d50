import { AdminKind, Backend, Estate, PostgresServer, SandboxTemplate, SeedProfile, Tier } from 'tierkit';
import { PROD_PG_CA_PEM } from './ca';

/**
 * The example estate (the decision record's lab): its settings and Postgres servers. The apps
 * live in apps/, one file each.
 */
export function defineEstate(): Estate {
  const estate = new Estate({
    name: 'arcodange',
    domain: 'arcodange.lab',
    // Where pods reach Vault and the API server: the narrow egress every namespace gets on top of
    // its default-deny (Vault's port comes from its address).
    vault: { address: 'https://vault.arcodange.lab:8200', cidr: '10.0.8.0/28' },
    kubernetesApi: { cidr: '10.0.1.0/28', port: 6443 },
    argocd: { repoUrl: 'https://git.arcodange.lab/platform/estate.git' },
    ci: {
      repository: 'arcodange/estate', repositoryId: '812347795',
      // One publisher GitHub App per tier: only it may write the tier's paths of the rendered branch.
      publisherAppIds: { ci: 1040001, demo: 1040002, dev: 1040003, preprod: 1040004, prod: 1040005, staging: 1040006 },
      // PLACEHOLDER: the review GitHub App's id (an App of its own, installed on arcodange/estate; its key a secret of
      // the `tierkit-review` environment, main only). Main requires `tierkit review` from this App alone (TK019).
      reviewAppId: 1040010,
      argocdMirrorReason: 'Argo CD cannot reach github.com from the lab network: git.arcodange.lab pull-mirrors arcodange/estate every minute; '
        + 'only its mirror service account may write it, and no one may push to it (the platform team owns that host)',
    },
    backend: Backend.s3({ bucket: 'arcodange-tfstate', region: 'eu-west-3', keyPrefix: 'estate', accountId: '318462750923' }),
    sandboxQuotaPerOwner: 2,
    // The lab runs one cluster (TK044): prod is kept apart by its tainted node pool (TK058) and
    // Pod Security restricted everywhere (TK050/TK051), not by an API server of its own.
    sharedClusters: [{
      server: 'https://kubernetes.default.svc', tiers: Tier.ALL,
      reason: 'One lab cluster for every tier: prod runs on its own tainted node pool, every namespace enforces Pod Security restricted.',
    }],
    // Who may own a sandbox (engineers and teams, by SSO name): `tierkit sandbox create --owner` must name one.
    sandboxOwners: ['alice', 'arcodange', 'bob', 'team-growth'],
    tiers: [
      // Prod's own tainted node pool: no other tier's pod is scheduled next to prod's as tierkit
      // writes them, and `check` (TK058) refuses one that selects or tolerates it.
      {
        // Prod's egress names its ports (TK048): the payment relays' HTTPS and the mail relays' submission port.
        tier: Tier.PROD, egressTargets: [{ cidr: '10.20.0.0/16', ports: [{ protocol: 'TCP', port: 443 }, { protocol: 'TCP', port: 587 }] }],
        reason: 'Prod services reach the prod network (10.20/16): payment and mail relays.',
        // The prod publisher's commit-signing key: Argo CD syncs prod only from commits it signed.
        signatureKeyIds: ['4AEE18F83AFDEB23'],
        nodePool: { nodeSelector: { 'tierkit.io/pool': 'prod' }, taint: { key: 'tierkit.io/pool', value: 'prod', effect: 'NoSchedule' } },
      },
      { tier: Tier.PREPROD, egressAllowList: ['10.30.0.0/16'], reason: 'Release rehearsals reach the staging network (10.30/16): its relays and mocks.', signatureKeyIds: ['7D1C52E0B94F3A16'] },
      { tier: Tier.STAGING, egressAllowList: ['10.30.0.0/16'], reason: 'Staging reaches the staging network (10.30/16): its relays and mocks.', signatureKeyIds: ['C3B8F0A92E6D4157'] },
      {
        tier: Tier.DEV, egressAllowList: ['10.10.0.0/16'], secretTtl: { defaultSeconds: 1800, maxSeconds: 4 * 3600 },
        reason: 'Dev reaches the non-prod network (10.10/16): package mirror and shared mocks.',
      },
      {
        tier: Tier.DEMO,
        secretTtl: { defaultSeconds: 3600, maxSeconds: 8 * 3600 },
        reason: 'Prospect demos run a whole working day on one login; the data is synthetic and reset hourly.',
      },
    ],
  });

  // The decision record's prod server: a real superuser provider, so every stack on it
  // (prod and erp-sandbox alike) applies behind the prod gate.
  new PostgresServer(estate, 'prod-pg', {
    host: 'pg-prod.arcodange.lab', cidr: '10.20.5.10/32', majorVersion: 16, adminKind: AdminKind.SUPERUSER, tiers: [Tier.PROD],
    // Live data: Vault and CI check the server's certificate against this CA (verify-full).
    sslMode: 'verify-full', caCertificatePem: PROD_PG_CA_PEM,
    // Made by the platform once (GRANT SET ON PARAMETER temp_file_limit): erp-sandbox's credentials carry a 1 GiB cap.
    tempFileLimitRole: 'tierkit_temp_file_limit',
  });
  // Managed (RDS-like) server for release rehearsals. Its provider logs in as `tierkit_admin`,
  // which each stack makes a member of the env's group (a non-superuser must be, to revoke PUBLIC).
  new PostgresServer(estate, 'stage-pg', {
    host: 'pg-stage.arcodange.lab', cidr: '10.30.5.10/32', majorVersion: 16, adminKind: AdminKind.MANAGED, adminRole: 'tierkit_admin',
    tiers: [Tier.STAGING, Tier.PREPROD],
  });
  // Non-prod server: dev, ci and demo apply automatically on merge.
  new PostgresServer(estate, 'nonprod-pg', {
    host: 'pg-nonprod.arcodange.lab', cidr: '10.10.5.10/32', majorVersion: 18, adminKind: AdminKind.MANAGED, adminRole: 'tierkit_admin',
    tiers: [Tier.DEV, Tier.CI, Tier.DEMO],
  });
  // No cidr: `localhost` is each pod itself, not an address a pod's egress can name. A local
  // cluster that reaches the host's server declares the host gateway here (e.g. 172.17.0.1/32).
  new PostgresServer(estate, 'local-pg', {
    host: 'localhost', majorVersion: 18, adminKind: AdminKind.SUPERUSER, sslMode: 'disable', tiers: [Tier.LOCAL],
  });
  // The approved sandbox presets `tierkit sandbox create --template` may name (seed 002's feature-default):
  // dev tier, synthetic data only, no egress beyond the database and Vault, 72 h by default, 14 days at most.
  new SandboxTemplate(estate, 'feature-default', { tier: Tier.DEV, defaultTtlHours: 72, maxTtlHours: 14 * 24, seeds: [SeedProfile.SYNTHETIC_V1], egress: false });
  // Integration work against the non-prod network's mocks: egress allowed, a sanitized seed permitted.
  new SandboxTemplate(estate, 'integration', {
    tier: Tier.DEV, defaultTtlHours: 48, maxTtlHours: 7 * 24, seeds: [SeedProfile.SYNTHETIC_V1, SeedProfile.sanitized('customers-2026q3')], egress: true,
  });
  return estate;
}

export function server(estate: Estate, id: string): PostgresServer {
  return estate.servers.find((s) => s.serverId === id)!;
}
