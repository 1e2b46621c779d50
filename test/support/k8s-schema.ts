/**
 * Validate Kubernetes objects against the real schemas of kubernetes-models,
 * @kubernetes-models/argo-cd and @kubernetes-models/argo-rollouts (Rollout). Unknown kinds fail: an object we cannot validate is not "valid".
 */
const PACKAGES: Record<string, string> = {
  'argoproj.io': '@kubernetes-models/argo-cd',
};

const ROLLOUT_KINDS = ['Rollout', 'AnalysisRun', 'AnalysisTemplate', 'ClusterAnalysisTemplate', 'Experiment'];

function modulePath(apiVersion: string, kind: string): string {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  if (!/^[A-Za-z]+$/.test(kind)) throw new Error(`not a kind: ${kind}`);
  if (!group) return `kubernetes-models/${version}/${kind}`;
  // Argo CD and Argo Rollouts share the argoproj.io group; each package holds its own kinds.
  const pkg = group === 'argoproj.io' && ROLLOUT_KINDS.includes(kind) ? '@kubernetes-models/argo-rollouts' : PACKAGES[group] ?? 'kubernetes-models';
  return `${pkg}/${group}/${version}/${kind}`;
}

/** Throws with the schema's message when `object` is not a valid instance of its kind. */
export function validateKubernetesObject(object: { apiVersion?: string; kind?: string; [k: string]: unknown }): void {
  if (!object.apiVersion || !object.kind) throw new Error(`object without apiVersion/kind: ${JSON.stringify(object).slice(0, 120)}`);
  const path = modulePath(object.apiVersion, object.kind);
  let Model: new (data: unknown) => { validate(): void };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(path);
    Model = mod[object.kind] ?? mod.default;
  } catch {
    throw new Error(`no schema for ${object.apiVersion} ${object.kind} (looked for ${path})`);
  }
  new Model(object).validate();
}
