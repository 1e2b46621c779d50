/**
 * Pod templates as they run: found in every workload kind, and mutated the way the Vault agent
 * injector (hashicorp/vault-k8s, agent-inject/agent) mutates them, so the rules judge the injected
 * containers too although they never appear in dist/.
 */
import { groupBy } from '../../graph/group';
import type { EstateGraph, K8sObject, Source } from '../../graph/types';
import type { PodTemplate } from './pod-security-standards';
import { isLiveTier } from '../../../contract/tiers';

export interface FoundTemplate {
  readonly object: K8sObject;
  /** Pointer of the template inside the object (`/spec/template`; '' for a Pod). */
  readonly at: string;
  readonly template: PodTemplate;
  /** The template as the injector leaves it (the same object when no agent is injected). */
  readonly injected: PodTemplate;
  /** Set when the injection cannot be modelled (a JSON patch, an unknown option): the rules then fail it. */
  readonly unmodelled?: string;
}

const TEMPLATE_AT: Readonly<Record<string, string>> = {
  Pod: '', Deployment: '/spec/template', StatefulSet: '/spec/template', DaemonSet: '/spec/template', ReplicaSet: '/spec/template',
  ReplicationController: '/spec/template', Job: '/spec/template', CronJob: '/spec/jobTemplate/spec/template',
};

/** Each TEMPLATE_AT pointer's segments, split once (per template they were split anew). */
const SEGMENTS = new Map(Object.values(TEMPLATE_AT).map((p) => [p, p.split('/').slice(1)]));

function at(obj: Record<string, any>, pointer: string): any {
  const segments = SEGMENTS.get(pointer) ?? pointer.split('/').slice(1);
  let o: any = obj;
  for (const k of segments) o = o === undefined || o === null ? undefined : o[k];
  return o;
}

/** Whether `value` holds a `containers` list anywhere (a pod template of a kind we do not model). */
function holdsContainers(value: unknown, depth = 0): boolean {
  if (depth > 12 || typeof value !== 'object' || value === null) return false;
  // Loops, not some()/entries(): this walks the spec of every object that is no workload (~20,000 at 100×).
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (holdsContainers(value[i], depth + 1)) return true;
    return false;
  }
  const record = value as Record<string, unknown>;
  // for-in visits own keys in Object.keys' order, then inherited ones, which the own-key test skips.
  for (const k in record) {
    if (!Object.prototype.hasOwnProperty.call(record, k)) continue;
    const v = record[k];
    if ((k === 'containers' && Array.isArray(v)) || holdsContainers(v, depth + 1)) return true;
  }
  return false;
}

export function templatePointer(t: FoundTemplate, rel: string): Source {
  return { ...t.object.source, pointer: `${t.object.source.pointer}${t.at}${rel}` };
}

export interface PodTemplates {
  readonly templates: readonly FoundTemplate[];
  readonly unknown: readonly K8sObject[];
}

// Ten rules read the templates: found and injected once per graph (the graph is immutable).
const templatesCache = new WeakMap<EstateGraph, PodTemplates>();

/** Every pod template of the estate; `unknown` lists objects that carry containers in a shape no rule models. */
export function podTemplates(g: EstateGraph): PodTemplates {
  let found = templatesCache.get(g);
  if (!found) templatesCache.set(g, found = findPodTemplates(g));
  return found;
}

function findPodTemplates(g: EstateGraph): PodTemplates {
  const templates: FoundTemplate[] = [];
  const unknown: K8sObject[] = [];
  for (const o of g.kubernetes) {
    if (o.kind === 'Rollout') {
      // A Rollout runs its own template, or the one of the Deployment its workloadRef names (judged
      // there; TK141 refuses a reference the dist cannot resolve). Neither: nothing here vouches for its pods.
      if (o.object.spec?.template !== undefined) {
        const template = o.object.spec.template ?? {};
        const { injected, unmodelled } = injectVaultAgent(template);
        templates.push({ object: o, at: '/spec/template', template, injected, unmodelled });
      } else if (o.object.spec?.workloadRef === undefined && holdsContainers(o.object.spec)) unknown.push(o);
      continue;
    }
    const pointer = TEMPLATE_AT[o.kind];
    if (pointer === undefined) {
      if (holdsContainers(o.object.spec)) unknown.push(o);
      continue;
    }
    const template = (pointer ? at(o.object, pointer) : o.object) ?? {};
    const { injected, unmodelled } = injectVaultAgent(template);
    templates.push({ object: o, at: pointer, template, injected, unmodelled });
  }
  // Shared by the rules: frozen, so one rule cannot change what the next one judges.
  return Object.freeze({ templates: Object.freeze(templates), unknown: Object.freeze(unknown) });
}

