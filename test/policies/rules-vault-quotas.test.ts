// Vault quotas on a lower tier's creds path (issue 21): each failing fixture is a change a PR author
// can make — an escape hatch, a suppression, a tier setting, a hand edit of dist/ re-hashed.
import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { check, cleanDist, env, findings, freshDir, synthDist } from './helpers';
import { editDist, manifestEdit, rehashManifest } from './rehash';
import { Estate, Tier, validateEstate } from '../../constructs';
import { VaultQuotaRateLimit } from '../../constructs/cdktf';
import { computeChangeSet } from '../../diff/changeset';
import { readDist } from '../../contract/read';

const stackJson = (dir: string, stack: string) => JSON.parse(readFileSync(join(dir, 'terraform', stack, 'cdk.tf.json'), 'utf8'));
const messages = (report: Awaited<ReturnType<typeof check>>) => findings(report, 'TK046').map((f) => [f.message, f.suppressed === undefined]).sort();
/** The example estate on Vault Enterprise (its resolved settings; the estate prop is `vault.edition`). */
const enterprise = (e: Estate) => Object.assign(e.vault, { edition: 'enterprise' });

describe('TK046 Vault quotas on a lower tier\'s creds path', () => {
  const rate = (j: any, env: string) => j.resource.vault_quota_rate_limit[`vault_rate_quota_${env.replace(/-/g, '_')}`];

  it('the example: each non-prod env gets a rate-limit quota on exactly its creds path, in its gating tier\'s platform stack; prod none', async () => {
    const dist = cleanDist();
    // erp-sandbox is on prod's server: gated by prod, so its quota is in platform-prod; crm-alice's in platform-dev.
    expect(rate(stackJson(dist, 'platform-prod'), 'erp-sandbox')).toMatchObject({
      name: 'erp-sandbox-creds-rate', path: 'postgres/creds/erp-sandbox', rate: 30, interval: 60,
    });
    expect(rate(stackJson(dist, 'platform-dev'), 'crm-alice')).toMatchObject({ name: 'crm-alice-creds-rate', path: 'postgres/creds/crm-alice' });
    // Community edition (the default): no lease-count quota (Vault answers 404 on sys/quotas/lease-count).
    expect(stackJson(dist, 'platform-prod').resource.vault_quota_lease_count).toBeUndefined();
    expect(rate(stackJson(dist, 'platform-prod'), 'erp')).toBeUndefined();
    // No env stack holds a quota, and no applier may write one: platform-admin writes each, by name.
    for (const stack of ['erp-sandbox', 'crm-alice', 'erp']) expect(stackJson(dist, stack).resource.vault_quota_rate_limit).toBeUndefined();
    const policy = (stack: string, id: string) => String(stackJson(dist, stack).resource.vault_policy[id].policy);
    for (const stack of ['platform-dev', 'platform-preprod', 'platform-prod']) expect(policy(stack, 'applier_policy')).not.toContain('sys/quotas');
    const admin = policy('platform', 'platform_admin_policy');
    expect(admin).toContain('path "sys/quotas/rate-limit/erp-sandbox-creds-rate" {\n  capabilities = ["create", "read", "update", "delete"]\n}');
    expect(admin).not.toMatch(/sys\/quotas\/[^"]*\*|sys\/quotas\/rate-limit\/(crm|erp|shop)-creds/);
    const report = await check(dist);
    expect(findings(report, 'TK046')).toEqual([]);
    expect(findings(report, 'TK014')).toEqual([]);
    expect(findings(report, 'TK007')).toEqual([]);
  });

  it('on Vault Enterprise both quotas are written; a lease count of 0 (hand edit) is caught, unsuppressible on prod\'s server', async () => {
    const base = synthDist((e) => {
      enterprise(e);
      env(e, 'erp', 'sandbox').addSuppression('TK046', 'the sandbox load test needs unbounded credentials');
    });
    expect(JSON.parse(readFileSync(join(base, 'manifest.json'), 'utf8')).estate.vault.edition).toBe('enterprise');
    expect(stackJson(base, 'platform-dev').resource.vault_quota_lease_count.vault_lease_quota_crm_alice).toMatchObject({
      name: 'crm-alice-creds-leases', path: 'postgres/creds/crm-alice', max_leases: 50,
    });
    expect(String(stackJson(base, 'platform').resource.vault_policy.platform_admin_policy.policy)).toContain('path "sys/quotas/lease-count/crm-alice-creds-leases"');
    expect(findings(await check(base), 'TK046')).toEqual([]);
    const dir = editDist(base, freshDir('tk046-leases'), {
      'platform-prod': (j) => { j.resource.vault_quota_lease_count.vault_lease_quota_erp_sandbox.max_leases = 0; },
    });
    expect(messages(await check(dir))).toEqual([
      ['erp-sandbox (tier dev): vault_quota_lease_count "erp-sandbox-creds-leases" (stack platform-prod) does not cap its credentials: its max_leases is 0 (0 or none means no quota)', true],
    ]);
  });

  it('catches an escape hatch adding a quota on prod\'s creds path to a sandbox stack (unsuppressible), and its own quota does not count', async () => {
    const dir = synthDist((e) => env(e, 'erp', 'sandbox')
      .addEscapeHatch((r) => {
        new VaultQuotaRateLimit(r.stack, 'throttle_prod', { name: 'throttle', path: 'postgres/creds/erp', rate: 1 });
        new VaultQuotaRateLimit(r.stack, 'wide', { name: 'wide', path: 'postgres/', rate: 1000 });
      })
      .addSuppression('TK046', 'one quota for the whole mount is simpler'));
    const found = messages(await check(dir));
    expect(found).toContainEqual(['stack erp-sandbox: rate-limit quota "throttle" on "postgres/creds/erp" counts the credential requests of erp', true]);
    expect(found).toContainEqual([expect.stringMatching(/^stack erp-sandbox: rate-limit quota "wide" on "postgres" counts the credential requests of crm, crm-alice, crm-br-lead-scoring, … \(\d+\)$/), true]);
  });

  it.each([
    ['rate 0', (q: any) => { q.rate = 0; }, 'its rate is 0 (0 or none means no quota)'],
    ['a login role', (q: any) => { q.role = 'erp-sandbox'; }, 'it sets role "erp-sandbox"'],
    ['a namespace', (q: any) => { q.namespace = 'sandboxes'; }, 'it sets namespace "sandboxes"'],
    ['per-client buckets', (q: any) => { q.group_by = 'ip'; }, 'it sets group_by "ip": one bucket per client, not per env'],
  ])('catches a hand-edited platform quota of the sandbox on prod\'s server: %s', async (label, edit, why) => {
    const dir = editDist(cleanDist(), freshDir(`tk046-${label.replace(/\W/g, '')}`), {
      'platform-prod': (j) => edit(rate(j, 'erp-sandbox')),
    });
    expect(messages(await check(dir))).toContainEqual([`erp-sandbox (tier dev): vault_quota_rate_limit "erp-sandbox-creds-rate" (stack platform-prod) does not cap its credentials: ${why}`, true]);
  });

  it('catches hand edits: the quota moved to the env\'s own stack, a platform quota on prod\'s path, an unreadable path', async () => {
    const dir = editDist(cleanDist(), freshDir('tk046-edit'), {
      'platform-prod': (j) => {
        const q = rate(j, 'erp-sandbox');
        delete j.resource.vault_quota_rate_limit.vault_rate_quota_erp_sandbox;
        // A quota on prod's path that tierkit did not write for prod (its name is no env's) throttles prod:
        // a finding, like one over every creds path (attack5: a dev-named quota re-pointed at prod's path passed).
        j.resource.vault_quota_rate_limit.cap_prod = { name: 'cap-prod', path: '/postgres/creds/erp/', rate: 100 };
        j.resource.vault_quota_rate_limit.cap_all = { name: 'cap-all', path: 'postgres/creds', rate: 1 };
        q.moved = true;
      },
      'erp-sandbox': (j) => { j.resource.vault_quota_rate_limit = { own: { name: 'erp-sandbox-creds-rate', path: 'postgres/creds/erp-sandbox', rate: 30 } }; },
      'platform-dev': (j) => { rate(j, 'shop-dev').path = '${var.quota_path}'; },
    });
    const report = await check(dir);
    expect(messages(report)).toEqual(expect.arrayContaining([
      ['erp-sandbox (tier dev): vault_quota_rate_limit "erp-sandbox-creds-rate" (stack erp-sandbox) does not cap its credentials: it is in the env\'s own stack erp-sandbox, whose applier would write it (the platform\'s tier stack holds quotas)', true],
      [expect.stringMatching(/^stack platform-prod: rate-limit quota "cap-all" on "postgres\/creds" counts the credential requests of crm, crm-alice, crm-br-lead-scoring, … \(\d+\)$/), true],
      ['stack platform-dev: rate-limit quota "shop-dev-creds-rate" has a path that cannot be read: "${var.quota_path}"', true],
    ]));
    expect(messages(report).map(([m]) => m)).toContainEqual('stack platform-prod: rate-limit quota "cap-prod" on "postgres/creds/erp" counts the credential requests of erp');
    // A path tierkit cannot resolve is a finding (TK071, unsuppressible): it may be prod's.
    expect(findings(report, 'TK071').map((f) => f.message)).toEqual([
      'vault_quota_rate_limit.vault_rate_quota_shop_dev in stack platform-dev names Vault paths, roles or policies by Terraform expressions tierkit cannot resolve: /path = "${var.quota_path}"',
    ]);
  });

  it('who may write quotas: a dev applier granted the sandbox\'s quota by name, or platform-admin granted sys/quotas/*, is an escalation (TK014)', async () => {
    const addRule = (j: any, id: string, rule: string) => { j.resource.vault_policy[id].policy += `\n${rule}\n`; };
    const dir = editDist(cleanDist(), freshDir('tk046-who'), {
      // A Vault ACL grants a quota by name: with this, dev's applier could put crm-alice's quota on prod's creds path.
      'platform-dev': (j) => addRule(j, 'applier_policy', 'path "sys/quotas/rate-limit/crm-alice-creds-rate" {\n  capabilities = ["create", "update"]\n}'),
      platform: (j) => addRule(j, 'platform_admin_policy', 'path "sys/quotas/rate-limit/*" {\n  capabilities = ["create", "update"]\n}'),
    });
    const tk014 = findings(await check(dir), 'TK014').map((f) => f.message).sort();
    expect(tk014).toEqual([
      expect.stringMatching(/^Vault policy "tierkit-apply-dev" .* grants \[create, update\] on "sys\/quotas\/rate-limit\/crm-alice-creds-rate", an escalation path/),
      expect.stringMatching(/^Vault policy "tierkit-platform-admin" .* grants \[create, update\] on "sys\/quotas\/rate-limit\/\*", an escalation path/),
    ]);
  });

  it('a manifest without vault.edition (hand-edited, or older) requires the lease count too: fail closed', async () => {
    const dir = freshDir('tk046-edition');
    editDist(cleanDist(), dir, {});
    const path = join(dir, 'manifest.json');
    const manifest = JSON.parse(readFileSync(path, 'utf8'));
    delete manifest.estate.vault.edition;
    writeFileSync(path, `${JSON.stringify(manifest, null, 2)}\n`);
    rehashManifest(dir);
    expect(messages(await check(dir))).toContainEqual(
      ['erp-sandbox (tier dev): no vault_quota_lease_count of the platform on its creds path "postgres/creds/erp-sandbox"', true]);
  });

  it('tier quotas: validated (path, property, value, fix), a loosening needs a reason, and they render', () => {
    const bad = new Estate({
      name: 'q', domain: 'q.lab', vault: { address: 'https://vault.q.lab', edition: 'enterprise' },
      argocd: { repoUrl: 'https://git.q.lab/estate.git' }, ci: { repository: 'q/estate', repositoryId: '100010' },
      tiers: [
        { tier: Tier.DEV, vaultQuotas: { maxLeases: 0, rateLimitRequests: 30, rateLimitIntervalSeconds: 7200 } },
        { tier: Tier.STAGING, vaultQuotas: { maxLeases: 500, rateLimitRequests: 300 } },
      ],
    });
    const issues = validateEstate(bad).map((x) => `${x.path}: ${x.property} = ${JSON.stringify(x.value)}: ${x.message} (${x.fix})`);
    expect(issues).toEqual(expect.arrayContaining([
      'q: tiers[0].vaultQuotas.maxLeases = 0: is not a positive integer (0 would mean no quota) (give the most credentials the env may hold at once, e.g. 50)',
      'q: tiers[0].vaultQuotas.rateLimitIntervalSeconds = 7200: is not a whole number of seconds between 1 and 3600 (give e.g. 60 (or leave it out for the default))',
    ]));
    expect(issues.filter((i) => i.startsWith('q: tiers[1]'))).toEqual([
      'q: tiers[1].vaultQuotas.maxLeases = "500": loosens the staging default (50) without a reason (keep the default, or add reason: "<why, at least 10 characters>" to the tier settings)',
      'q: tiers[1].vaultQuotas.rateLimitRequests = "300/60s": loosens the staging default (30/60s) without a reason (keep the default, or add reason: "<why, at least 10 characters>" to the tier settings)',
    ]);
    const typo = new Estate({
      name: 'q', domain: 'q.lab', vault: { address: 'https://vault.q.lab', edition: 'enterprize' as never },
      argocd: { repoUrl: 'https://git.q.lab/estate.git' }, ci: { repository: 'q/estate', repositoryId: '100010' },
    });
    expect(validateEstate(typo).map((x) => `${x.property} = ${JSON.stringify(x.value)}`)).toContain('vault.edition = "enterprize"');
  });

  // attack5 hole 2: the manifest did not record the tiers' quotas, so a hand-edited rate passed as long as it stayed positive.
  describe('the rendered quota against the declared one (manifest tiers[].vaultQuotas)', () => {
    const dev = (m: any) => m.tiers.find((t: any) => t.name === 'dev');

    it('the manifest records each quota\'d tier\'s quotas, prod none', () => {
      const m = JSON.parse(readFileSync(join(cleanDist(), 'manifest.json'), 'utf8'));
      expect(dev(m).vaultQuotas).toEqual({ maxLeases: 50, rateLimitRequests: 30, rateLimitIntervalSeconds: 60 });
      expect(m.tiers.find((t: any) => t.name === 'prod').vaultQuotas).toBeUndefined();
    });

    it.each([
      ['the rate raised', (q: any) => { q.rate = 1000000; }, 'its rate 1000000 per 60s is looser than the tier\'s declared 30 per 60s'],
      ['the window shortened', (q: any) => { q.interval = 1; }, 'its rate 30 per 1s is looser than the tier\'s declared 30 per 60s'],
      ['the window removed (Vault: 1 s)', (q: any) => { delete q.interval; }, 'its rate 30 per 1s is looser than the tier\'s declared 30 per 60s'],
    ])('catches a hand edit of the sandbox-on-prod-server quota: %s (unsuppressible)', async (label, edit, why) => {
      const base = synthDist((e) => env(e, 'erp', 'sandbox').addSuppression('TK046', 'the sandbox load test needs more credentials'));
      const dir = editDist(base, freshDir(`tk046-loose-${label.replace(/\W/g, '')}`), { 'platform-prod': (j) => edit(rate(j, 'erp-sandbox')) });
      expect(messages(await check(dir))).toEqual([
        [`erp-sandbox (tier dev): vault_quota_rate_limit "erp-sandbox-creds-rate" (stack platform-prod) does not cap its credentials: ${why}`, true],
      ]);
    });

    it('a stricter hand edit is no finding', async () => {
      const dir = editDist(cleanDist(), freshDir('tk046-stricter'), { 'platform-prod': (j) => { rate(j, 'erp-sandbox').rate = 5; } });
      expect(findings(await check(dir), 'TK046')).toEqual([]);
    });

    it('catches the manifest edited with the quota: a declaration looser than the built-in one needs a reasoned exception for that value', async () => {
      const dir = editDist(cleanDist(), freshDir('tk046-manifest'), { 'platform-prod': (j) => { rate(j, 'erp-sandbox').rate = 1000000; } });
      manifestEdit(dir, (m) => { dev(m).vaultQuotas.rateLimitRequests = 1000000; });
      const found = messages(await check(dir));
      expect(found).toContainEqual(['erp-sandbox (tier dev): the manifest\'s tier dev declares vaultQuotas.rateLimitRequests 1000000/60s, looser than the built-in 30/60s, without a reasoned tier exception for that value: its quotas cannot be judged', true]);
      // And the quota is then judged against nothing looser than the built-in: still the rate finding.
      expect(found.some(([m]) => String(m).includes('does not cap its credentials'))).toBe(true);
      // An exception naming another value does not cover it.
      manifestEdit(dir, (m) => { dev(m).exceptions.push({ property: 'vaultQuotas.rateLimitRequests', defaultValue: '30/60s', value: '60/60s', reason: 'load tests need twice the rate' }); });
      expect(messages(await check(dir)).some(([m]) => String(m).includes('without a reasoned tier exception'))).toBe(true);
    });

    it.each([
      ['removed', (t: any) => { delete t.vaultQuotas; }, 'the manifest\'s tier dev declares no vaultQuotas'],
      ['a string rate', (t: any) => { t.vaultQuotas.rateLimitRequests = '30'; }, 'the manifest\'s tier dev: vaultQuotas.rateLimitRequests is "30", not a positive integer'],
      ['an unknown field', (t: any) => { t.vaultQuotas.burst = 10; }, 'the manifest\'s tier dev: vaultQuotas has unknown field(s) burst'],
    ])('fails closed on a manifest whose quotas are %s', async (label, edit, problem) => {
      const dir = freshDir(`tk046-unreadable-${label.replace(/\W/g, '')}`);
      editDist(cleanDist(), dir, {});
      manifestEdit(dir, (m) => edit(dev(m)));
      expect(messages(await check(dir))).toContainEqual([`erp-sandbox (tier dev): ${problem}: its quotas cannot be judged`, true]);
    });

    it('estate props: a loosening needs a reason, passes check with it, and diff puts it before prod\'s gate', async () => {
      const loosen = (e: Estate) => Object.assign(e, { tierSettings: e.tierSettings.map((t) => (t.tier === Tier.DEV
        ? { ...t, vaultQuotas: { maxLeases: 50, rateLimitRequests: 300, rateLimitIntervalSeconds: 60 }, reason: 'the nightly import requests a credential per batch' } : t)) });
      const head = synthDist(loosen, 'quota-loosened');
      const report = await check(head);
      expect(findings(report, 'TK046')).toEqual([]);
      expect(rate(stackJson(head, 'platform-prod'), 'erp-sandbox')).toMatchObject({ rate: 300, interval: 60 });
      const set = computeChangeSet(readDist(cleanDist()), readDist(head));
      const item = set.attention.find((i) => i.subject === 'tier dev: vaultQuotas');
      expect(item).toMatchObject({ tier: 'prod', category: 'exception' });
      expect(item!.message).toContain('tier dev Vault quotas loosened: 30/60s, max 50 leases → 300/60s, max 50 leases');
      expect(item!.message).toContain('server prod-pg');
      expect(item!.message).toContain("prod's gate reviews it");
      expect(item!.message).toContain('the nightly import requests a credential per batch');
    });
  });
});
