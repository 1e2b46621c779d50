import { EstateGraph } from '../graph/types';
import { podSecurityViolations } from './support/pod-security-standards';
import { podTemplates, sharesNodesWithProd, templatePointer } from './support/pod-templates';
import { Rule, RuleFinding, describeEnv, envOfNamespace } from './support/rule';

export const rule: Rule = {
  id: 'TK051',
  name: 'pod-security-restricted',
  severity: 'error',
  title: 'Every pod template, with the Vault agent the injector adds, passes the Pod Security "restricted" profile',
  explanation:
    'The namespace label makes the API server reject a non-conforming pod at admission, after the merge: the Deployment then '
    + 'sits at zero ready pods, and the quick fix is to weaken the label. Judging every pod template against the Baseline and '
    + 'Restricted controls (host namespaces, privileged, capabilities, hostPath, host ports, AppArmor, SELinux, /proc mount, '
    + 'seccomp, sysctls, volume types, privilege escalation, non-root, non-root UID) in review keeps the label and the pods '
    + 'consistent. Templates are judged as the Vault agent injector mutates them (its init and sidecar containers set no '
    + 'seccomp profile of their own, so the pod must); an injection tierkit cannot model fails.',
  fix: 'Set pod securityContext {runAsNonRoot: true, runAsUser: <uid>, seccompProfile: {type: RuntimeDefault}} and on every container {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}; no host namespaces, hostPath or host ports.',
  suppressible: true,
  evaluate(g: EstateGraph) {
    const out: RuleFinding[] = [];
    const { templates, unknown } = podTemplates(g);
    for (const o of unknown) {
      const env = envOfNamespace(g, o.namespace);
      out.push({ env, source: o.source, unsuppressible: sharesNodesWithProd(g, o.namespace),
        message: `${o.kind} ${o.namespace ?? ''}/${o.name} carries containers in a shape tierkit does not model; its pods cannot be judged` });
    }
    for (const t of templates) {
      const o = t.object;
      const env = envOfNamespace(g, o.namespace);
      const unsuppressible = sharesNodesWithProd(g, o.namespace);
      const where = `${o.kind} ${o.namespace ?? ''}/${o.name} (${describeEnv(env)})`;
      if (t.unmodelled) {
        out.push({ env, source: templatePointer(t, '/metadata/annotations'), unsuppressible, message: `${where}: ${t.unmodelled}` });
        continue;
      }
      for (const v of podSecurityViolations(t.injected)) {
        // A pointer into an injected container names no line of the artifact: point at the annotations that inject it.
        // Containers are mapped back by name: an injected init container may come first.
        const m = /^\/spec\/(containers|initContainers)\/(\d+)(.*)$/.exec(v.pointer);
        let rel = v.pointer;
        if (m && t.injected !== t.template) {
          const name = t.injected.spec?.[m[1]]?.[Number(m[2])]?.name;
          const original = ((t.template.spec?.[m[1]] ?? []) as { name?: string }[]).findIndex((c) => c?.name === name);
          rel = original < 0 ? '/metadata/annotations' : `/spec/${m[1]}/${original}${m[3]}`;
        }
        out.push({ env, source: templatePointer(t, rel), unsuppressible, message: `${where}: ${v.level} control "${v.control}": ${v.message}` });
      }
    }
    return out;
  },
};
