// Issue 22 (attack6a H1, H4, H5): the golden dump's and the reset's scripts trust their pods — the
// credentials file the golden dump sources, its scratch and dump paths, the publish step, the hash
// file the reset parses. TK133 and TK135 compare those pods whole with what tierkit renders from the
// manifest; each hand edit below is named by the rule that owns the pod.
import { describe, expect, it } from 'vitest';
import { DistEdit } from './dist-edit';
import { check, cleanDist, findings } from './helpers';

const A = 'vault.hashicorp.com/';
const GOLDEN = 'k8s/prod/erp.k8s.yaml';
const RESET = 'k8s/dev/erp-sandbox.k8s.yaml';
const spec = (o: any) => o.spec.jobTemplate.spec.template.spec;
const ann = (o: any) => o.spec.jobTemplate.spec.template.metadata.annotations;
const container = (o: any, name: string) => [...(spec(o).initContainers ?? []), ...spec(o).containers].find((c: any) => c.name === name);
const messages = async (dir: string, id: string) => findings(await check(dir), id).map((f) => f.message);
const golden = (label: string, fn: (o: any) => void) => new DistEdit(label, cleanDist()).object(GOLDEN, 'CronJob', 'erp-golden-dump', fn).dir;
const reset = (label: string, fn: (o: any) => void) => new DistEdit(label, cleanDist()).object(RESET, 'CronJob', 'erp-sandbox-reset', fn).dir;

describe("TK133/TK135 compare the lifecycle pods whole", () => {
  it('passes the example estate', async () => {
    const r = await check(cleanDist());
    expect([...findings(r, 'TK133'), ...findings(r, 'TK135')]).toEqual([]);
  });

  it('TK133 names a golden credentials template that is not tierkit\'s (the script sources it)', async () => {
    const got = await messages(golden('lp-template', (o) => { ann(o)[`${A}agent-inject-template-database`] = `unset TIERKIT_SCRUB_SQL\n${ann(o)[`${A}agent-inject-template-database`]}`; }), 'TK133');
    expect(got).toEqual([expect.stringMatching(/erp\/erp-golden-dump" writes the golden but is not tierkit's golden dump pod: annotation vault\.hashicorp\.com\/agent-inject-template-database is not the one tierkit renders$/)]);
  });

  it('TK133 names an extra agent template, an injector file rename, and an env var tierkit does not render', async () => {
    const got = await messages(golden('lp-extra', (o) => {
      ann(o)[`${A}agent-inject-template-x`] = 'x';
      ann(o)[`${A}agent-inject-file-database`] = 'other';
      container(o, 'golden-dump').env.push({ name: 'PGCTLTIMEOUT', value: '0' });
    }), 'TK133');
    expect(got).toHaveLength(1);
    expect(got[0]).toContain('annotation vault.hashicorp.com/agent-inject-file-database is not one tierkit renders');
    expect(got[0]).toContain('annotation vault.hashicorp.com/agent-inject-template-x is not one tierkit renders');
    expect(got[0]).toContain('container "golden-dump" sets "PGCTLTIMEOUT", which tierkit does not render');
  });

  it('TK133 names the scratch directory moved onto the seed volume, and the publish step mounting the seed', async () => {
    const got = await messages(golden('lp-scratch', (o) => {
      container(o, 'golden-dump').env.find((e: any) => e.name === 'TIERKIT_SCRATCH_DIR').value = '/seeds';
      container(o, 'publish-seed-hash').volumeMounts.push({ name: 'seeds', mountPath: '/seeds', readOnly: true });
    }), 'TK133');
    expect(got).toHaveLength(1);
    expect(got[0]).toContain('container "golden-dump" sets TIERKIT_SCRATCH_DIR to "/seeds", not "/scratch"');
    expect(got[0]).toMatch(/container "publish-seed-hash" mounts .*"\/seeds".*, not \[\{"name":"tmp","mountPath":"\/tmp"\}\]/);
  });

  it('TK133 and TK135 name a CA the pods would verify prod\'s server with that is not the manifest\'s', async () => {
    const other = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIBimpostor\n-----END CERTIFICATE-----\n').toString('base64');
    const g = await messages(golden('lp-ca', (o) => { container(o, 'golden-dump').env.find((e: any) => e.name === 'TIERKIT_PG_CA_BASE64').value = other; }), 'TK133');
    expect(g).toEqual([expect.stringContaining('container "golden-dump" sets TIERKIT_PG_CA_BASE64 to')]);
    const r = await messages(reset('lp-ca-reset', (o) => { container(o, 'reset').env = container(o, 'reset').env.filter((e: any) => e.name !== 'PGSSLROOTCERT'); }), 'TK135');
    expect(r).toHaveLength(1);
  });

  it('TK133 names an added container (it would hold the producer token) and a scratch volume that is not an emptyDir', async () => {
    const got = await messages(golden('lp-container', (o) => {
      spec(o).containers.push({ name: 'extra', image: 'busybox', command: ['sh'] });
      spec(o).volumes.find((v: any) => v.name === 'scratch').hostPath = { path: '/srv' };
    }), 'TK133');
    expect(got).toHaveLength(1);
    expect(got[0]).toContain('its containers are ["publish-seed-hash","extra"], not ["publish-seed-hash"]');
    expect(got[0]).toContain('volume "scratch" is not one emptyDir of the pod');
  });

  it('TK135 names a reset restoring another dump file, and an agent-inject-file rename of its hash file', async () => {
    const got = await messages(reset('lp-reset', (o) => {
      container(o, 'reset').env.find((e: any) => e.name === 'TIERKIT_DUMP_FILE').value = '/tmp/seed.dump';
      ann(o)[`${A}agent-inject-file-seed`] = 'published';
    }), 'TK135');
    expect(got).toHaveLength(1);
    expect(got[0]).toContain('restores seed "golden" but annotation vault.hashicorp.com/agent-inject-file-seed is not one tierkit renders');
    expect(got[0]).toContain('container "reset" sets TIERKIT_DUMP_FILE to "/tmp/seed.dump", not "/seeds/seed.dump"');
  });

  it('TK135 names a reset env var read from a secret, and an envFrom', async () => {
    const got = await messages(reset('lp-reset-from', (o) => {
      const c = container(o, 'reset');
      c.env.find((e: any) => e.name === 'PGHOST').valueFrom = { secretKeyRef: { name: 'x', key: 'y' } };
      c.envFrom = [{ configMapRef: { name: 'x' } }];
    }), 'TK135');
    expect(got).toHaveLength(1);
    expect(got[0]).toContain('container "reset" carries envFrom');
    expect(got[0]).toContain('container "reset" sets PGHOST to');
  });

  it("TK133 and TK135 name an image other than tierkit's pinned one, though pinned by digest (it runs the script)", async () => {
    const other = `docker.io/library/postgres:16@sha256:${'b'.repeat(64)}`;
    const g = await messages(golden('lp-image', (o) => { container(o, 'golden-dump').image = other; }), 'TK133');
    expect(g).toEqual([expect.stringContaining(`container "golden-dump" runs image "${other}", not tierkit's "`)]);
    const r = await messages(reset('lp-reset-image', (o) => { container(o, 'reset').image = other; }), 'TK135');
    expect(r).toEqual([expect.stringContaining(`container "reset" runs image "${other}", not tierkit's "`)]);
  });
});
