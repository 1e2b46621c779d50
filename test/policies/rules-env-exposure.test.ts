import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { AdminKind, App, Estate, PostgresServer, Tier } from '../../constructs';
import { synthesize } from '../../constructs/synth/synthesize';
import { writeDist } from '../../constructs/synth/write';
import type { CheckReport } from '../../policies/report/finding';
import { check, cleanDist, findings, freshDir } from './helpers';
import { manifestEdit, rehashManifest } from './rehash';

// TK063: an env's Services, its Ingress and the ingress side of its NetworkPolicies are compared
// whole with what tierkit renders (constructs/synth/kubernetes.ts). Each case edits the synthesized
// example by hand, manifest re-hashed, as a PR author could.

const ERP_DEV = 'k8s/dev/erp-dev.k8s.yaml';
const docs = (dir: string, file: string): any[] => parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map((d) => d.toJS());
const kind = (objects: any[], k: string, name?: string) => objects.find((o) => o.kind === k && (name === undefined || o.metadata.name === name));

async function checkEdited(edits: Record<string, (objects: any[]) => void>, manifest?: (m: any) => void): Promise<CheckReport> {
  const dir = freshDir('env-exposure');
  cpSync(cleanDist(), dir, { recursive: true });
  for (const [file, edit] of Object.entries(edits)) {
    const objects = docs(dir, file);
    edit(objects);
    writeFileSync(join(dir, file), objects.map((o) => `---\n${stringify(o)}`).join(''));
  }
  if (manifest) manifestEdit(dir, manifest);
  rehashManifest(dir);
  return check(dir);
}

const tk063 = (r: CheckReport) => findings(r, 'TK063');
const text = (r: CheckReport) => tk063(r).map((f) => f.message).join('\n');
const meta = (name: string, namespace: string, tier = 'dev') => ({
  name, namespace, labels: { 'tierkit.io/app': namespace.split('-')[0], 'tierkit.io/env': namespace.split('-')[1], 'tierkit.io/tier': tier },
});

