import type { Env, EstateGraph, K8sObject } from '../graph/types';
import { at, authRoleOwner, fileScope, serviceAccountOwner } from './support/k8s-scope';
import { Rule, RuleFinding, describeEnv } from './support/rule';

/** Where pod specs sit in the workload kinds (a CronJob's pods: its job template's). */
function podSpecs(k: K8sObject): [string, any][] {
  const spec = k.object.spec;
  switch (k.kind) {
    case 'Pod': return [['/spec', spec]];
    case 'CronJob': return [['/spec/jobTemplate/spec/template', spec?.jobTemplate?.spec?.template]];
    case 'Deployment': case 'StatefulSet': case 'DaemonSet': case 'ReplicaSet': case 'Job': case 'ReplicationController':
      return [['/spec/template', spec?.template]];
    // A workloadRef Rollout runs its Deployment's pods (judged there); an inline one its own.
    case 'Rollout': return spec?.template !== undefined ? [['/spec/template', spec.template]] : [];
    default: return [];
  }
}

/**
 * The namespace a User or Group subject stands for, when it is a service-account identity
 * (`system:serviceaccount:<ns>:<name>`, `system:serviceaccounts:<ns>`); `*` for every account.
 */
function subjectIdentity(s: any, bindingNs: string | undefined): { namespace: string; name?: string } | undefined {
  if (s?.kind === 'ServiceAccount') return { namespace: s.namespace ?? bindingNs ?? '', name: s.name };
  const m = /^system:serviceaccount:([^:]+):(.+)$/.exec(s?.name ?? '');
  if (s?.kind === 'User' && m) return { namespace: m[1], name: m[2] };
  const grp = /^system:serviceaccounts:([^:]+)$/.exec(s?.name ?? '');
  if (s?.kind === 'Group' && grp) return { namespace: grp[1] };
  if (s?.kind === 'Group' && ['system:serviceaccounts', 'system:authenticated', 'system:unauthenticated'].includes(s.name)) return { namespace: '*' };
  return undefined;
}

function bindingProblems(g: EstateGraph, k: K8sObject, env: Env): [string, string][] {
  const out: [string, string][] = [];
  const own = env.names.namespace;
  if (k.kind === 'ClusterRoleBinding') return [['', 'is a ClusterRoleBinding: it grants cluster-wide, beyond the env\'s namespace']];
  if (k.object.roleRef?.kind !== 'Role') out.push(['/roleRef', `binds ${k.object.roleRef?.kind ?? '(no kind)'} "${k.object.roleRef?.name}": only a Role of the env's namespace has rules dist/ shows`]);
  ((k.object.subjects ?? []) as any[]).forEach((s, i) => {
    const id = subjectIdentity(s, k.namespace);
    const text = `${s?.kind} "${s?.namespace ? `${s.namespace}/` : ''}${s?.name}"`;
    if (!id) out.push([`/subjects/${i}`, `binds ${text}, an identity tierkit cannot tie to an env`]);
    else if (id.namespace === '*') out.push([`/subjects/${i}`, `binds ${text}: every service account of the cluster, other envs' included`]);
    else if (id.namespace !== own) {
      const other = g.index.byNamespace.get(id.namespace);
      out.push([`/subjects/${i}`, `binds ${text} of namespace "${id.namespace}"${other ? ` (${describeEnv(other)})` : ''}, not of its own "${own}"`]);
    } else if (id.name !== undefined) {
      const owner = serviceAccountOwner(g, id.name);
      if (owner && owner !== env) out.push([`/subjects/${i}`, `binds ServiceAccount "${id.name}", the name of ${describeEnv(owner)}'s account`]);
    }
  });
  return out;
}

function podProblems(g: EstateGraph, k: K8sObject, env: Env): [string, string][] {
  const out: [string, string][] = [];
  for (const [pointer, tpl] of podSpecs(k)) {
    const spec = k.kind === 'Pod' ? tpl : tpl?.spec;
    const meta = k.kind === 'Pod' ? k.object.metadata : tpl?.metadata;
    for (const key of ['serviceAccountName', 'serviceAccount']) {
      const name = spec?.[key];
      const owner = typeof name === 'string' ? serviceAccountOwner(g, name) : undefined;
      if (owner && owner !== env) out.push([`${pointer}${k.kind === 'Pod' ? '' : '/spec'}/${key}`, `runs its pods as ServiceAccount "${name}", ${describeEnv(owner)}'s`]);
    }
    const role = meta?.annotations?.['vault.hashicorp.com/role'];
    const roleOwner = typeof role === 'string' ? authRoleOwner(g, role) : undefined;
    if (roleOwner && roleOwner !== env) out.push([`${pointer}/metadata/annotations`, `has its Vault agent log in with ${describeEnv(roleOwner)}'s Kubernetes auth role "${role}"`]);
  }
  return out;
}

export const rule: Rule = {
  id: 'TK113',
  name: 'cross-env-service-account',
  severity: 'error',
  title: "An env's RoleBindings and pods name only the env's own ServiceAccounts",
  explanation:
    "A ServiceAccount is an env's identity: Vault's Kubernetes auth roles and the reset Role are bound to it. A RoleBinding "
    + "granting another namespace's account (or a group of every account, or a ClusterRole whose rules dist/ does not show), "
    + "or a pod running as — or logging into Vault with the auth role of — another env's account, lends one env's rights to another.",
  fix: "Bind and run as the env's own accounts only (<env>, <env>-reset, <env>-golden-dump), through a Role of its namespace.",
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    for (const k of g.kubernetes) {
      const scope = fileScope(g, k.source.file);
      // Objects of no env's file: the env of their namespace (TK110 reports the file itself).
      const env = scope.kind === 'env' ? scope.env : typeof k.namespace === 'string' ? g.index.byNamespace.get(k.namespace) : undefined;
      if (!env) continue;
      const found = k.kind === 'RoleBinding' || k.kind === 'ClusterRoleBinding' ? bindingProblems(g, k, env) : podProblems(g, k, env);
      for (const [pointer, text] of found) out.push({ env, source: at(k, pointer), message: `${k.kind} ${k.namespace ?? ''}/${k.name} (${describeEnv(env)}) ${text}` });
    }
    return out;
  },
};
