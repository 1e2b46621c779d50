import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { App, Estate, PostgresServer, Tier } from '../../constructs';
import { synthesize } from '../../constructs/synth/synthesize';
import { writeDist } from '../../constructs/synth/write';
import { readDist } from '../../policies/dist';
import { validateKubernetesObject } from '../support/k8s-schema';
import { check, cleanDist, distWithFiles, env, findings, freshDir, synthDist } from './helpers';
import { TEST_CA_PEM } from '../support/ca';

const RUNTIME_RULES = ['TK050', 'TK051', 'TK052', 'TK053', 'TK054', 'TK055', 'TK056'];

/** A copy of `base` whose synthesized manifest `file` was edited after synthesis (a hand edit of dist/). */
function editManifest(file: string, edit: (docs: any[]) => void, base = cleanDist()): string {
  const dir = freshDir('edited');
  cpSync(base, dir, { recursive: true });
  const path = join(dir, file);
  const docs = parseAllDocuments(readFileSync(path, 'utf8')).map((d) => d.toJS());
  edit(docs);
  // The edit stays a valid Kubernetes object: the rules, not the schema, must catch it.
  for (const d of docs) validateKubernetesObject(d);
  writeFileSync(path, docs.map((d) => stringify(d)).join('---\n'));
  return dir;
}
/** Every Kubernetes object of a dist, as the rules read them. */
const readDistObjects = (dir: string): any[] => readDist(dir).kubernetes.map((k) => k.object);
const find = (docs: any[], kind: string, name?: string) => docs.find((d) => d.kind === kind && (name === undefined || d.metadata.name === name));
/** Messages in a fixed order (the report orders findings by file and pointer). */
const messages = async (dir: string, id: string) => findings(await check(dir), id).map((f) => f.message).sort();

describe('runtime rules on the example estate', () => {
  it('pass: no finding of TK050–TK056', async () => {
    const report = await check(cleanDist());
    expect(report.findings.filter((f) => RUNTIME_RULES.includes(f.ruleId))).toEqual([]);
    expect(report.rules.map((r) => r.id)).toEqual(expect.arrayContaining(RUNTIME_RULES));
  });
});

describe('TK050 namespace Pod Security labels', () => {
  it('catches a namespace relabelled privileged, one without audit/warn, and a hand-written namespace without labels', async () => {
    const dir = editManifest('k8s/dev/erp-sandbox.k8s.yaml', (docs) => {
      const ns = find(docs, 'Namespace');
      ns.metadata.labels['pod-security.kubernetes.io/enforce'] = 'privileged';
      ns.metadata.labels['pod-security.kubernetes.io/enforce-version'] = 'latest';
      delete ns.metadata.labels['pod-security.kubernetes.io/warn'];
    });
    writeFileSync(join(dir, 'k8s/dev/extra.k8s.yaml'), stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'scratch' } }));
    expect(await messages(dir, 'TK050')).toEqual([
      'namespace "erp-sandbox" (erp-sandbox (tier dev)): label pod-security.kubernetes.io/enforce is "privileged", not "restricted"',
      'namespace "erp-sandbox" (erp-sandbox (tier dev)): label pod-security.kubernetes.io/enforce-version is "latest", not a pinned version v1.25 or later',
      'namespace "erp-sandbox" (erp-sandbox (tier dev)): label pod-security.kubernetes.io/warn is null, not "restricted"',
      'namespace "scratch" (no declared app-environment): label pod-security.kubernetes.io/audit is null, not "restricted"',
      'namespace "scratch" (no declared app-environment): label pod-security.kubernetes.io/enforce is null, not "restricted"',
      'namespace "scratch" (no declared app-environment): label pod-security.kubernetes.io/enforce-version is null, not a pinned version v1.25 or later',
      'namespace "scratch" (no declared app-environment): label pod-security.kubernetes.io/warn is null, not "restricted"',
    ]);
  });

  it('cannot be suppressed for a namespace that shares prod\'s cluster', async () => {
    const base = synthDist((e) => env(e, 'crm', 'alice').addSuppression('TK050', 'the sandbox runs a privileged debugger for a week'));
    const dir = editManifest('k8s/dev/crm-alice.k8s.yaml', (docs) => {
      find(docs, 'Namespace').metadata.labels['pod-security.kubernetes.io/enforce'] = 'baseline';
    }, base);
    const [f, ...more] = findings(await check(dir), 'TK050');
    expect(more).toEqual([]);
    expect(f).toMatchObject({ severity: 'error', env: 'crm-alice' });
    expect(f.suppressed).toBeUndefined();
  });
});

