import * as naming from '../../constructs/naming';
import { applicationSets, isRecord, templateActions } from './support/preview-applicationset';
import { Rule, RuleFinding } from './support/rule';

/**
 * Where the PR number may appear in the Application template: its name and its namespace, and the
 * two kustomize fields that carry it into the preview's manifests (a name suffix, one annotation;
 * TK176 holds their whole value). Nothing else.
 */
const NUMBER_AT = new Set(['/metadata/name', '/spec/destination/namespace', '/spec/source/kustomize/nameSuffix', `/spec/source/kustomize/commonAnnotations/${naming.PREVIEW_PR_ANNOTATION}`]);

export const rule: Rule = {
  id: 'TK174',
  name: 'preview-appset-template',
  severity: 'error',
  title: 'An ApplicationSet renders with Go templates and missingkey=error, and its template uses only `{{.number}}`, only in the Application\'s name, destination namespace and kustomize name suffix and PR annotation',
  explanation:
    'Without `goTemplate: true` Argo CD renders with fasttemplate, which leaves `{{.number}}` as literal text; without '
    + '`missingkey=error` a misspelt field renders `<no value>`, so every pull request shares one Application and namespace. '
    + 'The pull-request generator\'s other parameters (branch, title, author, head_sha, labels; argo-cd applicationset/generators/pull_request.go) '
    + 'are the PR author\'s text: in a name, path, revision, project or label they let an unreviewed PR choose what is deployed, where, and under which permissions. '
    + 'A generator-level `template` overrides the spec\'s, so it is refused too.',
  fix: 'Keep what tierkit writes for `App.previews`: goTemplate true, goTemplateOptions ["missingkey=error"], `{{.number}}` in metadata.name, destination.namespace and source.kustomize (nameSuffix, the tierkit.io/pr annotation) only.',
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    for (const k of applicationSets(g)) {
      const at = (message: string) => out.push({ source: k.source, message: `ApplicationSet "${k.name}" ${message}` });
      const spec = k.object.spec;
      if (!isRecord(spec)) {
        at('has no readable spec');
        continue;
      }
      if (spec.goTemplate !== true) at(`has goTemplate = ${JSON.stringify(spec.goTemplate ?? null)}: without exactly true Argo CD renders with fasttemplate and "{{.number}}" stays literal`);
      const options = spec.goTemplateOptions;
      // Exactly: Go's template.Option applies options in order, so a later "missingkey=zero" (or "default") undoes it.
      if (!Array.isArray(options) || options.length !== 1 || options[0] !== 'missingkey=error') at(`has goTemplateOptions = ${JSON.stringify(options ?? null)}: exactly ["missingkey=error"], or a misspelt field renders "<no value>", one name for every PR`);
      if (spec.templatePatch !== undefined) at('has a templatePatch: a second template tierkit does not write');
      const generators = Array.isArray(spec.generators) ? spec.generators : [];
      generators.forEach((gen: unknown, i: number) => {
        for (const [kind, body] of isRecord(gen) ? Object.entries(gen) : []) {
          if (isRecord(body) && body.template !== undefined) at(`generator ${i} (${kind}) carries its own template, which overrides the spec's`);
        }
      });
      for (const { path, action } of templateActions(spec.template, '')) {
        if (action !== naming.PREVIEW_NUMBER_PARAMETER) at(`template ${path} uses "${action}": only "${naming.PREVIEW_NUMBER_PARAMETER}" (the PR number) may be templated; the other parameters are the PR author's text`);
        else if (!NUMBER_AT.has(path)) at(`template ${path} uses "${action}": the PR number goes into metadata.name, spec.destination.namespace, spec.source.kustomize.nameSuffix and its ${naming.PREVIEW_PR_ANNOTATION} annotation only`);
      }
    }
    return out;
  },
};
