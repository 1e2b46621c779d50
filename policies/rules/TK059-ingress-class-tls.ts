import { EstateGraph } from '../graph/types';
import { Rule, RuleFinding, describeEnv, envOfNamespace } from './support/rule';
import { isLiveTier } from '../../contract/tiers';

export const rule: Rule = {
  id: 'TK059',
  name: 'ingress-class-tls',
  severity: 'error',
  title: 'Every Ingress names its IngressClass, serves only its env\'s own host, and terminates TLS for it',
  explanation:
    'A controller shared by several tiers merges every Ingress it watches: a sandbox Ingress naming the prod host, or a '
    + 'catch-all rule, takes prod\'s traffic. Without ingressClassName the cluster\'s default controller (if any) picks it up; '
    + 'without TLS for the host the controller serves plain HTTP or its default certificate. An env\'s Ingress may only '
    + 'serve `<app>-<env>.<domain>`.',
  fix: 'Set spec.ingressClassName (TierSettings.ingressClassName), keep only the env\'s own host in rules, and list it under spec.tls with a secretName.',
  suppressible: true,
  evaluate(g: EstateGraph) {
    const out: RuleFinding[] = [];
    const ingresses = g.kubernetes.filter((k) => k.kind === 'Ingress');
    const prodHosts = new Set(g.envs.filter((e) => isLiveTier(g.tiers, e.tier)).map((e) => e.names.host));
    const prodClasses = new Set(ingresses.filter((i) => isLiveTier(g.tiers, envOfNamespace(g, i.namespace)?.tier)).map((i) => String(i.object.spec?.ingressClassName ?? '')));
    for (const ing of ingresses) {
      const env = envOfNamespace(g, ing.namespace);
      const spec = ing.object.spec ?? {};
      const cls = spec.ingressClassName;
      const where = `Ingress ${ing.namespace ?? ''}/${ing.name} (${describeEnv(env)})`;
      const rules: any[] = Array.isArray(spec.rules) ? spec.rules : [];
      const hosts = rules.map((r) => r?.host);
      const shared = isLiveTier(g.tiers, env?.tier) ? undefined
        : hosts.some((h) => prodHosts.has(h)) ? 'it claims a prod host'
          : typeof cls !== 'string' || prodClasses.has(cls) ? `its controller (class ${JSON.stringify(cls ?? null)}) also serves prod` : undefined;
      const push = (pointer: string, message: string) => out.push({ env, unsuppressible: shared, source: { ...ing.source, pointer: `${ing.source.pointer}${pointer}` }, message: `${where}: ${message}` });
      if (typeof cls !== 'string' || cls === '') push('/spec', 'names no ingressClassName: the cluster\'s default controller may serve it');
      if (spec.defaultBackend !== undefined) push('/spec/defaultBackend', 'has a default backend: it takes requests for any host');
      const tlsHosts = new Set(((Array.isArray(spec.tls) ? spec.tls : []) as any[]).filter((t) => typeof t?.secretName === 'string' && t.secretName !== '').flatMap((t) => t.hosts ?? []));
      rules.forEach((r, i) => {
        const host = r?.host;
        if (typeof host !== 'string' || host === '') {
          push(`/spec/rules/${i}`, 'has a rule without a host: it takes requests for any host');
          return;
        }
        if (!env) push(`/spec/rules/${i}/host`, `serves ${host} from a namespace of no declared app-environment`);
        else if (host !== env.names.host) push(`/spec/rules/${i}/host`, `serves ${host}, not its env's own host ${env.names.host}`);
        if (!tlsHosts.has(host)) push(`/spec/rules/${i}/host`, `serves ${host} without TLS (no spec.tls entry with a secretName lists it)`);
      });
    }
    return out;
  },
};
