import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import * as naming from '../../constructs/naming';
import { ENV_CLUSTER_KINDS, ENV_NAMESPACED_KINDS, groupOf } from '../../constructs/synth/rendered-kinds';
import type { Manifest } from '../../constructs/synth/manifest';
import type { CheckReport } from '../../policies/report/finding';
import { validateKubernetesObject } from '../support/k8s-schema';
import { DistEdit } from './dist-edit';
import { check, cleanDist, env, findings, synthDist } from './helpers';

const K8S_RULES = ['TK110', 'TK111', 'TK112', 'TK113', 'TK114'];
const ERP_DEV = 'k8s/dev/erp-dev.k8s.yaml';
const DEV_APPS = 'k8s/dev/argocd/applications.k8s.yaml';
const DEV_BOOT = 'k8s/argocd/dev.k8s.yaml';

function read(dir: string, rel: string): any[] {
  return (loadAll(readFileSync(join(dir, rel), 'utf8')) as any[]).filter(Boolean);
}

/** The messages of one rule, and that no other rule of this class fired beyond `also`. */
function only(report: CheckReport, ruleId: string, also: string[] = []): string[] {
  const others = report.findings.filter((f) => K8S_RULES.includes(f.ruleId) && f.ruleId !== ruleId && !also.includes(f.ruleId));
  expect(others.map((f) => `${f.ruleId} ${f.message}`)).toEqual([]);
  const mine = findings(report, ruleId);
  expect(mine.every((f) => f.severity === 'error' && !f.suppressed)).toBe(true);
  return mine.map((f) => f.message);
}

describe('Argo CD AppProjects (synthesized)', () => {
  const dir = cleanDist();
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  const tiers = [...new Set(manifest.appEnvironments.map((e) => e.tier))].sort();

  it('one tierkit-<tier> project per tier: the tier\'s namespaces, the estate repo, Namespace + rendered kinds; each validates', () => {
    for (const tier of tiers) {
      const projects = read(dir, naming.dist.k8sTierApplications(tier)).filter((o) => o.kind === 'AppProject');
      // Dev also holds the previews project of erp's per-PR previews (test/policies/rules-preview-appset.test.ts).
      const previews = tier === 'dev' ? [naming.previewsArgoProjectName(tier)] : [];
      expect(projects.map((p) => p.metadata.name)).toEqual([naming.argoProjectName(tier), ...previews]);
      const p = projects[0];
      validateKubernetesObject(p);
      expect(p.metadata.namespace).toBe('argocd');
      expect(p.spec.sourceRepos).toEqual([manifest.estate.argocd.repoUrl]);
      expect(p.spec.destinations).toEqual(manifest.appEnvironments.filter((e) => e.tier === tier).map((e) => e.names.namespace).sort()
        .map((namespace) => ({ namespace, server: 'https://kubernetes.default.svc' })));
      expect(p.spec.clusterResourceWhitelist).toEqual([{ group: '', kind: 'Namespace' }, { group: '', kind: 'PersistentVolume' }]);
      const boot = read(dir, naming.dist.k8sAppOfApps(tier));
      const appsProject = boot.find((o) => o.kind === 'AppProject');
      validateKubernetesObject(appsProject);
      expect(appsProject.spec.destinations).toEqual([{ namespace: 'argocd', server: 'https://kubernetes.default.svc' }]);
      expect(appsProject.spec.clusterResourceBlacklist).toEqual([{ group: '*', kind: '*' }]);
      expect(boot.find((o) => o.kind === 'Application').spec.project).toBe(naming.argoAppsProjectName(tier));
    }
  });

  it('every Application is in its tier\'s project, none in "default"', () => {
    for (const e of manifest.appEnvironments) {
      const app = read(dir, naming.dist.k8sTierApplications(e.tier)).find((o) => o.kind === 'Application' && o.metadata.name === e.names.argoApplication);
      expect(app.spec.project, e.slug).toBe(naming.argoProjectName(e.tier));
    }
  });

  it('whitelists every kind the env files render (and the rules accept them)', () => {
    const rendered = new Set<string>();
    for (const e of manifest.appEnvironments) {
      for (const o of read(dir, naming.dist.k8sAppEnvironment(e.tier, e))) rendered.add(`${groupOf(o.apiVersion)}/${o.kind}`);
    }
    const listed = new Set([...ENV_NAMESPACED_KINDS, ...ENV_CLUSTER_KINDS].map((k) => `${k.group}/${k.kind}`));
    expect([...rendered].filter((k) => !listed.has(k))).toEqual([]);
  });

  it('the example estate passes every rule of the class', async () => {
    const report = await check(dir);
    expect(report.findings.filter((f) => K8S_RULES.includes(f.ruleId))).toEqual([]);
  });
});