const A = 'vault.hashicorp.com/';
/**
 * The injector's annotations tierkit models: those it writes (constructs/synth/kubernetes.ts,
 * lifecycle/, pod-security.ts) and those `injectVaultAgent` renders into the agent's containers
 * (judged by the pod-security rules). Every other `vault.hashicorp.com/` key (vault-k8s
 * agent-inject/agent/annotations.go) is unmodelled: agent-inject-command-<name> runs a shell command
 * in the agent that holds the pod's Vault token, agent-image another image, service / proxy-address
 * / tls-skip-verify / auth-* send the token elsewhere, agent-configmap and the json-patches rewrite
 * the containers. An allow list, so an option added to the injector later is unmodelled too.
 */
const MODELLED = new Set([
  'agent-inject', 'role', 'agent-inject-token', 'agent-init-first', 'agent-pre-populate', 'agent-pre-populate-only',
  'agent-limits-cpu', 'agent-limits-mem', 'agent-requests-cpu', 'agent-requests-mem', 'agent-service-account-token-volume-name',
  'agent-run-as-user', 'agent-run-as-group', 'agent-run-as-same-user', 'agent-set-security-context',
]);
/** Per-secret families whose values (paths, templates) the Vault rules judge (vault-claims.ts, pod-compare.ts, TK179). */
const MODELLED_FAMILIES = ['agent-inject-secret-', 'agent-inject-template-'];
/** The modelled switches (strconv.ParseBool in vault-k8s agent.go and annotations.go). */
const BOOLEANS = ['agent-inject', 'agent-inject-token', 'agent-init-first', 'agent-pre-populate', 'agent-pre-populate-only', 'agent-run-as-same-user', 'agent-set-security-context'];
const unmodelledKey = (key: string) => key.startsWith(A) && !MODELLED.has(key.slice(A.length)) && !MODELLED_FAMILIES.some((f) => key.startsWith(A + f));
/** The annotation keys, joined once: built per template, each lookup hashed a fresh string. */
const K = {
  inject: `${A}agent-inject`, sameUser: `${A}agent-run-as-same-user`, runAsUser: `${A}agent-run-as-user`,
  runAsGroup: `${A}agent-run-as-group`, setSecurityContext: `${A}agent-set-security-context`,
  limitsCpu: `${A}agent-limits-cpu`, limitsMem: `${A}agent-limits-mem`, requestsCpu: `${A}agent-requests-cpu`,
  requestsMem: `${A}agent-requests-mem`, tokenVolume: `${A}agent-service-account-token-volume-name`,
  prePopulate: `${A}agent-pre-populate`, prePopulateOnly: `${A}agent-pre-populate-only`, initFirst: `${A}agent-init-first`,
} as const;
/** vault-k8s agent-inject/agent/agent.go and container_sidecar.go defaults. */
const DEFAULTS = { runAsUser: 100, runAsGroup: 1000, limitsCpu: '500m', limitsMem: '128Mi', requestsCpu: '250m', requestsMem: '64Mi' };

/**
 * The pod as the injector renders it when `vault.hashicorp.com/agent-inject` is "true": an init
 * container `vault-agent-init` (unless agent-pre-populate is "false") and a sidecar `vault-agent`
 * (unless agent-pre-populate-only is "true"), each with the security context of
 * `Agent.securityContext()` — runAsUser/runAsGroup (100/1000 or the agent-run-as-* annotations),
 * runAsNonRoot unless either is 0, read-only root, capabilities drop ALL, no privilege escalation,
 * and no seccomp profile of its own — unless agent-set-security-context is "false"; resources from
 * the agent-requests-/agent-limits- annotations; memory emptyDirs and the token volume mounted.
 */
