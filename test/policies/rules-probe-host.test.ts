import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { CheckReport } from '../../policies/report/finding';
import { check, cleanDist, findings, freshDir } from './helpers';
import { rehashManifest } from './rehash';

// TK168 (no probe or lifecycle hook dials a host of its own: the kubelet dials it from the node,
// past every NetworkPolicy), TK179's exact comparison of the preview workload's replicas, ports,
// probes and resources and of the hook Jobs' backoffLimit / ttlSecondsAfterFinished, and TK176's
// pinned Pod Security version. Each case edits the synthesized example by hand, manifest re-hashed.

const PREVIEW = 'k8s/dev/previews/erp/preview.k8s.yaml';
const docs = (dir: string, file: string): any[] => parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map((d) => d.toJS());

async function checkEdited(edits: Record<string, (objects: any[]) => void>): Promise<CheckReport> {
  const dir = freshDir('probe-host');
  cpSync(cleanDist(), dir, { recursive: true });
  for (const [file, edit] of Object.entries(edits)) {
    const objects = docs(dir, file);
    edit(objects);
    writeFileSync(join(dir, file), objects.map((o) => `---\n${stringify(o)}`).join(''));
  }
  rehashManifest(dir);
  return check(dir);
}

const messages = (r: CheckReport, id: string) => findings(r, id).map((f) => f.message);
const kind = (objects: any[], k: string, name?: string) => objects.find((o) => o.kind === k && (name === undefined || o.metadata.name === name));

describe('TK168: probe and lifecycle hosts', () => {
  it('refuses a host on any probe or hook of any container of any pod kind; an empty host (the pod IP) passes', async () => {
    const report = await checkEdited({
      'k8s/dev/erp-dev.k8s.yaml': (objects) => {
        const c = kind(objects, 'Deployment').spec.template.spec.containers[0];
        c.startupProbe = { tcpSocket: { host: '10.20.5.10', port: 5432 } };
        c.readinessProbe.httpGet.host = ''; // the pod IP: what Kubernetes does without a host
        c.lifecycle = { preStop: { httpGet: { host: 'pg-prod.arcodange.lab', port: 5432, path: '/' } } };
      },
      'k8s/dev/crm-alice.k8s.yaml': (objects) => {
        const pod = kind(objects, 'CronJob').spec.jobTemplate.spec.template.spec;
        pod.containers[0].lifecycle = { postStart: { tcpSocket: { host: '10.20.5.10', port: 5432 } } };
      },
    });
    const got = messages(report, 'TK168');
    expect(got).toHaveLength(3);
    expect(got.join('\n')).toMatch(/Deployment erp-dev\/erp .*container erp startupProbe\.tcpSocket\.host is "10\.20\.5\.10": the kubelet dials it from the node/);
    expect(got.join('\n')).toMatch(/container erp lifecycle\.preStop\.httpGet\.host is "pg-prod\.arcodange\.lab"/);
    expect(got.join('\n')).toMatch(/CronJob crm-alice\/.*lifecycle\.postStart\.tcpSocket\.host is "10\.20\.5\.10"/);
    expect(got.join('\n')).not.toMatch(/readinessProbe/);
    // An env-level suppression cannot quiet it: unsuppressible.
    expect(findings(report, 'TK168').every((f) => f.severity === 'error' && f.suppressed === undefined)).toBe(true);
  }, 120_000);

  it('fails a pod whose containers tierkit cannot model, and a Vault injector option that rewrites containers', async () => {
    const report = await checkEdited({
      'k8s/dev/erp-dev.k8s.yaml': (objects) => {
        kind(objects, 'Deployment').spec.template.metadata.annotations['vault.hashicorp.com/agent-json-patch'] = '[{"op":"add","path":"/readinessProbe","value":{"tcpSocket":{"host":"10.20.5.10","port":5432}}}]';
      },
    });
    expect(messages(report, 'TK168')).toEqual([expect.stringMatching(/Deployment erp-dev\/erp .*agent-json-patch.*cannot be shown to dial only the pod/)]);
  }, 120_000);
});