describe('TK051 Pod Security restricted on every pod template', () => {
  it('catches a hand-edited Deployment on the host network and a hand-written privileged Pod, pointing at the field', async () => {
    const dir = editManifest('k8s/dev/crm-alice.k8s.yaml', (docs) => {
      const spec = find(docs, 'Deployment').spec.template.spec;
      spec.hostNetwork = true;
      spec.containers[0].securityContext.capabilities = { drop: ['NET_RAW'] };
    });
    writeFileSync(join(dir, 'k8s/dev/extra.k8s.yaml'), stringify({
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'debug', namespace: 'crm-alice' },
      spec: { containers: [{ name: 'sh', image: 'busybox@sha256:' + '0'.repeat(64), securityContext: { privileged: true } }] },
    }));
    const found = findings(await check(dir), 'TK051');
    expect(found.filter((f) => f.message.startsWith('Deployment')).map((f) => [f.message, f.pointer]).sort()).toEqual([
      ['Deployment crm-alice/crm (crm-alice (tier dev)): baseline control "Host Namespaces": hostNetwork shares the node\'s namespace', expect.stringMatching(/^\/\d+\/spec\/template\/spec\/hostNetwork$/)],
      ['Deployment crm-alice/crm (crm-alice (tier dev)): restricted control "Capabilities": container crm does not drop ALL capabilities', expect.stringMatching(/^\/\d+\/spec\/template\/spec\/containers\/0\/securityContext\/capabilities\/drop$/)],
    ]);
    const pod = found.filter((f) => f.message.startsWith('Pod')).map((f) => f.message.replace(/^Pod crm-alice\/debug \(crm-alice \(tier dev\)\): /, ''));
    expect(pod).toEqual(expect.arrayContaining([
      'baseline control "Privileged Containers": container sh is privileged',
      'restricted control "Privilege Escalation": container sh does not set allowPrivilegeEscalation false',
      'restricted control "Running as Non-root": container sh may run as root (runAsNonRoot is not true on it or the pod)',
      'restricted control "Seccomp": container sh has no RuntimeDefault or Localhost seccomp profile (on it or the pod)',
    ]));
  });

  it('judges the injected Vault agent: an annotation running it as root fails, and an unmodelled JSON patch fails closed', async () => {
    const dir = editManifest('k8s/prod/erp.k8s.yaml', (docs) => {
      find(docs, 'Deployment').spec.template.metadata.annotations['vault.hashicorp.com/agent-run-as-user'] = '0';
      find(docs, 'CronJob').spec.jobTemplate.spec.template.metadata.annotations['vault.hashicorp.com/agent-json-patch'] = '[]';
    });
    expect(await messages(dir, 'TK051')).toEqual([
      'CronJob erp/erp-golden-dump (erp (tier prod)): the injector options vault.hashicorp.com/agent-json-patch change the injected containers in ways tierkit does not model',
      'Deployment erp/erp (erp (tier prod)): restricted control "Running as Non-root user": container vault-agent runs as UID 0',
      'Deployment erp/erp (erp (tier prod)): restricted control "Running as Non-root user": container vault-agent-init runs as UID 0',
      'Deployment erp/erp (erp (tier prod)): restricted control "Running as Non-root": container vault-agent may run as root (runAsNonRoot is not true on it or the pod)',
      'Deployment erp/erp (erp (tier prod)): restricted control "Running as Non-root": container vault-agent-init may run as root (runAsNonRoot is not true on it or the pod)',
    ]);
  });
});

describe('TK052 container resources', () => {
  it('catches a container without limits, and a prod container (the injected agent too) that is not Guaranteed', async () => {
    const base = editManifest('k8s/dev/crm-alice.k8s.yaml', (docs) => {
      delete find(docs, 'CronJob', 'crm-alice-reset').spec.jobTemplate.spec.template.spec.initContainers[1].resources.limits;
    });
    const dir = editManifest('k8s/prod/erp.k8s.yaml', (docs) => {
      const t = find(docs, 'Deployment').spec.template;
      t.spec.containers[0].resources.requests.memory = '256Mi';
      t.metadata.annotations['vault.hashicorp.com/agent-requests-cpu'] = '10m';
    }, base);
    expect(await messages(dir, 'TK052')).toEqual([
      'CronJob crm-alice/crm-alice-reset (crm-alice (tier dev)): container reset: no readable cpu limit; no readable memory limit',
      'Deployment erp/erp (erp (tier prod)): container erp: memory request 256Mi differs from its limit 512Mi (prod pods are Guaranteed)',
      'Deployment erp/erp (erp (tier prod)): container vault-agent (injected Vault agent): cpu request 10m differs from its limit 250m (prod pods are Guaranteed)',
      'Deployment erp/erp (erp (tier prod)): container vault-agent-init (injected Vault agent): cpu request 10m differs from its limit 250m (prod pods are Guaranteed)',
    ]);
  });
});

