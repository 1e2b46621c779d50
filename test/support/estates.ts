import { AdminKind, App, Estate, EstateProps, PostgresServer, Tier } from '../../constructs';
import { TEST_CA_PEM } from './ca';

/** A small valid estate for tests that need to break one thing at a time. */
export function smallEstate(props: Partial<EstateProps> = {}): Estate {
  const estate = new Estate({
    name: 'test',
    domain: 'test.lab',
    vault: { address: 'https://vault.test.lab' },
    argocd: { repoUrl: 'https://git.test.lab/estate.git' },
    ci: { repository: 'test/estate', repositoryId: '100001' },
    ...props,
  });
  new PostgresServer(estate, 'prod-pg', { host: 'pg-prod.test.lab', majorVersion: 16, tiers: [Tier.PROD], sslMode: 'verify-full', caCertificatePem: TEST_CA_PEM });
  new PostgresServer(estate, 'nonprod-pg', {
    host: 'pg-nonprod.test.lab', majorVersion: 18, adminKind: AdminKind.MANAGED, adminRole: 'tierkit_admin',
    tiers: [Tier.LOCAL, Tier.CI, Tier.DEV, Tier.DEMO, Tier.STAGING, Tier.PREPROD],
  });
  return estate;
}

export function smallApp(estate: Estate, name = 'erp', tiers: Tier[] = [Tier.DEV, Tier.PROD]): App {
  return new App(estate, name, { tiers, objectPrefix: 'llx_', image: 'example/erp:1.0.0@sha256:' + 'e'.repeat(64) });
}
