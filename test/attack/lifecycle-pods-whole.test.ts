// fix16 (issue 19, after attack16): the same three holes outside the template reset. A restore reset's
// scale steps, an hourly (demo) reset's revoke and flags steps beyond what TK125/TK127 read (the image),
// a restore reset handed the agent's token by naming its own "revoke-leases", and pod-level fields
// (hostAliases, dnsConfig, shareProcessNamespace) on the golden dump, a seed producer, a reset and a TTL sweep all
// passed check on a hand-edited dist/ (re-hashed). The preview Jobs (TK179) already refuse such keys:
// kept here as a regression. Each pod is compared whole now (policies/rules/support/pod-compare.ts).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { Sandbox, SandboxKind, SandboxReset, Tier, type Estate } from '../../constructs';
import { check, cleanDist, findings, freshDir, synthDist } from '../policies/helpers';
import { editDist, rehashManifest } from '../policies/rehash';

/** A copy of the example dist with one object of one file edited, re-hashed as an author would. */
function edited(label: string, file: string, kind: string, name: string, edit: (o: any) => void): string {
  const dir = editDist(cleanDist(), freshDir(label), {});
  const path = join(dir, 'k8s', file);
  const docs = parseAllDocuments(readFileSync(path, 'utf8')).map((d) => d.toJS());
  const o = docs.find((d: any) => d?.kind === kind && d.metadata?.name === name);
  if (!o) throw new Error(`${kind} ${name} is not in ${file}`);
  edit(o);
  writeFileSync(path, docs.map((d) => stringify(d)).join('---\n'));
  rehashManifest(dir);
  return dir;
}
const cronPod = (o: any) => o.spec.jobTemplate.spec.template;
const errors = async (dir: string, id: string) => {
  const report = await check(dir);
  return findings(report, id).filter((f) => f.severity === 'error').map((f) => f.message);
};
const EVIL = ['/bin/bash', '-c', '. /vault/secrets/database; export PGUSER PGPASSWORD; psql -c "ALTER ROLE shop_bob_checkout_app CREATEDB"'];

