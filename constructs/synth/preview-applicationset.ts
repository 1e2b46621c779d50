import type { AppEnvironment } from '../app-environment';
import * as naming from '../naming';
import { hostsPreviews, previewSettings } from '../previews';
import { podSecurityLabels } from './pod-security';
import { previewKustomizeSource } from './preview-manifests';

/**
 * The Argo CD ApplicationSet of an app's per-PR previews (docs/previews.md), as plain data: one
 * Application `<app>-pr-<n>` per open, labelled pull request of the estate's repository.
 *
 * Every field a pull request could steer is literal. Only the PR number is templated, and only into
 * the Application's name and destination namespace: the generator's other parameters (`branch`,
 * `title`, `author`, `head_sha`, …; argoproj/argo-cd applicationset/generators/pull_request.go) are
 * the PR author's text. The source is the rendered branch at a literal path — never the PR's head,
 * which PostDelete would no longer find once the branch is deleted, and which would let the PR's
 * author write the hook Jobs that run as the preview admin. The project is literal (Argo CD's docs:
 * a templated project lets PR authors choose their permissions).
 *
 * Written into the Argo CD file of the tier the previews live in (synth/kubernetes.ts), beside the
 * previews project; the per-PR manifests it points at (`<tier>/previews/<app>`: default-deny
 * policies, workload, hook Jobs) are preview-manifests.ts. `source.kustomize` carries the number into
 * every name (`-pr-<n>`) and onto every object (`tierkit.io/pr`); Argo CD creates the namespace
 * (`CreateNamespace=true`) with the restricted Pod Security labels. `check` judges any ApplicationSet
 * found in dist (TK174–TK176) against this shape.
 */


/** `owner/name` → the generator's GitHub coordinates. */
function githubRepo(repository: string): { owner: string; repo: string } {
  const [owner, repo] = repository.split('/');
  return { owner, repo };
}

/** The ApplicationSet of the env holding its app's previews (`hostsPreviews`); undefined for any other env. */
export function previewApplicationSet(env: AppEnvironment): Record<string, unknown> | undefined {
  if (!hostsPreviews(env)) return undefined;
  const estate = env.estate;
  const app = env.app.appName;
  const tier = env.tier.name;
  const settings = previewSettings(env.app.previews!);
  const name = naming.previewSlug(app, naming.PREVIEW_NUMBER_PARAMETER);
  const labels = { 'app.kubernetes.io/managed-by': 'tierkit', 'app.kubernetes.io/part-of': estate.estateName, 'tierkit.io/tier': tier, 'tierkit.io/previews-of': app };
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'ApplicationSet',
    metadata: { name: naming.previewApplicationSetName(app), namespace: estate.argocd.namespace, labels },
    spec: {
      // Without goTemplate, `{{.number}}` is left as text (fasttemplate); without missingkey=error a
      // misspelt field renders `<no value>`, one name for every PR.
      goTemplate: true,
      goTemplateOptions: ['missingkey=error'],
      generators: [{
        pullRequest: {
          github: { ...githubRepo(estate.ci.repository), labels: [settings.label], appSecretName: naming.PREVIEW_GITHUB_APP_SECRET },
          requeueAfterSeconds: settings.requeueAfterSeconds,
        },
      }],
      // A closed PR's Application is deleted (its PostDelete hook drops the database); nothing survives it.
      syncPolicy: { preserveResourcesOnDeletion: false },
      template: {
        metadata: {
          // A copy: YAML writers alias an object written twice, and tierkit's reader refuses aliases.
          name, namespace: estate.argocd.namespace, labels: { ...labels },
          // Deleting the Application deletes its resources first, and runs its PostDelete hooks.
          finalizers: ['resources-finalizer.argocd.argoproj.io'],
        },
        spec: {
          project: naming.previewsArgoProjectName(tier),
          source: {
            repoURL: estate.argocd.repoUrl, targetRevision: estate.argocd.targetRevision, path: naming.previewsRenderedPath(tier, app),
            kustomize: previewKustomizeSource(),
          },
          destination: { server: estate.tier(env.tier).argocdDestinationServer ?? estate.argocd.destinationServer, namespace: name },
          syncPolicy: {
            automated: { prune: true, selfHeal: true },
            // The namespace is the destination's, created by Argo CD before the sync, with these labels.
            syncOptions: ['CreateNamespace=true'],
            managedNamespaceMetadata: { labels: { ...labels, ...podSecurityLabels() } },
          },
        },
      },
    },
  };
}
