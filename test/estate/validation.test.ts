import { describe, expect, it } from 'vitest';
import {
  AdminKind, App, Estate, PostgresServer, Sandbox, SandboxKind, SeedProfile, Tier, TierkitValidationError, ValidationIssue, validateEstate,
} from '../../constructs';
import { synthesize } from '../../constructs/synth/synthesize';
import { smallApp, smallEstate } from '../support/estates';

/** Nothing throws while an estate is declared: validation reports every issue (of the estate `build` returns, if it makes its own). */
function issuesOf(build: (e: Estate) => unknown): ValidationIssue[] {
  const estate = smallEstate();
  const built = build(estate);
  return validateEstate(built instanceof Estate ? built : estate);
}

function sandbox(app: App, id: string, props: Partial<ConstructorParameters<typeof Sandbox>[2]> = {}): Sandbox {
  return new Sandbox(app, id, {
    tier: Tier.DEV, kind: SandboxKind.ENGINEER, owner: 'alice', createdAt: '2026-11-20', ...props,
  });
}

/** Each bad input: one issue, naming the construct path, the property, the value, and a fix. */
const cases: [string, (e: Estate) => unknown, Partial<ValidationIssue>, RegExp][] = [
  ['app name not a DNS-1123 label', (e) => smallApp(e, 'ERP_app'), { path: 'test/ERP_app', property: 'name', value: 'ERP_app' }, /erp-app/],
  ['derived Postgres name over 63 bytes', (e) => smallApp(e, 'a'.repeat(58), [Tier.DEV]),
    { path: `test/${'a'.repeat(58)}/dev`, message: expect.stringContaining('the limit is 63') }, /shorten the app or env name by at least/],
  // A CronJob name leaves 11 characters for the Jobs' suffix: a sandbox's TTL sweep binds first.
  ['derived CronJob name over 52 characters', (e) => sandbox(smallApp(e, 'a'.repeat(40)), 'b'.repeat(20)),
    { path: `test/${'a'.repeat(40)}/${'b'.repeat(20)}`, property: 'ttlSweepCronJob' }, /shorten the app or env name by at least 19/],
  ['duplicate app', (e) => { smallApp(e, 'erp'); smallApp(e, 'erp'); }, { path: 'test/erp', property: 'app', value: 'erp' }, /unique/],
  ['duplicate env', (e) => sandbox(smallApp(e), 'dev'), { path: 'test/erp/dev', property: 'env', value: 'dev' }, /env name/],
  ['two coordinates deriving the same names', (e) => { sandbox(smallApp(e, 'erp'), 'sandbox'); smallApp(e, 'erp-sandbox', [Tier.PROD]); },
    { path: 'test/erp-sandbox/prod', property: 'coordinate', value: 'erp-sandbox/prod' }, /rename/],
  ['sandbox on the prod tier', (e) => sandbox(smallApp(e), 'sb', { tier: Tier.PROD }), { path: 'test/erp/sb', property: 'tier', value: 'prod' }, /non-prod tier/],
  ['sandbox without a TTL', (e) => sandbox(smallApp(e), 'sb', { ttlHours: 0 }), { path: 'test/erp/sb', property: 'ttlHours', value: 0 }, /ttlHours/],
  ['sandbox TTL over the tier maximum without reason', (e) => sandbox(smallApp(e), 'sb', { ttlHours: 500 }),
    { path: 'test/erp/sb', property: 'ttlHours', value: 500 }, /reason/],
  ['golden seed without reason', (e) => sandbox(smallApp(e), 'sb', { seed: SeedProfile.GOLDEN }),
    { path: 'test/erp/sb', property: 'seed', value: 'golden' }, /reason/],
  ['golden seed with a too-short reason', (e) => sandbox(smallApp(e), 'sb', { seed: SeedProfile.GOLDEN, reason: 'because' }),
    { path: 'test/erp/sb', property: 'seed', value: 'golden' }, /reason/],
  ['unknown tier', (e) => new App(e, 'erp', { tiers: ['qa' as unknown as Tier], objectPrefix: 'llx_', image: 'x:1' }),
    { path: 'test/erp', property: 'tiers', value: 'qa' }, /Tier\.PROD/],
  ['app with no tiers', (e) => new App(e, 'erp', { tiers: [], objectPrefix: 'llx_', image: 'x:1' }),
    { path: 'test/erp', property: 'tiers' }, /tiers: \[Tier/],
  // What a type checker would refuse, when the estate program runs untyped (tsx, JavaScript).
  ['misspelled tier member (undefined)', (e) => sandbox(smallApp(e), 'sb', { tier: (Tier as any).DVE }),
    { path: 'test/erp/sb', property: 'tier', message: 'is not a tier' }, /Tier\.DEV/],
  ['a tier given as a string', (e) => sandbox(smallApp(e), 'sb', { tier: 'dev' as unknown as Tier }),
    { path: 'test/erp/sb', property: 'tier', value: 'dev' }, /Tier\.DEV/],
  ['misspelled sandbox kind', (e) => sandbox(smallApp(e), 'sb', { kind: 'engneer' as unknown as SandboxKind }),
    { path: 'test/erp/sb', property: 'kind', value: 'engneer' }, /SandboxKind\.ENGINEER/],
  ['misspelled seed member (undefined, would fall back to the default)', (e) => sandbox(smallApp(e), 'sb', { seed: (SeedProfile as any).SYNTHETIC }),
    { path: 'test/erp/sb', property: 'seed' }, /leave the property out/],
  ['sanitized seed without a dataset', (e) => sandbox(smallApp(e), 'sb', { seed: SeedProfile.sanitized('') }),
    { path: 'test/erp/sb', property: 'seed', value: 'sanitized:' }, /SeedProfile\.sanitized\("crm-2026-11"\)/],
  ['misspelled sandbox property (would fall back to the default TTL)', (e) => sandbox(smallApp(e), 'sb', { ttlHour: 500 } as any),
    { path: 'test/erp/sb', property: 'ttlHour', value: 500 }, /did you mean ttlHours\?/],
  ['unknown app property', (e) => new App(e, 'erp', { tiers: [Tier.DEV], objectPrefix: 'llx_', image: 'x:1', replicas: 3 } as any),
    { path: 'test/erp', property: 'replicas', value: 3 }, /use one of tiers, objectPrefix, image, port, runAsUser, resources, healthPath, flags/],
  ['sandbox without owner', (e) => sandbox(smallApp(e), 'sb', { owner: '' }), { path: 'test/erp/sb', property: 'owner' }, /owner/],
  ['owner over the sandbox quota', (e) => { const a = smallApp(e); for (const id of ['s1', 's2', 's3', 's4']) sandbox(a, id); },
    { path: 'test/erp/s4', property: 'owner', value: 'alice' }, /sandboxQuotaPerOwner/],
  ['server cidr that is a host name', (e) => new PostgresServer(e, 'x-pg', { host: 'pg-x.test.lab', cidr: 'pg-x.test.lab', majorVersion: 16, tiers: [] }),
    { path: 'test/x-pg', property: 'cidr', value: 'pg-x.test.lab' }, /10\.20\.5\.10\/32/],
  ['server cidr with host bits set', (e) => new PostgresServer(e, 'x-pg', { host: 'pg-x.test.lab', cidr: '10.20.5.10/16', majorVersion: 16, tiers: [] }),
    { path: 'test/x-pg', property: 'cidr', value: '10.20.5.10/16' }, /"10\.20\.0\.0\/16", or "10\.20\.5\.10\/32"/],
  ['vault cidr of every address', () => smallEstate({ vault: { address: 'https://vault.test.lab', cidr: '0.0.0.0/0' } }),
    { path: 'test', property: 'vault.cidr', value: '0.0.0.0/0' }, /only the addresses/],
  ['vault cidr of a whole /8', () => smallEstate({ vault: { address: 'https://vault.test.lab', cidr: '10.0.0.0/8' } }),
    { path: 'test', property: 'vault.cidr', value: '10.0.0.0/8', message: expect.stringContaining('wider than /16') }, /only the addresses/],
  ['vault port without a cidr', () => smallEstate({ vault: { address: 'https://vault.test.lab', port: 8200 } }),
    { path: 'test', property: 'vault.cidr', value: undefined }, /as a CIDR/],
  ['API server port out of range', () => smallEstate({ kubernetesApi: { cidr: '10.0.1.0/28', port: 64430 * 2 } }),
    { path: 'test', property: 'kubernetesApi.port', value: 128860 }, /1 to 65535/],
  ['managed server without its admin role', (e) => new PostgresServer(e, 'x-pg', { host: 'pg-x.test.lab', majorVersion: 16, adminKind: AdminKind.MANAGED, tiers: [] }),
    { path: 'test/x-pg', property: 'adminRole', value: undefined }, /adminRole: "tierkit_admin"/],
  ['server before PostgreSQL 16 hosting envs, without a reason', (e) => {
    new PostgresServer(e, 'old-pg', { host: 'pg-old.test.lab', majorVersion: 15, tiers: [] });
    sandbox(smallApp(e), 'sb', { server: e.servers.find((s) => s.serverId === 'old-pg') });
  }, { path: 'test/old-pg', property: 'majorVersion', value: 15 }, /upgrade the server to 16 or newer, or accept the risk with legacyCreateRoleReason/],
  ['suppression without a real reason', (e) => smallApp(e).environments[0].addSuppression('TK011', 'ok'),
    { path: 'test/erp/dev', property: 'suppressions[TK011].reason' }, /why/],
];

describe('bad input gets one clear error', () => {
  it.each(cases)('%s', (_name, build, expected, fix) => {
    const issues = issuesOf(build);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject(expected);
    expect(issues[0].fix).toMatch(fix);
    expect(issues[0].message.length).toBeGreaterThan(10);
  });

  it.each([
    ['main', 'is the branch the estate is declared on'],
    ['HEAD', 'is not a plain branch name'],
    ['3f2c1ab', 'is not a plain branch name'],
    ['rendered/', 'is not a plain branch name'],
  ])('refuses Argo CD tracking %s: CI commits the rendered manifests to that branch', (targetRevision, message) => {
    const issues = validateEstate(smallEstate({ argocd: { repoUrl: 'https://git.test.lab/estate.git', targetRevision } }));
    expect(issues).toEqual([expect.objectContaining({ path: 'test', property: 'argocd.targetRevision', value: targetRevision, message: expect.stringContaining(message) })]);
    expect(validateEstate(smallEstate({ argocd: { repoUrl: 'https://git.test.lab/estate.git', targetRevision: 'env/rendered' } }))).toEqual([]);
  });

  it('a server before PostgreSQL 16 is accepted with a reason, which the manifest records', () => {
    const e = smallEstate();
    const old = new PostgresServer(e, 'old-pg', {
      host: 'pg-old.test.lab', majorVersion: 15, tiers: [], legacyCreateRoleReason: 'RDS upgrade to 16 is booked for 2027-Q1',
    });
    sandbox(smallApp(e), 'sb', { server: old });
    expect(validateEstate(e)).toEqual([]);
    expect(synthesize(e).manifest.servers.find((s) => s.id === 'old-pg')).toMatchObject({
      majorVersion: 15, legacyCreateRoleReason: 'RDS upgrade to 16 is booked for 2027-Q1',
    });
  });

  it('a loosened tier without reason is refused, with a reason it is recorded as an exception', () => {
    const loose = smallEstate({ tiers: [{ tier: Tier.DEV, secretTtl: { defaultSeconds: 3600, maxSeconds: 48 * 3600 } }] });
    smallApp(loose);
    expect(validateEstate(loose)).toEqual([expect.objectContaining({ path: 'test', property: 'tiers[0].secretTtl.maxSeconds', value: String(48 * 3600) })]);
    const reasoned = smallEstate({
      tiers: [{ tier: Tier.DEV, secretTtl: { defaultSeconds: 3600, maxSeconds: 48 * 3600 }, reason: 'batch jobs hold a lease for two days' }],
    });
    smallApp(reasoned);
    const dev = synthesize(reasoned).manifest.tiers.find((t) => t.name === 'dev')!;
    expect(dev.exceptions).toEqual([{ property: 'secretTtl.maxSeconds', defaultValue: String(8 * 3600), value: String(48 * 3600), reason: 'batch jobs hold a lease for two days' }]);
  });

  it('declared network destinations resolve their ports: the server\'s, Vault\'s from its address, 443 for the API server', () => {
    const e = smallEstate({ vault: { address: 'https://vault.test.lab:8200', cidr: 'fd00:8::/64' }, kubernetesApi: { cidr: '10.0.1.0/28' } });
    expect(e.vaultEndpoint).toEqual({ cidr: 'fd00:8::/64', port: 8200 });
    expect(e.kubernetesApi).toEqual({ cidr: '10.0.1.0/28', port: 443 });
    expect(smallEstate({ vault: { address: 'https://vault.test.lab', cidr: '10.0.8.0/28' } }).vaultEndpoint?.port).toBe(443);
    expect(smallEstate().vaultEndpoint).toBeUndefined();
    expect(new PostgresServer(e, 'x-pg', { host: 'x', cidr: '10.20.5.10/32', port: 6432, majorVersion: 16, tiers: [] }).cidr).toBe('10.20.5.10/32');
  });

  it('tightening a tier needs no reason', () => {
    const tight = smallEstate({ tiers: [{ tier: Tier.DEV, secretTtl: { defaultSeconds: 600, maxSeconds: 1800 } }] });
    smallApp(tight);
    expect(validateEstate(tight)).toEqual([]);
  });

  it('synthesize refuses an invalid estate with every issue at once', () => {
    const e = smallEstate();
    sandbox(smallApp(e), 'sb', { seed: SeedProfile.GOLDEN, ttlHours: 1000 });
    expect(() => synthesize(e)).toThrow(TierkitValidationError);
    try {
      synthesize(e);
    } catch (err) {
      expect((err as TierkitValidationError).issues.map((i) => i.property).sort()).toEqual(['seed', 'ttlHours']);
    }
  });
});