export function injectVaultAgent(template: PodTemplate): { injected: PodTemplate; unmodelled?: string } {
  const ann: Record<string, string> = template.metadata?.annotations ?? {};
  // The injector reads its switches with Go's strconv.ParseBool (vault-k8s agent.go ShouldInject):
  // "True", "1" or "t" inject as "true" does. Only the two spellings tierkit writes are modelled.
  const loose = BOOLEANS.filter((k) => ann[`${A}${k}`] !== undefined && ann[`${A}${k}`] !== 'true' && ann[`${A}${k}`] !== 'false');
  if (loose.length > 0) return { injected: template, unmodelled: `the injector options ${loose.map((k) => `${A}${k}=${JSON.stringify(ann[`${A}${k}`])}`).join(', ')} are booleans the injector parses as Go does (1, t, True…), not "true" or "false": what it injects is not modelled` };
  if (ann[K.inject] !== 'true') return { injected: template };
  const used = Object.keys(ann).filter(unmodelledKey).sort();
  if (used.length > 0) return { injected: template, unmodelled: `the injector options ${used.join(', ')} change the injected containers in ways tierkit does not model` };
  const spec = template.spec ?? {};
  const firstApp = (spec.containers ?? [])[0]?.securityContext ?? {};
  const sameUser = ann[K.sameUser] === 'true';
  const num = (key: string, d: number) => (ann[key] !== undefined ? Number(ann[key]) : d);
  const runAsUser = sameUser ? firstApp.runAsUser : num(K.runAsUser, DEFAULTS.runAsUser);
  const runAsGroup = sameUser ? firstApp.runAsGroup : num(K.runAsGroup, DEFAULTS.runAsGroup);
  const securityContext = ann[K.setSecurityContext] === 'false' ? undefined : {
    runAsUser, runAsGroup, runAsNonRoot: !(runAsUser === 0 || runAsGroup === 0 || runAsUser === undefined),
    readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] }, allowPrivilegeEscalation: false,
  };
  const q = (key: string, d: string) => ann[key] ?? d;
  const resources = {
    limits: { cpu: q(K.limitsCpu, DEFAULTS.limitsCpu), memory: q(K.limitsMem, DEFAULTS.limitsMem) },
    requests: { cpu: q(K.requestsCpu, DEFAULTS.requestsCpu), memory: q(K.requestsMem, DEFAULTS.requestsMem) },
  };
  const tokenVolume = ann[K.tokenVolume];
  const tokenMount = tokenVolume ? [{ name: tokenVolume, mountPath: '/var/run/secrets/vault.hashicorp.com/serviceaccount', readOnly: true }] : [];
  const agent = (name: string, home: string) => ({
    name, image: 'hashicorp/vault', resources, securityContext,
    volumeMounts: [...tokenMount, { name: home, mountPath: '/home/vault' }, { name: 'vault-secrets', mountPath: '/vault/secrets' }],
  });
  const prePopulate = ann[K.prePopulate] !== 'false';
  const prePopulateOnly = ann[K.prePopulateOnly] === 'true';
  const initFirst = ann[K.initFirst] === 'true';
  const init = prePopulate ? [agent('vault-agent-init', 'home-init')] : [];
  const memory = (name: string) => ({ name, emptyDir: { medium: 'Memory' } });
  const injected: PodTemplate = {
    metadata: template.metadata,
    spec: {
      ...spec,
      initContainers: initFirst ? [...init, ...(spec.initContainers ?? [])] : [...(spec.initContainers ?? []), ...init],
      containers: [...(spec.containers ?? []), ...(prePopulateOnly ? [] : [agent('vault-agent', 'home-sidecar')])],
      volumes: [...(spec.volumes ?? []), memory('vault-secrets'), ...(prePopulate ? [memory('home-init')] : []), ...(prePopulateOnly ? [] : [memory('home-sidecar')])],
    },
  };
  return { injected };
}

/**
 * Why a namespace's findings may not be suppressed: it is prod's, or its pods run in prod's
 * cluster (the Argo CD Application that deploys it targets the server a prod Application targets,
 * or nothing says where it runs). A separate cluster per tier is the only thing that separates nodes.
 */
export function sharesNodesWithProd(g: EstateGraph, namespace: string | undefined): string | undefined {
  const env = namespace ? g.index.byNamespace.get(namespace) : undefined;
  if (isLiveTier(g.tiers, env?.tier)) return `namespace ${namespace} is prod's`;
  const { byNamespace, prod } = clusters(g);
  const own = byNamespace.get(namespace) ?? [];
  if (own.length === 0) return `nothing says which cluster runs namespace ${namespace ?? '(none)'}: it may share nodes with prod`;
  const shared = own.find((s) => prod.has(s) || s === '');
  return shared !== undefined ? `namespace ${namespace} runs in prod's cluster (${shared || 'unnamed destination'}) and shares its nodes` : undefined;
}

// Indexed once per graph: asked per pod template, a scan of every object per prod namespace was
// cubic in the estate's size (727 s of `check` at the 300-app reference estate).
const clusterCache = new WeakMap<EstateGraph, { byNamespace: Map<string | undefined, string[]>; prod: Set<string> }>();
function clusters(g: EstateGraph): { byNamespace: Map<string | undefined, string[]>; prod: Set<string> } {
  const cached = clusterCache.get(g);
  if (cached) return cached;
  const byNamespace = new Map<string | undefined, string[]>();
  const apps = groupBy(g.kubernetes.filter((k) => k.kind === 'Application'), (k) => k.object.spec?.destination?.namespace as string | undefined);
  for (const [ns, list] of apps) byNamespace.set(ns, list.map((k) => String(k.object.spec?.destination?.server ?? k.object.spec?.destination?.name ?? '')));
  const prod = new Set(g.envs.filter((e) => isLiveTier(g.tiers, e.tier)).flatMap((e) => byNamespace.get(e.names.namespace) ?? []));
  const built = { byNamespace, prod };
  clusterCache.set(g, built);
  return built;
}

/** A Kubernetes quantity in base units (cores, bytes); undefined when it does not parse. */
export function quantity(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const m = QUANTITY.exec(value);
  if (!m) return undefined;
  const n = Number(m[1]);
  const suffix = m[2] ?? '';
  if (EXPONENT.test(suffix)) return n * 10 ** Number(suffix.slice(1));
  return n * QUANTITY_FACTORS[suffix];
}

/** Module constants, not literals (a literal is a new RegExp per call); no g/y flag, so no lastIndex state. */
const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;
const EXPONENT = /^[eE]/;
/** Built once, not per call: four quantities per container are read by TK052 and TK053. */
const QUANTITY_FACTORS: Readonly<Record<string, number>> = {
  '': 1, n: 1e-9, u: 1e-6, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};