describe('TK110 objects stay in their env\'s namespace (dist edits, hashes rewritten)', () => {
  it('catches a dev object placed into the prod namespace; its renamed neighbour in its own namespace passes', async () => {
    const dir = new DistEdit('tk110-ns')
      .object(ERP_DEV, 'NetworkPolicy', 'allow-dns', (o) => { o.metadata.namespace = 'erp'; })
      .object(ERP_DEV, 'NetworkPolicy', 'default-deny', (o) => { o.metadata.name = 'default-deny-all'; }).dir;
    expect(only(await check(dir), 'TK110', ['TK011'])).toEqual([
      'k8s/dev/erp-dev.k8s.yaml (erp-dev (tier dev)): networking.k8s.io/v1 NetworkPolicy "allow-dns" is in namespace "erp", of erp (tier prod), not the env\'s own "erp-dev"',
    ]);
  });

  it('catches another env\'s Namespace, a cluster-scoped kind and an object without a namespace', async () => {
    const dir = new DistEdit('tk110-kinds').k8s(ERP_DEV, (docs) => {
      docs.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'erp', labels: { 'tierkit.io/tier': 'prod', 'tierkit.io/app': 'erp', 'tierkit.io/env': 'prod' } } });
      docs.push({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'x' }, rules: [] });
      docs.push({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'loose' }, spec: {} });
    }).dir;
    const report = await check(dir);
    expect(findings(report, 'TK110').map((f) => f.message)).toEqual([
      'k8s/dev/erp-dev.k8s.yaml (erp-dev (tier dev)) declares Namespace "erp", the namespace of erp (tier prod); its only Namespace is "erp-dev"',
      'k8s/dev/erp-dev.k8s.yaml (erp-dev (tier dev)) holds rbac.authorization.k8s.io/v1 ClusterRole "x", a kind tierkit does not render into an env (the tier\'s AppProject refuses it; check cannot judge it)',
      'k8s/dev/erp-dev.k8s.yaml (erp-dev (tier dev)): v1 Service "loose" is in namespace (none), not the env\'s own "erp-dev"',
    ]);
  });

  it('catches a hand-written file tierkit does not write, and a Deployment in a tier\'s Argo CD file', async () => {
    const deployment = read(cleanDist(), ERP_DEV).find((o) => o.kind === 'Deployment');
    const dir = new DistEdit('tk110-files')
      .addListed('k8s/dev/extra.k8s.yaml', [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'erp-dev' } }], 'dev')
      .k8s(DEV_APPS, (docs) => { docs.push({ ...deployment, metadata: { ...deployment.metadata, namespace: 'argocd' } }); }).dir;
    const messages = findings(await check(dir), 'TK110').map((f) => f.message);
    expect(messages).toContain('k8s/dev/extra.k8s.yaml is no file tierkit writes (an env\'s k8s/<tier>/<env>.k8s.yaml or a tier\'s Argo CD file): v1 ConfigMap "c" cannot be tied to an env');
    expect(messages).toContain('k8s/dev/argocd/applications.k8s.yaml (tier dev\'s Argo CD objects) holds apps/v1 Deployment "erp" in namespace "argocd"; only Applications and AppProjects in Argo CD\'s namespace "argocd" belong there');
  });
});

