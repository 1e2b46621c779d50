import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { previewApplicationSet } from '../../constructs/synth/preview-applicationset';
import exampleEstate from '../../environments';
import type { CheckReport } from '../../policies/report/finding';
import { validateKubernetesObject } from '../support/k8s-schema';
import { check, cleanDist, env, findings, freshDir } from './helpers';
import { rehashManifest } from './rehash';

// TK174–TK176 judge every ApplicationSet in dist against what constructs/synth/preview-applicationset.ts
// writes; synth writes it into the Argo CD file of the tier the previews live in (dev's, for the
// example's erp). A test replaces it with a hostile variant, as a hand edit would, manifest re-hashed.

function built(): any {
  return JSON.parse(JSON.stringify(previewApplicationSet(env(exampleEstate(), 'erp', 'dev'))!));
}

const DEV_ARGOCD = 'k8s/dev/argocd/applications.k8s.yaml';

function docs(dir: string, file: string): any[] {
  return parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map((d) => d.toJS());
}

function write(dir: string, file: string, objects: unknown[]): void {
  writeFileSync(join(dir, file), objects.map((o) => `---\n${stringify(o)}`).join(''));
}

/** The clean dist with dev's Argo CD file edited by `edit` (its objects in, the file's objects out). */
async function checkEdited(edit: (objects: any[], dir: string) => any[]): Promise<CheckReport> {
  const dir = freshDir('appset');
  cpSync(cleanDist(), dir, { recursive: true });
  write(dir, DEV_ARGOCD, edit(docs(dir, DEV_ARGOCD), dir));
  rehashManifest(dir);
  return check(dir);
}

/** The clean dist with dev's ApplicationSet replaced by `objects`. */
function checkWith(...objects: unknown[]): Promise<CheckReport> {
  return checkEdited((all) => [...all.filter((o) => o.kind !== 'ApplicationSet'), ...objects]);
}