describe('TK063: Services, Ingress and ingress policies are exactly tierkit\'s', () => {
  it('passes the example estate (ClusterIP Services, blue-green preview Services, one Ingress per env, the controller policy)', async () => {
    expect(tk063(await check(cleanDist()))).toEqual([]);
  });

  it('refuses externalIPs, another type, loadBalancer fields and a changed port on the env\'s own Service, unsuppressibly', async () => {
    const report = await checkEdited({
      [ERP_DEV]: (objects) => {
        const svc = kind(objects, 'Service', 'erp');
        svc.spec.externalIPs = ['10.20.5.10'];
      },
      'k8s/dev/crm-dev.k8s.yaml': (objects) => {
        const svc = kind(objects, 'Service', 'crm');
        Object.assign(svc.spec, { type: 'LoadBalancer', loadBalancerSourceRanges: ['0.0.0.0/0'] });
      },
      'k8s/prod/erp.k8s.yaml': (objects) => {
        kind(objects, 'Service', 'erp').spec.ports[0].targetPort = 9090;
      },
    }, (m) => {
      const dev = m.appEnvironments.find((e: any) => e.slug === 'erp-dev');
      dev.suppressions = [...dev.suppressions, { ruleId: 'TK063', reason: 'The migration needs the external address for a week.' }];
    });
    const got = tk063(report);
    expect(got.map((f) => f.message.split(' is {')[0]).sort()).toEqual([
      'k8s/dev/crm-dev.k8s.yaml: Service crm-dev/crm',
      'k8s/dev/erp-dev.k8s.yaml: Service erp-dev/erp',
      'k8s/prod/erp.k8s.yaml: Service erp/erp',
    ]);
    expect(text(report)).toMatch(/"externalIPs":\["10\.20\.5\.10"\]/);
    expect(text(report)).toMatch(/"type":"LoadBalancer"/);
    expect(got.every((f) => f.severity === 'error' && f.suppressed === undefined)).toBe(true);
    expect(findings(report, 'TK100').map((f) => f.message).join('\n')).toMatch(/TK063/);
  }, 120_000);

  it('refuses a Service tierkit does not render (ExternalName, NodePort), and one in another env\'s file or the bootstrap', async () => {
    const report = await checkEdited({
      [ERP_DEV]: (objects) => {
        objects.push({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'pgx', namespace: 'erp-dev' }, spec: { type: 'ExternalName', externalName: 'pg-prod.arcodange.lab' } });
        objects.push({ apiVersion: 'v1', kind: 'Service', metadata: meta('erp-preview', 'erp-dev'), spec: { type: 'NodePort', selector: {}, ports: [{ port: 80, nodePort: 30080 }] } });
      },
      'k8s/dev/crm-dev.k8s.yaml': (objects) => {
        objects.push({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'pg', namespace: 'erp-dev' }, spec: { externalIPs: ['10.0.8.1'], ports: [{ port: 8200 }] } });
      },
      'k8s/argocd/dev.k8s.yaml': (objects) => {
        objects.push({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'vault', namespace: 'kube-system' }, spec: { externalIPs: ['10.0.8.1'], ports: [{ port: 8200 }] } });
      },
    });
    const t = text(report);
    expect(t).toMatch(/erp-dev\.k8s\.yaml: Service erp-dev\/pgx tierkit renders no Service pgx there, only erp/);
    // erp-dev is not blue-green: its preview Service name is not tierkit's there either.
    expect(t).toMatch(/Service erp-dev\/erp-preview tierkit renders no Service erp-preview there, only erp/);
    expect(t).toMatch(/crm-dev\.k8s\.yaml: Service erp-dev\/pg is not rendered there/);
    expect(t).toMatch(/k8s\/argocd\/dev\.k8s\.yaml: Service kube-system\/vault is not rendered there/);
    expect(tk063(report)).toHaveLength(4);
  }, 120_000);

  it('refuses an Ingress annotation tierkit does not write, another class in one env of a tier, and another path or backend', async () => {
    const report = await checkEdited({
      [ERP_DEV]: (objects) => {
        kind(objects, 'Ingress').metadata.annotations = { 'nginx.ingress.kubernetes.io/server-snippet': 'location /t { return 200; }' };
      },
      'k8s/dev/crm-dev.k8s.yaml': (objects) => {
        kind(objects, 'Ingress').spec.ingressClassName = 'nginx-internal';
      },
      'k8s/dev/shop-dev.k8s.yaml': (objects) => {
        kind(objects, 'Ingress').spec.rules[0].http.paths.push({ path: '/vault', pathType: 'Prefix', backend: { service: { name: 'pgx', port: { number: 8200 } } } });
      },
    });
    const t = text(report);
    expect(t).toMatch(/Ingress erp-dev\/erp is .*server-snippet/);
    expect(t).toMatch(/Ingress shop-dev\/shop is .*\/vault/);
    // One dev env naming another class makes every dev Ingress's class a finding: tierkit writes one per tier.
    expect(t).toMatch(/Ingress crm-dev\/crm names class "nginx-internal", while the envs of tier dev name "nginx", "nginx-internal"/);
    // The odd one out is reported; the envs that kept the tier's class are not.
    expect(t).not.toMatch(/Ingress (erp-dev\/erp|shop-dev\/shop) names class/);
    expect(tk063(report).every((f) => f.suppressed === undefined && f.severity === 'error')).toBe(true);
  }, 120_000);

  it('refuses an ingress-all policy, a widened controller policy, a default-deny without its ingress side, and a missing default-deny (prod too)', async () => {
    const report = await checkEdited({
      [ERP_DEV]: (objects) => {
        objects.push({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: meta('allow-ingress-all', 'erp-dev'), spec: { podSelector: {}, ingress: [{}], policyTypes: ['Ingress'] } });
        // No policyTypes: Kubernetes reads it as an ingress policy.
        objects.push({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: meta('allow-from-dev', 'erp-dev'), spec: { podSelector: {}, ingress: [{ from: [{ namespaceSelector: {} }] }] } });
      },
      'k8s/dev/crm-dev.k8s.yaml': (objects) => {
        kind(objects, 'NetworkPolicy', 'allow-ingress-controller').spec.ingress[0].from = [{ namespaceSelector: {} }];
        kind(objects, 'NetworkPolicy', 'default-deny').spec.policyTypes = ['Egress'];
      },
      'k8s/prod/erp.k8s.yaml': (objects) => {
        objects.splice(objects.findIndex((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'default-deny'), 1);
      },
    });
    const t = text(report);
    expect(t).toMatch(/NetworkPolicy erp-dev\/allow-ingress-all is an ingress policy .* tierkit does not render/);
    expect(t).toMatch(/NetworkPolicy erp-dev\/allow-from-dev is an ingress policy/);
    expect(t).toMatch(/NetworkPolicy crm-dev\/allow-ingress-controller its peer \[\{"namespaceSelector":\{\}\}\] has the peer keys/);
    expect(t).toMatch(/NetworkPolicy crm-dev\/default-deny is .*"policyTypes":\["Egress"\]/);
    expect(t).toMatch(/k8s\/prod\/erp\.k8s\.yaml: namespace erp has no NetworkPolicy default-deny/);
    expect(tk063(report)).toHaveLength(5);
  }, 120_000);

  it('refuses a controller policy naming another controller in one env, and an env namespace as the controller\'s', async () => {
    const report = await checkEdited({
      [ERP_DEV]: (objects) => {
        kind(objects, 'NetworkPolicy', 'allow-ingress-controller').spec.ingress[0].from[0].namespaceSelector.matchLabels['kubernetes.io/metadata.name'] = 'crm-dev';
      },
      'k8s/dev/shop-dev.k8s.yaml': (objects) => {
        kind(objects, 'NetworkPolicy', 'allow-ingress-controller').spec.ingress[0].from[0].podSelector.matchLabels = { 'tierkit.io/app': 'shop' };
      },
    });
    const t = text(report);
    expect(t).toMatch(/erp-dev\/allow-ingress-controller its peer .* names the app-environment namespace crm-dev/);
    expect(t).toMatch(/shop-dev\/allow-ingress-controller admits .*while the estate's envs admit/);
    expect(tk063(report)).toHaveLength(2);
  }, 120_000);

  it('refuses a namespace-less Service (Argo CD puts it in the env\'s namespace), one in a previews directory, and a controller policy opened to every port', async () => {
    const report = await checkEdited({
      [ERP_DEV]: (objects) => {
        objects.push({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'np' }, spec: { type: 'NodePort', ports: [{ port: 80 }] } });
        delete kind(objects, 'NetworkPolicy', 'allow-ingress-controller').spec.ingress[0].ports;
      },
      'k8s/dev/previews/erp/preview.k8s.yaml': (objects) => {
        objects.push({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'lb' }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }] } });
      },
    });
    const t = text(report);
    expect(t).toMatch(/erp-dev\.k8s\.yaml: Service \(no namespace\)\/np is not rendered there/);
    expect(t).toMatch(/preview\.k8s\.yaml: Service \(no namespace\)\/lb is not rendered there/);
    expect(t).toMatch(/NetworkPolicy erp-dev\/allow-ingress-controller is .*tierkit renders exactly .*"ports":\[\{"port":8080,"protocol":"TCP"\}\]/);
    expect(tk063(report)).toHaveLength(3);
  }, 120_000);

  it('accepts what tierkit renders from estate props: another controller, a tier\'s own class, a cert-manager issuer', async () => {
    const estate = new Estate({
      name: 'ing', domain: 'ing.lab', vault: { address: 'https://vault.ing.lab:8200', cidr: '10.0.8.0/28' },
      argocd: { repoUrl: 'https://git.ing.lab/estate.git' }, ci: { repository: 'ing/estate', repositoryId: '100003' },
      ingressController: { className: 'traefik', namespace: 'traefik', podLabels: { 'app.kubernetes.io/name': 'traefik' }, clusterIssuer: 'lab-ca' },
      tiers: [{ tier: Tier.DEV, ingressClassName: 'traefik-internal' }],
    });
    new PostgresServer(estate, 'nonprod-pg', {
      host: 'pg-nonprod.ing.lab', cidr: '10.10.5.10/32', majorVersion: 18, adminKind: AdminKind.MANAGED, adminRole: 'tierkit_admin', tiers: [Tier.DEV, Tier.DEMO],
    });
    new App(estate, 'erp', { tiers: [Tier.DEV, Tier.DEMO], objectPrefix: 'llx_', image: 'example/erp:1.0.0@sha256:' + 'e'.repeat(64), port: 3000 });
    const dir = freshDir('env-exposure-props');
    writeDist(dir, synthesize(estate).files);
    const objects = docs(dir, 'k8s/dev/erp-dev.k8s.yaml');
    expect(kind(objects, 'Ingress').spec.ingressClassName).toBe('traefik-internal');
    expect(kind(objects, 'Ingress').metadata.annotations).toEqual({ 'cert-manager.io/cluster-issuer': 'lab-ca' });
    expect(tk063(await check(dir))).toEqual([]);
  }, 120_000);
});
