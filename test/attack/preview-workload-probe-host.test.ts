// attack9: TK179 says it compares the per-PR preview manifests "whole" and docs/previews.md says the
// preview workload runs "with DNS only (no Vault agent, no database reach)". But the workload's
// container `readinessProbe`/`livenessProbe`, and the Deployment's `replicas`, are keys TK179 admits
// without judging their values (WORKLOAD_CONTAINER_KEYS / spec keys), and TK054 only checks that the
// probes exist. A probe's `tcpSocket.host` / `httpGet.host` is dialled by the kubelet from the node's
// network, where no NetworkPolicy applies: every preview pod then connects to prod's PostgreSQL
// (pg-prod, 10.20.5.10:5432; the cluster is shared by all tiers, TK044) — or sends GETs with
// arbitrary `httpHeaders` to any prod service — and `replicas: 500` in a namespace that has no
// ResourceQuota multiplies it on the shared cluster. check passes with 0 errors on both.
// The same probe `host` in a declared env's Deployment (dev's erp) passes too (TK115/TK116 judge
// NetworkPolicies only).
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { check, cleanDist, freshDir } from '../policies/helpers';
import { rehashManifest } from '../policies/rehash';

function edited(label: string, rel: string, edit: (docs: any[]) => void): string {
  const dir = freshDir(label);
  cpSync(cleanDist(), dir, { recursive: true });
  const file = join(dir, rel);
  const docs = parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS());
  edit(docs);
  writeFileSync(file, docs.map((d: any) => stringify(d)).join('---\n'));
  rehashManifest(dir);
  return dir;
}

const errorsOf = async (dir: string) => (await check(dir)).findings.filter((f) => f.severity === 'error' && !f.suppressed);

describe('attack9: a probe host and replicas no rule judges', () => {
  it('refuses a preview workload whose probe dials prod\'s PostgreSQL from the node, at 500 replicas', async () => {
    const dir = edited('attack9-probe-host', 'k8s/dev/previews/erp/preview.k8s.yaml', (docs) => {
      const d = docs.find((o) => o.kind === 'Deployment');
      d.spec.replicas = 500;
      const c = d.spec.template.spec.containers[0];
      c.readinessProbe = { tcpSocket: { host: '10.20.5.10', port: 5432 }, periodSeconds: 10, failureThreshold: 3 };
      c.livenessProbe = { httpGet: { host: 'pg-prod.arcodange.lab', port: 5432, path: '/', httpHeaders: [{ name: 'X-Attack', value: '1' }] }, periodSeconds: 20, failureThreshold: 6 };
    });
    const errors = await errorsOf(dir);
    expect(errors.length).toBeGreaterThan(0);
  }, 120_000);

  it('refuses a declared dev env whose probe dials prod\'s PostgreSQL from the node', async () => {
    const dir = edited('attack9-env-probe-host', 'k8s/dev/erp-dev.k8s.yaml', (docs) => {
      const d = docs.find((o) => o.kind === 'Deployment');
      const c = d.spec.template.spec.containers[0];
      c.readinessProbe = { tcpSocket: { host: '10.20.5.10', port: 5432 }, periodSeconds: 10, failureThreshold: 3 };
    });
    const errors = await errorsOf(dir);
    expect(errors.length).toBeGreaterThan(0);
  }, 120_000);
});
