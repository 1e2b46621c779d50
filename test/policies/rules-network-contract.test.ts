import { describe, expect, it } from 'vitest';
import { AdminKind, App, Estate, PostgresServer, Tier } from '../../constructs';
import { synthesize } from '../../constructs/synth/synthesize';
import { writeDist } from '../../constructs/synth/write';
import { effectiveTier } from '../../constructs/tier-settings';
import { DistEdit } from './dist-edit';
import { check, cleanDist, env, findings, freshDir, synthDist } from './helpers';
import { TEST_CA_PEM } from '../support/ca';

const ERP_DEV = 'k8s/dev/erp-dev.k8s.yaml';

/** A small estate with prod and non-prod servers; `props` changes its network declarations. */
function smallEstate(props: { devAllowList?: string[]; nonprodCidr?: string; vaultCidr?: string } = {}): Estate {
  const estate = new Estate({
    name: 'net', domain: 'net.lab', vault: { address: 'https://vault.net.lab:8200', cidr: props.vaultCidr ?? '10.0.8.0/28' },
    argocd: { repoUrl: 'https://git.net.lab/estate.git' }, ci: { repository: 'net/estate', repositoryId: '100002' },
    tiers: [{ tier: Tier.DEV, egressAllowList: props.devAllowList ?? ['10.10.0.0/16'], reason: 'Dev reaches its own network for mirrors.' }],
  });
  new PostgresServer(estate, 'prod-pg', { host: 'pg-prod.net.lab', cidr: '10.20.5.10/32', majorVersion: 16, adminKind: AdminKind.SUPERUSER, tiers: [Tier.PROD], sslMode: 'verify-full', caCertificatePem: TEST_CA_PEM });
  new PostgresServer(estate, 'nonprod-pg', {
    host: 'pg-nonprod.net.lab', cidr: props.nonprodCidr ?? '10.10.5.10/32', majorVersion: 18, adminKind: AdminKind.MANAGED, adminRole: 'tierkit_admin', tiers: [Tier.DEV, Tier.DEMO],
  });
  new App(estate, 'erp', { tiers: [Tier.DEV, Tier.DEMO, Tier.PROD], objectPrefix: 'llx_', image: 'example/erp:1.0.0@sha256:' + 'e'.repeat(64) });
  return estate;
}

function distOf(estate: Estate, label: string): string {
  const dir = freshDir(label);
  writeDist(dir, synthesize(estate).files);
  return dir;
}

const messages = async (dir: string, ruleId: string) => findings(await check(dir), ruleId).map((f) => `${f.severity} ${f.pointer} ${f.message}`);

describe('egress widening is a reasoned loosening', () => {
  it('an allow list on a tier that is not deny is a loosening; on a deny tier (never rendered) it is not', () => {
    expect(effectiveTier(Tier.DEV, { tier: Tier.DEV, egressAllowList: ['10.10.0.0/16', '10.11.0.0/16'] }).loosenings)
      .toEqual([{ property: 'egressAllowList', defaultValue: 'none', value: '10.10.0.0/16, 10.11.0.0/16' }]);
    expect(effectiveTier(Tier.DEMO, { tier: Tier.DEMO, egressAllowList: ['10.10.0.0/16'] }).loosenings).toEqual([]);
    expect(effectiveTier(Tier.DEV, { tier: Tier.DEV }).loosenings).toEqual([]);
  });

  it('synthesis refuses an allow list without a reason, and a CIDR with host bits, naming the setting and the fix', () => {
    const unreasoned = smallEstate();
    (unreasoned.tierSettings[0] as { reason?: string }).reason = undefined;
    expect(() => synthesize(unreasoned)).toThrow(/tiers\[0\]\.egressAllowList[\s\S]*loosens the dev default \(none\) without a reason/);
    expect(() => synthesize(smallEstate({ devAllowList: ['10.10.0.1/16'] }))).toThrow(/tiers\[0\]\.egressAllowList\[0\][\s\S]*10\.10\.0\.0\/16/);
  });

  it('the example estate declares each allow list as a reasoned exception, and passes TK115/TK116', async () => {
    const report = await check(cleanDist());
    expect(report.exceptions.filter((e) => e.property === 'egressAllowList').map((e) => `${e.subject}: ${e.value}`)).toEqual([
      'tier dev: 10.10.0.0/16', 'tier preprod: 10.30.0.0/16', 'tier prod: 10.20.0.0/16', 'tier staging: 10.30.0.0/16',
    ]);
    expect([...findings(report, 'TK115'), ...findings(report, 'TK116')]).toEqual([]);
  });

  it('TK116 catches a manifest whose allow list was widened by hand, with or without a reason-less exception', async () => {
    const widened = new DistEdit('tk116').manifest((m) => {
      m.tiers.find((t: any) => t.name === 'dev').egressAllowList.push('10.99.0.0/16');
      const demo = m.tiers.find((t: any) => t.name === 'demo');
      demo.egress = 'allow-listed';
    }).dir;
    expect(await messages(widened, 'TK116')).toEqual([
      'error /tiers/2/egressAllowList tier dev\'s egress allow list [10.10.0.0/16, 10.99.0.0/16] widens its egress without a reasoned exception for exactly that list',
      'error /tiers/3/egress tier demo\'s egress "allow-listed" is looser than its default "deny" without a reasoned exception',
    ]);
    const hollow = new DistEdit('tk116-hollow').manifest((m) => {
      const dev = m.tiers.find((t: any) => t.name === 'dev');
      dev.egressAllowList.push('10.99.0.0/16');
      dev.exceptions = dev.exceptions.map((x: any) => (x.property === 'egressAllowList' ? { ...x, value: '10.10.0.0/16, 10.99.0.0/16', reason: 'ok' } : x));
    }).dir;
    expect(await messages(hollow, 'TK116')).toHaveLength(1);
  });
});