describe('TK053 sandbox quota', () => {
  it('catches a sandbox without quota and LimitRange, an inflated quota, and NodePorts allowed', async () => {
    const a = editManifest('k8s/dev/crm-alice.k8s.yaml', (docs) => {
      docs.splice(docs.indexOf(find(docs, 'ResourceQuota')), 1);
      docs.splice(docs.indexOf(find(docs, 'LimitRange')), 1);
    });
    const dir = editManifest('k8s/dev/shop-alice.k8s.yaml', (docs) => {
      const hard = find(docs, 'ResourceQuota').spec.hard;
      hard['limits.cpu'] = '64';
      hard['services.nodeports'] = '5';
    }, a);
    const found = await messages(dir, 'TK053');
    expect(found.slice(0, 2)).toEqual([
      'sandbox namespace "crm-alice" (crm-alice (tier dev)) has no LimitRange giving containers a default and a max for cpu and memory',
      'sandbox namespace "crm-alice" (crm-alice (tier dev)) has no ResourceQuota that applies to every pod',
    ]);
    expect(found.slice(2)).toEqual([
      expect.stringMatching(/^sandbox namespace "shop-alice" \(shop-alice \(tier dev\)\): ResourceQuota sandbox-quota allows limits\.cpu 64, more than its manifests need \(\d+(\.\d+)?\)$/),
      'sandbox namespace "shop-alice" (shop-alice (tier dev)): no ResourceQuota sets services.nodeports to 0',
    ]);
  });

  it('a second, tighter quota is accepted (each quota applies), a second looser one does not loosen', async () => {
    const dir = distWithFiles({ 'k8s/dev/extra.k8s.yaml': [
      { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'tighter', namespace: 'crm-alice' }, spec: { hard: { 'limits.cpu': '1', pods: '100' } } },
      { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'looser', namespace: 'crm-alice' }, spec: { hard: { 'limits.cpu': '64', 'services.nodeports': '10' } } },
    ] });
    expect(await messages(dir, 'TK053')).toEqual([]);
  });

  it('a quota scoped to some pods does not stand in for the sandbox quota', async () => {
    const dir = editManifest('k8s/dev/crm-alice.k8s.yaml', (docs) => {
      const quota = find(docs, 'ResourceQuota');
      quota.spec.scopes = ['Terminating'];
    });
    expect(await messages(dir, 'TK053')).toEqual(['sandbox namespace "crm-alice" (crm-alice (tier dev)) has no ResourceQuota that applies to every pod']);
  });
});

describe('TK054 workload probes', () => {
  it('catches an app container without a readiness probe', async () => {
    const dir = editManifest('k8s/staging/erp-staging.k8s.yaml', (docs) => { delete find(docs, 'Deployment').spec.template.spec.containers[0].readinessProbe; });
    expect(await messages(dir, 'TK054')).toEqual(['Deployment erp-staging/erp (erp-staging (tier staging)): container erp has no readinessProbe']);
  });
});

describe('TK055 service-account tokens', () => {
  it('catches an automounted token, an app container mounting the Vault token, and an API token outside the kubectl steps', async () => {
    const dir = editManifest('k8s/dev/crm-dev.k8s.yaml', (docs) => {
      const spec = find(docs, 'Deployment').spec.template.spec;
      spec.automountServiceAccountToken = true;
      spec.containers[0].volumeMounts.push({ name: 'vault-token', mountPath: '/token' });
      spec.volumes.push({ name: 'api', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } });
    });
    expect(await messages(dir, 'TK055')).toEqual([
      'Deployment crm-dev/crm (crm-dev (tier dev)) automounts its service-account token into every container',
      'Deployment crm-dev/crm (crm-dev (tier dev)): a container mounts the Vault-audience token volume vault-token; only the injected agent may',
      'Deployment crm-dev/crm (crm-dev (tier dev)): volume api projects a token for audience of the API server; only the reset and TTL-sweep kubectl steps may mount an API token',
    ]);
  });
});