describe('TK179: the preview workload and Jobs, value by value', () => {
  it('refuses replicas, ports, resources and probes other than tierkit\'s, and another backoffLimit / ttlSecondsAfterFinished', async () => {
    const report = await checkEdited({
      [PREVIEW]: (objects) => {
        const d = kind(objects, 'Deployment');
        d.spec.replicas = 500;
        const c = d.spec.template.spec.containers[0];
        c.ports = [{ containerPort: 5432, name: 'http', hostPort: 5432 }];
        c.resources.limits.cpu = '64';
        c.livenessProbe.periodSeconds = 1;
        c.readinessProbe.httpGet.httpHeaders = [{ name: 'X-Attack', value: '1' }];
        const create = kind(objects, 'Job', 'erp-previews-create');
        create.spec.backoffLimit = 50;
        delete create.spec.ttlSecondsAfterFinished;
      },
    });
    const got = messages(report, 'TK179').join('\n');
    expect(got).toContain('Deployment/erp-preview: runs 500 replicas; exactly 1');
    expect(got).toMatch(/Deployment\/erp-preview: has ports .*"hostPort":5432.*; exactly \[\{"containerPort":\d+,"name":"http"\}\]/);
    expect(got).toMatch(/Deployment\/erp-preview: has resources .*"cpu":"64".*; exactly the env's/);
    expect(got).toMatch(/Deployment\/erp-preview: livenessProbe is .*"periodSeconds":1\}; exactly \{"httpGet":\{"path":"\/healthz","port":"http"\},"initialDelaySeconds":10,"periodSeconds":20,"failureThreshold":6\}/);
    expect(got).toMatch(/Deployment\/erp-preview: readinessProbe is .*X-Attack.*a probe host is dialled from the node/);
    expect(got).toContain('Deployment/erp-preview: breaks the restricted Pod Security profile (Host Ports)');
    expect(got).toContain('Job/erp-previews-create: backoffLimit is 50; exactly 0');
    expect(got).toContain('Job/erp-previews-create: ttlSecondsAfterFinished is null; exactly 3600');
    expect(messages(report, 'TK179')).toHaveLength(8);
  }, 120_000);

  it('cannot compare when the hosting env\'s workload is gone, and says so', async () => {
    const report = await checkEdited({
      'k8s/dev/erp-dev.k8s.yaml': (objects) => { kind(objects, 'Deployment').metadata.name = 'erp-renamed'; },
    });
    expect(messages(report, 'TK179')).toContainEqual(expect.stringContaining("the env erp-dev's workload erp-dev/erp is not in dist/, so its port, probes and resources cannot be compared"));
  }, 120_000);
});

describe('TK179: a hosting env rolled out by a Rollout', () => {
  it('compares with the Deployment the Rollout runs (workloadRef), not a second workload', async () => {
    const report = await checkEdited({
      'k8s/dev/erp-dev.k8s.yaml': (objects) => {
        const d = kind(objects, 'Deployment');
        objects.push({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', metadata: { ...d.metadata },
          spec: { replicas: 1, selector: d.spec.selector, workloadRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: d.metadata.name }, strategy: { canary: { steps: [{ setWeight: 100 }] } } } });
      },
    });
    expect(messages(report, 'TK179')).toEqual([]);
  }, 120_000);
});

describe('TK176: the preview namespace\'s Pod Security version', () => {
  it('is exactly the version tierkit pins, not any v1.<n>', async () => {
    const report = await checkEdited({
      'k8s/dev/argocd/applications.k8s.yaml': (objects) => {
        const labels = kind(objects, 'ApplicationSet').spec.template.spec.syncPolicy.managedNamespaceMetadata.labels;
        labels['pod-security.kubernetes.io/enforce-version'] = 'v1.0';
      },
    });
    expect(messages(report, 'TK176')).toEqual([expect.stringContaining('label pod-security.kubernetes.io/enforce-version is "v1.0"; exactly "v1.32"')]);
  }, 120_000);
});
