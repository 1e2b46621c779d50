// Issue 22: seed storage per seed. The example estate passes; each hand edit an adversarial PR
// author could make to dist/ (a volume pointed at another seed, a writable consumer volume, a
// claim bound to a volume dist/ does not declare, a policy writing a seed's hashes) is caught by
// the rule that judges it, with the manifest re-hashed so the integrity check alone cannot.
import { describe, expect, it } from 'vitest';
import { App, Estate, Sandbox, SandboxKind, SeedProfile, Tier } from '../../constructs';
import { DistEdit } from './dist-edit';
import { check, cleanDist, env, findings, synthDist } from './helpers';

const PV = 'PersistentVolume';
const messages = async (dir: string, id: string) => findings(await check(dir), id).map((f) => f.message);

describe('TK130 seed volume data class', () => {
  it('passes the example estate: each reset env mounts its own seed, prod mounts the golden it produces', async () => {
    expect(await messages(cleanDist(), 'TK130')).toEqual([]);
  });

  it('catches a dev sandbox volume re-pointed at the golden (live data)', async () => {
    const d = new DistEdit('tk130-golden').object('k8s/dev/crm-alice.k8s.yaml', PV, 'tierkit-seed-crm-alice-synthetic-v1', (o) => {
      o.spec.nfs.path = '/tierkit-seeds/crm/golden';
    });
    expect(await messages(d.dir, 'TK130')).toEqual([
      'PersistentVolume "tierkit-seed-crm-alice-synthetic-v1" is bound to namespace "crm-alice" (crm-alice (tier dev)): its seed "golden" is live data, which tier dev does not allow (synthetic, sanitized) and no reasoned seed exception of crm-alice (tier dev) covers',
    ]);
  });

  it('catches the demo volume re-pointed at a sanitized seed, and another app\'s seed', async () => {
    const d = new DistEdit('tk130-demo')
      .object('k8s/demo/shop-demo.k8s.yaml', PV, 'tierkit-seed-shop-demo-demo', (o) => { o.spec.nfs.path = '/tierkit-seeds/shop/sanitized-customers-2026q3'; })
      .object('k8s/dev/shop-alice.k8s.yaml', PV, 'tierkit-seed-shop-alice-synthetic-v1', (o) => { o.spec.nfs.path = '/tierkit-seeds/crm/synthetic-v1'; });
    const got = await messages(d.dir, 'TK130');
    expect(got).toHaveLength(2);
    expect(got.find((m) => m.includes('shop-demo'))).toMatch(/seed "sanitized:customers-2026q3" is sanitized data, which tier demo does not allow/);
    expect(got.find((m) => m.includes('shop-alice'))).toMatch(/holds app crm's seed "synthetic:v1", not app shop's/);
  });

  it('the erp sandbox\'s golden opt-in covers the golden only, not another live seed path', async () => {
    const d = new DistEdit('tk130-parent').object('k8s/dev/erp-sandbox.k8s.yaml', PV, 'tierkit-seed-erp-sandbox-golden', (o) => {
      o.spec.nfs.path = '/tierkit-seeds/erp'; // the parent: every seed of erp
    });
    expect(await messages(d.dir, 'TK130')).toEqual([
      expect.stringMatching(/^PersistentVolume "tierkit-seed-erp-sandbox-golden" cannot be judged: its NFS path "\/tierkit-seeds\/erp" is not one seed's directory/),
    ]);
  });

  it('fails closed on a volume of another server or source', async () => {
    const d = new DistEdit('tk130-source')
      .object('k8s/dev/crm-alice.k8s.yaml', PV, 'tierkit-seed-crm-alice-synthetic-v1', (o) => { o.spec.nfs.server = 'nfs.prod.lab'; })
      .object('k8s/dev/shop-alice.k8s.yaml', PV, 'tierkit-seed-shop-alice-synthetic-v1', (o) => {
        delete o.spec.nfs;
        o.spec.hostPath = { path: '/srv/seeds/shop/golden' };
      });
    const got = await messages(d.dir, 'TK130');
    expect(got.some((m) => m.includes('mounts NFS server "nfs.prod.lab", not the seed store "seeds.arcodange.lab"'))).toBe(true);
    expect(got.some((m) => m.includes('its volume source is hostPath, not an NFS export'))).toBe(true);
  });

  it('fails closed on a claim left to bind any volume, and on a pod mounting the old shared claim', async () => {
    const d = new DistEdit('tk130-claims')
      .object('k8s/dev/crm-alice.k8s.yaml', 'PersistentVolumeClaim', 'tierkit-seed-synthetic-v1', (o) => { delete o.spec.volumeName; })
      .object('k8s/dev/erp-sandbox.k8s.yaml', 'CronJob', 'erp-sandbox-reset', (o) => {
        o.spec.jobTemplate.spec.template.spec.volumes.find((v: any) => v.name === 'seeds').persistentVolumeClaim.claimName = 'tierkit-seeds-erp';
      });
    const got = await messages(d.dir, 'TK130');
    expect(got).toContain('PersistentVolumeClaim "crm-alice/tierkit-seed-synthetic-v1" names volume null, which dist/ does not declare: what it mounts cannot be judged');
    expect(got).toContain('CronJob "erp-sandbox/erp-sandbox-reset" mounts claim "tierkit-seeds-erp", which dist/ does not declare: the data behind it cannot be judged');
  });

  it('a golden seed declared without the opt-in reaches no volume: the PV of an unreasoned golden sandbox is a finding', async () => {
    // The estate refuses an unreasoned golden at synth time, so the attacker edits the manifest's exception away.
    const d = new DistEdit('tk130-exception').manifest((m) => {
      const e = m.appEnvironments.find((x: any) => x.slug === 'erp-sandbox');
      e.exceptions = e.exceptions.filter((x: any) => x.kind !== 'seed');
    });
    expect(await messages(d.dir, 'TK130')).toEqual([
      expect.stringContaining('PersistentVolume "tierkit-seed-erp-sandbox-golden" is bound to namespace "erp-sandbox" (erp-sandbox (tier dev)): its seed "golden" is live data'),
    ]);
  });
});

describe('TK131 seed volume writer', () => {
  it('passes the example estate: only the golden dump in prod erp writes (the golden)', async () => {
    expect(await messages(cleanDist(), 'TK131')).toEqual([]);
  });

  it('catches a consumer volume made writable (the demo seed prospects see, the golden a sandbox restores)', async () => {
    const d = new DistEdit('tk131')
      .object('k8s/demo/shop-demo.k8s.yaml', PV, 'tierkit-seed-shop-demo-demo', (o) => { o.spec.nfs.readOnly = false; })
      .object('k8s/dev/erp-sandbox.k8s.yaml', PV, 'tierkit-seed-erp-sandbox-golden', (o) => { delete o.spec.nfs.readOnly; });
    expect((await messages(d.dir, 'TK131')).sort()).toEqual([
      'PersistentVolume "tierkit-seed-erp-sandbox-golden" lets namespace "erp-sandbox" (erp-sandbox (tier dev)) write seed "golden" of erp, and it is not that seed\'s producer',
      'PersistentVolume "tierkit-seed-shop-demo-demo" lets namespace "shop-demo" (shop-demo (tier demo)) write seed "demo" of shop, and it is not that seed\'s producer',
    ]);
  });

  it('catches a read-only volume turned writable by a `rw` mount option (field or legacy annotation)', async () => {
    const d = new DistEdit('tk131-rw')
      .object('k8s/demo/shop-demo.k8s.yaml', PV, 'tierkit-seed-shop-demo-demo', (o) => { o.spec.mountOptions.push('rw'); })
      .object('k8s/dev/erp-sandbox.k8s.yaml', PV, 'tierkit-seed-erp-sandbox-golden', (o) => {
        o.metadata.annotations = { 'volume.beta.kubernetes.io/mount-options': 'nfsvers=4.1,rw' };
      });
    expect((await messages(d.dir, 'TK131')).length).toBe(2);
  });
});

describe('TK132 seed hash writer', () => {
  it('passes the example estate: only erp-golden-dump writes kvv2/data/tierkit-seeds/erp.golden', async () => {
    expect(await messages(cleanDist(), 'TK132')).toEqual([]);
  });

  it('catches a sandbox policy (escape hatch) that writes the golden\'s hashes, even through a glob', async () => {
    const dir = synthDist((e) => env(e, 'erp', 'sandbox').addEscapeHatch((r) => {
      r.resetPolicy!.addOverride('policy', 'path "kvv2/data/tierkit-*" {\n  capabilities = ["read", "update"]\n}\n');
    }));
    expect(await messages(dir, 'TK132')).toEqual([
      'Vault policy "erp-sandbox-reset" (erp-sandbox (tier dev)) grants update on "kvv2/data/tierkit-*", which reaches the seed hash "kvv2/data/tierkit-seeds/": only the golden dump of the app\'s prod env may write its golden\'s hashes',
    ]);
  });

  it('catches the producer writing another seed, and a stack that declares a seed hash secret', async () => {
    const dir = synthDist((e) => env(e, 'erp', 'prod').addEscapeHatch((r) => {
      r.goldenDump!.policy.addOverride('policy', 'path "kvv2/data/tierkit-seeds/shop.demo" {\n  capabilities = ["create", "update"]\n}\n');
      r.kvConfig.addOverride('name', 'tierkit-seeds/erp.golden');
    }));
    const got = await messages(dir, 'TK132');
    expect(got).toContain('Vault policy "erp-golden-dump" (erp (tier prod)) grants create, update on "kvv2/data/tierkit-seeds/shop.demo", which reaches the seed hash "kvv2/data/tierkit-seeds/shop.demo": only the golden dump of the app\'s prod env may write its golden\'s hashes');
    expect(got).toContain('stack "erp" declares KV secret "kvv2/tierkit-seeds/erp.golden", a seed\'s published hashes: its applier would write them');
  });
});

describe('TK110 and seed volumes', () => {
  it('catches a PersistentVolume whose claimRef names another namespace (any claim there could bind it)', async () => {
    const d = new DistEdit('tk110-pv').object('k8s/dev/crm-alice.k8s.yaml', PV, 'tierkit-seed-crm-alice-synthetic-v1', (o) => {
      o.spec.claimRef.namespace = 'shop-alice';
    });
    expect(await messages(d.dir, 'TK110')).toEqual([
      'k8s/dev/crm-alice.k8s.yaml (crm-alice (tier dev)) declares PersistentVolume "tierkit-seed-crm-alice-synthetic-v1" whose claimRef is "shop-alice/tierkit-seed-synthetic-v1", of shop-alice (tier dev): an env\'s PersistentVolume must be pinned to a claim in its own namespace "crm-alice"',
    ]);
  });
});

describe('TK133 golden scrubbed', () => {
  const GOLDEN_JOB = ['k8s/prod/erp.k8s.yaml', 'CronJob', 'erp-golden-dump'] as const;
  const dumpContainer = (o: any) => o.spec.jobTemplate.spec.template.spec.initContainers.find((c: any) => c.name === 'golden-dump');
  const scrubVar = (o: any) => dumpContainer(o).env.find((v: any) => v.name === 'TIERKIT_SCRUB_SQL');

  it('passes the example estate: erp scrubs Dolibarr\'s credential tables', async () => {
    expect(await messages(cleanDist(), 'TK133')).toEqual([]);
  });

  it('an app with a golden sandbox and no scrub rules is an error; a reasoned scrubReason is an exception', async () => {
    const add = (e: Estate, scrubReason?: string) => {
      const app = new App(e, 'acc', { tiers: [Tier.DEV, Tier.PROD], objectPrefix: 'acc_', image: `example/acc:1.0.0@sha256:${'c'.repeat(64)}`, ...(scrubReason ? { scrubReason } : {}) });
      new Sandbox(app, 'rehearsal', {
        tier: Tier.DEV, kind: SandboxKind.APP, owner: 'arcodange', createdAt: '2026-11-20', seed: SeedProfile.GOLDEN,
        reason: 'rehearsals need prod-shaped ledgers',
      });
    };
    expect(await messages(synthDist((e) => add(e)), 'TK133')).toEqual([
      'CronJob "acc/acc-golden-dump" container "golden-dump" writes the golden without scrub rules and acc (tier prod) declares no reasoned scrubReason: prod\'s credentials would reach the sandboxes it seeds',
    ]);
    const reasoned = await check(synthDist((e) => add(e, 'acc stores no credentials: logins live in the SSO')));
    expect(findings(reasoned, 'TK133')).toEqual([]);
    expect(reasoned.exceptions.filter((x) => x.subject === 'env acc').map((x) => [x.property, x.value, x.reason]))
      .toEqual([['scrub', 'none', 'acc stores no credentials: logins live in the SSO']]);
  });

  it('catches a golden dump whose scrub rules were emptied or replaced, whose script was swapped, or a second writer', async () => {
    const emptied = new DistEdit('tk133-empty').object(...GOLDEN_JOB, (o) => { scrubVar(o).value = ''; });
    expect(await messages(emptied.dir, 'TK133')).toEqual([expect.stringContaining('writes the golden without scrub rules and erp (tier prod) declares no reasoned scrubReason')]);
    const trivial = new DistEdit('tk133-trivial').object(...GOLDEN_JOB, (o) => { scrubVar(o).value = 'SELECT 1;'; });
    expect(await messages(trivial.dir, 'TK133')).toEqual([expect.stringContaining('with TIERKIT_SCRUB_SQL that is not tierkit\'s scrub calls ("SELECT 1;")')]);
    // A delete predicate that calls a function runs in prod's pod, beside its credential: refused.
    const reader = new DistEdit('tk133-predicate').object(...GOLDEN_JOB, (o) => {
      scrubVar(o).value = `${scrubVar(o).value}\nSELECT pg_temp.tk_scrub_delete('llx_const', 'lo_export(lo_from_bytea(0, pg_read_binary_file(''/vault/secrets/database'')), ''/seeds/x'') = 1');`;
    });
    expect(await messages(reader.dir, 'TK133')).toEqual([expect.stringContaining('with TIERKIT_SCRUB_SQL that is not tierkit\'s scrub calls (the delete predicate on llx_const calls a function (lo_export)')]);
    const swapped = new DistEdit('tk133-script').object(...GOLDEN_JOB, (o) => {
      dumpContainer(o).command[2] = 'pg_dump --format=custom --table="llx_*" --file=/seeds/seed.dump';
    });
    expect(await messages(swapped.dir, 'TK133')).toEqual([
      'CronJob "erp/erp-golden-dump" container "golden-dump" can write the golden seed but does not run tierkit\'s golden dump script: nothing says it scrubs what it writes',
    ]);
    const sidecar = new DistEdit('tk133-sidecar').object(...GOLDEN_JOB, (o) => {
      const c = o.spec.jobTemplate.spec.template.spec.containers[0];
      c.volumeMounts.push({ name: 'seeds', mountPath: '/seeds' });
    });
    expect(await messages(sidecar.dir, 'TK133')).toEqual([
      'CronJob "erp/erp-golden-dump" container "publish-seed-hash" can write the golden seed but does not run tierkit\'s golden dump script: nothing says it scrubs what it writes',
    ]);
  });
});

describe('TK133 and the scrub\'s role', () => {
  it('catches a golden dump script edited to scrub as the throwaway server\'s superuser again', async () => {
    const d = new DistEdit('tk133-superuser').object('k8s/prod/erp.k8s.yaml', 'CronJob', 'erp-golden-dump', (o) => {
      const c = o.spec.jobTemplate.spec.template.spec.initContainers.find((x: any) => x.name === 'golden-dump');
      const edited = c.command[2].replace(/\n\s*export PGUSER=tierkit_seed\n/, '\n');
      expect(edited).not.toBe(c.command[2]);
      c.command[2] = edited;
    });
    expect(await messages(d.dir, 'TK133')).toEqual([
      'CronJob "erp/erp-golden-dump" container "golden-dump" can write the golden seed but does not run tierkit\'s golden dump script: nothing says it scrubs what it writes',
    ]);
  });
});

describe('TK134 instance key separation', () => {
  const withKeys = (prodKey: string, sandboxKey: string) => synthDist((e) => {
    env(e, 'erp', 'prod').addEscapeHatch((r) => r.kvConfig.addOverride('data_json', JSON.stringify({ app: 'erp', doli_instance_unique_id: prodKey })));
    env(e, 'erp', 'sandbox').addEscapeHatch((r) => r.kvConfig.addOverride('data_json', JSON.stringify({ app: 'erp', doli_instance_unique_id: sandboxKey })));
  });

  it('passes the example estate, and a sandbox with its own key', async () => {
    expect(await messages(cleanDist(), 'TK134')).toEqual([]);
    expect(await messages(withKeys('a3f1c9e2prod', '77b0d4sandbox'), 'TK134')).toEqual([]);
  });

  it("catches a sandbox given prod's key, in its KV config or in its pods' env", async () => {
    expect(await messages(withKeys('a3f1c9e2prod', 'a3f1c9e2prod'), 'TK134')).toEqual([
      "erp-sandbox (tier dev) sets doli_instance_unique_id to the value prod erp uses for doli_instance_unique_id: the sandbox would hold prod's instance key",
    ]);
    const d = new DistEdit('tk134-env')
      .object('k8s/prod/erp.k8s.yaml', 'Deployment', 'erp', (o) => { o.spec.template.spec.containers[0].env = [{ name: 'DOLI_INSTANCE_UNIQUE_ID', value: 'k-prod-1' }]; })
      .object('k8s/dev/erp-sandbox.k8s.yaml', 'Deployment', 'erp', (o) => { o.spec.template.spec.containers[0].env = [{ name: 'DOLI_INSTANCE_UNIQUE_ID', value: 'k-prod-1' }]; });
    expect(await messages(d.dir, 'TK134')).toEqual([
      "erp-sandbox (tier dev) sets DOLI_INSTANCE_UNIQUE_ID to the value prod erp uses for DOLI_INSTANCE_UNIQUE_ID: the sandbox would hold prod's instance key",
    ]);
  });
});

describe('TK135 reset verifies its seed', () => {
  const DEMO_RESET = ['k8s/demo/shop-demo.k8s.yaml', 'CronJob', 'shop-demo-reset'] as const;
  const pod = (o: any) => o.spec.jobTemplate.spec.template;

  it('passes the example estate: every seed mount is a tierkit reset reading its own seed\'s published hashes', async () => {
    expect(await messages(cleanDist(), 'TK135')).toEqual([]);
  });

  it('catches hashes re-pointed at a KV path the env writes, a reset that skips the check, and another pod reading the seed', async () => {
    const repointed = new DistEdit('tk135-path').object(...DEMO_RESET, (o) => {
      pod(o).metadata.annotations['vault.hashicorp.com/agent-inject-secret-seed'] = 'kvv2/data/shop-demo/config';
    });
    expect(await messages(repointed.dir, 'TK135')).toEqual([
      'CronJob "shop-demo/shop-demo-reset" container "reset" (shop-demo (tier demo)) restores seed "demo" but its seed hashes come from "kvv2/data/shop-demo/config", not "kvv2/data/tierkit-seeds/shop.demo"',
    ]);
    const unchecked = new DistEdit('tk135-script').object(...DEMO_RESET, (o) => {
      const c = pod(o).spec.initContainers.find((x: any) => x.name === 'reset');
      const skipped = c.command[2].replace(/if \[\[ "\$file_actual" != "\$seed_file_sha256" \]\]; then/, 'if false; then');
      expect(skipped).not.toBe(c.command[2]);
      c.command[2] = skipped;
    });
    expect(await messages(unchecked.dir, 'TK135')).toEqual([
      'CronJob "shop-demo/shop-demo-reset" container "reset" mounts seed "demo" but is not tierkit\'s reset: what it does with the dump is not verified against the published hashes',
    ]);
    const reader = new DistEdit('tk135-reader').object('k8s/demo/shop-demo.k8s.yaml', 'Deployment', 'shop', (o) => {
      o.spec.template.spec.volumes.push({ name: 'seed', persistentVolumeClaim: { claimName: 'tierkit-seed-demo', readOnly: true } });
      o.spec.template.spec.containers[0].volumeMounts = [...(o.spec.template.spec.containers[0].volumeMounts ?? []), { name: 'seed', mountPath: '/seed', readOnly: true }];
    });
    expect(await messages(reader.dir, 'TK135')).toEqual([
      expect.stringMatching(/^Deployment "shop-demo\/shop" container "shop" mounts seed "demo" but is not tierkit's reset/),
    ]);
  });
});