describe('TK111 Applications in their tier\'s project, on their own env', () => {
  const app = (edit: (o: any) => void) => new DistEdit('tk111').object(DEV_APPS, 'Application', 'erp-dev', edit).dir;

  it('catches an Application in project default (the pre-AppProject state)', async () => {
    expect(only(await check(app((o) => { o.spec.project = 'default'; })), 'TK111')).toEqual([
      'Application "erp-dev" (erp-dev (tier dev)) is in project "default", which permits any repository, namespace and kind; it belongs in "tierkit-dev"',
    ]);
  });

  it('catches an Application with no project (Argo CD reads it as default) and one in prod\'s project', async () => {
    expect(only(await check(app((o) => { delete o.spec.project; })), 'TK111')).toHaveLength(1);
    expect(only(await check(app((o) => { o.spec.project = 'tierkit-prod'; })), 'TK111')).toEqual([
      'Application "erp-dev" (erp-dev (tier dev)) is in project "tierkit-prod", not its tier\'s "tierkit-dev"',
    ]);
  });

  it('catches an Application targeting another env\'s namespace', async () => {
    expect(only(await check(app((o) => { o.spec.destination.namespace = 'erp'; })), 'TK111')).toEqual([
      'Application "erp-dev" (erp-dev (tier dev)) targets namespace "erp", of erp (tier prod), not "erp-dev"',
    ]);
  });

  it('catches a source widened to every file of the tier, another revision, or a second source', async () => {
    for (const edit of [
      (o: any) => { o.spec.source.directory.include = '*.k8s.yaml'; },
      (o: any) => { o.spec.source.targetRevision = 'main'; },
      (o: any) => { o.spec.sources = [o.spec.source]; delete o.spec.source; },
    ]) {
      const messages = only(await check(app(edit)), 'TK111');
      expect(messages.some((m) => m.includes('not exactly {"repoURL":"https://git.arcodange.lab/platform/estate.git","targetRevision":"rendered","path":"dev","directory":{"include":"erp-dev.k8s.yaml"}}'))).toBe(true);
    }
  });

  it('catches the app of apps moved to project default and an Application for an env of another tier', async () => {
    const dir = new DistEdit('tk111-root')
      .object(DEV_BOOT, 'Application', 'tier-dev', (o) => { o.spec.project = 'default'; })
      .object(DEV_APPS, 'Application', 'erp-dev', (o) => { o.metadata.name = 'erp'; }).dir;
    const messages = findings(await check(dir), 'TK111').map((f) => f.message);
    expect(messages).toContain('Application "tier-dev" (tier dev\'s app of apps) is in project "default", which permits any repository, namespace and kind; it belongs in "tierkit-dev-apps"');
    expect(messages).toContain('Application "erp" is in tier dev\'s Applications but names no env of tier dev');
  });
});

