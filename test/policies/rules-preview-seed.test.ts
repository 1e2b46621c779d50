import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { App, FakeKind, SyntheticColumn, Tier } from '../../constructs';
import { previewSeedScript } from '../../constructs/lifecycle/preview-scripts';
import type { CheckReport } from '../../policies/report/finding';
import { validateKubernetesObject } from '../support/k8s-schema';
import { check, findings, freshDir, synthDist } from './helpers';
import { editDist, manifestEdit, rehashManifest } from './rehash';

// The preview's synthetic seed (docs/previews.md): an app with previews and a synthetic seed gets a
// `restore-seed` step in its PreSync Job, the seed's export read-only in tierkit-previews, and its
// hashes' read in the Jobs' policy. TK130, TK131, TK135, TK172 and TK179 admit exactly those. The
// example's erp has no synthetic seed, so these tests add an app `ops` that has one.

const OBJECTS = 'k8s/dev/previews/ops/preview.k8s.yaml';
const BOOTSTRAP = 'k8s/argocd/dev.k8s.yaml';
const CLAIM = 'ops-previews-seed-synthetic-v2';
const VOLUME = 'tierkit-seed-ops-previews-synthetic-v2';

const docs = (dir: string, file: string): any[] => parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map((d) => d.toJS());
const write = (dir: string, file: string, objects: unknown[]) => writeFileSync(join(dir, file), objects.map((o) => `---\n${stringify(o)}`).join(''));
const find = (objects: any[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);

let clean: string;
beforeAll(() => {
  clean = synthDist((e) => {
    new App(e, 'ops', {
      tiers: [Tier.DEV, Tier.PROD], objectPrefix: 'ops_', image: 'example/ops:1.0.0@sha256:' + 'a'.repeat(64), previews: { tier: Tier.DEV },
      synthetic: {
        version: 'v2', seed: 7, schema: 'CREATE TABLE ops_item (id int PRIMARY KEY, name text NOT NULL);',
        tables: [{ table: 'ops_item', rows: 5, columns: { id: SyntheticColumn.sequence(), name: SyntheticColumn.fake(FakeKind.COMPANY) } }],
      },
    });
  }, 'preview-seed');
});

async function checkEdited(file: string, edit: (objects: any[]) => any[] | void): Promise<CheckReport> {
  const dir = freshDir('preview-seed');
  cpSync(clean, dir, { recursive: true });
  const objects = docs(dir, file);
  write(dir, file, edit(objects) ?? objects);
  rehashManifest(dir);
  return check(dir);
}
const createJob = (objects: any[]) => find(objects, 'Job', 'ops-previews-create');
const seedStep = (objects: any[]) => createJob(objects).spec.template.spec.initContainers.find((c: any) => c.name === 'restore-seed');
const messages = (r: CheckReport, id: string) => findings(r, id).map((f) => f.message).join('\n');

describe('the preview\'s synthetic seed (synth)', () => {
  it('restores the synthetic seed after create-database and before the Vault role, from the seed\'s export mounted read-only, checked against its producer\'s hashes; check passes', async () => {
    const objects = docs(clean, OBJECTS);
    const pod = createJob(objects).spec.template;
    expect([...pod.spec.initContainers, ...pod.spec.containers].map((c: any) => c.name)).toEqual(['create-database', 'restore-seed', 'write-vault-role']);
    const step = seedStep(objects);
    expect(step.command).toEqual(['bash', '-c', previewSeedScript('ops')]);
    expect(step.volumeMounts).toEqual([{ mountPath: '/tmp', name: 'tmp' }, { mountPath: '/seeds', name: 'seeds', readOnly: true }]);
    expect(step.env).toEqual(expect.arrayContaining([
      { name: 'TIERKIT_DUMP_FILE', value: '/seeds/seed.dump' }, { name: 'TIERKIT_SEED_HASH_FILE', value: '/vault/secrets/seed' }, { name: 'TIERKIT_OBJECT_PREFIX', value: 'ops_' },
    ]));
    // Only the seed step mounts the seed.
    expect(pod.spec.initContainers[0].volumeMounts).toEqual([{ mountPath: '/tmp', name: 'tmp' }]);
    expect(pod.spec.volumes).toContainEqual({ name: 'seeds', persistentVolumeClaim: { claimName: CLAIM, readOnly: true } });
    expect(pod.metadata.annotations['vault.hashicorp.com/agent-inject-secret-seed']).toBe('kvv2/data/tierkit-seeds/ops.synthetic-v2');
    expect(find(objects, 'Job', 'ops-previews-drop').spec.template.spec.volumes.map((v: any) => v.name)).toEqual(['tmp', 'vault-token']);
    const boot = docs(clean, BOOTSTRAP);
    const pv = find(boot, 'PersistentVolume', VOLUME);
    expect(pv.spec.nfs).toEqual({ path: '/tierkit-seeds/ops/synthetic-v2', readOnly: true, server: expect.any(String) });
    expect(pv.spec.claimRef).toEqual({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', name: CLAIM, namespace: 'tierkit-previews' });
    expect(find(boot, 'PersistentVolumeClaim', CLAIM).spec.volumeName).toBe(VOLUME);
    for (const o of [...objects, pv, find(boot, 'PersistentVolumeClaim', CLAIM)]) expect(() => validateKubernetesObject(o)).not.toThrow();
    const stack = JSON.parse(readFileSync(join(clean, 'terraform/ops-dev/cdk.tf.json'), 'utf8'));
    expect(stack.resource.vault_policy.preview_jobs_policy.policy).toContain('path "kvv2/data/tierkit-seeds/ops.synthetic-v2" {\n  capabilities = ["read"]\n}');
    const r = await check(clean);
    expect(r.findings.map((f) => `${f.ruleId} ${f.message}`)).toEqual([]);
  }, 60_000);
});

describe('the seed step\'s script', () => {
  it('is shellcheck-clean (bash, as the Job runs it)', () => {
    const r = spawnSync('shellcheck', ['--shell=bash', '--format=gcc', '-'], { input: previewSeedScript('ops'), encoding: 'utf8' });
    if (r.error) throw new Error(`shellcheck is not installed (.ci/run installs it): ${r.error.message}`);
    expect(r.stdout).toBe('');
    expect(r.status).toBe(0);
  });
});

describe('the preview\'s synthetic seed, hand-edited', () => {
  it('TK130/TK179: the preview seed volume pointed at the golden export', async () => {
    const r = await checkEdited(BOOTSTRAP, (o) => { find(o, 'PersistentVolume', VOLUME).spec.nfs.path = '/tierkit-seeds/ops/golden'; });
    expect(messages(r, 'TK130')).toMatch(/tierkit-previews.*seed "golden".*restore only its synthetic seed "synthetic:v2"/);
    expect(messages(r, 'TK179')).toMatch(/PersistentVolume\/tierkit-seed-ops-previews-synthetic-v2/);
  }, 60_000);

  it('TK131/TK179: the preview seed volume made writable', async () => {
    const r = await checkEdited(BOOTSTRAP, (o) => { find(o, 'PersistentVolume', VOLUME).spec.nfs.readOnly = false; });
    expect(messages(r, 'TK131')).toMatch(/tierkit-previews/);
    expect(messages(r, 'TK179')).toMatch(/PersistentVolume/);
  }, 60_000);

  it('TK130: another seed volume bound in tierkit-previews (erp has previews but no synthetic seed; ops\'s sanitized is never a preview\'s)', async () => {
    const r = await checkEdited(BOOTSTRAP, (o) => {
      const pv = structuredClone(find(o, 'PersistentVolume', VOLUME));
      pv.metadata.name = 'tierkit-seed-erp-previews-golden';
      pv.spec.nfs.path = '/tierkit-seeds/erp/golden';
      pv.spec.claimRef.name = 'erp-previews-seed-golden';
      const other = structuredClone(pv);
      other.metadata.name = 'tierkit-seed-ops-previews-sanitized-x';
      other.spec.nfs.path = '/tierkit-seeds/ops/sanitized-x';
      return [...o, pv, other];
    });
    expect(messages(r, 'TK130')).toMatch(/tierkit-seed-erp-previews-golden.*previews of erp restore no seed/);
    expect(messages(r, 'TK130')).toMatch(/tierkit-seed-ops-previews-sanitized-x.*seed "sanitized:x"/);
  }, 60_000);

  it('TK179: the Job mounts another claim, or the seed claim writable, or the dump from elsewhere', async () => {
    const claim = await checkEdited(OBJECTS, (o) => { createJob(o).spec.template.spec.volumes.find((v: any) => v.name === 'seeds').persistentVolumeClaim.readOnly = false; });
    expect(messages(claim, 'TK179')).toMatch(/volume seeds is .*not tierkit's/);
    const dump = await checkEdited(OBJECTS, (o) => { seedStep(o).env.find((e: any) => e.name === 'TIERKIT_DUMP_FILE').value = '/tmp/seed.dump'; });
    expect(messages(dump, 'TK179')).toMatch(/has env .*TIERKIT_DUMP_FILE.*\/tmp\/seed.dump/);
    const mount = await checkEdited(OBJECTS, (o) => { createJob(o).spec.template.spec.initContainers[0].volumeMounts.push({ mountPath: '/seeds', name: 'seeds' }); });
    expect(messages(mount, 'TK179')).toMatch(/initContainers\/0|mounts/);
  }, 120_000);

  it('TK135/TK179: a seed step that restores without verifying, or no seed step at all', async () => {
    const unverified = await checkEdited(OBJECTS, (o) => {
      seedStep(o).command[2] = 'pg_restore --role="erp_pr_1_role" -d "ops-pr-1" /seeds/seed.dump';
    });
    expect(messages(unverified, 'TK135')).toMatch(/restore-seed.*mounts seed "synthetic:v2" but is not tierkit's reset/);
    expect(messages(unverified, 'TK179')).toMatch(/restore-seed script verbatim/);
    const none = await checkEdited(OBJECTS, (o) => {
      const spec = createJob(o).spec.template.spec;
      spec.initContainers = spec.initContainers.filter((c: any) => c.name !== 'restore-seed');
    });
    expect(messages(none, 'TK179')).toMatch(/runs 2 containers; exactly create-database, restore-seed, write-vault-role/);
  }, 120_000);

  it('a manifest edit that drops the app\'s synthetic producer leaves the seed step, volume and read unadmitted (the rules derive the seed from the manifest, never from dist)', async () => {
    const dir = freshDir('preview-seed-manifest');
    cpSync(clean, dir, { recursive: true });
    manifestEdit(dir, (mf) => {
      for (const e of mf.appEnvironments) if (e.app === 'ops') delete e.seedProducers;
    });
    const r = await check(dir);
    expect(messages(r, 'TK130')).toMatch(/tierkit-seed-ops-previews-synthetic-v2.*previews of ops restore no seed/);
    expect(messages(r, 'TK179')).toMatch(/runs 3 containers; exactly create-database, write-vault-role/);
    expect(messages(r, 'TK172')).toMatch(/grants \[read\] on "kvv2\/data\/tierkit-seeds\/ops.synthetic-v2"/);
  }, 60_000);

  it('TK172: the Jobs\' policy reads the golden\'s hashes instead of the synthetic seed\'s', async () => {
    const dir = editDist(clean, freshDir('preview-seed-policy'), {
      'ops-dev': (j) => {
        const p = j.resource.vault_policy.preview_jobs_policy;
        p.policy = p.policy.replace('tierkit-seeds/ops.synthetic-v2', 'tierkit-seeds/ops.golden');
      },
    });
    const r = await check(dir);
    expect(messages(r, 'TK172')).toMatch(/grants \[read\] on "kvv2\/data\/tierkit-seeds\/ops.golden"/);
    expect(messages(r, 'TK172')).toMatch(/lacks "kvv2\/data\/tierkit-seeds\/ops.synthetic-v2"/);
  }, 60_000);
});
