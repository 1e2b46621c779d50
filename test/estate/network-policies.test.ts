// Egress of every pod of every app-environment, computed the way a CNI does it: the union of the
// egress rules of every NetworkPolicy (Egress type) that selects the pod; nothing else goes out.
import { beforeAll, describe, expect, it } from 'vitest';
import * as naming from '../../constructs/naming';
import type { ManifestAppEnvironment } from '../../constructs/synth/manifest';
import exampleEstate from '../../environments';
import { DistContents } from '../../policies/dist';
import { synthToDist } from '../support/synth';

let dist: DistContents;
beforeAll(() => {
  dist = synthToDist(undefined, 'netpol');
});

const estate = exampleEstate();
const DNS = 'dns:53/UDP+TCP';
const vault = `${estate.vaultEndpoint!.cidr}:${estate.vaultEndpoint!.port}/TCP`;
const api = `${estate.kubernetesApi!.cidr}:${estate.kubernetesApi!.port}/TCP`;
const serverOf = (env: ManifestAppEnvironment) => {
  const s = estate.servers.find((x) => x.serverId === env.server)!;
  return s.cidr ? `${s.cidr}:${s.port}/TCP` : undefined;
};

type Obj = Record<string, any>;
const objectsOf = (env: ManifestAppEnvironment): Obj[] =>
  dist.kubernetes.filter((o) => o.file === naming.dist.k8sAppEnvironment(env.tier, env)).map((o) => o.object);

/** The pods an env runs, by role: the workload and one per lifecycle CronJob (`tierkit.io/job`). */
function podsOf(env: ManifestAppEnvironment): Map<string, Record<string, string>> {
  const objects = objectsOf(env);
  const pods = new Map<string, Record<string, string>>();
  pods.set('workload', objects.find((o) => o.kind === 'Deployment')!.spec.template.metadata.labels);
  for (const cj of objects.filter((o) => o.kind === 'CronJob')) {
    const labels = cj.spec.jobTemplate.spec.template.metadata.labels;
    pods.set(labels['tierkit.io/job'], labels);
  }
  return pods;
}

function selects(selector: Obj, labels: Record<string, string>): boolean {
  expect(selector.matchExpressions ?? []).toEqual([]);
  return Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
}

/** `cidr:port/proto` for each destination a pod may reach; `dns:53/UDP+TCP` for kube-dns. */
function egressOf(env: ManifestAppEnvironment, labels: Record<string, string>): string[] {
  const out = new Set<string>();
  for (const np of objectsOf(env).filter((o) => o.kind === 'NetworkPolicy')) {
    if (!np.spec.policyTypes.includes('Egress') || !selects(np.spec.podSelector, labels)) continue;
    for (const rule of np.spec.egress ?? []) {
      const ports = (rule.ports ?? []).map((p: Obj) => `${p.port}/${p.protocol}`);
      for (const peer of rule.to ?? [{ all: true }]) {
        if (peer.all) out.add('*');
        else if (peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === 'kube-system') out.add(DNS);
        else if (peer.ipBlock && ports.length === 0) out.add(`${peer.ipBlock.cidr}:*`);
        else for (const p of ports) out.add(`${peer.ipBlock.cidr}:${p}`);
      }
    }
  }
  return [...out].sort();
}

const envs = () => dist.manifest.appEnvironments;
const bySlug = (slug: string) => envs().find((e) => e.slug === slug)!;

