import { dirname } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import * as naming from '../../constructs/naming';
import type { Env, EstateGraph, K8sObject } from '../graph/types';
import { at } from './support/k8s-scope';
import { podSecurityViolations } from './support/pod-security-standards';
import { isPreviewCollectorObject } from './support/preview-collector';
import { AGENT_RUNTIME_KEYS, ExpectedJob, ExpectedPreview, expectedPreview, expectedPreviewJobsNamespace, isPreviewJobsNamespaceObject, previewHostsByDir } from './support/preview-manifests';
import { fileScope } from './support/k8s-scope';
import { Rule, RuleFinding } from './support/rule';

const isRecord = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);
const extraKeys = (v: unknown, known: readonly string[]) => (isRecord(v) ? Object.keys(v).filter((k) => !known.includes(k)).sort() : []);
const show = (v: unknown) => JSON.stringify(v ?? null);

const POD_KEYS = ['serviceAccountName', 'automountServiceAccountToken', 'securityContext', 'nodeSelector', 'tolerations', 'containers', 'volumes'];
const JOB_POD_KEYS = [...POD_KEYS, 'restartPolicy', 'initContainers'];
const WORKLOAD_CONTAINER_KEYS = ['name', 'image', 'ports', 'env', 'resources', 'readinessProbe', 'livenessProbe', 'volumeMounts', 'securityContext'];
const STEP_KEYS = ['name', 'image', 'command', 'env', 'resources', 'securityContext', 'volumeMounts'];
const TMP_MOUNT = [{ mountPath: '/tmp', name: 'tmp' }];

type Problem = [pointer: string, message: string];

/** constructs/synth/pod-security.ts REPLICAS: one pod per preview (its namespace has no ResourceQuota). */
const PREVIEW_REPLICAS = 1;
/** constructs/synth/preview-manifests.ts: a failed hook Job is not retried; its pods go an hour after it ends. */
const JOB_BACKOFF_LIMIT = 0;
const JOB_TTL_AFTER_FINISHED_SECONDS = 3600;

/**
 * The app container of the hosting env's own Deployment `<app>` in its namespace:
 * the preview runs the same port, health path and resources (same app, same tier).
 */
function hostContainer(g: EstateGraph, env: Env): Record<string, any> | string {
  // A Rollout tierkit renders beside it runs this Deployment's template (workloadRef).
  const found = g.kubernetes.filter((k) => k.kind === 'Deployment' && k.namespace === env.names.namespace && k.name === env.app);
  const c = found.length === 1 ? found[0].object.spec?.template?.spec?.containers?.[0] : undefined;
  return isRecord(c) ? c : `the env ${env.slug}'s workload ${env.names.namespace}/${env.app} is ${found.length === 1 ? 'without an app container' : found.length === 0 ? 'not in dist/' : 'declared twice'}, so its port, probes and resources cannot be compared`;
}

/** The container's ports, probes and resources: exactly tierkit's, on the hosting env's port, health path and resources. */
function runtimeProblems(c: Record<string, any>, host: Record<string, any> | string): Problem[] {
  const p = '/spec/template/spec/containers/0';
  if (typeof host === 'string') return [[p, host]];
  const port = host.ports?.[0]?.containerPort;
  const path = host.readinessProbe?.httpGet?.path;
  const ports = [{ containerPort: port, name: 'http' }];
  const httpGet = { path, port: 'http' };
  const readinessProbe = { httpGet, periodSeconds: 10, failureThreshold: 3 };
  const livenessProbe = { httpGet, initialDelaySeconds: 10, periodSeconds: 20, failureThreshold: 6 };
  const out: Problem[] = [];
  if (!Number.isInteger(port) || typeof path !== 'string') out.push([p, `cannot be compared: the hosting env's container has port ${show(port)} and health path ${show(path)}`]);
  if (!isDeepStrictEqual(c.ports, ports)) out.push([`${p}/ports`, `has ports ${show(c.ports)}; exactly ${show(ports)}`]);
  if (!isDeepStrictEqual(c.resources, host.resources)) out.push([`${p}/resources`, `has resources ${show(c.resources)}; exactly the env's ${show(host.resources)}`]);
  if (!isDeepStrictEqual(c.readinessProbe, readinessProbe)) out.push([`${p}/readinessProbe`, `readinessProbe is ${show(c.readinessProbe)}; exactly ${show(readinessProbe)} (a probe host is dialled from the node, past every NetworkPolicy)`]);
  if (!isDeepStrictEqual(c.livenessProbe, livenessProbe)) out.push([`${p}/livenessProbe`, `livenessProbe is ${show(c.livenessProbe)}; exactly ${show(livenessProbe)} (a probe host is dialled from the node, past every NetworkPolicy)`]);
  return out;
}

