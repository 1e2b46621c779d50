import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Sandbox, SandboxKind, SeedProfile, Tier } from '../../constructs';
import { PostgresqlGrant, PostgresqlRole } from '../../constructs/cdktf';
import { computeChangeSet } from '../../diff/changeset';
import { identicalFiles } from '../../diff/identical';
import { readDist } from '../../policies/dist/read';
import { renderJson } from '../../diff/json';
import { renderMarkdown } from '../../diff/markdown';
import type { ChangeSet } from '../../diff/model';
import { app, editKubernetes, estateWithTiers, estateWithoutShop, pairDirs, read, writeEstate } from './fixtures';

/** The diff on fixture pairs built from the example estate; the base is the unmodified estate. */

let baseDir: string;
beforeAll(() => {
  baseDir = writeEstate(pairDirs('base').base);
});

function diffWith(name: string, mutate: Parameters<typeof writeEstate>[1], make?: Parameters<typeof writeEstate>[2]) {
  const head = writeEstate(pairDirs(name).head, mutate, make);
  const b = read(baseDir);
  const h = read(head);
  const set = computeChangeSet(b, h);
  // What `tierkit diff` does: byte-identical files are never parsed. It must not change the result.
  const skip = identicalFiles(baseDir, head);
  expect(computeChangeSet(readDist(baseDir, { skip }), readDist(head, { skip }))).toEqual(set);
  return { set, head, markdown: renderMarkdown(set, b.manifest, h.manifest), b, h };
}

const categories = (set: ChangeSet) => [...new Set(set.attention.map((a) => a.category))].sort();
const stacks = (set: ChangeSet) => set.affectedStacks.map((s) => `${s.action} ${s.name}`);

