import { isDeepStrictEqual } from 'node:util';
import * as naming from '../../constructs/naming';
import { applicationSets, isRecord, previewEnvOf } from './support/preview-applicationset';
import { PREVIEW_POD_SECURITY_VERSION } from './support/preview-manifests';
import { Rule, RuleFinding } from './support/rule';

const SOURCE_FIELDS = ['path', 'repoURL', 'targetRevision'];
/** The number into every name (`-pr-<n>`) and onto every object and pod (the Jobs read it): exactly this, no other kustomize field. */
const KUSTOMIZE = { nameSuffix: `-pr-${naming.PREVIEW_NUMBER_PARAMETER}`, commonAnnotations: { [naming.PREVIEW_PR_ANNOTATION]: naming.PREVIEW_NUMBER_PARAMETER } };
const PSS_MODES = ['enforce', 'audit', 'warn'];

/** The namespace Argo CD creates: tierkit's labels and the restricted Pod Security labels (pinned version), nothing else. */
function namespaceMetadataProblem(value: unknown, labels: Record<string, string>): string | undefined {
  if (!isRecord(value) || Object.keys(value).join() !== 'labels' || !isRecord(value.labels)) return 'is not exactly { labels }';
  const l = value.labels;
  for (const [k, v] of Object.entries(labels)) if (l[k] !== v) return `label ${k} is ${JSON.stringify(l[k] ?? null)}; exactly ${JSON.stringify(v)}`;
  for (const m of PSS_MODES) {
    if (l[`pod-security.kubernetes.io/${m}`] !== 'restricted') return `label pod-security.kubernetes.io/${m} is ${JSON.stringify(l[`pod-security.kubernetes.io/${m}`] ?? null)}; exactly "restricted"`;
    // Exactly the version tierkit pins: an older one (`v1.0`) admits what later Restricted controls refuse.
    const version = l[`pod-security.kubernetes.io/${m}-version`];
    if (version !== PREVIEW_POD_SECURITY_VERSION) return `label pod-security.kubernetes.io/${m}-version is ${JSON.stringify(version ?? null)}; exactly "${PREVIEW_POD_SECURITY_VERSION}"`;
  }
  const known = new Set([...Object.keys(labels), ...PSS_MODES.flatMap((m) => [`pod-security.kubernetes.io/${m}`, `pod-security.kubernetes.io/${m}-version`])]);
  const extra = Object.keys(l).filter((k) => !known.has(k)).sort();
  return extra.length > 0 ? `sets labels ${extra.join(', ')}, which tierkit does not write` : undefined;
}
/**
 * The fields tierkit writes, per object; anything else is a field no rule reads, so it is refused
 * (e.g. `syncPolicy.applicationsSync: create-only` keeps a closed PR's Application, so its PostDelete
 * never runs; a template `syncOptions` could create the namespace without the rendered policies).
 */
const KNOWN: Record<string, readonly string[]> = {
  spec: ['generators', 'goTemplate', 'goTemplateOptions', 'syncPolicy', 'template'],
  'spec.syncPolicy': ['preserveResourcesOnDeletion'],
  'spec.template': ['metadata', 'spec'],
  'spec.template.metadata': ['finalizers', 'labels', 'name', 'namespace'],
  'spec.template.spec': ['destination', 'project', 'source', 'syncPolicy'],
  'spec.template.spec.destination': ['namespace', 'server'],
  'spec.template.spec.syncPolicy': ['automated', 'managedNamespaceMetadata', 'syncOptions'],
  'spec.template.spec.syncPolicy.automated': ['prune', 'selfHeal'],
};

function unknownFields(object: Record<string, any>): string[] {
  const out: string[] = [];
  for (const [where, known] of Object.entries(KNOWN)) {
    const value = where.split('.').reduce<any>((v, k) => (isRecord(v) ? v[k] : undefined), object);
    if (isRecord(value)) for (const k of Object.keys(value).sort()) if (!known.includes(k)) out.push(`${where}.${k}`);
  }
  return out;
}
const RESOURCES_FINALIZER = 'resources-finalizer.argocd.argoproj.io';