/** A volume list of exactly these names, each of the only kind tierkit writes for it. */
function volumeProblems(volumes: unknown, names: readonly string[], seedVolume?: Record<string, unknown>): Problem[] {
  const list = Array.isArray(volumes) ? volumes : [];
  const got = list.map((v: any) => v?.name);
  if (!isDeepStrictEqual(got, names)) return [['/volumes', `volumes are ${show(got)}; exactly ${show(names)}`]];
  const out: Problem[] = [];
  list.forEach((v: any, i: number) => {
    const ok = v.name === 'seeds' ? isDeepStrictEqual(v, seedVolume)
      : v.name === 'tmp' ? extraKeys(v, ['name', 'emptyDir']).length === 0 && isRecord(v.emptyDir)
      : extraKeys(v, ['name', 'projected']).length === 0 && isDeepStrictEqual(v.projected?.sources?.map((s: any) => Object.keys(s)), [['serviceAccountToken']])
        && v.projected.sources[0].serviceAccountToken.audience === 'vault';
    if (!ok) out.push([`/volumes/${i}`, `volume ${v.name} is ${show(v)}, not tierkit's (an emptyDir tmp, the Vault-audience token, the seed claim ${show(seedVolume)} read-only)`]);
  });
  return out;
}

function podProblems(pod: any, keys: readonly string[], serviceAccount: string): Problem[] {
  const out: Problem[] = [];
  const spec = isRecord(pod?.spec) ? pod.spec : {};
  for (const k of extraKeys(spec, keys)) out.push([`/spec/${k}`, `sets spec.${k}, which tierkit does not write (host namespaces, another identity, other volumes or containers)`]);
  if (spec.serviceAccountName !== serviceAccount) out.push(['/spec/serviceAccountName', `runs as ServiceAccount ${show(spec.serviceAccountName)}; exactly "${serviceAccount}"`]);
  if (spec.automountServiceAccountToken !== false) out.push(['/spec/automountServiceAccountToken', 'mounts the API server token; tierkit writes false']);
  for (const v of podSecurityViolations(pod, 'restricted')) out.push([v.pointer, `breaks the restricted Pod Security profile (${v.control}): ${v.message}`]);
  return out;
}

function workloadProblems(k: K8sObject, exp: ExpectedPreview, host: Record<string, any> | string): Problem[] {
  const out: Problem[] = [];
  const o = k.object;
  const w = exp.workload;
  for (const key of extraKeys(o.metadata, ['name', 'labels'])) out.push([`/metadata/${key}`, `sets metadata.${key}: the workload goes into the preview's own namespace, as tierkit writes it`]);
  if (!isDeepStrictEqual(o.metadata?.labels, exp.labels)) out.push(['/metadata/labels', `has labels ${show(o.metadata?.labels)}; exactly ${show(exp.labels)}`]);
  for (const key of extraKeys(o.spec, ['replicas', 'selector', 'template'])) out.push([`/spec/${key}`, `sets spec.${key}, which tierkit does not write`]);
  if (o.spec?.replicas !== PREVIEW_REPLICAS) out.push(['/spec/replicas', `runs ${show(o.spec?.replicas)} replicas; exactly ${PREVIEW_REPLICAS} (no quota bounds a preview namespace)`]);
  if (!isDeepStrictEqual(o.spec?.selector, { matchLabels: w.selector })) out.push(['/spec/selector', `selects ${show(o.spec?.selector)}; exactly ${show({ matchLabels: w.selector })}`]);
  const t = o.spec?.template ?? {};
  if (w.vault === undefined) {
    if (!isDeepStrictEqual(t.metadata, { labels: { ...exp.labels, ...w.selector } })) {
      out.push(['/spec/template/metadata', `pod metadata is ${show(t.metadata)}; exactly the labels ${show({ ...exp.labels, ...w.selector })} (no annotation: no Vault agent, no other identity)`]);
    }
  } else {
    // The workload login (TK164–TK166): the agent's role and template whole; its sizing is the pod-security rules'.
    for (const key of extraKeys(t.metadata, ['labels', 'annotations'])) out.push([`/spec/template/metadata/${key}`, `sets ${key}, which tierkit does not write`]);
    if (!isDeepStrictEqual(t.metadata?.labels, { ...exp.labels, ...w.selector })) out.push(['/spec/template/metadata/labels', `pod labels are ${show(t.metadata?.labels)}; exactly ${show({ ...exp.labels, ...w.selector })}`]);
    const annotations = isRecord(t.metadata?.annotations) ? t.metadata.annotations : {};
    const identity = Object.fromEntries(Object.entries(annotations).filter(([key]) => !AGENT_RUNTIME_KEYS.includes(key)));
    if (!isDeepStrictEqual(identity, w.vault)) {
      out.push(['/spec/template/metadata/annotations', `Vault agent annotations are ${show(identity)}; exactly ${show(w.vault)} (the workload's role, and a template reading its own namespace's creds)`]);
    }
  }
  out.push(...podProblems(t, POD_KEYS, w.name).map(([p, m]): Problem => [`/spec/template${p}`, m]));
  out.push(...volumeProblems(t.spec?.volumes, w.volumes).map(([p, m]): Problem => [`/spec/template/spec${p}`, m]));
  const containers = Array.isArray(t.spec?.containers) ? t.spec.containers : [];
  if (containers.length !== 1) out.push(['/spec/template/spec/containers', `has ${containers.length} containers; exactly one, the app's`]);
  const c = containers[0] ?? {};
  for (const key of extraKeys(c, WORKLOAD_CONTAINER_KEYS)) out.push([`/spec/template/spec/containers/0/${key}`, `sets ${key}, which tierkit does not write`]);
  if (c.name !== w.name || c.image !== w.image) out.push(['/spec/template/spec/containers/0', `runs ${show({ name: c.name, image: c.image })}; exactly ${show({ name: w.name, image: w.image })}, the app's image`]);
  if (!isDeepStrictEqual(c.env, w.env)) out.push(['/spec/template/spec/containers/0/env', `has env ${show(c.env)}; exactly ${show(w.env)}`]);
  if (!isDeepStrictEqual(c.volumeMounts, TMP_MOUNT)) out.push(['/spec/template/spec/containers/0/volumeMounts', `mounts ${show(c.volumeMounts)}; exactly ${show(TMP_MOUNT)}`]);
  out.push(...runtimeProblems(c, host));
  return out;
}