describe('the previews ApplicationSet (TK174–TK176)', () => {
  it('is valid against @kubernetes-models/argo-cd, polls labelled PRs of the estate\'s repo, and names `erp-pr-{{.number}}` from the rendered branch', () => {
    const a = built();
    expect(() => validateKubernetesObject(a)).not.toThrow();
    // The schema is strict enough to matter: a string where it wants a boolean is refused.
    expect(() => validateKubernetesObject({ ...a, spec: { ...a.spec, goTemplate: 'true' } })).toThrow();
    expect(a.spec.goTemplate).toBe(true);
    expect(a.spec.goTemplateOptions).toEqual(['missingkey=error']);
    expect(a.spec.generators).toEqual([{ pullRequest: { github: { owner: 'arcodange', repo: 'estate', labels: ['preview'], appSecretName: 'tierkit-previews-github' }, requeueAfterSeconds: 300 } }]);
    expect(a.spec.template.metadata.name).toBe('erp-pr-{{.number}}');
    expect(a.spec.template.spec).toEqual({
      project: 'tierkit-dev-previews',
      source: {
        repoURL: 'https://git.arcodange.lab/platform/estate.git', targetRevision: 'rendered', path: 'dev/previews/erp',
        // The number reaches the manifests as a name suffix and one annotation (preview-manifests.ts).
        kustomize: { nameSuffix: '-pr-{{.number}}', commonAnnotations: { 'tierkit.io/pr': '{{.number}}' } },
      },
      destination: { server: 'https://kubernetes.default.svc', namespace: 'erp-pr-{{.number}}' },
      syncPolicy: {
        automated: { prune: true, selfHeal: true },
        syncOptions: ['CreateNamespace=true'],
        managedNamespaceMetadata: {
          labels: {
            'app.kubernetes.io/managed-by': 'tierkit', 'app.kubernetes.io/part-of': 'arcodange', 'tierkit.io/tier': 'dev', 'tierkit.io/previews-of': 'erp',
            'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'v1.32',
            'pod-security.kubernetes.io/audit': 'restricted', 'pod-security.kubernetes.io/audit-version': 'v1.32',
            'pod-security.kubernetes.io/warn': 'restricted', 'pod-security.kubernetes.io/warn-version': 'v1.32',
          },
        },
      },
    });
  });

  it('is written by synth into dev\'s Argo CD file as tierkit builds it (no YAML aliases), with the previews project, and check passes', async () => {
    const estate = exampleEstate();
    // Only the env holding erp's previews has one.
    expect([previewApplicationSet(env(estate, 'erp', 'prod')), previewApplicationSet(env(estate, 'shop', 'dev'))]).toEqual([undefined, undefined]);
    const dir = cleanDist();
    const dev = docs(dir, DEV_ARGOCD);
    expect(dev.filter((o) => o.kind === 'ApplicationSet')).toEqual([built()]);
    const project = dev.find((o) => o.kind === 'AppProject' && o.metadata.name === 'tierkit-dev-previews');
    expect(() => validateKubernetesObject(project)).not.toThrow();
    // The previews' namespaces, and the hook Jobs' (tierkit-previews); Job is the one namespaced kind added for them.
    expect(project.spec.destinations).toEqual([{ namespace: 'erp-pr-*', server: 'https://kubernetes.default.svc' }, { namespace: 'tierkit-previews', server: 'https://kubernetes.default.svc' }]);
    expect(project.spec.namespaceResourceWhitelist.map((k: any) => k.kind)).toEqual(['ServiceAccount', 'Deployment', 'Job', 'NetworkPolicy']);
    expect(project.spec.clusterResourceWhitelist).toEqual([{ group: '', kind: 'Namespace' }]);
    expect(project.spec.sourceRepos).toEqual(['https://git.arcodange.lab/platform/estate.git']);
    // The app of apps may write ApplicationSets in dev (erp's previews live there), in no other tier.
    const appsKinds = (tier: string) => docs(dir, `k8s/argocd/${tier}.k8s.yaml`).find((o) => o.kind === 'AppProject').spec.namespaceResourceWhitelist.map((k: any) => k.kind);
    expect(appsKinds('dev')).toEqual(['AppProject', 'Application', 'ApplicationSet']);
    expect(appsKinds('prod')).toEqual(['AppProject', 'Application']);
    for (const tier of ['prod', 'staging']) expect(docs(dir, `k8s/${tier}/argocd/applications.k8s.yaml`).some((o) => o.kind === 'ApplicationSet')).toBe(false);
    const report = await check(dir);
    expect(report.findings.filter((f) => f.severity === 'error')).toEqual([]);
  });

  it('TK110/TK112: an ApplicationSet in another tier\'s file, the previews project widened, an apps project whitelisting ApplicationSet where no previews live', async () => {
    const a = built();
    const moved = await checkEdited((all, dir) => {
      write(dir, 'k8s/staging/argocd/applications.k8s.yaml', [...docs(dir, 'k8s/staging/argocd/applications.k8s.yaml'), a]);
      return all.filter((o) => o.kind !== 'ApplicationSet');
    });
    expect(findings(moved, 'TK110').map((f) => f.message)).toEqual([
      'k8s/staging/argocd/applications.k8s.yaml (tier staging\'s Argo CD objects) holds argoproj.io/v1alpha1 ApplicationSet "erp-previews" in namespace "argocd"; '
      + 'an ApplicationSet belongs there only as the previews of an app whose previews live in tier staging, in Argo CD\'s namespace "argocd" (app erp\'s previews live in tier dev)',
    ]);
    const wide = await checkEdited((all) => all.map((o) => (o.metadata?.name === 'tierkit-dev-previews'
      ? { ...o, spec: { ...o.spec, destinations: [...o.spec.destinations, { namespace: 'erp-dev', server: 'https://kubernetes.default.svc' }], clusterResourceWhitelist: [{ group: '', kind: 'Namespace' }, { group: 'rbac.authorization.k8s.io', kind: 'ClusterRole' }] } }
      : o)));
    expect(findings(wide, 'TK112').map((f) => f.message)).toEqual([
      expect.stringMatching(/^AppProject "tierkit-dev-previews" .* permits rbac.authorization.k8s.io\/ClusterRole; tierkit renders only \(core\)\/Namespace here$/),
      expect.stringMatching(/^AppProject "tierkit-dev-previews" in k8s\/dev\/argocd\/applications.k8s.yaml permits destination \{"namespace":"erp-dev".*\(the namespace of erp-dev, tier dev\); only erp-pr-\*, tierkit-previews on/),
    ]);
    // A declared env's namespace under `erp-pr-` (validation refuses it at synth; here a hand-edited manifest).
    const reserved = await checkEdited((all, dir) => {
      const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
      m.appEnvironments.find((e: any) => e.slug === 'shop-dev').names.namespace = 'erp-pr-shop';
      writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m, null, 2));
      return all;
    });
    expect(findings(reserved, 'TK112').map((f) => f.message)).toContain(
      'AppProject "tierkit-dev-previews" in k8s/dev/argocd/applications.k8s.yaml permits "erp-pr-*", which matches the namespace "erp-pr-shop" of declared env shop-dev (tier dev): every preview Application could deploy into it');
    const dropped = await checkEdited((all) => all.filter((o) => o.metadata?.name !== 'tierkit-dev-previews'));
    expect(findings(dropped, 'TK112').map((f) => f.message)).toEqual([expect.stringMatching(/^AppProject "tierkit-dev-previews" of tier dev is missing/)]);
    const dir = freshDir('appset-apps');
    cpSync(cleanDist(), dir, { recursive: true });
    const prod = docs(dir, 'k8s/argocd/prod.k8s.yaml');
    const proj = prod.find((o) => o.kind === 'AppProject');
    proj.spec.namespaceResourceWhitelist.push({ group: 'argoproj.io', kind: 'ApplicationSet' });
    write(dir, 'k8s/argocd/prod.k8s.yaml', prod);
    rehashManifest(dir);
    expect(findings(await check(dir), 'TK112').map((f) => f.message)).toEqual([
      expect.stringMatching(/^AppProject "tierkit-prod-apps" in k8s\/argocd\/prod.k8s.yaml permits argoproj.io\/ApplicationSet; tierkit renders only argoproj.io\/AppProject, argoproj.io\/Application here$/),
    ]);
  });

  it('TK174: fasttemplate, no missingkey=error, a PR author\'s parameter, the number elsewhere, a generator template override', async () => {
    const a = built();
    a.spec.goTemplate = false;
    a.spec.goTemplateOptions = [];
    a.spec.template.spec.source.path = 'dev/previews/{{.branch_slug}}';
    a.spec.template.metadata.labels['tierkit.io/pr'] = '{{.number}}';
    a.spec.template.spec.destination.namespace = 'erp-pr-{{number}}';
    a.spec.generators[0].pullRequest.template = { metadata: {}, spec: { project: 'default' } };
    const found = findings(await checkWith(a), 'TK174').map((f) => f.message);
    expect(found).toEqual(expect.arrayContaining([
      'ApplicationSet "erp-previews" has goTemplate = false: without exactly true Argo CD renders with fasttemplate and "{{.number}}" stays literal',
      expect.stringMatching(/^ApplicationSet "erp-previews" has goTemplateOptions = \[\]: exactly \["missingkey=error"\]/),
      expect.stringMatching(/^ApplicationSet "erp-previews" template \/spec\/source\/path uses "\{\{\.branch_slug\}\}": only "\{\{\.number\}\}"/),
      expect.stringMatching(/^ApplicationSet "erp-previews" template \/metadata\/labels\/tierkit.io\/pr uses "\{\{\.number\}\}": the PR number goes into metadata.name, spec.destination.namespace, spec.source.kustomize.nameSuffix and its tierkit.io\/pr annotation only/),
      expect.stringMatching(/^ApplicationSet "erp-previews" template \/spec\/destination\/namespace uses "\{\{number\}\}"/),
      'ApplicationSet "erp-previews" generator 0 (pullRequest) carries its own template, which overrides the spec\'s',
    ]));
    expect(findings(await checkWith(a), 'TK174').every((f) => f.severity === 'error')).toBe(true);
  });

  it('TK174: a later Go template option undoing missingkey=error is an error', async () => {
    const a = built();
    a.spec.goTemplateOptions = ['missingkey=error', 'missingkey=zero'];
    expect(findings(await checkWith(a), 'TK174').map((f) => f.message)).toEqual([
      'ApplicationSet "erp-previews" has goTemplateOptions = ["missingkey=error","missingkey=zero"]: exactly ["missingkey=error"], or a misspelt field renders "<no value>", one name for every PR',
    ]);
  });

  it('TK175: no label (every PR, forks included), another repo, a second generator, a bad poll interval', async () => {
    const a = built();
    delete a.spec.generators[0].pullRequest.github.labels;
    a.spec.generators[0].pullRequest.github.repo = 'estate-fork';
    a.spec.generators[0].pullRequest.requeueAfterSeconds = 5;
    const found = findings(await checkWith(a), 'TK175').map((f) => f.message);
    expect(found).toEqual(expect.arrayContaining([
      'ApplicationSet "erp-previews" polls "arcodange"/"estate-fork"; only the estate\'s repository arcodange/estate',
      'ApplicationSet "erp-previews" selects labels null; exactly ["preview"] (without it every open PR, forks included, gets a preview)',
      expect.stringMatching(/^ApplicationSet "erp-previews" polls every 5 s; a whole number from 30 to 3600/),
    ]));
    const b = built();
    b.spec.generators.push({ list: { elements: [{ number: 'x' }] } });
    expect(findings(await checkWith(b), 'TK175').map((f) => f.message)).toEqual(['ApplicationSet "erp-previews" has 2 generators; exactly one pullRequest generator']);
    const c = built();
    c.spec.generators[0].pullRequest.requeueAfterSeconds = 600;
    expect(findings(await checkWith(c), 'TK175').map((f) => f.message)).toEqual(['ApplicationSet "erp-previews" polls every 600 s; the manifest declares 300']);
  });

  it('TK176: a PR\'s head as the source, a templated or tier project, another namespace, kustomize options, kept resources; an ApplicationSet no app declares', async () => {
    const a = built();
    a.spec.template.spec.source.targetRevision = '{{.head_sha}}';
    a.spec.template.spec.source.kustomize = { ...a.spec.template.spec.source.kustomize, namespace: 'tierkit-previews' };
    a.spec.template.spec.project = 'tierkit-dev';
    a.spec.template.spec.destination.namespace = 'erp-dev';
    a.spec.syncPolicy.preserveResourcesOnDeletion = true;
    const evil = { ...built(), metadata: { name: 'loot', namespace: 'argocd' } };
    const report = await checkWith(a, evil);
    expect(findings(report, 'TK176').map((f) => f.message)).toEqual(expect.arrayContaining([
      'ApplicationSet "erp-previews" source targetRevision is "{{.head_sha}}"; exactly "rendered" (the rendered branch, never a pull request\'s)',
      expect.stringMatching(/^ApplicationSet "erp-previews" source kustomize is .*"namespace":"tierkit-previews".*; exactly /),
      'ApplicationSet "erp-previews" uses project "tierkit-dev"; exactly "tierkit-dev-previews", literal (never the tier\'s own project, never templated)',
      'ApplicationSet "erp-previews" deploys into namespace "erp-dev"; exactly "erp-pr-{{.number}}"',
      'ApplicationSet "erp-previews" preserves resources on deletion: a closed PR\'s namespace would outlive it',
      'ApplicationSet "loot" is no app\'s preview ApplicationSet: no app-environment of the manifest declares previews for an app named so',
    ]));
    const b = built();
    b.spec.syncPolicy.applicationsSync = 'create-only';
    b.spec.template.spec.syncPolicy.syncOptions = ['CreateNamespace=true', 'ServerSideApply=true'];
    b.spec.template.spec.ignoreDifferences = [{ kind: 'NetworkPolicy', jsonPointers: ['/spec'] }];
    expect(findings(await checkWith(b), 'TK176').map((f) => f.message)).toEqual([
      'ApplicationSet "erp-previews" sets spec.syncPolicy.applicationsSync, which tierkit does not write and no rule reads',
      'ApplicationSet "erp-previews" sets spec.template.spec.ignoreDifferences, which tierkit does not write and no rule reads',
      'ApplicationSet "erp-previews" syncs with options ["CreateNamespace=true","ServerSideApply=true"]; exactly ["CreateNamespace=true"] (the preview\'s namespace, created with its labels)',
    ]);
    // The namespace Argo CD creates: the restricted Pod Security labels, exactly; a privileged enforce level or an extra label is refused.
    const c = built();
    c.spec.template.spec.syncPolicy.managedNamespaceMetadata.labels['pod-security.kubernetes.io/enforce'] = 'privileged';
    const d = built();
    d.spec.template.spec.syncPolicy.managedNamespaceMetadata.annotations = { 'scheduler.alpha.kubernetes.io/node-selector': 'pool=prod' };
    expect(findings(await checkWith(c), 'TK176').map((f) => f.message)).toEqual([
      'ApplicationSet "erp-previews" template\'s managedNamespaceMetadata label pod-security.kubernetes.io/enforce is "privileged"; exactly "restricted": the preview\'s namespace enforces the restricted Pod Security profile',
    ]);
    expect(findings(await checkWith(d), 'TK176').map((f) => f.message)).toEqual([
      'ApplicationSet "erp-previews" template\'s managedNamespaceMetadata is not exactly { labels }: the preview\'s namespace enforces the restricted Pod Security profile',
    ]);
    // kustomize fields beyond tierkit's two: an image override, or the number in a namespace.
    const e = built();
    e.spec.template.spec.source.kustomize.images = ['app=evil/app:latest'];
    expect(findings(await checkWith(e), 'TK176').map((f) => f.message)).toEqual([expect.stringMatching(/^ApplicationSet "erp-previews" source kustomize is .*"images".*; exactly /)]);
    // An env-level suppression of erp-dev cannot quiet it: the rules are unsuppressible.
    expect(findings(report, 'TK176').every((f) => f.severity === 'error' && f.suppressed === undefined)).toBe(true);
  });
});
