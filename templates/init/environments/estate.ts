import { AdminKind, Backend, Estate, PostgresServer, Tier } from 'tierkit';
import { PROD_PG_CA_PEM } from './ca';

/** The estate: its settings and its Postgres servers. Apps live in apps/, one file each. */
export function defineEstate(): Estate {
  const estate = new Estate({
    name: 'acme',
    domain: 'acme.internal',
    // Where pods reach Vault and the API server: the only egress beyond a tier's allow list.
    vault: { address: 'https://vault.acme.internal:8200', cidr: '10.0.8.0/28' },
    kubernetesApi: { cidr: '10.0.1.0/28', port: 6443 },
    // Argo CD reads the rendered branch from the repository the publishers' rulesets guard (TK095).
    argocd: { repoUrl: 'https://github.com/acme/estate.git' },
    // repositoryId: the repository's numeric id (`gh api repos/acme/estate --jq .id`); Vault's CI
    // roles bind the token's repository_id claim to it, so a renamed or re-created repo gets nothing.
    // reviewAppId: PLACEHOLDER — your review GitHub App's id (Commit statuses and Pull requests: write;
    // its key the secret TIERKIT_REVIEW_APP_PRIVATE_KEY of environment `tierkit-review`, main only).
    // Main requires the `tierkit review` status from this App alone (TK019): until it exists, nothing merges.
    ci: { repository: 'acme/estate', repositoryId: '123456789', reviewAppId: 1000001 },
    backend: Backend.s3({ bucket: 'acme-tfstate', region: 'eu-west-3', keyPrefix: 'estate', accountId: '123456789012' }),
    // One cluster for every tier is a reasoned choice (`check` TK044): give prod its own with the
    // tier setting argocdDestinationServer, or say here what keeps it apart (a tainted nodePool).
    sharedClusters: [{
      server: 'https://kubernetes.default.svc', tiers: Tier.ALL,
      reason: 'One cluster to start with: give prod its own API server (argocdDestinationServer) before it holds live data.',
    }],
    tiers: [
      // An allow list widens a tier's egress: it is a reasoned exception every check report shows.
      // signatureKeyIds: the long key id of the prod publisher's GPG signing key (docs/pr-flow.md):
      // Argo CD syncs prod only from rendered commits it signed. Replace this one with yours.
      // On prod every egress target names its ports (TK048): here the relays' HTTPS and mail submission.
      {
        tier: Tier.PROD, egressTargets: [{ cidr: '10.20.0.0/16', ports: [{ protocol: 'TCP', port: 443 }, { protocol: 'TCP', port: 587 }] }],
        reason: 'Prod services reach the prod network: payment and mail relays.', signatureKeyIds: ['0000000000000000'],
      },
      // Staging is the human-gated tier a release passes before prod (TK143); its publisher signs with
      // its own key (TK098 refuses a key two tiers trust).
      { tier: Tier.STAGING, signatureKeyIds: ['1111111111111111'] },
      { tier: Tier.DEV, egressAllowList: ['10.10.0.0/16'], reason: 'Dev reaches the non-prod network: package mirror and shared mocks.' },
    ],
  });
  // The prod server: its stacks apply behind the prod gate.
  new PostgresServer(estate, 'prod-pg', {
    host: 'pg-prod.acme.internal', cidr: '10.20.5.10/32', majorVersion: 16, adminKind: AdminKind.SUPERUSER, tiers: [Tier.PROD],
    // Live data: Vault and CI check the server's certificate against its CA (verify-full). Replace ca.ts with yours.
    sslMode: 'verify-full', caCertificatePem: PROD_PG_CA_PEM,
  });
  // The staging server: its stacks apply behind staging's one approval.
  new PostgresServer(estate, 'staging-pg', {
    host: 'pg-staging.acme.internal', cidr: '10.30.5.10/32', majorVersion: 16, adminKind: AdminKind.MANAGED, adminRole: 'tierkit_admin',
    tiers: [Tier.STAGING],
  });
  // A managed non-prod server: dev and ci apply automatically on merge.
  new PostgresServer(estate, 'nonprod-pg', {
    host: 'pg-nonprod.acme.internal', cidr: '10.10.5.10/32', majorVersion: 16, adminKind: AdminKind.MANAGED, adminRole: 'tierkit_admin',
    tiers: [Tier.DEV, Tier.CI],
  });
  return estate;
}