describe('egress of every pod: default-deny, then only what it needs', () => {
  it('each pod reaches DNS, the tier allow list (unless the tier denies egress), its own server and Vault; only reset and TTL-sweep pods reach the API server', () => {
    for (const env of envs()) {
      const tier = dist.manifest.tiers.find((t) => t.name === env.tier)!;
      // A port-less allow-list entry opens every port; a target (egressTargets) its declared ports only.
      const listed = (c: string) => tier.egressTargets?.find((t) => t.cidr === c)?.ports.map((p) => `${c}:${p.port}/${p.protocol}`) ?? [`${c}:*`];
      const base = [DNS, ...(tier.egress === 'deny' || env.sandbox?.egress === false ? [] : tier.egressAllowList.flatMap(listed)), vault, serverOf(env)]
        .filter((x): x is string => x !== undefined);
      for (const [role, labels] of podsOf(env)) {
        const expected = naming.API_SCALER_JOBS.includes(role) ? [...base, api] : base;
        expect(egressOf(env, labels), `${env.slug} ${role}`).toEqual([...expected].sort());
      }
    }
  });

  it('erp-sandbox (tier dev, database on the prod server) reaches the prod server, not the dev server', () => {
    const sandbox = bySlug('erp-sandbox');
    for (const [role, labels] of podsOf(sandbox)) {
      const egress = egressOf(sandbox, labels);
      expect(egress, role).toContain('10.20.5.10/32:5432/TCP');
      expect(egress, role).not.toContain('10.10.5.10/32:5432/TCP');
    }
    const policy = objectsOf(sandbox).find((o) => o.metadata.name === 'allow-egress-postgres')!;
    expect(policy.spec).toEqual({
      podSelector: { matchLabels: { 'tierkit.io/app': 'erp', 'tierkit.io/env': 'sandbox' } },
      policyTypes: ['Egress'],
      egress: [{ to: [{ ipBlock: { cidr: '10.20.5.10/32' } }], ports: [{ protocol: 'TCP', port: 5432 }] }],
    });
    // The dev tier's own envs stay on the dev server.
    expect(egressOf(bySlug('erp-dev'), podsOf(bySlug('erp-dev')).get('workload')!)).not.toContain('10.20.5.10/32:5432/TCP');
  });

  it('the demo tier denies egress, yet its workload reaches its server and Vault, and its reset the API server', () => {
    const demo = bySlug('shop-demo');
    const pods = podsOf(demo);
    expect([...pods.keys()].sort()).toEqual(['reset', 'workload']);
    expect(egressOf(demo, pods.get('workload')!)).toEqual([DNS, '10.0.8.0/28:8200/TCP', '10.10.5.10/32:5432/TCP'].sort());
    expect(egressOf(demo, pods.get('reset')!)).toEqual([DNS, '10.0.1.0/28:6443/TCP', '10.0.8.0/28:8200/TCP', '10.10.5.10/32:5432/TCP'].sort());
  });

  it('no pod but a reset or TTL-sweep pod reaches the API server, each through a policy of its own; envs without them have none', () => {
    for (const env of envs()) {
      const apiPolicies = objectsOf(env).filter((o) => o.kind === 'NetworkPolicy' && o.metadata.name.startsWith('allow-egress-kubernetes-api'));
      const pods = podsOf(env);
      const scalers = [...pods.keys()].filter((role) => naming.API_SCALER_JOBS.includes(role));
      expect(apiPolicies.map((p) => p.spec.podSelector.matchLabels[naming.LABELS.job]).sort(), env.slug).toEqual(scalers.sort());
      expect(scalers.includes('ttl-sweep'), env.slug).toBe(env.sandbox !== undefined);
      for (const [role, labels] of pods) expect(egressOf(env, labels).includes(api), `${env.slug} ${role}`).toBe(naming.API_SCALER_JOBS.includes(role));
    }
    // The golden dump (prod namespace) reads prod through Vault, and never scales anything.
    expect(egressOf(bySlug('erp'), podsOf(bySlug('erp')).get('golden-dump')!)).not.toContain(api);
  });

  it('a server without a declared cidr gets no egress policy (local-pg is `localhost`)', () => {
    const local = bySlug('crm-local');
    expect(objectsOf(local).map((o) => o.metadata.name)).not.toContain('allow-egress-postgres');
    expect(egressOf(local, podsOf(local).get('workload')!)).toEqual([DNS, vault].sort());
  });
});