describe('fix16: every lifecycle pod compared whole', () => {
  it('TK135: a restore reset whose scale-up runs SQL with the reset\'s login, or whose scale-down scales nothing, is an error', async () => {
    const dir = edited('f16-restore-scale', 'dev/shop-bob-checkout.k8s.yaml', 'CronJob', 'shop-bob-checkout-reset', (o) => {
      const pod = cronPod(o);
      const reset = pod.spec.initContainers.find((c: any) => c.name === 'reset');
      const up = pod.spec.containers.find((c: any) => c.name === 'scale-up');
      Object.assign(up, { image: reset.image, command: EVIL });
      pod.spec.initContainers.find((c: any) => c.name === 'scale-down').env.find((v: any) => v.name === 'TIERKIT_REPLICAS').value = '1';
    });
    const messages = await errors(dir, 'TK135');
    expect(messages).toEqual([expect.stringContaining('CronJob "shop-bob-checkout/shop-bob-checkout-reset" container "reset"')]);
    expect(messages[0]).toContain('container "scale-up" does not run tierkit\'s script');
    expect(messages[0]).toContain('container "scale-down" sets TIERKIT_REPLICAS to "1", not "0"');
  });

  it('TK135: a restore reset that names its own "revoke-leases"/"reset-flags" steps and takes the agent\'s token is an error', async () => {
    const dir = edited('f16-restore-slots', 'dev/shop-bob-checkout.k8s.yaml', 'CronJob', 'shop-bob-checkout-reset', (o) => {
      const pod = cronPod(o);
      const reset = pod.spec.initContainers.find((c: any) => c.name === 'reset');
      pod.metadata.annotations['vault.hashicorp.com/agent-inject-token'] = 'true';
      for (const name of ['revoke-leases', 'reset-flags']) pod.spec.initContainers.push({ ...JSON.parse(JSON.stringify(reset)), name, command: [...EVIL], volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }] });
    });
    const [message, ...rest] = await errors(dir, 'TK135');
    expect(rest).toEqual([]);
    expect(message).toContain('annotation vault.hashicorp.com/agent-inject-token is not one tierkit renders');
    expect(message).toContain('its initContainers are ["scale-down","reset","revoke-leases","reset-flags"], not ["scale-down","reset"]');
  });

  it('TK135: an hourly reset\'s revoke step in another image (TK125 reads only its command and path) is an error', async () => {
    const dir = edited('f16-demo-revoke', 'demo/shop-demo.k8s.yaml', 'CronJob', 'shop-demo-reset', (o) => {
      const pod = cronPod(o);
      const reset = pod.spec.initContainers.find((c: any) => c.name === 'reset');
      pod.spec.initContainers.find((c: any) => c.name === 'revoke-leases').image = reset.image;
      pod.spec.initContainers.find((c: any) => c.name === 'reset-flags').env.push({ name: 'KUBECONFIG', value: '/tmp/kubeconfig' });
    });
    const messages = await errors(dir, 'TK135');
    expect(messages).toEqual([expect.stringContaining('CronJob "shop-demo/shop-demo-reset" container "reset"')]);
    expect(messages[0]).toMatch(/container "revoke-leases" runs image "[^"]*postgres[^"]*", not tierkit's "[^"]*curl/);
    expect(messages[0]).toContain('container "reset-flags" sets "KUBECONFIG", which tierkit does not render');
  });

  it('TK133, TK138, TK135: hostAliases, a DNS override or a shared process namespace on the golden dump, a seed producer or a reset is an error', async () => {
    const dump = edited('f16-dump-hosts', 'prod/erp.k8s.yaml', 'CronJob', 'erp-golden-dump', (o) => {
      cronPod(o).spec.hostAliases = [{ ip: '10.20.66.6', hostnames: ['pg-prod.arcodange.lab'] }];
    });
    expect(await errors(dump, 'TK133')).toEqual(expect.arrayContaining([expect.stringContaining('its pod spec sets hostAliases')]));
    const producer = edited('f16-producer-dns', 'ci/crm-ci.k8s.yaml', 'CronJob', 'crm-ci-seed-synthetic-v1', (o) => {
      Object.assign(cronPod(o).spec, { dnsPolicy: 'None', dnsConfig: { nameservers: ['10.10.66.6'] } });
    });
    expect(await errors(producer, 'TK138')).toEqual([expect.stringContaining('its pod spec sets dnsConfig {"nameservers":["10.10.66.6"]}, dnsPolicy "None"')]);
    const reset = edited('f16-reset-pid', 'demo/shop-demo.k8s.yaml', 'CronJob', 'shop-demo-reset', (o) => {
      cronPod(o).spec.shareProcessNamespace = true;
    });
    expect(await errors(reset, 'TK135')).toEqual([expect.stringContaining('its pod spec sets shareProcessNamespace true')]);
  });

  it('TK122: hostAliases on a TTL sweep (its revoke then reaches another Vault and fails: the leases live on) is an error', async () => {
    const dir = edited('f16-sweep-hosts', 'dev/crm-alice.k8s.yaml', 'CronJob', 'crm-alice-ttl-sweep', (o) => {
      cronPod(o).spec.hostAliases = [{ ip: '10.10.66.6', hostnames: ['vault.arcodange.lab'] }];
    });
    expect(await errors(dir, 'TK122')).toEqual([expect.stringContaining('TTL-sweep CronJob crm-alice/crm-alice-ttl-sweep of crm-alice (tier dev): its pod spec sets hostAliases')]);
  });

  it('the default dnsPolicy written out (ClusterFirst) is the same pod: no finding', async () => {
    const dir = edited('f16-dns-default', 'demo/shop-demo.k8s.yaml', 'CronJob', 'shop-demo-reset', (o) => {
      cronPod(o).spec.dnsPolicy = 'ClusterFirst';
    });
    const report = await check(dir);
    expect(report.findings.filter((f) => f.severity === 'error').map((f) => `${f.ruleId}: ${f.message}`)).toEqual([]);
  });

  it('a template-reset sandbox on the hourly (demo) tier passes as rendered (TK125/TK127 find its clone as the restore); its revoke step is compared whole', async () => {
    const base = synthDist((e: Estate) => {
      const crm = e.node.tryFindChild('crm') as ConstructorParameters<typeof Sandbox>[0];
      new Sandbox(crm, 'fastdemo', { tier: Tier.DEMO, kind: SandboxKind.ENGINEER, owner: 'arcodange', createdAt: '2026-11-21', ttlHours: 72, reset: SandboxReset.TEMPLATE });
    }, 'f16-demo-template');
    const report = await check(base);
    expect(report.findings.filter((f) => f.severity === 'error').map((f) => `${f.ruleId}: ${f.message}`)).toEqual([]);
    const dir = editDist(base, freshDir('f16-demo-template-revoke'), {});
    const path = join(dir, 'k8s', 'demo', 'crm-fastdemo.k8s.yaml');
    const docs = parseAllDocuments(readFileSync(path, 'utf8')).map((d) => d.toJS());
    const pod = cronPod(docs.find((d: any) => d?.kind === 'CronJob' && d.metadata?.name === 'crm-fastdemo-reset'));
    pod.spec.initContainers.find((c: any) => c.name === 'revoke-leases').image = pod.spec.initContainers.find((c: any) => c.name === 'reset').image;
    writeFileSync(path, docs.map((d) => stringify(d)).join('---\n'));
    rehashManifest(dir);
    expect(await errors(dir, 'TK184')).toEqual([expect.stringMatching(/CronJob "crm-fastdemo\/crm-fastdemo-reset" runs as "crm-fastdemo-reset".*container "revoke-leases" runs image/)]);
  });

  it('TK179 (regression): hostAliases or a DNS override on a preview Job is an error', async () => {
    const dir = edited('f16-preview-hosts', 'dev/previews/erp/preview.k8s.yaml', 'Job', 'erp-previews-create', (o) => {
      Object.assign(o.spec.template.spec, { hostAliases: [{ ip: '10.10.66.6', hostnames: ['pg-nonprod.arcodange.lab'] }], dnsConfig: { nameservers: ['10.10.66.6'] } });
    });
    const messages = await errors(dir, 'TK179');
    expect(messages).toEqual(expect.arrayContaining([expect.stringContaining('sets spec.hostAliases'), expect.stringContaining('sets spec.dnsConfig')]));
  });
});