function jobProblems(k: K8sObject, job: ExpectedJob, app: string): Problem[] {
  const out: Problem[] = [];
  const o = k.object;
  for (const key of extraKeys(o.metadata, ['name', 'namespace', 'labels', 'annotations'])) out.push([`/metadata/${key}`, `sets metadata.${key}, which tierkit does not write`]);
  if (o.metadata?.namespace !== naming.PREVIEW_JOBS_NAMESPACE) out.push(['/metadata/namespace', `is in namespace ${show(o.metadata?.namespace)}; exactly "${naming.PREVIEW_JOBS_NAMESPACE}", never a preview's`]);
  if (!isDeepStrictEqual(o.metadata?.labels, job.labels)) out.push(['/metadata/labels', `has labels ${show(o.metadata?.labels)}; exactly ${show(job.labels)}`]);
  if (!isDeepStrictEqual(o.metadata?.annotations, job.hook)) out.push(['/metadata/annotations', `has annotations ${show(o.metadata?.annotations)}; exactly ${show(job.hook)}`]);
  for (const key of extraKeys(o.spec, ['backoffLimit', 'ttlSecondsAfterFinished', 'template'])) out.push([`/spec/${key}`, `sets spec.${key}, which tierkit does not write`]);
  if (o.spec?.backoffLimit !== JOB_BACKOFF_LIMIT) out.push(['/spec/backoffLimit', `backoffLimit is ${show(o.spec?.backoffLimit)}; exactly ${JOB_BACKOFF_LIMIT} (each retry runs the step again as the preview admin)`]);
  if (o.spec?.ttlSecondsAfterFinished !== JOB_TTL_AFTER_FINISHED_SECONDS) out.push(['/spec/ttlSecondsAfterFinished', `ttlSecondsAfterFinished is ${show(o.spec?.ttlSecondsAfterFinished)}; exactly ${JOB_TTL_AFTER_FINISHED_SECONDS}`]);
  const t = o.spec?.template ?? {};
  for (const key of extraKeys(t.metadata, ['labels', 'annotations'])) out.push([`/spec/template/metadata/${key}`, `sets ${key}, which tierkit does not write`]);
  if (!isDeepStrictEqual(t.metadata?.labels, job.labels)) out.push(['/spec/template/metadata/labels', `pod labels are ${show(t.metadata?.labels)}; exactly ${show(job.labels)}`]);
  const annotations = isRecord(t.metadata?.annotations) ? t.metadata.annotations : {};
  const identity = Object.fromEntries(Object.entries(annotations).filter(([key]) => !AGENT_RUNTIME_KEYS.includes(key)));
  if (!isDeepStrictEqual(identity, job.vault)) out.push(['/spec/template/metadata/annotations', `Vault agent annotations are ${show(identity)}; exactly ${show(job.vault)} (the Jobs' role, the admin's secret, its template, the token)`]);
  out.push(...podProblems(t, JOB_POD_KEYS, naming.previewApplicationSetName(app)).map(([p, m]): Problem => [`/spec/template${p}`, m]));
  if (t.spec?.restartPolicy !== 'Never') out.push(['/spec/template/spec/restartPolicy', `restartPolicy is ${show(t.spec?.restartPolicy)}; exactly "Never"`]);
  out.push(...volumeProblems(t.spec?.volumes, job.volumes, job.seedVolume).map(([p, m]): Problem => [`/spec/template/spec${p}`, m]));
  const steps = [...(Array.isArray(t.spec?.initContainers) ? t.spec.initContainers.map((c: any, i: number) => [`initContainers/${i}`, c]) : []),
    ...(Array.isArray(t.spec?.containers) ? t.spec.containers.map((c: any, i: number) => [`containers/${i}`, c]) : [])] as [string, any][];
  if (steps.length !== job.steps.length || (t.spec?.containers ?? []).length !== 1) {
    out.push(['/spec/template/spec', `runs ${steps.length} containers; exactly ${job.steps.map((s) => s.name).join(', ')} in order (the last as the main container)`]);
  }
  job.steps.forEach((want, i) => {
    const [where, c] = steps[i] ?? ['containers/?', {}];
    const p = `/spec/template/spec/${where}`;
    for (const key of extraKeys(c, STEP_KEYS)) out.push([`${p}/${key}`, `sets ${key}, which changes what the step runs`]);
    if (c.name !== want.name || c.image !== want.image) out.push([p, `is ${show({ name: c.name, image: c.image })}; exactly ${show({ name: want.name, image: want.image })} (tierkit's pinned image)`]);
    if (!isDeepStrictEqual(c.command, want.command)) out.push([`${p}/command`, `does not run tierkit's ${want.name} script verbatim`]);
    if (!isDeepStrictEqual(c.env, want.env)) out.push([`${p}/env`, `has env ${show(c.env)}; exactly ${show(want.env)}`]);
    if (!isDeepStrictEqual(c.volumeMounts, want.volumeMounts)) out.push([`${p}/volumeMounts`, `mounts ${show(c.volumeMounts)}; exactly ${show(want.volumeMounts)}`]);
  });
  return out;
}