describe('TK112 AppProjects bounded to their tier', () => {
  const project = (edit: (o: any) => void) => new DistEdit('tk112').object(DEV_APPS, 'AppProject', 'tierkit-dev', edit).dir;

  it('catches a dev project permitting the prod namespace, any repository, any kind, or roles', async () => {
    const dir = project((o) => {
      o.spec.destinations.push({ namespace: 'erp', server: 'https://kubernetes.default.svc' });
      o.spec.sourceRepos = ['*'];
      o.spec.namespaceResourceWhitelist = [{ group: '*', kind: '*' }];
      o.spec.clusterResourceWhitelist.push({ group: 'rbac.authorization.k8s.io', kind: 'ClusterRoleBinding' });
      o.spec.roles = [{ name: 'ci', policies: ['p, proj:tierkit-dev:ci, applications, sync, tierkit-dev/*, allow'] }];
    });
    expect(only(await check(dir), 'TK112').sort()).toEqual([
      'AppProject "tierkit-dev" in k8s/dev/argocd/applications.k8s.yaml permits repositories ["*"], not only the estate\'s "https://git.arcodange.lab/platform/estate.git"',
      'AppProject "tierkit-dev" in k8s/dev/argocd/applications.k8s.yaml permits destination {"namespace":"erp","server":"https://kubernetes.default.svc"} (the namespace of erp, tier prod); only crm-alice, crm-dev, erp-dev, erp-sandbox, shop-alice, shop-bob-checkout, shop-dev, shop-team-growth on "https://kubernetes.default.svc" are tier dev\'s',
      'AppProject "tierkit-dev" in k8s/dev/argocd/applications.k8s.yaml permits rbac.authorization.k8s.io/ClusterRoleBinding; tierkit renders only (core)/Namespace, (core)/PersistentVolume here',
      'AppProject "tierkit-dev" in k8s/dev/argocd/applications.k8s.yaml permits */*; tierkit renders only (core)/ConfigMap, (core)/LimitRange, (core)/PersistentVolumeClaim, (core)/ResourceQuota, (core)/Service, (core)/ServiceAccount, apps/Deployment, argoproj.io/Rollout, batch/CronJob, networking.k8s.io/Ingress, networking.k8s.io/NetworkPolicy, rbac.authorization.k8s.io/Role, rbac.authorization.k8s.io/RoleBinding here',
      'AppProject "tierkit-dev" in k8s/dev/argocd/applications.k8s.yaml sets spec.roles, which tierkit does not model',
    ].sort());
  });

  it('catches a project without a namespaced whitelist (Argo CD then permits every kind)', async () => {
    expect(only(await check(project((o) => { delete o.spec.namespaceResourceWhitelist; })), 'TK112')).toEqual([
      'AppProject "tierkit-dev" in k8s/dev/argocd/applications.k8s.yaml has no namespaceResourceWhitelist: Argo CD then permits every namespaced kind',
    ]);
  });

  it('catches a missing project, and a redefinition of "default" or of prod\'s project in dev\'s file', async () => {
    const prodProject = read(cleanDist(), naming.dist.k8sTierApplications('prod')).find((o) => o.kind === 'AppProject');
    const dir = new DistEdit('tk112-set').k8s(DEV_APPS, (docs) => [
      ...docs.filter((d) => !(d.kind === 'AppProject' && d.metadata?.name === 'tierkit-dev')),
      { ...prodProject },
      { apiVersion: 'argoproj.io/v1alpha1', kind: 'AppProject', metadata: { name: 'default', namespace: 'argocd' }, spec: { sourceRepos: ['*'] } },
    ]).dir;
    const messages = findings(await check(dir), 'TK112').map((f) => f.message);
    expect(messages).toContain('AppProject "tierkit-dev" of tier dev is missing: Argo CD refuses its Applications (or, if one named "tierkit-dev" exists elsewhere, enforces that one)');
    expect(messages).toContain('AppProject "default" in k8s/dev/argocd/applications.k8s.yaml is no project tierkit writes (tierkit-ci, tierkit-ci-apps, tierkit-demo, tierkit-demo-apps, tierkit-dev, tierkit-dev-apps, tierkit-dev-previews, tierkit-local, tierkit-local-apps, tierkit-preprod, tierkit-preprod-apps, tierkit-prod, tierkit-prod-apps, tierkit-staging, tierkit-staging-apps)');
    expect(messages).toHaveLength(3);
    expect(messages).toContain('AppProject "tierkit-prod" in k8s/dev/argocd/applications.k8s.yaml belongs in k8s/prod/argocd/applications.k8s.yaml (tier prod), not in tier dev\'s file');
  });

  it('catches the app of apps\' project opened to cluster-scoped kinds', async () => {
    const dir = new DistEdit('tk112-apps').object(DEV_BOOT, 'AppProject', 'tierkit-dev-apps', (o) => { delete o.spec.clusterResourceBlacklist; }).dir;
    expect(only(await check(dir), 'TK112')).toEqual([
      'AppProject "tierkit-dev-apps" in k8s/argocd/dev.k8s.yaml does not deny every cluster-scoped kind (older Argo CD reads an empty cluster whitelist as "all")',
    ]);
  });
});

