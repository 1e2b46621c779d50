/* The Kubernetes half of the baseline: plain cdk8s + cdk8s-plus-32, imported by its index as users do. */
import { ApiObject, App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-32';
import { join } from 'node:path';
import { ESTATE_SETTINGS as S, EstateSpec, TIER_NAMES, TierName } from '../spec';
import { Env, TIERS, environments, host, serverOf, slug } from './config';
// The reset script is data, not library code: a team without tierkit would keep its own copy
// of such a script; sharing the text keeps the objects (and their size) identical.
import { RESET_SCRIPT } from '../../constructs/lifecycle/scripts';
import { KUBECTL, POSTGRES_CLIENT, imageReference } from '../../constructs/lifecycle/images';

const KUBECTL_IMAGE = imageReference(KUBECTL);

// cdk8s-plus's L2 constructs add fields of their own (probes, resources, security defaults), so the
// objects would differ from tierkit's; its L1 `k8s` classes write exactly the objects we mirror.
const { k8s } = kplus;

function labels(e: Env): Record<string, string> {
  return {
    'app.kubernetes.io/managed-by': 'cdk8s', 'app.kubernetes.io/name': e.app, 'app.kubernetes.io/part-of': S.name,
    'tierkit.io/app': e.app, 'tierkit.io/env': e.env, 'tierkit.io/tier': e.tier,
  };
}

function environmentChart(app: App, e: Env): void {
  const ns = slug(e);
  const l = labels(e);
  const meta = (name: string) => ({ name, namespace: ns, labels: l });
  const chart = new Chart(app, ns);
  const annotations = e.sandbox && {
    'tierkit.io/owner': e.sandbox.owner, 'tierkit.io/sandbox-kind': e.sandbox.kind, 'tierkit.io/seed': e.sandbox.seed,
    'tierkit.io/expires-at': new Date(Date.parse(e.sandbox.createdAt) + e.sandbox.ttlHours * 3_600_000).toISOString(),
  };
  new k8s.KubeNamespace(chart, 'namespace', { metadata: { name: ns, labels: l, annotations } });
  new k8s.KubeServiceAccount(chart, 'service_account', { metadata: meta(ns), automountServiceAccountToken: false });
  new k8s.KubeNetworkPolicy(chart, 'default_deny', { metadata: meta('default-deny'), spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] } });
  new k8s.KubeNetworkPolicy(chart, 'allow_dns', {
    metadata: meta('allow-dns'),
    spec: {
      podSelector: {}, policyTypes: ['Egress'],
      egress: [{
        to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
        ports: [{ protocol: 'UDP', port: k8s.IntOrString.fromNumber(53) }, { protocol: 'TCP', port: k8s.IntOrString.fromNumber(53) }],
      }],
    },
  });
  const allowList = S.egressAllowList[e.tier] ?? [];
  if (!TIERS[e.tier].egressDeny && allowList.length > 0) {
    new k8s.KubeNetworkPolicy(chart, 'allow_egress_listed', {
      metadata: meta('allow-egress-listed'),
      spec: {
        podSelector: {}, policyTypes: ['Egress'],
        egress: S.egressPorts[e.tier]
          ? allowList.map((cidr) => ({ to: [{ ipBlock: { cidr } }], ports: S.egressPorts[e.tier]!.map((port) => ({ protocol: 'TCP', port: k8s.IntOrString.fromNumber(port) })) }))
          : [{ to: allowList.map((cidr) => ({ ipBlock: { cidr } })) }],
      },
    });
  }
  // Workload pods only (the reset Job's pods carry the env labels too).
  const selector = { 'tierkit.io/app': e.app, 'tierkit.io/env': e.env, 'tierkit.io/component': 'workload' };
  new k8s.KubeNetworkPolicy(chart, 'allow_ingress_controller', {
    metadata: meta('allow-ingress-controller'),
    spec: {
      podSelector: { matchLabels: selector }, policyTypes: ['Ingress'],
      ingress: [{
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }],
        ports: [{ protocol: 'TCP', port: k8s.IntOrString.fromNumber(e.port) }],
      }],
    },
  });
  new k8s.KubeDeployment(chart, 'deployment', {
    metadata: meta(e.app),
    spec: {
      replicas: 1, selector: { matchLabels: { 'tierkit.io/app': e.app, 'tierkit.io/env': e.env } },
      template: {
        metadata: {
          labels: { ...l, 'tierkit.io/component': 'workload' },
          annotations: {
            'vault.hashicorp.com/agent-inject': 'true', 'vault.hashicorp.com/role': ns,
            'vault.hashicorp.com/agent-inject-secret-database': `postgres/creds/${ns}`,
            'vault.hashicorp.com/agent-inject-secret-config': `kvv2/data/${ns}/config`,
          },
        },
        spec: {
          serviceAccountName: ns, automountServiceAccountToken: true,
          containers: [{
            name: e.app, image: e.image, ports: [{ containerPort: e.port, name: 'http' }],
            env: [{ name: 'TIER', value: e.tier }, { name: 'ENV', value: e.env }, { name: 'ALLOWED_HOST', value: host(e) }],
            securityContext: { allowPrivilegeEscalation: false, runAsNonRoot: true, readOnlyRootFilesystem: true },
          }],
        },
      },
    },
  });
  new k8s.KubeService(chart, 'service', {
    metadata: meta(e.app), spec: { selector, ports: [{ name: 'http', port: 80, targetPort: k8s.IntOrString.fromNumber(e.port) }] },
  });
  new k8s.KubeIngress(chart, 'ingress', {
    metadata: meta(e.app),
    spec: { rules: [{ host: host(e), http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: e.app, port: { name: 'http' } } } }] } }] },
  });
  if (e.sandbox || e.tier === 'demo') resetJob(chart, e, l);
}