describe('TK115 no lower-tier egress covers a stricter tier\'s server', () => {
  it('catches a dev allow list of 10.0.0.0/8 declared (with a reason) on the estate; a suppression of it is refused', async () => {
    const dir = synthDist((e) => {
      (e.tierSettings.find((s) => s.tier === Tier.DEV) as unknown as { egressAllowList: string[] }).egressAllowList = ['10.0.0.0/8'];
      env(e, 'erp', 'dev').addSuppression('TK115', 'The dev network is flat, accepted by the platform team');
    }, 'tk115-props');
    const report = await check(dir);
    expect(findings(report, 'TK115').filter((f) => f.file === 'manifest.json').map((f) => f.message)).toEqual([
      'tier dev\'s egress allow list 10.0.0.0/8 covers Postgres server prod-pg (10.20.5.10/32), which holds tier prod, out of reach of tier dev',
      'tier dev\'s egress allow list 10.0.0.0/8 covers Postgres server stage-pg (10.30.5.10/32), which holds tier preprod, out of reach of tier dev',
    ]);
    // Every dev namespace's rendered allow-list policy is caught too, each on its env.
    expect(findings(report, 'TK115').filter((f) => f.file?.startsWith('k8s/dev/')).length).toBeGreaterThan(7);
    expect(findings(report, 'TK115').every((f) => f.severity === 'error' && !f.suppressed)).toBe(true);
    expect(findings(report, 'TK100').map((f) => f.message)).toEqual([
      'erp-dev suppresses TK115 (network-reach-stricter-server), which cannot be suppressed; its findings stay errors',
    ]);
  });

  it('catches a non-prod server cidr and a Vault cidr covering the prod server (estate props)', async () => {
    expect(await messages(distOf(smallEstate({ nonprodCidr: '10.20.0.0/16' }), 'tk115-server'), 'TK115')).toContain(
      'error /servers/1/cidr server nonprod-pg\'s cidr (reached by the pods of its envs) 10.20.0.0/16 covers Postgres server prod-pg (10.20.5.10/32), which holds tier prod, out of reach of tier demo, dev',
    );
    const vault = await messages(distOf(smallEstate({ vaultCidr: '10.20.5.0/24' }), 'tk115-vault'), 'TK115');
    expect(vault.sort()).toEqual([
      'error /5/spec/egress/0 NetworkPolicy erp-demo/allow-egress-vault (erp-demo (tier demo)) allows egress to 10.20.5.0/24, covering Postgres server prod-pg (10.20.5.10/32), which holds tier prod',
      'error /6/spec/egress/0 NetworkPolicy erp-dev/allow-egress-vault (erp-dev (tier dev)) allows egress to 10.20.5.0/24, covering Postgres server prod-pg (10.20.5.10/32), which holds tier prod',
      'error /estate/network/vault/cidr Vault\'s cidr (reached by every env\'s pods) 10.20.5.0/24 covers Postgres server prod-pg (10.20.5.10/32), which holds tier prod, out of reach of tier demo, dev',
    ]);
  });

  it('passes the small estate as declared: dev\'s allow list covers its own server, which holds demo too', async () => {
    const dir = distOf(smallEstate(), 'tk115-clean');
    expect([...await messages(dir, 'TK115'), ...await messages(dir, 'TK116')]).toEqual([]);
  });

  it('catches hand-edited NetworkPolicy peers to the prod server: direct, IPv4-mapped IPv6, or every destination; an except carve-out passes', async () => {
    const edit = (peer: unknown) => new DistEdit('tk115-np').object(ERP_DEV, 'NetworkPolicy', 'allow-egress-listed', (o) => {
      o.spec.egress[0].to.push(peer);
    }).dir;
    const want = (cidr: string) => [`error /2/spec/egress/0 NetworkPolicy erp-dev/allow-egress-listed (erp-dev (tier dev)) allows egress to ${cidr}, covering Postgres server prod-pg (10.20.5.10/32), which holds tier prod`];
    const at = async (dir: string) => (await messages(dir, 'TK115')).map((m) => m.replace(/^error \/\d+\//, 'error /2/'));
    expect(await at(edit({ ipBlock: { cidr: '10.20.5.10/32' } }))).toEqual(want('10.20.5.10/32'));
    expect(await at(edit({ ipBlock: { cidr: '::ffff:a14:500/120' } }))).toEqual(want('::ffff:a14:500/120'));
    expect(await messages(edit({ ipBlock: { cidr: '10.20.0.0/16', except: ['10.20.5.0/24'] } }), 'TK115')).toEqual([]);
    const everywhere = new DistEdit('tk115-all').object(ERP_DEV, 'NetworkPolicy', 'allow-egress-listed', (o) => { delete o.spec.egress[0].to; }).dir;
    expect((await messages(everywhere, 'TK115')).some((m) => m.includes('allows egress to 0.0.0.0/0, covering Postgres server prod-pg'))).toBe(true);
  });

  it('an env whose tier the manifest does not know counts as the lowest tier, not as exempt', async () => {
    const dir = new DistEdit('tk115-unknown-tier')
      .manifest((m) => { m.appEnvironments.find((e: any) => e.slug === 'erp-dev').tier = 'scratch'; })
      .object(ERP_DEV, 'NetworkPolicy', 'allow-egress-listed', (o) => { o.spec.egress[0].to.push({ ipBlock: { cidr: '10.30.5.10/32' } }); }).dir;
    // As a source the unknown tier is the lowest (it may reach stage-pg no more than dev may); as a
    // destination the strictest (nonprod-pg now holds it, so dev's allow list no longer covers its own server only).
    const found = (await messages(dir, 'TK115')).map((m) => m.replace(/^error \/\d+\//, ''));
    expect(found).toContain('spec/egress/0 NetworkPolicy erp-dev/allow-egress-listed (erp-dev (tier scratch)) allows egress to 10.30.5.10/32, covering Postgres server stage-pg (10.30.5.10/32), which holds tier preprod');
    expect(found).toContain('error /tiers/2/egressAllowList/0 tier dev\'s egress allow list 10.10.0.0/16 covers Postgres server nonprod-pg (10.10.5.10/32), which holds tier scratch, out of reach of tier dev');
  });

  it('the decision record\'s erp-sandbox keeps its narrow path to the prod server; opened to every port it is caught', async () => {
    expect(await messages(cleanDist(), 'TK115')).toEqual([]);
    const dir = new DistEdit('tk115-sandbox').object('k8s/dev/erp-sandbox.k8s.yaml', 'NetworkPolicy', 'allow-egress-postgres', (o) => { delete o.spec.egress[0].ports; }).dir;
    expect((await messages(dir, 'TK115')).map((m) => m.replace(/^error \/\d+\//, ''))).toEqual([
      'spec/egress/0 NetworkPolicy erp-sandbox/allow-egress-postgres (erp-sandbox (tier dev)) allows egress to 10.20.5.10/32, covering Postgres server prod-pg (10.20.5.10/32), which holds tier prod',
    ]);
  });
});
