import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { App, Estate, PostgresServer, Tier, validateEstate } from '../../constructs';
import { CURL, KUBECTL, POSTGRES_CLIENT, VAULT_CLI } from '../../constructs/lifecycle/images';
import { readDist } from '../../policies/dist';
import { IMAGE_BY_DIGEST } from '../../contract/images';
import { smallEstate } from '../support/estates';
import { check, cleanDist, env, findings, freshDir, synthDist } from './helpers';
import { rehashManifest } from './support/dist-edit';

/** A copy of `base` whose manifest `file` was hand-edited, hashes rewritten (only TK060 may catch it). */
function edit(file: string, change: (docs: any[]) => void, base = cleanDist()): string {
  const dir = freshDir('images');
  cpSync(base, dir, { recursive: true });
  const path = join(dir, file);
  const docs = parseAllDocuments(readFileSync(path, 'utf8')).map((d) => d.toJS());
  change(docs);
  writeFileSync(path, docs.map((d) => stringify(d)).join('---\n'));
  rehashManifest(dir);
  return dir;
}
const find = (docs: any[], kind: string) => docs.find((d) => d.kind === kind);
const messages = async (dir: string) => findings(await check(dir), 'TK060').map((f) => f.message).sort();

describe('images tierkit renders', () => {
  it('are all pinned by digest, kubectl in an image that has a shell', () => {
    const images = readDist(cleanDist()).kubernetes.flatMap((k) => JSON.stringify(k.object).match(/"image":"[^"]*"/g) ?? []).map((s) => s.slice(9, -1));
    const ours = images.filter((i) => /alpine\/k8s|curlimages|hashicorp\/vault|library\/postgres|kubectl/.test(i));
    expect(ours.length).toBeGreaterThan(10);
    for (const i of ours) expect(i).toMatch(IMAGE_BY_DIGEST);
    // registry.k8s.io/kubectl is distroless (no /bin/bash): the bash scale steps could not start there.
    expect(images.some((i) => i.startsWith('registry.k8s.io/kubectl'))).toBe(false);
    for (const p of [KUBECTL, CURL, VAULT_CLI, ...Object.values(POSTGRES_CLIENT)]) expect(p.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('give each server major its own client tools (the golden dump of a PostgreSQL 16 server uses 16.x)', () => {
    const prod = readFileSync(join(cleanDist(), 'k8s/prod/erp.k8s.yaml'), 'utf8');
    expect(prod).toContain(`docker.io/library/postgres:16.14@${POSTGRES_CLIENT[16].digest}`);
  });
});

describe('TK060 image digests on live data', () => {
  it('passes on the example estate', async () => {
    expect(findings(await check(cleanDist()), 'TK060')).toEqual([]);
  });

  it('catches a hand edit that floats the golden dump to a tag, and the app of prod to a tag', async () => {
    const dir = edit('k8s/prod/erp.k8s.yaml', (docs) => {
      find(docs, 'CronJob').spec.jobTemplate.spec.template.spec.initContainers[0].image = 'docker.io/library/postgres:16';
      find(docs, 'Deployment').spec.template.spec.containers[0].image = 'docker.io/dolibarr/dolibarr:20.0.4';
    });
    const found = await messages(dir);
    expect(found).toEqual(expect.arrayContaining([
      expect.stringMatching(/^CronJob erp\/erp-golden-dump \(erp \(tier prod\)\): container \S+ runs "docker.io\/library\/postgres:16", not an image by digest \(namespace erp is of live tier prod\)$/),
      'Deployment erp/erp (erp (tier prod)): container erp runs "docker.io/dolibarr/dolibarr:20.0.4", not an image by digest (namespace erp is of live tier prod)',
    ]));
    expect(found).toHaveLength(2);
  });

  it('catches a lower-tier Job whose Vault agent reads prod\'s credential, and one reading a path no env owns', async () => {
    const dir = edit('k8s/dev/erp-sandbox.k8s.yaml', (docs) => {
      const job = find(docs, 'CronJob');
      const t = job.spec.jobTemplate.spec.template;
      t.metadata.annotations['vault.hashicorp.com/agent-inject-secret-database'] = 'postgres/creds/erp';
      t.spec.containers[0].image = 'docker.io/curlimages/curl:8.11.1';
    });
    const found = await messages(dir);
    expect(found.length).toBeGreaterThan(0);
    expect(found.every((m) => m.includes('a secret of live env erp'))).toBe(true);
    expect(found.some((m) => m.includes('"docker.io/curlimages/curl:8.11.1"'))).toBe(true);

    const unknown = edit('k8s/dev/erp-sandbox.k8s.yaml', (docs) => {
      const t = find(docs, 'CronJob').spec.jobTemplate.spec.template;
      t.metadata.annotations['vault.hashicorp.com/agent-inject-secret-x'] = 'secret/somewhere/else';
      t.spec.containers[0].image = 'busybox';
    });
    expect((await messages(unknown)).some((m) => m.includes('which no env owns') && m.includes('"busybox"'))).toBe(true);
  });

  it('leaves a lower tier\'s own pods alone (their tags are their owners\' business)', async () => {
    const dir = edit('k8s/dev/crm-alice.k8s.yaml', (docs) => {
      find(docs, 'Deployment').spec.template.spec.containers[0].image = 'example/crm:latest';
    });
    expect(await messages(dir)).toEqual([]);
  });

  it('judges the injected agent\'s image when the pod names one, and ephemeral containers', async () => {
    const dir = edit('k8s/prod/shop.k8s.yaml', (docs) => {
      const t = find(docs, 'Deployment').spec.template;
      t.metadata.annotations['vault.hashicorp.com/agent-image'] = 'hashicorp/vault:latest';
      t.spec.ephemeralContainers = [{ name: 'debug', image: 'busybox:1' }];
    });
    expect(await messages(dir)).toEqual([
      'Deployment shop/shop (shop (tier prod)): container debug runs "busybox:1", not an image by digest (namespace shop is of live tier prod)',
      'Deployment shop/shop (shop (tier prod)): the injected Vault agent runs "hashicorp/vault:latest" (vault.hashicorp.com/agent-image), not an image by digest (namespace shop is of live tier prod)',
    ]);
  });

  it('cannot be suppressed: a suppression on prod is itself an error and the finding stays', async () => {
    const base = synthDist((e) => env(e, 'erp', 'prod').addSuppression('TK060', 'we trust the dolibarr tag on prod'));
    const dir = edit('k8s/prod/erp.k8s.yaml', (docs) => {
      find(docs, 'Deployment').spec.template.spec.containers[0].image = 'docker.io/dolibarr/dolibarr:20.0.4';
    }, base);
    const report = await check(dir);
    expect(findings(report, 'TK060').map((f) => f.severity)).toEqual(['error']);
    expect(findings(report, 'TK100').some((f) => f.message.includes('TK060'))).toBe(true);
  });
});

describe('validation: images on live tiers', () => {
  it('refuses an app running on prod by tag, naming the path, prop, value and fix', () => {
    const e = smallEstate();
    new App(e, 'erp', { tiers: [Tier.DEV, Tier.PROD], objectPrefix: 'llx_', image: 'docker.io/dolibarr/dolibarr:20.0.4' });
    expect(validateEstate(e)).toEqual([expect.objectContaining({
      path: 'test/erp', property: 'image', value: 'docker.io/dolibarr/dolibarr:20.0.4',
      message: expect.stringContaining('live tier prod'), fix: expect.stringContaining('docker.io/dolibarr/dolibarr:20.0.4@sha256:<digest>'),
    })]);
  });

  it('accepts a tag on lower tiers only', () => {
    const e = smallEstate();
    new App(e, 'erp', { tiers: [Tier.DEV, Tier.STAGING], objectPrefix: 'llx_', image: 'example/erp:1' });
    expect(validateEstate(e)).toEqual([]);
  });

  it('refuses a server major with no pinned client image where a reset Job needs one', () => {
    const e = new Estate({
      name: 'test', domain: 'test.lab', vault: { address: 'https://vault.test.lab' },
      argocd: { repoUrl: 'https://git.test.lab/estate.git' }, ci: { repository: 'test/estate', repositoryId: '100001' },
    });
    new PostgresServer(e, 'demo-pg', { host: 'pg-demo.test.lab', majorVersion: 19, tiers: [Tier.DEMO] });
    new App(e, 'erp', { tiers: [Tier.DEMO], objectPrefix: 'llx_', image: 'example/erp:1' });
    expect(validateEstate(e)).toEqual([expect.objectContaining({
      path: 'test/demo-pg', property: 'majorVersion', value: 19, message: expect.stringContaining('no pinned PostgreSQL client image'),
    })]);
  });
});
