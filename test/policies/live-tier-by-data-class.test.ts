// Issue 20: "prod" is decided in one place (contract/tiers.ts), never by the name 'prod' in a rule.
// isLiveTier holds a tier like prod when the manifest OR tierkit's built-in tiers say it holds live
// data (a protection only widens); isProdTier grants prod's permissions (the golden, its producer)
// only when both say so (a relabel never widens). Each dist below is a hand edit a hostile PR
// author can make; each case failed while the rule decided prod by name or by the manifest alone.
import { describe, expect, it } from 'vitest';
import { isLiveTier, isProdTier } from '../../contract/tiers';
import { DistEdit } from './dist-edit';
import { check, cleanDist, findings, freshDir } from './helpers';
import { editDist } from './rehash';

const messages = (report: Awaited<ReturnType<typeof check>>, id: string) => findings(report, id).map((f) => f.message).sort();
const tier = (m: any, name: string) => m.tiers.find((t: any) => t.name === name);

describe('the two tier predicates', () => {
  const tiers = new Map([
    ['prod', { name: 'prod', data: ['sanitized'] }], // relabelled by hand
    ['preprod', { name: 'preprod', data: ['live'] }], // a live tier under another name
    ['staging', { name: 'staging', data: ['sanitized'] }],
  ]);
  it('isLiveTier: the stricter answer, for what must be protected as prod', () => {
    expect(['prod', 'preprod', 'staging', 'qa'].map((t) => isLiveTier(tiers, t))).toEqual([true, true, false, false]);
  });
  it('isProdTier: both answers, for what only prod may do', () => {
    expect(['prod', 'preprod', 'staging', 'qa'].map((t) => isProdTier(tiers, t))).toEqual([false, false, false, false]);
    expect(isProdTier(new Map([['prod', { name: 'prod', data: ['live'] }]]), 'prod')).toBe(true);
  });
});

describe('a hand-edited manifest relabelling prod\'s data as sanitized does not demote prod', () => {
  it('TK043 still holds a sandbox on prod\'s server to temp_file_limit; TK044 still refuses an undeclared cluster prod shares; the golden\'s producer is refused (TK131, TK132)', async () => {
    const dir = editDist(cleanDist(), freshDir('live-relabel'), {
      'erp-sandbox': (j) => {
        const role = j.resource.vault_database_secret_backend_role.vault_role;
        role.creation_statements = role.creation_statements.map((s: string) => s.replace("'1048576kB'", '-1'));
      },
    });
    const edited = new DistEdit('live-relabel-manifest', dir).manifest((m) => {
      tier(m, 'prod').data = ['sanitized'];
      // prod and preprod alone on one undeclared cluster, at one rank: only prod's live data tells them apart.
      tier(m, 'prod').argocdDestinationServer = 'https://prod.k8s.lab:6443';
      tier(m, 'preprod').argocdDestinationServer = 'https://prod.k8s.lab:6443';
      tier(m, 'preprod').rank = tier(m, 'prod').rank;
    });
    const report = await check(edited.dir);
    expect(messages(report, 'TK043')).toEqual([
      'erp-sandbox (tier dev): Vault role "erp-sandbox" on prod-pg (live data) creates credentials with temp_file_limit -1, which is no cap (superuser-only: the credential cannot SET it)',
    ]);
    expect(messages(report, 'TK044')).toEqual([
      expect.stringMatching(/^tiers (preprod, prod|prod, preprod) deploy to one cluster https:\/\/prod\.k8s\.lab:6443, which the estate does not declare shared/),
    ]);
    // A manifest contradicting tierkit's prod grants it nothing only prod may do: its golden dump is refused.
    expect(messages(report, 'TK131').length).toBeGreaterThan(0);
    expect(messages(report, 'TK132')).toEqual(expect.arrayContaining([expect.stringMatching(/^Vault policy "erp-golden-dump" .* grants create, update on "kvv2\/data\/tierkit-seeds\/erp\.golden"/)]));
  });
});

describe('a tier holding live data under another name is held like prod', () => {
  it('TK134: a staging env may not share the live-labelled preprod\'s instance key', async () => {
    const key = (o: any) => { o.spec.template.spec.containers[0].env = [{ name: 'DOLI_INSTANCE_UNIQUE_ID', value: 'k-live-1' }]; };
    const d = new DistEdit('live-renamed-key')
      .manifest((m) => { tier(m, 'preprod').data = ['live']; })
      .object('k8s/preprod/crm-preprod.k8s.yaml', 'Deployment', 'crm', key)
      .object('k8s/staging/crm-staging.k8s.yaml', 'Deployment', 'crm', key);
    expect(messages(await check(d.dir), 'TK134')).toEqual([
      "crm-staging (tier staging) sets DOLI_INSTANCE_UNIQUE_ID to the value prod crm uses for DOLI_INSTANCE_UNIQUE_ID: the sandbox would hold prod's instance key",
    ]);
  });

});

describe('TK017: the manifest\'s tiers are the built-in ones (a relabel is a finding of its own, not only absorbed rule by rule)', () => {
  it('the example estate\'s manifest holds the seven built-in tiers: no TK017 finding', async () => {
    expect(findings(await check(cleanDist()), 'TK017')).toEqual([]);
  });

  it('prod without live data, dev at prod\'s rank, a tier declared twice and an invented tier are each one unsuppressible finding', async () => {
    const edited = new DistEdit('tier-definitions').manifest((m) => {
      tier(m, 'prod').data = ['sanitized'];
      tier(m, 'dev').rank = 6;
      tier(m, 'staging').data = ['sanitized', 'live', 'sanitized'];
      m.tiers.push({ ...tier(m, 'demo') }, { ...tier(m, 'ci'), name: 'qa' });
    });
    const report = await check(edited.dir);
    const found = findings(report, 'TK017');
    expect(found.map((f) => [f.pointer, f.message]).sort()).toEqual([
      ['/tiers/2/rank', 'tier dev has rank 6; the built-in tier\'s is 2'],
      ['/tiers/4/data', 'tier staging holds data classes ["sanitized","live","sanitized"]; the built-in tier\'s are ["sanitized"]'],
      ['/tiers/6/data', 'tier prod holds data classes ["sanitized"]; the built-in tier\'s are ["live"]'],
      ['/tiers/7/name', 'tier demo is declared twice; a reader would judge by whichever it finds'],
      ['/tiers/8/name', 'tier "qa" is not a built-in tier (local, ci, dev, demo, staging, preprod, prod)'],
    ]);
    expect(found.every((f) => f.severity === 'error' && f.file === 'manifest.json')).toBe(true);
  });
});