const SWEEP_SCRIPT = `set -euo pipefail
[ "$(date -u +%s)" -ge "$TIERKIT_EXPIRES_AT_EPOCH" ] || exit 0
kubectl patch "deployment/$TIERKIT_DEPLOYMENT" --namespace "$TIERKIT_NAMESPACE" --subresource=scale --type=merge --patch '{"spec":{"replicas":0}}'
`;

const securityContext = { allowPrivilegeEscalation: false, runAsNonRoot: true, runAsUser: 999, readOnlyRootFilesystem: true };

/** Sandboxes and the demo tier: a CronJob (hourly on demo, suspended otherwise) that scales to 0, resets, scales back. */
function resetJob(chart: Chart, e: Env, l: Record<string, string>): void {
  const ns = slug(e);
  const name = `${ns}-reset`;
  const meta = { name, namespace: ns, labels: l };
  const server = serverOf(e.tier);
  new k8s.KubeServiceAccount(chart, 'reset_service_account', { metadata: meta, automountServiceAccountToken: false });
  new k8s.KubeRole(chart, 'reset_role', {
    metadata: meta, rules: [{ apiGroups: ['apps'], resources: ['deployments/scale'], resourceNames: [e.app], verbs: ['get', 'patch'] }],
  });
  new k8s.KubeRoleBinding(chart, 'reset_role_binding', {
    metadata: meta, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name }, subjects: [{ kind: 'ServiceAccount', name, namespace: ns }],
  });
  const scale = (to: number) => ({
    name: to === 0 ? 'scale-down' : 'scale-up', image: KUBECTL_IMAGE, securityContext,
    args: ['patch', `deployment/${e.app}`, '--namespace', ns, '--subresource=scale', '--type=merge', '--patch', JSON.stringify({ spec: { replicas: to } })],
  });
  const creds = `postgres/creds/${ns}`;
  const seed = (e.sandbox?.seed ?? e.tier).replace(/[^A-Za-z0-9._-]/g, '-');
  const hourly = e.tier === 'demo';
  // The env's own read-only claim on its one seed: an NFS export bound to this namespace only.
  const seedName = (e.sandbox?.seed ?? e.tier).replace(/:/g, '-');
  const claimName = `tierkit-seed-${seedName}`;
  new k8s.KubePersistentVolume(chart, 'seed_volume', {
    metadata: { name: `tierkit-seed-${ns}-${seedName}` },
    spec: {
      accessModes: ['ReadOnlyMany'], capacity: { storage: k8s.Quantity.fromString('50Gi') }, storageClassName: '',
      claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: ns, name: claimName },
      nfs: { server: 'seeds.bench.lab', path: `/tierkit-seeds/${e.app}/${seedName}`, readOnly: true },
    },
  });
  new k8s.KubePersistentVolumeClaim(chart, 'seed_claim', {
    metadata: { name: claimName, namespace: ns },
    spec: { accessModes: ['ReadOnlyMany'], resources: { requests: { storage: k8s.Quantity.fromString('50Gi') } }, storageClassName: '', volumeName: `tierkit-seed-${ns}-${seedName}` },
  });
  new k8s.KubeCronJob(chart, 'reset', {
    metadata: meta,
    spec: {
      schedule: hourly ? '0 * * * *' : '0 0 31 2 *', suspend: !hourly, concurrencyPolicy: 'Forbid',
      successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 3,
      jobTemplate: {
        spec: {
          backoffLimit: 0,
          template: {
            metadata: {
              labels: { ...l, 'tierkit.io/job': 'reset' },
              annotations: {
                'vault.hashicorp.com/agent-inject': 'true', 'vault.hashicorp.com/agent-pre-populate-only': 'true',
                'vault.hashicorp.com/agent-init-first': 'true', 'vault.hashicorp.com/role': name,
                'vault.hashicorp.com/agent-inject-secret-database': creds,
                'vault.hashicorp.com/agent-inject-template-database':
                  `{{- with secret "${creds}" -}}\nexport PGUSER='{{ .Data.username }}'\nexport PGPASSWORD='{{ .Data.password }}'\n{{- end }}\n`,
              },
            },
            spec: {
              serviceAccountName: name, automountServiceAccountToken: true, restartPolicy: 'Never',
              initContainers: [scale(0), {
                name: 'reset', image: imageReference(POSTGRES_CLIENT[server.majorVersion]), command: ['/bin/bash', '-c', RESET_SCRIPT], securityContext,
                env: [
                  { name: 'PGDATABASE', value: ns }, { name: 'PGHOST', value: server.host }, { name: 'PGPORT', value: String(server.port) },
                  { name: 'PGSSLMODE', value: server.sslMode }, { name: 'TIERKIT_CREDENTIALS_FILE', value: '/vault/secrets/database' },
                  { name: 'TIERKIT_DRAIN_TIMEOUT_SECONDS', value: '120' }, { name: 'TIERKIT_DUMP_FILE', value: `/seeds/${seed}.dump` },
                  { name: 'TIERKIT_GROUP_ROLE', value: `${ns.replace(/-/g, '_')}_role` }, { name: 'TIERKIT_OBJECT_PREFIX', value: e.objectPrefix },
                  { name: 'TIERKIT_VAULT_CONNECTION_ROLE', value: `${ns.replace(/-/g, '_')}_vault` },
                ],
                volumeMounts: [{ name: 'seeds', mountPath: '/seeds', readOnly: true }, { name: 'tmp', mountPath: '/tmp' }],
              }],
              containers: [scale(1)],
              volumes: [{ name: 'seeds', persistentVolumeClaim: { claimName, readOnly: true } }, { name: 'tmp', emptyDir: {} }],
            },
          },
        },
      },
    },
  });
  // The hourly (demo) reset also puts the app's flags back: they live in a ConfigMap.
  if (hourly) {
    new k8s.KubeConfigMap(chart, 'flags', { metadata: { name: `${e.app}-flags`, namespace: ns, labels: l }, data: { 'flags.json': '{}' } });
  }
  if (!e.sandbox) return;
  // A sandbox's TTL sweep: hourly, scale to 0 once the expiry has passed.
  const expiresAt = new Date(Date.parse(e.sandbox.createdAt) + e.sandbox.ttlHours * 3_600_000).toISOString();
  // Its own scale-only identity, and the sandbox's quota and LimitRange (as tierkit writes them).
  const sweep = `${ns}-ttl-sweep`;
  new k8s.KubeServiceAccount(chart, 'ttl_sweep_service_account', { metadata: { ...meta, name: sweep }, automountServiceAccountToken: false });
  new k8s.KubeRole(chart, 'ttl_sweep_role', {
    metadata: { ...meta, name: sweep }, rules: [{ apiGroups: ['apps'], resources: ['deployments/scale'], resourceNames: [e.app], verbs: ['get', 'patch'] }],
  });
  new k8s.KubeRoleBinding(chart, 'ttl_sweep_role_binding', {
    metadata: { ...meta, name: sweep }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: sweep }, subjects: [{ kind: 'ServiceAccount', name: sweep, namespace: ns }],
  });
  const q = (v: string) => k8s.Quantity.fromString(v);
  new k8s.KubeResourceQuota(chart, 'resource_quota', {
    metadata: { ...meta, name: 'sandbox-quota' },
    spec: { hard: { 'limits.cpu': q('3350m'), 'limits.memory': q('2304Mi'), 'requests.cpu': q('1000m'), 'requests.memory': q('1024Mi'), pods: q('4'),
      'services.loadbalancers': q('0'), 'services.nodeports': q('0'), persistentvolumeclaims: q('1') } },
  });
  new k8s.KubeLimitRange(chart, 'limit_range', {
    metadata: { ...meta, name: 'sandbox-limits' },
    spec: { limits: [{ type: 'Container', default: { cpu: q('500m'), memory: q('256Mi') }, defaultRequest: { cpu: q('100m'), memory: q('128Mi') }, max: { cpu: q('1000m'), memory: q('1024Mi') } }] },
  });
  new k8s.KubeCronJob(chart, 'ttl_sweep', {
    metadata: { ...meta, name: `${ns}-ttl-sweep` },
    spec: {
      schedule: '17 * * * *', suspend: false, concurrencyPolicy: 'Forbid', successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 3,
      jobTemplate: {
        spec: {
          backoffLimit: 0,
          template: {
            metadata: { labels: { ...l, 'tierkit.io/job': 'ttl-sweep' } },
            spec: {
              serviceAccountName: name, automountServiceAccountToken: true, restartPolicy: 'Never', volumes: [{ name: 'tmp', emptyDir: {} }],
              containers: [{
                name: 'ttl-sweep', image: KUBECTL_IMAGE, securityContext, command: ['/bin/bash', '-c', SWEEP_SCRIPT],
                env: [{ name: 'TIERKIT_DEPLOYMENT', value: e.app }, { name: 'TIERKIT_NAMESPACE', value: ns }, { name: 'TIERKIT_EXPIRES_AT', value: expiresAt },
                  { name: 'TIERKIT_EXPIRES_AT_EPOCH', value: String(Date.parse(expiresAt) / 1000) }],
              }],
            },
          },
        },
      },
    },
  });
}