describe('tierkit diff on the example estate', () => {
  it('identical inputs: no changes', () => {
    const { set, markdown } = diffWith('same', () => {});
    expect(set.identical).toBe(true);
    expect(set.resources).toEqual([]);
    expect(set.affectedStacks).toEqual([]);
    expect(set.attention).toEqual([]);
    expect(markdown).toContain('No changes');
  });

  it('adding a sandbox: the sandbox (owner, TTL, seed) and the applier policy it widens need attention', () => {
    const { set, markdown, h } = diffWith('add-sandbox', (e) => {
      new Sandbox(app(e, 'crm'), 'carol', {
        tier: Tier.DEV, kind: SandboxKind.ENGINEER, owner: 'team-growth', createdAt: '2026-11-22', ttlHours: 48, seed: SeedProfile.SYNTHETIC_V1,
      });
    });
    // Its quota (platform-dev), written by platform-admin (platform), whose paths prod's planner reads (platform-prod).
    expect(stacks(set)).toEqual(['add crm-carol', 'change platform', 'change platform-dev', 'change platform-prod']);
    expect(categories(set)).toEqual(['prod', 'sandbox-added', 'vault-policy']);
    const sandbox = set.attention.find((a) => a.category === 'sandbox-added')!;
    expect(sandbox.subject).toBe('sandbox crm-carol');
    expect(sandbox.message).toContain('owner team-growth');
    expect(sandbox.message).toContain('TTL 48 h');
    expect(sandbox.message).toContain('seed synthetic:v1');
    const policy = set.attention.find((a) => a.category === 'vault-policy' && a.stack === 'platform-dev')!;
    expect(policy.details).toContain('+ path "kvv2/data/crm-carol/config" [create, read, update, delete]');
    expect(policy.details.every((d) => d.startsWith('+'))).toBe(true);
    // The new env's own role, grant and policy are the template: no membership or privilege items.
    // Its reset's own policy (issue 22) is listed: it reads the seed's published hashes, nothing else.
    expect(set.attention.filter((a) => a.stack === 'crm-carol' && a.category !== 'sandbox-added').map((a) => [a.category, a.details])).toEqual([
      ['vault-policy', ['+ path "kvv2/data/tierkit-seeds/crm.synthetic-v1" [read]']],
    ]);
    const dev = set.summary.find((s) => s.tier === 'dev')!;
    expect(dev.stacks).toEqual({ add: 1, change: 1, destroy: 0 });
    // The sandbox's stack, and its rate-limit quota in platform-dev.
    expect(dev.resources.add).toBe(h.stacks.find((x) => x.name === 'crm-carol')!.resources.length + 1);
    expect(dev.kubernetes.add).toBeGreaterThan(0);
    // prod: the platform and platform-prod stacks (platform-admin's policy and prod's planner gain the quota's path).
    expect(set.summary.map((s) => s.tier)).toEqual(['dev', 'prod']);
    // The sandbox is one line, its stack one line of the list of every change.
    expect(markdown).toContain('**sandbox create** · `sandbox crm-carol`: owner team-growth');
    expect(markdown).toContain(`- + stack \`crm-carol\` and its ${h.stacks.find((x) => x.name === 'crm-carol')!.resources.length} Terraform resources (tier dev)`);
  });

  it('a new sandbox\'s egress to its own server, Vault and (reset pods) the API server is the template; widened, each is an item', () => {
    const head = writeEstate(pairDirs('egress').head, (e) => {
      new Sandbox(app(e, 'crm'), 'carol', { tier: Tier.DEV, kind: SandboxKind.ENGINEER, owner: 'team-growth', createdAt: '2026-11-22' });
    });
    const template = computeChangeSet(read(baseDir), read(head));
    expect(template.attention.filter((a) => a.category === 'network-policy')).toEqual([]);
    editKubernetes(head, 'k8s/dev/crm-carol.k8s.yaml', (doc) => {
      if (doc.metadata?.name === 'allow-egress-kubernetes-api') delete doc.spec.podSelector.matchLabels['tierkit.io/job'];
      if (doc.metadata?.name === 'allow-egress-vault') delete doc.spec.egress[0].ports;
    });
    const widened = computeChangeSet(read(baseDir), read(head));
    expect(widened.attention.filter((a) => a.category === 'network-policy').map((a) => [a.subject, a.details])).toEqual([
      ['NetworkPolicy crm-carol/allow-egress-kubernetes-api', ['spec.egress[0].to[0].ipBlock.cidr: "10.0.1.0/28" (the Kubernetes API (reset and TTL-sweep Job pods)) from other pods']],
      ['NetworkPolicy crm-carol/allow-egress-vault', ['spec.egress[0].to[0].ipBlock.cidr: "10.0.8.0/28" (Vault) on ports all, not TCP 8200 only']],
    ]);
    // Judged as TK011 judges it (one shared contract): a narrower CIDR inside the tier's allow list
    // (dev: 10.10.0.0/16), on any port, is no item — the text is not compared, the ranges are.
    editKubernetes(head, 'k8s/dev/crm-carol.k8s.yaml', (doc) => {
      if (doc.metadata?.name === 'allow-egress-listed') doc.spec.egress[0].to = [{ ipBlock: { cidr: '10.10.7.0/24' } }];
      if (doc.metadata?.name === 'allow-egress-postgres') doc.spec.egress[0].ports[0].endPort = 65535;
    });
    const inner = computeChangeSet(read(baseDir), read(head));
    expect(inner.attention.filter((a) => a.category === 'network-policy').map((a) => a.subject)).toEqual([
      'NetworkPolicy crm-carol/allow-egress-kubernetes-api', 'NetworkPolicy crm-carol/allow-egress-vault',
    ]);
  });

  it('changing an owner through an escape hatch: an ownership item with before and after', () => {
    const { set } = diffWith('owner', (e) => {
      app(e, 'erp').environment('dev')!.addEscapeHatch((r) => r.database.addOverride('owner', 'erp_role'));
    });
    expect(stacks(set)).toEqual(['change erp-dev']);
    expect(categories(set)).toEqual(['ownership']);
    const item = set.attention[0];
    expect(item.subject).toBe('erp-dev: postgresql_database.database');
    expect(item.details).toEqual(['owner: "erp_dev_role" → "erp_role"']);
    expect(set.resources).toHaveLength(1);
    expect(set.resources[0]).toMatchObject({ action: 'change', changes: [{ path: 'owner', before: 'erp_dev_role', after: 'erp_role' }] });
  });

  it('widening a Vault policy: the added path block is shown', () => {
    const policy = (JSON.parse(readFileSync(join(baseDir, 'terraform/crm-dev/cdk.tf.json'), 'utf8')).resource.vault_policy.vault_policy.policy as string);
    const wider = `${policy}\npath "kvv2/data/crm/config" {\n  capabilities = ["read"]\n}\n`;
    const { set, markdown } = diffWith('policy', (e) => {
      app(e, 'crm').environment('dev')!.addEscapeHatch((r) => r.vaultPolicy.addOverride('policy', wider));
    });
    expect(stacks(set)).toEqual(['change crm-dev']);
    expect(categories(set)).toEqual(['vault-policy']);
    expect(set.attention[0].details).toEqual(['+ path "kvv2/data/crm/config" [read]']);
    expect(set.attention[0].message).toContain('1 path block(s) added, 0 removed');
    expect(markdown).toContain('+ path "kvv2/data/crm/config" [read]');
  });

  it('moving CONNECT on prod\'s database to a dev role, widening privileges: a grant item each, before → after', () => {
    const { set, markdown } = diffWith('grant-change', (e) => {
      app(e, 'erp').environment('prod')!.addEscapeHatch((r) => r.databaseConnect.addOverride('role', 'erp_dev_role'));
      app(e, 'crm').environment('dev')!.addEscapeHatch((r) => r.databaseConnect.addOverride('privileges', ['ALL']));
    });
    const grants = set.attention.filter((a) => a.category === 'grant');
    expect(grants.map((a) => a.subject)).toEqual(['crm-dev: postgresql_grant.database_connect', 'erp: postgresql_grant.database_connect']);
    expect(grants[0]).toMatchObject({
      tier: 'dev',
      // cdktf merges an overridden list into the synthesized one.
      message: 'grant changed: CONNECT on database "crm-dev" to "crm_dev_role" → CONNECT, ALL on database "crm-dev" to "crm_dev_role"',
      details: ['privileges: ["CONNECT"] → ["CONNECT","ALL"]'],
    });
    expect(grants[1]).toMatchObject({
      tier: 'prod',
      message: 'grant changed: CONNECT on database "erp" to "erp_role" → CONNECT on database "erp" to "erp_dev_role"',
      details: ['role: "erp_role" → "erp_dev_role"'],
    });
    // crm-dev applies automatically on merge: the grant item is the only thing a reviewer would see.
    expect(set.attention.filter((a) => a.stack === 'crm-dev').map((a) => a.category)).toEqual(['grant']);
    expect(markdown.match(/\*\*grant\*\* · /g)).toHaveLength(2);
  });

  it('a grant added by an escape hatch that reaches another env\'s database or PUBLIC is an item; the template\'s are not', () => {
    const { set } = diffWith('grant-add', (e) => {
      app(e, 'crm').environment('dev')!.addEscapeHatch((r) => {
        new PostgresqlGrant(r.stack, 'prod_connect', { database: 'crm', role: r.groupRole.name, objectType: 'database', privileges: ['CONNECT'] });
        new PostgresqlGrant(r.stack, 'public_connect', { database: r.database.name, role: 'public', objectType: 'database', privileges: ['CONNECT', 'TEMPORARY'] });
        new PostgresqlGrant(r.stack, 'own_tables', { database: r.database.name, schema: 'public', role: r.groupRole.name, objectType: 'table', privileges: ['SELECT'] });
      });
    });
    expect(set.attention.map((a) => `${a.category} ${a.subject}`)).toEqual([
      'grant crm-dev: postgresql_grant.prod_connect',
      'grant crm-dev: postgresql_grant.public_connect',
    ]);
    expect(set.attention[0].message).toBe('new grant: CONNECT on database "crm" to "crm_dev_role"');
    expect(set.attention[0].details).toEqual(['outside its app-environment: "crm"']);
    expect(set.attention[1].message).toBe('new grant: CONNECT, TEMPORARY on database "crm-dev" to "public"');
  });

  it('membership by another name (a retargeted ADMIN OPTION, assume_role) and a new CREATEROLE role: each an item', () => {
    const { set } = diffWith('membership', (e) => {
      app(e, 'erp').environment('dev')!.addEscapeHatch((r) => {
        r.vaultConnectionAdmin.addOverride('grant_role', 'erp_role');
        r.groupRole.addOverride('assume_role', 'erp_role');
        new PostgresqlRole(r.stack, 'helper', { name: 'erp_dev_helper', login: true, createRole: true });
      });
    });
    expect(set.attention.map((a) => `${a.category} ${a.subject}: ${a.message}`)).toEqual([
      'membership erp-dev: postgresql_grant_role.vault_connection_admin: changed role grant: "erp_dev_vault" ∈ "erp_role" with admin option',
      'membership erp-dev: postgresql_role.group_role: role membership changed (assume_role: its sessions SET ROLE at login)',
      'role-attributes erp-dev: postgresql_role.helper: role attributes granted: create_role',
    ]);
    expect(set.attention[0].details).toEqual(['grant_role: "erp_dev_role" → "erp_role"']);
    expect(set.attention[1].details).toEqual(['assume_role: (none) → "erp_role"']);
  });

  it('count = 0 on the PUBLIC revoke, ignore_changes on a grant: meta-argument items (the diff shows them as changes)', () => {
    const { set } = diffWith('meta', (e) => {
      app(e, 'erp').environment('dev')!.addEscapeHatch((r) => {
        r.databasePublicRevoke.addOverride('count', 0);
        r.databaseConnect.addOverride('lifecycle', { ignore_changes: ['privileges'] });
      });
    });
    expect(set.resources.map((r) => `${r.action} ${r.key}`)).toEqual(['change erp-dev/postgresql_grant.database_connect', 'change erp-dev/postgresql_grant.database_public_revoke']);
    expect(set.attention.map((a) => `${a.category} ${a.subject}`)).toEqual([
      'meta-argument erp-dev: postgresql_grant.database_connect',
      'meta-argument erp-dev: postgresql_grant.database_public_revoke',
    ]);
    expect(set.attention[1].message).toBe('changed meta-argument count: how many instances exist (0 destroys the resource, though this diff shows it as changed)');
    expect(set.attention[1].details).toEqual(['count: (none) → 0']);
    expect(set.attention[0].details).toEqual(['lifecycle.ignore_changes: (none) → ["privileges"]']);
  });

  it('the managed membership\'s own ignore_changes is the template; widening it is a meta-argument item', () => {
    const { set } = diffWith('meta-membership', (e) => {
      app(e, 'erp').environment('dev')!.addEscapeHatch((r) => r.providerMembership!.addOverride('lifecycle.ignore_changes', ['with_admin_option', 'grant_role']));
    });
    expect(set.attention.map((a) => `${a.category} ${a.subject}`)).toEqual([
      'meta-argument erp-dev: postgresql_grant_role.provider_owner_membership',
      'membership erp-dev: postgresql_grant_role.provider_owner_membership',
    ]);
  });

  it('pointing an auto-applied dev stack at the prod server, a dev Vault role at prod\'s connection: connection items', () => {
    const { set } = diffWith('connection', (e) => {
      app(e, 'erp').environment('dev')!.addEscapeHatch((r) => {
        r.stack.addOverride('provider.postgresql.0.host', 'pg-prod.arcodange.lab');
        r.vaultRole.addOverride('db_name', 'erp');
      });
    });
    expect(set.affectedStacks.map((s) => `${s.name} ${s.applyGate}`)).toEqual(['erp-dev automatic-on-merge']);
    expect(set.attention.map((a) => `${a.category} ${a.subject}: ${a.message}`)).toEqual([
      'connection erp-dev: provider: provider settings changed: where and as whom this stack applies',
      'connection erp-dev: vault_database_secret_backend_role.vault_role: changed: Vault role erp-dev mints on connection "erp"',
    ]);
    expect(set.attention[0].details).toEqual(['postgresql[0].host: "pg-nonprod.arcodange.lab" → "pg-prod.arcodange.lab"']);
    expect(set.attention[1].details).toEqual(['db_name: "erp-dev" → "erp"']);
  });

  it('accepting a policy finding with addSuppression: an item with rule id, reason and tier, live data marked', () => {
    const { set, markdown } = diffWith('suppress', (e) => {
      app(e, 'erp').environment('prod')!.addSuppression('TK007', 'Finance auditors read the crm KV until AUD-17 closes');
      app(e, 'crm').environment('dev')!.addSuppression('TK006', 'Load tests need a day-long lease until OPS-42 lands');
    });
    // Only the manifest changes: no stack is affected, so nothing else would tell the reviewer.
    expect(set.affectedStacks).toEqual([]);
    expect(set.attention.map((a) => `${a.category} ${a.subject}`)).toEqual(['suppression crm-dev: suppression TK006', 'suppression erp: suppression TK007']);
    expect(set.attention[1]).toMatchObject({
      stack: 'erp', tier: 'prod',
      message: 'new suppression: TK007 findings accepted on erp (tier prod, live data), reason: "Finance auditors read the crm KV until AUD-17 closes"',
      details: ['+ TK007: Finance auditors read the crm KV until AUD-17 closes'],
    });
    expect(set.attention[0].message).toContain('on crm-dev (tier dev)');
    expect(markdown.match(/\*\*suppression\*\* · /g)).toHaveLength(2);
  });

  it('changing a suppression\'s reason: before → after', () => {
    const dirs = pairDirs('suppress-change');
    const suppress = (reason: string) => (e: Parameters<NonNullable<Parameters<typeof writeEstate>[1]>>[0]) => {
      app(e, 'shop').environment('staging')!.addSuppression('TK011', reason);
    };
    const set = computeChangeSet(read(writeEstate(dirs.base, suppress('Payment sandbox egress until PAY-9'))), read(writeEstate(dirs.head, suppress('Payment sandbox egress, indefinitely'))));
    expect(set.attention).toEqual([{
      category: 'suppression', subject: 'shop-staging: suppression TK011', stack: 'shop-staging', tier: 'staging',
      message: 'suppression of TK011 on shop-staging (tier staging), reason changed: "Payment sandbox egress until PAY-9" → "Payment sandbox egress, indefinitely"',
      details: ['- TK011: Payment sandbox egress until PAY-9', '+ TK011: Payment sandbox egress, indefinitely'],
    }]);
  });

  it('a new sandbox seeded golden with an over-max TTL: an exception item each, with the reason', () => {
    const reason = 'Reproduce INC-2211 on prod-shaped pipelines for ten days';
    const { set } = diffWith('golden-sandbox', (e) => {
      new Sandbox(app(e, 'crm'), 'dora', {
        tier: Tier.DEV, kind: SandboxKind.ENGINEER, owner: 'arcodange', createdAt: '2026-11-22', ttlHours: 240, seed: SeedProfile.GOLDEN, reason,
      });
    });
    const exceptions = set.attention.filter((a) => a.category === 'exception');
    expect(exceptions.map((a) => a.subject)).toEqual(['crm-dora: exception seed', 'crm-dora: exception ttlHours']);
    expect(exceptions.map((a) => a.message)).toEqual([
      `new exception on crm-dora (tier dev): seed golden, reason: "${reason}"`,
      `new exception on crm-dora (tier dev): ttlHours 240, reason: "${reason}"`,
    ]);
    expect(exceptions.every((a) => a.stack === 'crm-dora' && a.tier === 'dev')).toBe(true);
  });

  it('re-declaring erp-sandbox with a longer TTL: the changed exception, before → after', () => {
    const { set } = diffWith('ttl-exception', (e) => {
      const erp = app(e, 'erp');
      const was = erp.environment('sandbox') as Sandbox;
      erp.node.tryRemoveChild('sandbox');
      new Sandbox(erp, 'sandbox', {
        tier: was.tier, kind: was.kind, owner: was.owner, createdAt: was.createdAt, ttlHours: 1440, seed: was.seed, server: was.server,
        reason: was.reason, flags: was.flagOverrides,
      });
    });
    const exceptions = set.attention.filter((a) => a.category === 'exception');
    expect(exceptions.map((a) => a.subject)).toEqual(['erp-sandbox: exception ttlHours']);
    expect(exceptions[0].message).toMatch(/^exception changed on erp-sandbox \(tier dev\): ttlHours 720 → 1440, reason: "ADR-0003: /);
  });

  it('loosening a tier with a reason, changing an existing loosening: an exception item each', () => {
    const { set } = diffWith('tier-loosen', () => {}, estateWithTiers((tiers) => tiers.map((t) => {
      if (t.tier === Tier.DEV) return { ...t, secretTtl: { defaultSeconds: 1800, maxSeconds: 12 * 3600 }, reason: 'Nightly ETL holds one lease through the batch window' };
      if (t.tier === Tier.DEMO) return { ...t, secretTtl: { defaultSeconds: 3600, maxSeconds: 10 * 3600 } };
      return t;
    })));
    // dev's one reason also covers its egress allow list (a loosening since issue 11): its new reason shows there too.
    const all = set.attention.filter((a) => a.category === 'exception');
    expect(all.map((a) => a.subject)).toEqual(['tier demo: secretTtl.maxSeconds', 'tier dev: egressAllowList', 'tier dev: secretTtl.maxSeconds']);
    expect(all[1].message).toContain('Nightly ETL holds one lease through the batch window');
    const exceptions = all.filter((a) => a.subject !== 'tier dev: egressAllowList');
    expect(exceptions[0].message).toBe('tier demo loosening changed: secretTtl.maxSeconds 28800 → 36000 (built-in default 14400), '
      + 'reason: "Prospect demos run a whole working day on one login; the data is synthetic and reset hourly."');
    expect(exceptions[1].message).toBe('tier dev loosened: secretTtl.maxSeconds 28800 (built-in default) → 43200, reason: "Nightly ETL holds one lease through the batch window"');
    expect(exceptions.map((a) => a.tier)).toEqual(['demo', 'dev']);
  });

  it('removing an app: every stack and object of it is destroyed, prod included', () => {
    const { set, b, h } = diffWith('remove-app', () => {}, estateWithoutShop);
    const destroyed = set.affectedStacks.filter((s) => s.action === 'destroy').map((s) => s.name);
    expect(destroyed.filter((n) => n.startsWith('shop'))).toEqual(['shop', 'shop-alice', 'shop-bob-checkout', 'shop-demo', 'shop-dev', 'shop-staging', 'shop-team-growth']);
    // Exactly the stacks the head no longer has (a tier left without apps loses its platform stack too).
    expect(destroyed).toEqual(b.manifest.stacks.map((s) => s.name).filter((n) => !h.manifest.stacks.some((x) => x.name === n)));
    expect(set.affectedStacks.find((s) => s.name === 'shop')).toMatchObject({ gatingTier: 'prod', humanGate: true, artifact: 'terraform/shop/cdk.tf.json' });
    const destroys = set.attention.filter((a) => a.category === 'destroy').map((a) => a.subject);
    expect(destroys).toContain('stack shop');
    expect(destroys).toContain('k8s/prod/shop.k8s.yaml');
    expect(set.attention.filter((a) => a.category === 'sandbox-removed').map((a) => a.subject)).toEqual(['sandbox shop-alice', 'sandbox shop-bob-checkout', 'sandbox shop-team-growth']);
    expect(set.attention.some((a) => a.category === 'prod' && a.subject === 'stack shop')).toBe(true);
    // The NetworkPolicies go with their namespaces: the namespace's removal is the change, not an item per policy.
    expect(set.attention.filter((a) => a.category === 'network-policy')).toEqual([]);
    expect(set.resources.every((r) => r.action === 'destroy' || r.file.includes('platform') || r.file.includes('argocd'))).toBe(true);
  });

  it('changing only a Kubernetes label: one object, no stack, nothing needs attention', () => {
    const { set, markdown } = diffWith('label', () => {});
    expect(set.identical).toBe(true);
    const head = pairDirs('label-edit').head;
    writeEstate(head);
    editKubernetes(head, 'k8s/dev/crm-dev.k8s.yaml', (doc) => {
      if (doc.kind === 'Deployment') doc.metadata.labels.team = 'sales';
    });
    const b = read(baseDir);
    const h = read(head);
    const edited = computeChangeSet(b, h);
    expect(edited.affectedStacks).toEqual([]);
    // The hand edit itself is the one item: the strict reader refuses the stale sha256 (check fails on it as TK020).
    expect(edited.attention.map((a) => `${a.category} ${a.subject}`)).toEqual(['integrity head dist: k8s/dev/crm-dev.k8s.yaml']);
    expect(edited.resources).toEqual([expect.objectContaining({
      kind: 'kubernetes', key: 'apps/v1/Deployment/crm-dev/crm', action: 'change', tier: 'dev', app: 'crm',
      changes: [{ path: 'metadata.labels.team', after: 'sales' }],
    })]);
    expect(edited.summary).toEqual([{ tier: 'dev', stacks: { add: 0, change: 0, destroy: 0 }, resources: { add: 0, change: 0, destroy: 0 }, kubernetes: { add: 0, change: 1, destroy: 0 } }]);
    // The hand edit also shows as an integrity item (its hash no longer matches); without it and
    // without a check result the comment says the check was not run (fail closed), and nothing else.
    expect(edited.attention.map((i) => i.category)).toContain('integrity');
    const md = renderMarkdown({ ...edited, attention: edited.attention.filter((i) => i.category !== 'integrity') }, b.manifest, h.manifest);
    expect(md).toContain('`tierkit check` was not run on the head dist');
    expect(md).toContain('**1 item to review first** · 0 more below');
    expect(markdown).toContain('No changes');
  });

  it('a label change in the prod tier is a prod item (Argo CD syncs it without a plan)', () => {
    const head = writeEstate(pairDirs('prod-label').head);
    editKubernetes(head, 'k8s/prod/erp.k8s.yaml', (doc) => {
      if (doc.kind === 'Service') doc.metadata.labels.team = 'finance';
    });
    const set = computeChangeSet(read(baseDir), read(head));
    expect(set.attention.map((a) => `${a.category} ${a.subject}`)).toEqual(['integrity head dist: k8s/prod/erp.k8s.yaml', 'prod k8s/prod/erp.k8s.yaml']);
    // A hand edit leaves the manifest's sha256 stale: files are compared by content, so it is still read.
    const skip = identicalFiles(baseDir, head);
    expect(skip.has('k8s/prod/erp.k8s.yaml')).toBe(false);
    expect(skip.has('k8s/dev/crm-dev.k8s.yaml')).toBe(true);
    expect(computeChangeSet(readDist(baseDir, { skip }), readDist(head, { skip }))).toEqual(set);
  });

  it('is deterministic: the same pair renders byte-identical Markdown and JSON', () => {
    const mutate = (e: Parameters<NonNullable<Parameters<typeof writeEstate>[1]>>[0]) => {
      app(e, 'erp').environment('dev')!.addEscapeHatch((r) => r.groupRole.addOverride('superuser', true));
    };
    const one = diffWith('det-1', mutate);
    const two = diffWith('det-2', mutate);
    expect(one.markdown).toBe(two.markdown);
    expect(renderJson(one.set)).toBe(renderJson(two.set));
    expect(categories(one.set)).toEqual(['role-attributes']);
    expect(one.set.attention[0].details).toEqual(['superuser: (none) → true']);
  });
  it('moving the seed store is an item for the human gate: where prod\'s golden is written, with the declared reason', () => {
    const { set, markdown } = diffWith('seed-store', (e) => {
      (e as { seedStore: unknown }).seedStore = { server: 'nfs.elsewhere.example', exportRoot: '/tierkit-seeds', reason: 'The new NAS, run by platform, exports to cluster nodes only.' };
    });
    const item = set.attention.find((a) => a.category === 'seed-store')!;
    expect(item.message).toBe("seed store seeds.arcodange.lab:/tierkit-seeds → nfs.elsewhere.example:/tierkit-seeds: every seed, prod's scrubbed golden included, is written to and read from there; reason: \"The new NAS, run by platform, exports to cluster nodes only.\"");
    expect(item.tier).toBe('prod');
    expect(item.details).toEqual([
      'seedStore.reason: (none) → "The new NAS, run by platform, exports to cluster nodes only."',
      'seedStore.server: "seeds.arcodange.lab" → "nfs.elsewhere.example"',
    ]);
    expect(markdown).toContain("seed store moved: prod's golden is written there");
  });
});