describe('TK113 no other env\'s ServiceAccount', () => {
  const SANDBOX = 'k8s/dev/erp-sandbox.k8s.yaml';

  it('catches a RoleBinding granting prod\'s account, every account, or a ClusterRole; the reset binding as synthesized passes', async () => {
    const dir = new DistEdit('tk113-rb').object(SANDBOX, 'RoleBinding', 'erp-sandbox-reset', (o) => {
      o.roleRef = { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'admin' };
      o.subjects.push({ kind: 'ServiceAccount', name: 'erp', namespace: 'erp' }, { kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'system:serviceaccounts' });
    }).dir;
    expect(only(await check(dir), 'TK113')).toEqual([
      'RoleBinding erp-sandbox/erp-sandbox-reset (erp-sandbox (tier dev)) binds ClusterRole "admin": only a Role of the env\'s namespace has rules dist/ shows',
      'RoleBinding erp-sandbox/erp-sandbox-reset (erp-sandbox (tier dev)) binds ServiceAccount "erp/erp" of namespace "erp" (erp (tier prod)), not of its own "erp-sandbox"',
      'RoleBinding erp-sandbox/erp-sandbox-reset (erp-sandbox (tier dev)) binds Group "system:serviceaccounts": every service account of the cluster, other envs\' included',
    ]);
  });

  it('catches a prod RoleBinding naming a dev account by its user name', async () => {
    const rb = read(cleanDist(), SANDBOX).find((o) => o.kind === 'RoleBinding');
    const dir = new DistEdit('tk113-user').k8s('k8s/prod/erp.k8s.yaml', (docs) => {
      docs.push({ ...rb, metadata: { ...rb.metadata, name: 'erp-debug', namespace: 'erp', labels: {} }, roleRef: { ...rb.roleRef, name: 'erp-reset' },
        subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'system:serviceaccount:erp-dev:erp-dev' }] });
    }).dir;
    expect(only(await check(dir), 'TK113')).toEqual([
      'RoleBinding erp/erp-debug (erp (tier prod)) binds User "system:serviceaccount:erp-dev:erp-dev" of namespace "erp-dev" (erp-dev (tier dev)), not of its own "erp"',
    ]);
  });

  it('catches a dev workload running as prod\'s account name or logging into Vault with prod\'s auth role', async () => {
    const dir = new DistEdit('tk113-pod').object(ERP_DEV, 'Deployment', 'erp', (o) => {
      o.spec.template.spec.serviceAccountName = 'erp';
      o.spec.template.metadata.annotations['vault.hashicorp.com/role'] = 'erp-golden-dump';
    }).dir;
    expect(only(await check(dir), 'TK113').sort()).toEqual([
      'Deployment erp-dev/erp (erp-dev (tier dev)) has its Vault agent log in with erp (tier prod)\'s Kubernetes auth role "erp-golden-dump"',
      'Deployment erp-dev/erp (erp-dev (tier dev)) runs its pods as ServiceAccount "erp", erp (tier prod)\'s',
    ]);
  });
});

describe('TK114 Namespace tier labels', () => {
  it('catches a dev namespace labelled prod (TK011 would judge it as prod) and a foreign namespace claiming a tier', async () => {
    const dir = new DistEdit('tk114')
      .object(ERP_DEV, 'Namespace', 'erp-dev', (o) => { o.metadata.labels['tierkit.io/tier'] = 'prod'; })
      .addListed('k8s/dev/stray.k8s.yaml', [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'stray', labels: { 'tierkit.io/tier': 'prod' } } }], 'dev').dir;
    expect(findings(await check(dir), 'TK114').map((f) => f.message)).toEqual([
      'Namespace "erp-dev" of erp-dev (tier dev) is labelled tierkit.io/tier=prod; its own are tierkit.io/tier=dev',
      'Namespace "stray" is no env\'s namespace but is labelled tierkit.io/tier=prod',
    ]);
  });
});

describe('the class is unsuppressible', () => {
  it('a reasoned suppression of TK110 is refused (TK100) and the finding stays an error', async () => {
    const base = synthDist((e) => { env(e, 'erp', 'dev').addSuppression('TK110', 'Debug namespace shared with prod for a day'); }, 'tk110-suppressed');
    const dir = new DistEdit('tk110-suppressed-edit', base).object(ERP_DEV, 'Service', 'erp', (o) => { o.metadata.namespace = 'erp'; }).dir;
    const report = await check(dir);
    expect(findings(report, 'TK100').map((f) => f.message)).toEqual(['erp-dev suppresses TK110 (k8s-object-in-own-namespace), which cannot be suppressed; its findings stay errors']);
    expect(findings(report, 'TK110').map((f) => [f.severity, f.suppressed])).toEqual([['error', undefined]]);
  });
});