/** The tier's AppProject, as a hand-written one would look: destinations, repo, whitelisted kinds. */
function appProject(chart: Chart, id: string, name: string, tier: string, spec: Record<string, unknown>): void {
  new ApiObject(chart, id, {
    apiVersion: 'argoproj.io/v1alpha1', kind: 'AppProject',
    metadata: { name, namespace: 'argocd', labels: { 'app.kubernetes.io/part-of': S.name, 'tierkit.io/tier': tier } },
    spec: { sourceRepos: [S.argoRepoUrl], ...spec },
  });
}

const ENV_KINDS = [['', 'Service'], ['', 'ServiceAccount'], ['apps', 'Deployment'], ['batch', 'CronJob'], ['networking.k8s.io', 'Ingress'],
  ['networking.k8s.io', 'NetworkPolicy'], ['rbac.authorization.k8s.io', 'Role'], ['rbac.authorization.k8s.io', 'RoleBinding']].map(([group, kind]) => ({ group, kind }));

function application(chart: Chart, id: string, p: {
  name: string; project: string; path: string; include?: string; namespace: string; labels: Record<string, string>; resetDeployment?: string;
}): void {
  new ApiObject(chart, id, {
    apiVersion: 'argoproj.io/v1alpha1', kind: 'Application',
    metadata: { name: p.name, namespace: 'argocd', labels: p.labels },
    spec: {
      project: p.project,
      source: { repoURL: S.argoRepoUrl, targetRevision: 'rendered', path: p.path, directory: p.include ? { include: p.include } : undefined },
      destination: { server: 'https://kubernetes.default.svc', namespace: p.namespace },
      // The reset scales the Deployment to 0: self-heal must leave its replicas alone.
      ignoreDifferences: p.resetDeployment
        ? [{ group: 'apps', kind: 'Deployment', name: p.resetDeployment, namespace: p.namespace, jsonPointers: ['/spec/replicas'] }]
        : undefined,
      syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: p.resetDeployment ? ['RespectIgnoreDifferences=true'] : undefined },
    },
  });
}