export const rule: Rule = {
  id: 'TK179',
  name: 'preview-manifests',
  severity: 'error',
  title: "An app's previews directory k8s/<tier>/previews/<app>/ holds exactly what tierkit renders (the kustomization, the default-deny policies, the workload, the PreSync/PostDelete Jobs in tierkit-previews), and the tier's bootstrap exactly tierkit's tierkit-previews namespace objects",
  explanation:
    'Every preview Application deploys this directory from the rendered branch, into `<app>-pr-<n>`, with the previews project\'s '
    + 'rights (Namespace, Job in tierkit-previews). Its hook Jobs log in to Vault as the preview admin\'s Jobs (CREATEDB CREATEROLE '
    + 'on the previews\' server): a changed script, image, env, secret template or service account there runs something else as that '
    + 'identity. A namespace on a preview object writes it into another namespace; a widened NetworkPolicy, a privileged pod, a Vault '
    + 'agent on the workload, a kustomize patch or another file change what every pull request gets. So the directory is compared, '
    + 'file by file and object by object, with what tierkit renders from the manifest. The Jobs\' namespace tierkit-previews (restricted '
    + 'Pod Security, default-deny, DNS, the Jobs\' ServiceAccount and egress to the previews\' server and Vault only) sits in the tier\'s '
    + 'bootstrap, applied by hand: anything else there in that namespace (a RoleBinding, a wider egress) is a finding too.',
  fix: 'Declare previews with `App.previews` and re-run `tierkit synth`; never edit k8s/<tier>/previews/ by hand.',
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    const hosts = previewHostsByDir(g);
    const byDir = new Map<string, K8sObject[]>();
    for (const k of g.kubernetes) {
      const dir = dirname(k.source.file);
      if (hosts.has(dir)) byDir.set(dir, [...(byDir.get(dir) ?? []), k]);
    }
    for (const [dir, env] of hosts) {
      const objects = byDir.get(dir) ?? [];
      const exp = expectedPreview(g, env);
      const report = (k: K8sObject | undefined, pointer: string, message: string) => out.push({
        env, source: k ? at(k, pointer) : { file: `${dir}/${naming.PREVIEW_OBJECTS_FILE}`, pointer: '' }, message: `${dir}: ${message}`,
      });
      if (typeof exp === 'string') {
        report(undefined, '', `cannot be modelled: ${exp}`);
        continue;
      }
      const kustomizationFile = `${dir}/${naming.PREVIEW_KUSTOMIZATION_FILE}`;
      const objectsFile = `${dir}/${naming.PREVIEW_OBJECTS_FILE}`;
      for (const k of objects.filter((o) => o.source.file !== kustomizationFile && o.source.file !== objectsFile)) {
        report(k, '', `${k.source.file} is not a file tierkit writes there (kustomize and Argo CD would apply it to every preview)`);
      }
      const kust = objects.filter((o) => o.source.file === kustomizationFile);
      if (kust.length !== 1 || !isDeepStrictEqual(kust[0].object, exp.kustomization)) {
        report(kust[0], '', `${kustomizationFile} is ${show(kust.map((k) => k.object))}; exactly ${show(exp.kustomization)} (no namespace, patches, generators, images or other resources)`);
      }
      const rendered = objects.filter((o) => o.source.file === objectsFile);
      const expectedKeys = [...exp.whole.map((w) => `${w.kind}/${w.metadata.name}`), `Deployment/${exp.workload.name}`, ...exp.jobs.map((j) => `Job/${j.name}`)];
      const seen = new Set<string>();
      for (const k of rendered) {
        const key = `${k.kind}/${k.name}`;
        if (!expectedKeys.includes(key) || seen.has(key)) {
          report(k, '', `holds ${k.object.apiVersion ?? '?'} ${key}${seen.has(key) ? ' twice' : ''}; tierkit renders exactly ${expectedKeys.join(', ')}`);
          continue;
        }
        seen.add(key);
        const whole = exp.whole.find((w) => `${w.kind}/${w.metadata.name}` === key);
        const job = exp.jobs.find((j) => `Job/${j.name}` === key);
        const problems: Problem[] = whole ? (isDeepStrictEqual(k.object, whole) ? [] : [['', `${key} is ${show(k.object)}; exactly ${show(whole)}`]])
          : job ? (k.object.apiVersion === 'batch/v1' ? jobProblems(k, job, exp.app) : [['/apiVersion', `is ${show(k.object.apiVersion)}; exactly "batch/v1"`]])
            : k.object.apiVersion === 'apps/v1' ? workloadProblems(k, exp, hostContainer(g, env)) : [['/apiVersion', `is ${show(k.object.apiVersion)}; exactly "apps/v1"`]];
        for (const [pointer, message] of problems) report(k, pointer, `${key}: ${message}`);
      }
      const missing = expectedKeys.filter((key) => !seen.has(key));
      if (missing.length > 0) report(undefined, '', `lacks ${missing.join(', ')}: a preview without them is not isolated, or has no database`);
    }
    // The preview Jobs' namespace, in each bootstrap: exactly tierkit's objects, whole.
    const boot = new Map<string, K8sObject[]>();
    for (const k of g.kubernetes) {
      const scope = fileScope(g, k.source.file);
      // The orphan collector of an app whose previews live in this tier is TK180's, compared whole there.
      if (scope.kind === 'bootstrap' && isPreviewJobsNamespaceObject(k) && !isPreviewCollectorObject(g, k)) boot.set(scope.tier, [...(boot.get(scope.tier) ?? []), k]);
    }
    for (const tier of [...new Set([...g.envs.map((e) => e.tier)])].sort()) {
      const want = expectedPreviewJobsNamespace(g, tier);
      if (want.length === 0) continue;
      const file = naming.dist.k8sAppOfApps(tier);
      const got = boot.get(tier) ?? [];
      const key = (o: any) => `${o.kind}/${o.metadata?.name}`;
      for (const k of got) {
        const w = want.find((x) => key(x) === key(k.object));
        if (!w || !isDeepStrictEqual(k.object, w)) {
          out.push({ source: at(k, ''), message: `${file}: ${key(k.object)} in ${naming.PREVIEW_JOBS_NAMESPACE} is ${show(k.object)}; ${w ? `exactly ${show(w)}` : `tierkit writes only ${want.map(key).join(', ')} there`}` });
        }
      }
      const missing = want.filter((w) => !got.some((k) => key(k.object) === key(w))).map(key);
      if (missing.length > 0) out.push({ source: { file, pointer: '' }, message: `${file}: lacks ${missing.join(', ')} of the preview Jobs' namespace ${naming.PREVIEW_JOBS_NAMESPACE}` });
    }
    return out;
  },
};
