import { EstateGraph } from '../graph/types';
import { podTemplates, templatePointer } from './support/pod-templates';
import { Rule, RuleFinding, describeEnv, envOfNamespace } from './support/rule';

const CONTAINER_LISTS = ['initContainers', 'containers', 'ephemeralContainers'] as const;
const PROBES = ['readinessProbe', 'livenessProbe', 'startupProbe'] as const;
const HOOKS = ['postStart', 'preStop'] as const;
const isRecord = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `[pointer relative to the container, host]` of every handler that dials a host of its own. */
function hostHandlers(c: Record<string, any>): [string, unknown][] {
  const handlers: [string, unknown][] = [
    ...PROBES.map((p): [string, unknown] => [`/${p}`, c[p]]),
    ...HOOKS.map((h): [string, unknown] => [`/lifecycle/${h}`, isRecord(c.lifecycle) ? c.lifecycle[h] : undefined]),
  ];
  const out: [string, unknown][] = [];
  for (const [at, handler] of handlers) {
    if (!isRecord(handler)) continue;
    for (const kind of ['httpGet', 'tcpSocket']) {
      const action = handler[kind];
      // Kubernetes defaults an absent or empty host to the pod IP; anything else is dialled as written.
      if (isRecord(action) && action.host !== undefined && action.host !== '') out.push([`${at}/${kind}/host`, action.host]);
    }
  }
  return out;
}

export const rule: Rule = {
  id: 'TK168',
  name: 'probe-host',
  severity: 'error',
  title: 'No probe or lifecycle handler of any pod names a host: the kubelet dials only the pod itself',
  explanation:
    'An httpGet or tcpSocket probe (readiness, liveness, startup) or lifecycle hook with `host` set is dialled by the kubelet '
    + 'from the node\'s network, where no NetworkPolicy applies: a preview or sandbox pod would connect to prod\'s PostgreSQL or '
    + 'send requests with chosen headers to any service every few seconds, past the default-deny its namespace shows. The Pod '
    + 'Security Standards Baseline forbids it from Kubernetes v1.34 ("Host Probes / Lifecycle Hooks"); the namespaces pin an '
    + 'older version, so nothing at admission refuses it. A workload tierkit cannot model (or a Vault injector option that '
    + 'rewrites containers) cannot be shown free of one, and fails.',
  fix: 'Remove `host` from the probe or hook (tierkit writes `httpGet` on the app\'s `http` port, which Kubernetes sends to the pod IP).',
  suppressible: false,
  evaluate(g: EstateGraph) {
    const out: RuleFinding[] = [];
    const { templates, unknown } = podTemplates(g);
    for (const o of unknown) {
      out.push({ env: envOfNamespace(g, o.namespace), source: o.source,
        message: `${o.kind} ${o.namespace ?? ''}/${o.name} carries containers in a shape tierkit does not model; their probes cannot be shown to dial only the pod` });
    }
    for (const t of templates) {
      const o = t.object;
      const env = envOfNamespace(g, o.namespace);
      const where = `${o.kind} ${o.namespace ?? ''}/${o.name} (${describeEnv(env)})`;
      if (t.unmodelled) {
        out.push({ env, source: templatePointer(t, '/metadata/annotations'), message: `${where}: ${t.unmodelled}; their probes cannot be shown to dial only the pod` });
      }
      const spec = isRecord(t.template.spec) ? t.template.spec : {};
      for (const list of CONTAINER_LISTS) {
        const containers: unknown[] = Array.isArray(spec[list]) ? spec[list] : [];
        containers.forEach((c, i) => {
          if (!isRecord(c)) return;
          for (const [rel, host] of hostHandlers(c)) {
            out.push({ env, source: templatePointer(t, `/spec/${list}/${i}${rel}`),
              message: `${where}: container ${c.name} ${rel.slice(1).replace(/\//g, '.')} is ${JSON.stringify(host)}: the kubelet dials it from the node, past every NetworkPolicy` });
          }
        });
      }
    }
    return out;
  },
};
