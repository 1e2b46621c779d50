import { appendFileSync, cpSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { previewApplicationSet } from '../../constructs/synth/preview-applicationset';
import exampleEstate from '../../environments';
import type { CheckReport } from '../../policies/report/finding';
import { validateKubernetesObject } from '../support/k8s-schema';
import { check, cleanDist, env, findings, freshDir } from './helpers';
import { rehashManifest } from './rehash';

// TK174–TK176 judge every ApplicationSet in dist against what constructs/synth/preview-applicationset.ts
// writes. It is not written into dist yet (docs/previews.md): a test places it, or a hostile variant of it,
// in dev's app-of-apps file, as a hand edit would, with the manifest re-hashed.

const RULES = ['TK174', 'TK175', 'TK176'];

function built(): any {
  return JSON.parse(JSON.stringify(previewApplicationSet(env(exampleEstate(), 'erp', 'dev'))!));
}

async function checkWith(...objects: unknown[]): Promise<CheckReport> {
  const dir = freshDir('appset');
  cpSync(cleanDist(), dir, { recursive: true });
  appendFileSync(join(dir, 'k8s/dev/argocd/applications.k8s.yaml'), objects.map((o) => `---\n${stringify(o)}`).join(''));
  rehashManifest(dir);
  return check(dir);
}

const ours = (r: CheckReport) => RULES.flatMap((id) => findings(r, id).map((f) => `${id} ${f.message}`));

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
      source: { repoURL: 'https://git.arcodange.lab/platform/estate.git', targetRevision: 'rendered', path: 'dev/previews/erp' },
      destination: { server: 'https://kubernetes.default.svc', namespace: 'erp-pr-{{.number}}' },
      syncPolicy: { automated: { prune: true, selfHeal: true } },
    });
  });

  it('as tierkit builds it (written as is: no YAML aliases), no finding of TK174–TK176; TK110 still refuses the kind in the app-of-apps file', async () => {
    const estate = exampleEstate();
    // Only the env holding erp's previews has one.
    expect([previewApplicationSet(env(estate, 'erp', 'prod')), previewApplicationSet(env(estate, 'shop', 'dev'))]).toEqual([undefined, undefined]);
    const report = await checkWith(previewApplicationSet(env(estate, 'erp', 'dev')));
    expect(ours(report)).toEqual([]);
    // Not yet whitelisted (docs/previews.md): the only finding is the kind's place, not its content.
    expect([...new Set(report.findings.map((f) => f.ruleId))]).toEqual(['TK110']);
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
      expect.stringMatching(/^ApplicationSet "erp-previews" template \/metadata\/labels\/tierkit.io\/pr uses "\{\{\.number\}\}": the PR number goes into metadata.name and spec.destination.namespace only/),
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
    a.spec.template.spec.source.kustomize = { namespace: 'tierkit-previews' };
    a.spec.template.spec.project = 'tierkit-dev';
    a.spec.template.spec.destination.namespace = 'erp-dev';
    a.spec.syncPolicy.preserveResourcesOnDeletion = true;
    const evil = { ...built(), metadata: { name: 'loot', namespace: 'argocd' } };
    const report = await checkWith(a, evil);
    expect(findings(report, 'TK176').map((f) => f.message)).toEqual(expect.arrayContaining([
      'ApplicationSet "erp-previews" source targetRevision is "{{.head_sha}}"; exactly "rendered" (the rendered branch, never a pull request\'s)',
      'ApplicationSet "erp-previews" source sets "kustomize"; a preview deploys the rendered manifests as they are',
      'ApplicationSet "erp-previews" uses project "tierkit-dev"; exactly "tierkit-dev-previews", literal (never the tier\'s own project, never templated)',
      'ApplicationSet "erp-previews" deploys into namespace "erp-dev"; exactly "erp-pr-{{.number}}"',
      'ApplicationSet "erp-previews" preserves resources on deletion: a closed PR\'s namespace would outlive it',
      'ApplicationSet "loot" is no app\'s preview ApplicationSet: no app-environment of the manifest declares previews for an app named so',
    ]));
    const b = built();
    b.spec.syncPolicy.applicationsSync = 'create-only';
    b.spec.template.spec.syncPolicy.syncOptions = ['CreateNamespace=true'];
    b.spec.template.spec.ignoreDifferences = [{ kind: 'NetworkPolicy', jsonPointers: ['/spec'] }];
    expect(findings(await checkWith(b), 'TK176').map((f) => f.message)).toEqual([
      'ApplicationSet "erp-previews" sets spec.syncPolicy.applicationsSync, which tierkit does not write and no rule reads',
      'ApplicationSet "erp-previews" sets spec.template.spec.ignoreDifferences, which tierkit does not write and no rule reads',
      'ApplicationSet "erp-previews" sets spec.template.spec.syncPolicy.syncOptions, which tierkit does not write and no rule reads',
    ]);
    // An env-level suppression of erp-dev cannot quiet it: the rules are unsuppressible.
    expect(findings(report, 'TK176').every((f) => f.severity === 'error' && f.suppressed === undefined)).toBe(true);
  });
});