export const rule: Rule = {
  id: 'TK176',
  name: 'preview-appset-target',
  severity: 'error',
  title: 'Every ApplicationSet is an app\'s preview ApplicationSet: `<app>-pr-{{.number}}` Applications in the tier\'s previews project, deploying the rendered branch\'s literal previews path into namespace `<app>-pr-{{.number}}`',
  explanation:
    'An ApplicationSet generates Applications with the controller\'s own rights, so one tierkit did not write for a declared '
    + 'app\'s previews is a way around every project and rule. A preview Application deploys from the rendered branch at a literal '
    + 'path: a PR\'s head would let its author write the hook Jobs that run as the preview admin, and is gone when the branch is '
    + 'deleted, so the PostDelete hook (which drops the database) could not render. The project is literal (Argo CD: a templated '
    + 'project lets PR authors pick their permissions) and is the tier\'s previews project, never the tier\'s own. The namespace is '
    + '`<app>-pr-<number>`, which no declared env may own (validation), and the resources finalizer makes deletion cascade.',
  fix: 'Declare previews with `App.previews` and keep what tierkit writes; delete any other ApplicationSet.',
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    const argocd = g.manifest.estate.argocd;
    for (const k of applicationSets(g)) {
      const env = previewEnvOf(g, k);
      const at = (message: string) => out.push({ ...(env ? { env } : {}), source: k.source, message: `ApplicationSet "${k.name}" ${message}` });
      if (!env) {
        at('is no app\'s preview ApplicationSet: no app-environment of the manifest declares previews for an app named so');
        continue;
      }
      const app = env.app;
      const tier = env.tier;
      const name = naming.previewSlug(app, naming.PREVIEW_NUMBER_PARAMETER);
      const server = g.tiers.get(tier)?.argocdDestinationServer ?? argocd.destinationServer;
      if (k.namespace !== argocd.namespace) at(`is in namespace ${JSON.stringify(k.namespace ?? null)}; Argo CD's namespace is "${argocd.namespace}"`);
      for (const f of unknownFields(k.object)) at(`sets ${f}, which tierkit does not write and no rule reads`);
      const spec = isRecord(k.object.spec) ? k.object.spec : {};
      if (isRecord(spec.syncPolicy) && spec.syncPolicy.preserveResourcesOnDeletion === true) at('preserves resources on deletion: a closed PR\'s namespace would outlive it');
      const t = isRecord(spec.template) ? spec.template : {};
      const meta = isRecord(t.metadata) ? t.metadata : {};
      const s = isRecord(t.spec) ? t.spec : {};
      if (meta.name !== name) at(`names its Applications ${JSON.stringify(meta.name ?? null)}; exactly "${name}"`);
      if (meta.namespace !== undefined && meta.namespace !== argocd.namespace) at(`puts its Applications in namespace ${JSON.stringify(meta.namespace)}; Argo CD's namespace is "${argocd.namespace}"`);
      if (!Array.isArray(meta.finalizers) || !meta.finalizers.includes(RESOURCES_FINALIZER)) at(`template has finalizers ${JSON.stringify(meta.finalizers ?? null)}; "${RESOURCES_FINALIZER}" makes a closed PR's deletion cascade`);
      const project = naming.previewsArgoProjectName(tier);
      if (s.project !== project) at(`uses project ${JSON.stringify(s.project ?? null)}; exactly "${project}", literal (never the tier's own project, never templated)`);
      const dest = isRecord(s.destination) ? s.destination : {};
      if (dest.namespace !== name) at(`deploys into namespace ${JSON.stringify(dest.namespace ?? null)}; exactly "${name}"`);
      if (dest.server !== server || dest.name !== undefined) at(`deploys to ${JSON.stringify(dest.name !== undefined ? { name: dest.name } : dest.server ?? null)}; exactly the tier's server "${server}"`);
      const auto = isRecord(s.syncPolicy) && isRecord(s.syncPolicy.automated) ? s.syncPolicy.automated : undefined;
      if (!auto || auto.prune !== true || auto.selfHeal !== true) at(`syncs with ${JSON.stringify(s.syncPolicy ?? null)}; exactly automated, prune and selfHeal true (a hand change in a preview is reverted, a removed object removed)`);
      // Argo CD creates the namespace (`<app>-pr-<n>`, the project allows no other) with the restricted Pod Security labels.
      const sync = isRecord(s.syncPolicy) ? s.syncPolicy : {};
      if (!isDeepStrictEqual(sync.syncOptions, ['CreateNamespace=true'])) at(`syncs with options ${JSON.stringify(sync.syncOptions ?? null)}; exactly ["CreateNamespace=true"] (the preview's namespace, created with its labels)`);
      const nsLabels = { 'app.kubernetes.io/managed-by': 'tierkit', 'app.kubernetes.io/part-of': g.manifest.estate.name, 'tierkit.io/tier': tier, [naming.PREVIEW_OF_LABEL]: app };
      const nsProblem = namespaceMetadataProblem(sync.managedNamespaceMetadata, nsLabels);
      if (nsProblem) at(`template's managedNamespaceMetadata ${nsProblem}: the preview's namespace enforces the restricted Pod Security profile`);
      if (s.sources !== undefined) at('has several sources; exactly one, the rendered branch');
      const src = isRecord(s.source) ? s.source : undefined;
      const path = naming.previewsRenderedPath(tier, app);
      const want: Record<string, string> = { path, repoURL: argocd.repoUrl, targetRevision: argocd.targetRevision };
      if (!src) at(`has no source; exactly ${JSON.stringify(want)}`);
      else {
        for (const f of Object.keys(src).sort()) if (!SOURCE_FIELDS.includes(f) && f !== 'kustomize') at(`source sets "${f}"; a preview deploys the rendered manifests as they are`);
        if (!isDeepStrictEqual(src.kustomize, KUSTOMIZE)) at(`source kustomize is ${JSON.stringify(src.kustomize ?? null)}; exactly ${JSON.stringify(KUSTOMIZE)} (a namespace would move the hook Jobs into the preview; patches or images would rewrite tierkit's objects)`);
        for (const f of SOURCE_FIELDS) if (src[f] !== want[f]) at(`source ${f} is ${JSON.stringify(src[f] ?? null)}; exactly ${JSON.stringify(want[f])} (the rendered branch, never a pull request's)`);
      }
    }
    return out;
  },
};
