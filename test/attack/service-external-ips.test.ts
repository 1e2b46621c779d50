// attack22: check reads no Service spec. `Service` is a rendered kind (contract/rendered-kinds.ts),
// so an env's file may hold any Service, and no rule looks past its kind and namespace (the only
// reader is TK141, which asks whether a Rollout's Service exists). A hand-edited dist (re-hashed)
// adds to the dev env erp-dev:
//   - Service `pg` with `externalIPs: [10.20.5.10, 10.0.8.1]` (prod-pg's cidr, an address of Vault's
//     10.0.8.0/28) on ports 5432 and 8200, selecting erp-dev's own workload. kube-proxy programs those
//     externalIPs on every node of the cluster every tier shares (the manifest's sharedClusters, TK044's
//     declared exception): every pod that dials 10.20.5.10:5432 (prod's erp workload, the golden dump
//     CronJob) or Vault on 8200 is DNATed to the dev pod (CVE-2020-8554, "by design"; only an admission
//     controller the cluster may not run refuses it). Prod's database and Vault traffic is taken by a
//     dev workload: prod goes down at once, and any client that does not verify the server
//     certificate (stage-pg's envs are `require`) hands its session to the dev pod;
//   - an `allow-ingress-all` NetworkPolicy (`ingress: [{}]`) so the hijacked connections reach it;
//   - Service `pgx`, `type: ExternalName` to pg-prod.arcodange.lab (an unmodelled shape: whoever
//     follows it — an Ingress controller proxying an env's Ingress backend — dials prod from outside
//     every NetworkPolicy of the env).
//   - (same gap, Ingress) annotations on erp-dev's Ingress — `nginx.ingress.kubernetes.io/server-snippet`
//     (raw nginx config in the one `nginx` controller prod's Ingress shares: `alias` of the controller's
//     own service-account token, which reads every Secret of the cluster), `backend-protocol`,
//     `upstream-vhost` — are read by no rule (TK059 reads class, host, rules and TLS only).
// check passes with 0 errors (and `tierkit diff` shows "Nothing needs attention"). Secure: a Service
// in a shape tierkit does not render (externalIPs, ExternalName, type other than ClusterIP,
// loadBalancerIP, externalTrafficPolicy, …) is an unsuppressible error — what check cannot model is a
// finding.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { check, cleanDist, freshDir } from '../policies/helpers';
import { editDist, rehashManifest } from '../policies/rehash';

const HIJACK = `---
apiVersion: v1
kind: Service
metadata:
  labels:
    tierkit.io/app: erp
    tierkit.io/env: dev
    tierkit.io/tier: dev
  name: pg
  namespace: erp-dev
spec:
  externalIPs:
    - 10.20.5.10
    - 10.0.8.1
  ports:
    - name: pg
      port: 5432
      targetPort: 8080
    - name: vault
      port: 8200
      targetPort: 8080
  selector:
    tierkit.io/app: erp
    tierkit.io/component: workload
    tierkit.io/env: dev
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  labels:
    tierkit.io/app: erp
    tierkit.io/env: dev
    tierkit.io/tier: dev
  name: allow-ingress-all
  namespace: erp-dev
spec:
  ingress:
    - {}
  podSelector: {}
  policyTypes:
    - Ingress
`;

const EXTERNAL_NAME = `---
apiVersion: v1
kind: Service
metadata:
  name: pgx
  namespace: erp-dev
spec:
  externalName: pg-prod.arcodange.lab
  type: ExternalName
`;

function withDevObjects(label: string, text: string): string {
  const dir = editDist(cleanDist(), freshDir(label), {});
  const file = join(dir, 'k8s', 'dev', 'erp-dev.k8s.yaml');
  writeFileSync(file, readFileSync(file, 'utf8') + text);
  rehashManifest(dir);
  return dir;
}

describe('attack22: a dev Service in a shape check does not model', () => {
  it('an Ingress annotation tierkit does not write (an nginx server-snippet on the shared controller) is an error', async () => {
    const dir = editDist(cleanDist(), freshDir('a22-ingress-snippet'), {});
    const file = join(dir, 'k8s', 'dev', 'erp-dev.k8s.yaml');
    const before = readFileSync(file, 'utf8');
    const after = before.replace('  name: erp\n  namespace: erp-dev\nspec:\n  ingressClassName: nginx',
      '  annotations:\n    nginx.ingress.kubernetes.io/server-snippet: "location /t { alias /var/run/secrets/kubernetes.io/serviceaccount/token; }"\n'
      + '  name: erp\n  namespace: erp-dev\nspec:\n  ingressClassName: nginx');
    expect(after).not.toBe(before);
    writeFileSync(file, after);
    rehashManifest(dir);
    const report = await check(dir);
    const errors = report.findings.filter((f) => f.severity === 'error' && !f.suppressed);
    expect(errors.filter((f) => `${f.resourcePath ?? ''} ${f.message}`.includes('erp-dev/erp')).map((f) => `${f.ruleId} ${f.message}`)).not.toEqual([]);
  }, 120_000);

  it('a Service whose externalIPs are prod-pg and Vault (hijacking their traffic cluster-wide) is an error', async () => {
    const report = await check(withDevObjects('a22-external-ips', HIJACK));
    const errors = report.findings.filter((f) => f.severity === 'error' && !f.suppressed);
    // Secure: at least one unsuppressed error on Service erp-dev/pg (today: 0 errors in total).
    expect(errors.filter((f) => `${f.resourcePath ?? ''} ${f.message}`.includes('erp-dev/pg')).map((f) => `${f.ruleId} ${f.message}`)).not.toEqual([]);
  }, 120_000);

  it('an ExternalName Service naming the prod server is an error', async () => {
    const report = await check(withDevObjects('a22-external-name', EXTERNAL_NAME));
    const errors = report.findings.filter((f) => f.severity === 'error' && !f.suppressed);
    expect(errors.filter((f) => `${f.resourcePath ?? ''} ${f.message}`.includes('erp-dev/pgx')).map((f) => `${f.ruleId} ${f.message}`)).not.toEqual([]);
  }, 120_000);
});