/** `cdk8s synth`: one App per output directory (k8s/<tier>, k8s/<tier>/argocd, k8s/argocd). */
export function synthKubernetes(spec: EstateSpec, outdir: string): void {
  const envs = environments(spec);
  const tiers = TIER_NAMES.filter((t) => envs.some((e) => e.tier === t));
  const roots = new App({ outdir: join(outdir, 'argocd') });
  for (const tier of tiers) {
    const tierEnvs = envs.filter((e) => e.tier === tier);
    const app = new App({ outdir: join(outdir, tier) });
    for (const e of tierEnvs) environmentChart(app, e);
    app.synth();
    const argo = new App({ outdir: join(outdir, tier, 'argocd') });
    const chart = new Chart(argo, 'applications');
    appProject(chart, 'project', `tierkit-${tier}`, tier, {
      destinations: tierEnvs.map((e) => slug(e)).sort().map((namespace) => ({ namespace, server: 'https://kubernetes.default.svc' })),
      clusterResourceWhitelist: [{ group: '', kind: 'Namespace' }], namespaceResourceWhitelist: ENV_KINDS,
    });
    for (const e of tierEnvs) {
      application(chart, slug(e), {
        name: slug(e), project: `tierkit-${tier}`, path: tier, include: `${slug(e)}.k8s.yaml`, namespace: slug(e), labels: labels(e),
        resetDeployment: e.sandbox || e.tier === 'demo' ? e.app : undefined,
      });
    }
    argo.synth();
    const root = new Chart(roots, tier as TierName);
    appProject(root, 'apps_project', `tierkit-${tier}-apps`, tier, {
      destinations: [{ namespace: 'argocd', server: 'https://kubernetes.default.svc' }], clusterResourceBlacklist: [{ group: '*', kind: '*' }],
      namespaceResourceWhitelist: [{ group: 'argoproj.io', kind: 'AppProject' }, { group: 'argoproj.io', kind: 'Application' }],
    });
    application(root, 'app_of_apps', {
      name: `tier-${tier}`, project: `tierkit-${tier}-apps`, path: `${tier}/argocd`, namespace: 'argocd',
      labels: { 'app.kubernetes.io/part-of': S.name, 'tierkit.io/tier': tier },
    });
  }
  roots.synth();
}