describe('TK056 Vault Kubernetes auth audience', () => {
  it('catches an escape hatch that drops the audience; on prod it cannot be suppressed', async () => {
    const dir = synthDist((e) => {
      env(e, 'crm', 'dev').addEscapeHatch((r) => r.kubernetesAuthRole.addOverride('audience', 'https://kubernetes.default.svc'));
      env(e, 'erp', 'prod').addEscapeHatch((r) => r.kubernetesAuthRole.addOverride('audience', null))
        .addSuppression('TK056', 'the legacy agent cannot project a token');
    });
    const found = findings(await check(dir), 'TK056');
    expect(found.map((f) => [f.message, f.suppressed === undefined]).sort()).toEqual([
      ['vault_kubernetes_auth_backend_role.kubernetes_auth_role in stack crm-dev (role crm-dev) accepts tokens of audience "https://kubernetes.default.svc"', true],
      ['vault_kubernetes_auth_backend_role.kubernetes_auth_role in stack erp (role erp) accepts tokens of any audience', true],
    ]);
  });
});

describe('TK057 database caps', () => {
  it('catches an escape hatch lifting the database cap (unsuppressible on prod\'s server) and credentials without CONNECTION LIMIT', async () => {
    const dir = synthDist((e) => {
      env(e, 'erp', 'sandbox').addEscapeHatch((r) => r.database.addOverride('connection_limit', -1))
        .addSuppression('TK057', 'the rehearsal needs a connection storm');
      env(e, 'crm', 'dev').addEscapeHatch((r) => {
        r.vaultRole.creationStatements = [`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}' IN ROLE "crm_dev_role";`];
      });
    });
    const found = findings(await check(dir), 'TK057');
    expect(found.map((f) => [f.message, f.suppressed === undefined]).sort()).toEqual([
      ['crm-dev (tier dev): Vault role "crm-dev" creates credentials with no CONNECTION LIMIT', true],
      ['erp-sandbox (tier dev): database "erp-sandbox" has connection_limit -1, no cap', true],
    ]);
  });
});

describe('TK058 tier placement', () => {
  const podIn = (namespace: string, spec: Record<string, unknown>) => ({
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'squatter', namespace },
    spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec } } },
  });

  it('catches lower-tier pods that tolerate, select or name their way onto prod\'s pool', async () => {
    const dir = distWithFiles({ 'k8s/dev/extra.k8s.yaml': [
      podIn('crm-alice', { tolerations: [{ operator: 'Exists' }] }),
      { ...podIn('shop-dev', { nodeSelector: { 'tierkit.io/pool': 'prod' } }), metadata: { name: 'selector', namespace: 'shop-dev' } },
      { ...podIn('erp-sandbox', { nodeName: 'prod-node-1' }), metadata: { name: 'pinned', namespace: 'erp-sandbox' } },
    ] });
    const report = await check(dir);
    expect(findings(report, 'TK058').map((f) => f.message).sort()).toEqual([
      'Deployment crm-alice/squatter (crm-alice (tier dev)): tolerates the taint of prod\'s node pool (tierkit.io/pool=prod:NoSchedule)',
      'Deployment erp-sandbox/pinned (erp-sandbox (tier dev)): names node prod-node-1, bypassing the scheduler and every taint',
      'Deployment shop-dev/selector (shop-dev (tier dev)): selects prod\'s node pool {"tierkit.io/pool":"prod"}',
    ]);
    expect(report.rules.find((r) => r.id === 'TK058')!.suppressible).toBe(false);
  });

  function placedEstate(prodTaint: boolean) {
    const estate = new Estate({
      name: 'test', domain: 'test.lab', vault: { address: 'https://vault.test.lab' },
      argocd: { repoUrl: 'https://git.test.lab/estate.git' }, ci: { repository: 'test/estate', repositoryId: '100001' },
      tiers: [
        { tier: Tier.PROD, nodePool: { nodeSelector: { pool: 'prod' }, ...(prodTaint ? { taint: { key: 'pool', value: 'prod', effect: 'NoSchedule' as const } } : {}) } },
        { tier: Tier.DEV, argocdDestinationServer: 'https://dev.k8s.test.lab:6443' },
      ],
    });
    new PostgresServer(estate, 'pg', { host: 'pg.test.lab', majorVersion: 16, tiers: [Tier.DEV, Tier.STAGING, Tier.PROD], sslMode: 'verify-full', caCertificatePem: TEST_CA_PEM });
    new App(estate, 'erp', { tiers: [Tier.DEV, Tier.STAGING, Tier.PROD], objectPrefix: 'llx_', image: 'example/erp:1.0.0@sha256:' + 'e'.repeat(64) });
    const dir = freshDir('placed');
    writeDist(dir, synthesize(estate).files);
    return dir;
  }

  it('a tier in a cluster of its own is not on prod\'s nodes; a tier in prod\'s cluster is', async () => {
    const dir = placedEstate(true);
    writeFileSync(join(dir, 'k8s/extra.k8s.yaml'), [podIn('erp-dev', { tolerations: [{ key: 'pool', operator: 'Exists' }] }), podIn('erp-staging', { tolerations: [{ key: 'pool', operator: 'Exists' }] })]
      .map((d) => stringify(d)).join('---\n'));
    const report = await check(dir);
    expect(findings(report, 'TK058').map((f) => f.message)).toEqual([
      'Deployment erp-staging/squatter (erp-staging (tier staging)): tolerates the taint of prod\'s node pool (pool=prod:NoSchedule)',
    ]);
  });

  it('an untainted prod pool takes any pod that selects no other pool', async () => {
    const found = findings(await check(placedEstate(false)), 'TK058').map((f) => f.message);
    expect(found.length).toBeGreaterThan(0);
    expect(found.every((m) => m.startsWith('Deployment erp-staging/') || m.startsWith('CronJob erp-staging/'))).toBe(true);
    expect(found).toContain('Deployment erp-staging/erp (erp-staging (tier staging)): may land on prod\'s node pool {"pool":"prod"}: the pool has no taint and the pod selects no other pool');
  });
});

