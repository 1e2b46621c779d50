import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { previewCreateScript } from '../../constructs/lifecycle/preview-scripts';
import type { CheckReport } from '../../policies/report/finding';
import { validateKubernetesObject } from '../support/k8s-schema';
import { check, cleanDist, findings, freshDir } from './helpers';
import { rehashManifest } from './rehash';

// TK179 compares k8s/<tier>/previews/<app>/ whole with what constructs/synth/preview-manifests.ts
// renders; TK178 admits exactly the two hook Jobs there. Each hostile case edits the synthesized
// example's erp previews as a hand edit would, manifest re-hashed.

const DIR = 'k8s/dev/previews/erp';
const OBJECTS = `${DIR}/preview.k8s.yaml`;
const KUSTOMIZATION = `${DIR}/kustomization.yaml`;

const docs = (dir: string, file: string): any[] => parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map((d) => d.toJS());
const write = (dir: string, file: string, objects: unknown[]) => writeFileSync(join(dir, file), objects.map((o) => `---\n${stringify(o)}`).join(''));
const find = (objects: any[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);

async function checkEdited(file: string, edit: (objects: any[]) => any[] | void): Promise<CheckReport> {
  const dir = freshDir('preview-manifests');
  cpSync(cleanDist(), dir, { recursive: true });
  const objects = docs(dir, file);
  write(dir, file, edit(objects) ?? objects);
  rehashManifest(dir);
  return check(dir);
}

const messages = (r: CheckReport, id: string) => findings(r, id).map((f) => f.message).join('\n');

describe('the per-PR preview manifests (synth)', () => {
  it('every object is valid against the pinned Kubernetes schema; the Jobs run in tierkit-previews as erp-previews, the rest carry no namespace', () => {
    const objects = docs(cleanDist(), OBJECTS);
    expect(objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`)).toEqual([
      'NetworkPolicy//default-deny', 'NetworkPolicy//allow-dns', 'ServiceAccount//erp-preview',
      // The workload's Vault login (TK164–TK166) brings its egress to the previews' server and Vault.
      'NetworkPolicy//allow-postgres', 'NetworkPolicy//allow-vault', 'Deployment//erp-preview',
      'Job/tierkit-previews/erp-previews-create', 'Job/tierkit-previews/erp-previews-drop',
    ]);
    for (const o of objects) expect(() => validateKubernetesObject(o)).not.toThrow();
    const create = find(objects, 'Job', 'erp-previews-create');
    expect(create.metadata.annotations['argocd.argoproj.io/hook']).toBe('PreSync');
    expect(find(objects, 'Job', 'erp-previews-drop').metadata.annotations['argocd.argoproj.io/hook']).toBe('PostDelete');
    const pod = create.spec.template;
    expect(pod.spec.serviceAccountName).toBe('erp-previews');
    expect(pod.metadata.annotations['vault.hashicorp.com/role']).toBe('erp-previews');
    expect(pod.spec.initContainers[0].command).toEqual(['bash', '-c', previewCreateScript('erp')]);
    expect(pod.spec.initContainers[0].env).toContainEqual({ name: 'TIERKIT_PR_NUMBER', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: "metadata.annotations['tierkit.io/pr']" } } });
    expect(pod.spec.initContainers[0].env).toContainEqual({ name: 'PGDATABASE', value: 'erp-previews' });
    const workload = find(objects, 'Deployment', 'erp-preview').spec.template;
    // Its own login only (rules-preview-workload.test.ts), never the Jobs' identity.
    expect(workload.metadata.annotations['vault.hashicorp.com/role']).toBe('erp-pr-workload');
    expect(workload.spec.serviceAccountName).toBe('erp-preview');
    expect(docs(cleanDist(), KUSTOMIZATION)).toEqual([{ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: ['preview.k8s.yaml'] }]);
  });

  it('renders per PR with real kustomize the way the ApplicationSet asks (nameSuffix, commonAnnotations): names suffixed, Jobs stay in tierkit-previews as erp-previews, the number reaches every pod', () => {
    // Argo CD applies `source.kustomize` with `kustomize edit set namesuffix` / `add annotation`; the same fields written directly.
    const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
    const dir = mkdtempSync(join(tmpdir(), 'tierkit-kustomize-'));
    cpSync(join(cleanDist(), DIR), dir, { recursive: true });
    writeFileSync(join(dir, 'kustomization.yaml'), `${readFileSync(join(dir, 'kustomization.yaml'), 'utf8')}nameSuffix: -pr-7\ncommonAnnotations:\n  tierkit.io/pr: "7"\n`);
    if (kubectl.status !== 0) {
      // No kustomize on this machine: the kustomization is at least the minimal one this rendering was checked with.
      expect(docs(dir, 'kustomization.yaml')[0]).toEqual({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: ['preview.k8s.yaml'], nameSuffix: '-pr-7', commonAnnotations: { 'tierkit.io/pr': '7' } });
      return;
    }
    const out = parseAllDocuments(execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8' })).map((d) => d.toJS());
    const names = out.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`).sort();
    expect(names).toEqual([
      'Deployment//erp-preview-pr-7', 'Job/tierkit-previews/erp-previews-create-pr-7', 'Job/tierkit-previews/erp-previews-drop-pr-7',
      'NetworkPolicy//allow-dns-pr-7', 'NetworkPolicy//allow-postgres-pr-7', 'NetworkPolicy//allow-vault-pr-7', 'NetworkPolicy//default-deny-pr-7', 'ServiceAccount//erp-preview-pr-7',
    ]);
    for (const o of out.filter((x) => x.spec?.template)) {
      expect(o.spec.template.metadata.annotations['tierkit.io/pr']).toBe('7');
    }
    const job = out.find((o) => o.metadata.name === 'erp-previews-create-pr-7');
    expect(job.spec.template.spec.serviceAccountName).toBe('erp-previews');
    const deployment = out.find((o) => o.kind === 'Deployment');
    expect(deployment.spec.template.spec.serviceAccountName).toBe('erp-preview-pr-7');
    // The workload's auth role binds `erp-preview-pr-*` in `erp-pr-*`: the suffixed account matches; the role annotation is untouched.
    expect(deployment.spec.template.metadata.annotations['vault.hashicorp.com/role']).toBe('erp-pr-workload');
    expect(out.find((o) => o.metadata.name === 'allow-postgres-pr-7').spec.podSelector).toEqual(deployment.spec.selector);
    // The policies' selectors are untouched: default-deny still selects every pod, DNS still kube-dns only.
    expect(out.find((o) => o.metadata.name === 'default-deny-pr-7').spec.podSelector).toEqual({});
    expect(out.find((o) => o.metadata.name === 'allow-dns-pr-7').spec.egress[0].to[0].podSelector).toEqual({ matchLabels: { 'k8s-app': 'kube-dns' } });
  });
});

describe('TK179: the previews directory holds exactly what tierkit renders', () => {
  it('passes on the synthesized example', async () => {
    const r = await check(cleanDist());
    expect(findings(r, 'TK179')).toEqual([]);
    expect(findings(r, 'TK178')).toEqual([]);
  });

  it('refuses a workload given prod reach (a Vault agent logging in as erp-prod)', async () => {
    const r = await checkEdited(OBJECTS, (o) => {
      find(o, 'Deployment', 'erp-preview').spec.template.metadata.annotations = { 'vault.hashicorp.com/agent-inject': 'true', 'vault.hashicorp.com/role': 'erp-prod' };
    });
    expect(messages(r, 'TK179')).toMatch(/Deployment\/erp-preview: Vault agent annotations are .*erp-prod/);
  });

  it('refuses a preview object moved into another namespace', async () => {
    const r = await checkEdited(OBJECTS, (o) => { find(o, 'Deployment', 'erp-preview').metadata.namespace = 'erp-prod'; });
    expect(messages(r, 'TK179')).toMatch(/sets metadata\.namespace/);
  });

  it('refuses a privileged workload pod', async () => {
    const r = await checkEdited(OBJECTS, (o) => {
      const c = find(o, 'Deployment', 'erp-preview').spec.template.spec.containers[0];
      c.securityContext = { ...c.securityContext, privileged: true, allowPrivilegeEscalation: true };
    });
    expect(messages(r, 'TK179')).toMatch(/restricted Pod Security profile/);
  });

  it('refuses a host network on the workload', async () => {
    const r = await checkEdited(OBJECTS, (o) => { find(o, 'Deployment', 'erp-preview').spec.template.spec.hostNetwork = true; });
    expect(messages(r, 'TK179')).toMatch(/spec\.hostNetwork/);
  });

  it('leaves placement to TK058: a preview pod tolerating and selecting prod\'s node pool is refused there', async () => {
    const r = await checkEdited(OBJECTS, (o) => {
      const spec = find(o, 'Deployment', 'erp-preview').spec.template.spec;
      spec.nodeSelector = { 'tierkit.io/pool': 'prod' };
      spec.tolerations = [{ effect: 'NoSchedule', key: 'tierkit.io/pool', operator: 'Equal', value: 'prod' }];
    });
    expect(messages(r, 'TK058')).toMatch(/Deployment \/erp-preview .*tolerates the taint of prod's node pool/);
  });

  it('refuses a widened NetworkPolicy', async () => {
    const r = await checkEdited(OBJECTS, (o) => {
      const p = find(o, 'NetworkPolicy', 'default-deny');
      p.spec.egress = [{}];
    });
    expect(messages(r, 'TK179')).toMatch(/NetworkPolicy\/default-deny is /);
  });

  it('refuses a missing default-deny policy', async () => {
    const r = await checkEdited(OBJECTS, (o) => o.filter((x) => x.metadata.name !== 'default-deny'));
    expect(messages(r, 'TK179')).toMatch(/lacks NetworkPolicy\/default-deny/);
  });

  it('refuses a hook Job with another identity (service account and Vault role of an env)', async () => {
    const r = await checkEdited(OBJECTS, (o) => {
      const t = find(o, 'Job', 'erp-previews-create').spec.template;
      t.spec.serviceAccountName = 'erp-dev';
      t.metadata.annotations['vault.hashicorp.com/role'] = 'erp-dev';
    });
    expect(messages(r, 'TK179')).toMatch(/runs as ServiceAccount "erp-dev"; exactly "erp-previews"/);
    expect(messages(r, 'TK179')).toMatch(/Vault agent annotations are .*erp-dev/);
  });

  it('refuses a hook Job whose script or image is not tierkit\'s', async () => {
    const r = await checkEdited(OBJECTS, (o) => {
      const c = find(o, 'Job', 'erp-previews-drop').spec.template.spec.containers[0];
      c.command = ['bash', '-c', 'psql -c "ALTER ROLE erp_preview_admin SUPERUSER"'];
      c.image = 'postgres:18';
    });
    expect(messages(r, 'TK179')).toMatch(/does not run tierkit's drop-database script verbatim/);
    expect(messages(r, 'TK179')).toMatch(/tierkit's pinned image/);
  });

  it('refuses a hook Job moved into the preview\'s namespace (and TK178 then refuses its identity)', async () => {
    const r = await checkEdited(OBJECTS, (o) => { delete find(o, 'Job', 'erp-previews-create').metadata.namespace; });
    expect(messages(r, 'TK179')).toMatch(/is in namespace null; exactly "tierkit-previews"/);
    expect(messages(r, 'TK178')).toMatch(/erp-previews-create runs its pods as ServiceAccount "erp-previews"/);
  });

  it('refuses a kustomization that sets a namespace or adds a resource', async () => {
    const r = await checkEdited(KUSTOMIZATION, (o) => { o[0].namespace = 'erp-prod'; o[0].resources.push('https://example.com/evil.yaml'); });
    expect(messages(r, 'TK179')).toMatch(/kustomization\.yaml is .*exactly/);
  });

  it('refuses an extra object in the previews file', async () => {
    const r = await checkEdited(OBJECTS, (o) => [...o, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'x' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [] }]);
    expect(messages(r, 'TK179')).toMatch(/holds rbac\.authorization\.k8s\.io\/v1 RoleBinding\/x/);
  });

  it('cannot be suppressed', async () => {
    const { rule } = await import('../../policies/rules/TK179-preview-manifests');
    expect(rule.suppressible).toBe(false);
  });
});

describe('the preview Jobs\' namespace in the dev bootstrap (TK179, TK178, TK110)', () => {
  const BOOT = 'k8s/argocd/dev.k8s.yaml';
  it('is restricted, default-deny, and lets erp\'s Jobs reach only the previews\' server and Vault; the pinned Pod Security version is the synthesizer\'s', async () => {
    const { POD_SECURITY_VERSION } = await import('../../constructs/synth/pod-security');
    const { PREVIEW_POD_SECURITY_VERSION } = await import('../../policies/rules/support/preview-manifests');
    expect(PREVIEW_POD_SECURITY_VERSION).toBe(POD_SECURITY_VERSION);
    const objects = docs(cleanDist(), BOOT).filter((o) => o.metadata.namespace === 'tierkit-previews' || o.kind === 'Namespace');
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'Namespace/tierkit-previews', 'NetworkPolicy/default-deny', 'NetworkPolicy/allow-dns', 'ServiceAccount/erp-previews',
      'NetworkPolicy/erp-previews-egress-postgres', 'NetworkPolicy/erp-previews-egress-vault',
      // The orphan collector (TK180, rules-preview-collector.test.ts).
      'CronJob/erp-previews-collect',
    ]);
    for (const o of objects) expect(() => validateKubernetesObject(o)).not.toThrow();
    expect(find(objects, 'Namespace', 'tierkit-previews').metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
    expect(find(objects, 'NetworkPolicy', 'erp-previews-egress-postgres').spec.podSelector).toEqual({ matchLabels: { 'tierkit.io/previews-of': 'erp' } });
    // Only the prod tier's bootstrap has none (no previews live there).
    expect(docs(cleanDist(), 'k8s/argocd/prod.k8s.yaml').some((o) => o.metadata.namespace === 'tierkit-previews')).toBe(false);
  });

  it('refuses a RoleBinding added to tierkit-previews, and a widened egress policy there', async () => {
    const r = await checkEdited(BOOT, (o) => {
      find(o, 'NetworkPolicy', 'erp-previews-egress-postgres').spec.egress[0].to = [{ ipBlock: { cidr: '0.0.0.0/0' } }];
      return [...o, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'x', namespace: 'tierkit-previews' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' }, subjects: [{ kind: 'Group', name: 'system:authenticated' }] }];
    });
    expect(messages(r, 'TK179')).toMatch(/NetworkPolicy\/erp-previews-egress-postgres in tierkit-previews is .*0\.0\.0\.0\/0/);
    expect(messages(r, 'TK179')).toMatch(/RoleBinding\/x in tierkit-previews is .*tierkit writes only/);
  });

  it('refuses the namespace without its default-deny policy', async () => {
    const r = await checkEdited(BOOT, (o) => o.filter((x) => !(x.kind === 'NetworkPolicy' && x.metadata.name === 'default-deny')));
    expect(messages(r, 'TK179')).toMatch(/lacks NetworkPolicy\/default-deny of the preview Jobs' namespace/);
  });

  it('TK178 still refuses erp-previews declared in another tier\'s bootstrap, and TK110 the namespace objects there', async () => {
    const sa = find(docs(cleanDist(), BOOT), 'ServiceAccount', 'erp-previews');
    const r = await checkEdited('k8s/argocd/prod.k8s.yaml', (o) => [...o, sa]);
    expect(messages(r, 'TK178')).toMatch(/declares ServiceAccount "tierkit-previews\/erp-previews"/);
    expect(messages(r, 'TK110')).toMatch(/prod\.k8s\.yaml .*ServiceAccount "erp-previews" in namespace "tierkit-previews"/);
  });
});

describe('TK178 admits exactly the preview Jobs in their previews file', () => {
  it('still refuses a Job running as erp-previews in an env\'s file', async () => {
    const dist = cleanDist();
    const job = find(docs(dist, OBJECTS), 'Job', 'erp-previews-create');
    const r = await checkEdited('k8s/dev/erp-dev.k8s.yaml', (o) => [...o, { ...job, metadata: { ...job.metadata, namespace: 'erp-dev' } }]);
    expect(messages(r, 'TK178')).toMatch(/runs its pods as ServiceAccount "erp-previews"/);
  });
});
