import { podTemplates, templatePointer } from './support/pod-templates';
import { isPreviewCollectorObject } from './support/preview-collector';
import { previewJobsServiceAccounts } from './support/reserved-namespaces';
import { at, fileScope } from './support/k8s-scope';
import * as naming from '../../constructs/naming';
import { Rule, RuleFinding } from './support/rule';

export const rule: Rule = {
  id: 'TK178',
  name: 'preview-jobs-service-account',
  severity: 'error',
  title: "No Kubernetes object of dist/ declares, binds or runs as the preview Jobs' service account <app>-previews",
  explanation:
    "The preview Jobs' Vault auth role trusts service account <app>-previews (TK172): its token reads the preview admin's "
    + 'password (CREATEDB CREATEROLE on the previews\' server) and writes <app>-pr-* Vault roles. The Jobs are rendered by the '
    + "app's preview ApplicationSet, never as an object of an env's manifests: a ServiceAccount of that name there, a pod "
    + 'running as it, a binding naming it or a Vault agent logging in with it is a second way into that identity. '
    + 'The only pods admitted are the app\'s own PreSync and PostDelete Jobs, in tierkit-previews, in its previews file, and its orphan collector CronJob <app>-previews-collect in tierkit-previews in the bootstrap of its previews\' tier (TK180), each running as its own <app>-previews, and the only declaration that account in tierkit-previews in the bootstrap of the tier its previews live in (TK179 compares both whole).',
  fix: "Remove the object, or run it as the env's own service account (<app>-<env>); <app>-previews is the preview Jobs' only.",
  suppressible: false,
  evaluate(g) {
    const reserved = previewJobsServiceAccounts(g);
    if (reserved.size === 0) return [];
    const out: RuleFinding[] = [];
    for (const k of g.kubernetes) {
      const scope = fileScope(g, k.source.file);
      // The Jobs' own account, in the bootstrap of the tier where its app's previews live (TK179 compares it whole).
      const bootstrapped = k.kind === 'ServiceAccount' && scope.kind === 'bootstrap' && k.namespace === naming.PREVIEW_JOBS_NAMESPACE
        && g.envs.some((e) => e.tier === scope.tier && e.previews !== undefined && e.previews !== null && naming.previewApplicationSetName(e.app) === k.name);
      if (k.kind === 'ServiceAccount' && reserved.has(k.name) && !bootstrapped) {
        out.push({ source: k.source, message: `${k.source.file} declares ServiceAccount "${k.namespace ?? ''}/${k.name}", the preview Jobs' service account` });
      }
      if (k.kind === 'RoleBinding' || k.kind === 'ClusterRoleBinding') {
        (Array.isArray(k.object.subjects) ? k.object.subjects as any[] : []).forEach((s, i) => {
          const name = typeof s?.name === 'string' ? s.name.replace(/^system:serviceaccount:[^:]+:/, '') : undefined;
          if (name !== undefined && reserved.has(name)) out.push({ source: at(k, `/subjects/${i}`), message: `${k.kind} ${k.namespace ?? ''}/${k.name} binds "${s.name}", the preview Jobs' service account` });
        });
      }
    }
    for (const t of podTemplates(g).templates) {
      const k = t.object;
      // The preview Jobs themselves: a Job of that name, in tierkit-previews, in its app's previews file (TK179 judges them whole).
      const scope = fileScope(g, k.source.file);
      if (scope.kind === 'previews' && k.kind === 'Job' && k.namespace === naming.PREVIEW_JOBS_NAMESPACE
        && k.source.file === `${naming.k8sPreviewDir(scope.tier, scope.app)}/${naming.PREVIEW_OBJECTS_FILE}`
        && (k.name === naming.previewJobName(scope.app, 'create') || k.name === naming.previewJobName(scope.app, 'drop'))
        && t.template?.spec?.serviceAccountName === naming.previewApplicationSetName(scope.app)
        && t.template?.metadata?.annotations?.['vault.hashicorp.com/role'] === naming.previewApplicationSetName(scope.app)) continue;
      // The app's orphan collector, in the bootstrap of its previews' tier, as its own app's account (TK180 judges it whole).
      if (isPreviewCollectorObject(g, k) && t.template?.spec?.serviceAccountName === naming.previewApplicationSetName(k.object?.metadata?.labels?.[naming.PREVIEW_OF_LABEL])
        && k.name === naming.previewCollectorName(k.object?.metadata?.labels?.[naming.PREVIEW_OF_LABEL])
        && t.template?.metadata?.annotations?.['vault.hashicorp.com/role'] === t.template?.spec?.serviceAccountName) continue;
      for (const key of ['serviceAccountName', 'serviceAccount']) {
        const name = t.template?.spec?.[key];
        if (typeof name === 'string' && reserved.has(name)) out.push({ source: templatePointer(t, `/spec/${key}`), message: `${k.kind} ${k.namespace ?? ''}/${k.name} runs its pods as ServiceAccount "${name}", the preview Jobs' service account` });
      }
      const role = t.template?.metadata?.annotations?.['vault.hashicorp.com/role'];
      if (typeof role === 'string' && reserved.has(role)) out.push({ source: templatePointer(t, '/metadata/annotations'), message: `${k.kind} ${k.namespace ?? ''}/${k.name} has its Vault agent log in with "${role}", the preview Jobs' auth role` });
    }
    return out;
  },
};