describe('TK059 Ingress class and TLS', () => {
  it('passes the example estate: every Ingress has the class, its own host and TLS for it', async () => {
    const ingresses = readDistObjects(cleanDist()).filter((o) => o.kind === 'Ingress');
    expect(ingresses.length).toBeGreaterThan(10);
    for (const i of ingresses) {
      expect(i.spec.ingressClassName).toBe('nginx');
      expect(i.spec.tls).toEqual([{ hosts: [i.spec.rules[0].host], secretName: `${i.metadata.name}-tls` }]);
    }
    expect(findings(await check(cleanDist()), 'TK059')).toEqual([]);
  });

  it('catches a sandbox Ingress claiming the prod host (unsuppressible), one without class or TLS, and a catch-all rule', async () => {
    const base = synthDist((e) => env(e, 'crm', 'alice').addSuppression('TK059', 'the demo needs the prod host for a day'));
    const dir = editManifest('k8s/dev/crm-alice.k8s.yaml', (docs) => {
      const spec = find(docs, 'Ingress').spec;
      spec.rules.push({ host: 'crm.arcodange.lab', http: structuredClone(spec.rules[0].http) });
    }, base);
    writeFileSync(join(dir, 'k8s/dev/extra.k8s.yaml'), stringify({
      apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'open', namespace: 'shop-dev' },
      spec: { rules: [{ http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'shop', port: { number: 80 } } } }] } }] },
    }));
    const found = findings(await check(dir), 'TK059');
    expect(found.map((f) => [f.message, f.suppressed === undefined]).sort()).toEqual([
      ['Ingress crm-alice/crm (crm-alice (tier dev)): serves crm.arcodange.lab without TLS (no spec.tls entry with a secretName lists it)', true],
      ['Ingress crm-alice/crm (crm-alice (tier dev)): serves crm.arcodange.lab, not its env\'s own host crm-alice.arcodange.lab', true],
      ['Ingress shop-dev/open (shop-dev (tier dev)): has a rule without a host: it takes requests for any host', true],
      ['Ingress shop-dev/open (shop-dev (tier dev)): names no ingressClassName: the cluster\'s default controller may serve it', true],
    ]);
  });

  it('lets only the controller\'s pods in, not every pod of its namespace', () => {
    const policy = readDistObjects(cleanDist()).find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'allow-ingress-controller')!;
    expect(policy.spec.ingress[0].from).toEqual([{
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } },
      podSelector: { matchLabels: { 'app.kubernetes.io/component': 'controller', 'app.kubernetes.io/name': 'ingress-nginx' } },
    }]);
  });
});
