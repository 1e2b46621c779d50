import type { AuthRole, Env, EstateGraph, Stack } from '../graph/types';
import { previewHost } from './support/previews';
import { KUBERNETES_ACCESSOR, PREVIEW_WORKLOAD_MAX_TTL_SECONDS, admitsUnder, expectedWorkloadLogin, manifestAccessor } from './support/preview-workload';
import { Rule, RuleFinding } from './support/rule';

const same = (a: readonly unknown[] | undefined, b: readonly unknown[]) => Array.isArray(a) && a.length === b.length && a.every((x, i) => x === b[i]);

function hostStack(g: EstateGraph, env: Env): Stack | undefined {
  return g.stacks.find((s) => s.name === env.stack && previewHost(s) === env);
}

/** What is wrong with the workload's auth role, against what tierkit renders. */
function roleProblems(g: EstateGraph, a: AuthRole, exp: { name: string; serviceAccounts: string; namespaces: string }): string[] {
  const checks: [string, boolean][] = [
    [`is on backend "${a.backend}", not "${g.manifest.estate.vault.kubernetesAuthPath}" (whose accessor the policy names)`, a.backend === g.manifest.estate.vault.kubernetesAuthPath],
    [`binds service accounts ${JSON.stringify(a.serviceAccounts)}; exactly ["${exp.serviceAccounts}"]`, same(a.serviceAccounts, [exp.serviceAccounts])],
    [`binds namespaces ${JSON.stringify(a.namespaces)}; exactly ["${exp.namespaces}"]: the policy reads the creds named after the namespace, so any other namespace reads a Vault role that is not a preview's`, same(a.namespaces, [exp.namespaces])],
    [`grants policies ${JSON.stringify(a.policies)}; exactly ["${exp.name}"]`, same(a.policies, [exp.name])],
    ['selects namespaces by label (bound_service_account_namespace_selector), which Vault ORs with the glob: a labelled namespace of any name would log in', a.namespaceSelector === undefined || a.namespaceSelector === null || a.namespaceSelector === ''],
    [`accepts tokens for audience ${JSON.stringify(a.attributes?.audience ?? null)}; exactly "vault" (the projected token, never the API token)`, a.attributes?.audience === 'vault'],
  ];
  for (const k of ['token_ttl', 'token_max_ttl']) {
    const v = a.attributes?.[k];
    checks.push([`sets ${k} = ${JSON.stringify(v ?? null)}; at most ${PREVIEW_WORKLOAD_MAX_TTL_SECONDS} seconds`, typeof v === 'number' && v > 0 && v <= PREVIEW_WORKLOAD_MAX_TTL_SECONDS]);
  }
  return checks.filter(([, ok]) => !ok).map(([m]) => m);
}

export const rule: Rule = {
  id: 'TK164',
  name: 'preview-workload-auth-role',
  severity: 'error',
  title: 'A preview workload logs in to Vault only through its app\'s auth role `<app>-pr-workload`, exactly as tierkit renders it, and no other auth role hands out its policy',
  explanation:
    'A preview runs a pull request\'s unreviewed code. Its workload logs in with one Kubernetes auth role per app, bound to '
    + 'ServiceAccounts `<app>-preview-pr-*` in namespaces `<app>-pr-*` (Vault matches both as globs), whose one policy reads the '
    + 'creds named after the pod\'s own namespace. A wider binding (another namespace, a label selector, another service '
    + 'account), another policy, the API-server audience or a longer token hands a PR\'s code more than its own preview '
    + 'database; another auth role handing out the templated policy puts it in front of namespaces whose names are not '
    + 'previews. Without the Kubernetes auth accessor in the manifest there is no workload login, and none may be declared.',
  fix: 'Keep what tierkit writes for `App.previews` (auth role and policy "<app>-pr-workload"); hand that policy to no other role.',
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    g.envs.forEach((env, i) => {
      if (env.previews === undefined || env.previews === null || typeof env.app !== 'string') return;
      const at = { file: 'manifest.json', pointer: `/appEnvironments/${i}/previews/vaultKubernetesAuthAccessor`, constructPath: env.constructPath };
      const accessor = manifestAccessor(env);
      if (accessor !== undefined && (typeof accessor !== 'string' || !KUBERNETES_ACCESSOR.test(accessor))) {
        out.push({ env, source: at, message: `previews of app ${env.app}: vaultKubernetesAuthAccessor is ${JSON.stringify(accessor)}, not a Kubernetes auth accessor (auth_kubernetes_ and 8 hex digits)` });
      }
      const exp = expectedWorkloadLogin(g, env);
      const name = exp?.name ?? `${env.app}-pr-workload`;
      const stack = hostStack(g, env);
      const roles = g.authRoles.filter((a) => a.name === name);
      if (!exp) {
        // No accessor: no workload login may exist (it could only be someone else's binding of `<app>-pr-*`).
        for (const a of roles) out.push({ env, source: a.source, message: `${a.kind} auth role "auth/${a.backend}/role/${a.name}" (stack ${a.stack.name}) is app ${env.app}'s preview workload login, but the manifest gives no Kubernetes auth accessor: tierkit renders none` });
      } else {
        const own = roles.filter((a) => a.kind === 'kubernetes' && a.stack === stack);
        if (own.length !== 1) out.push({ env, source: at, message: `previews of app ${env.app}: stack ${stack?.name ?? env.stack} declares ${own.length} Kubernetes auth roles "${name}"; exactly one is the preview workload's` });
        for (const a of roles.filter((x) => !own.includes(x))) out.push({ env, source: a.source, message: `auth role "auth/${a.backend}/role/${a.name}" (app ${env.app}'s preview workload login) is declared again in stack ${a.stack.name}` });
        for (const a of own) for (const m of roleProblems(g, a, exp)) out.push({ env, source: a.source, message: `preview workload auth role "auth/${a.backend}/role/${a.name}" ${m}` });
      }
      // A preview's pods log in as nothing else: no other Kubernetes auth role admits a `<app>-pr-*` namespace.
      const prefix = exp?.namespaces.replace(/\*$/, '') ?? `${env.app}-pr-`;
      for (const a of g.authRoles) {
        if (a.kind !== 'kubernetes' || (a.name === name && a.stack === stack && exp)) continue;
        const admitted = a.namespaces.filter((n) => admitsUnder(n, prefix));
        if (admitted.length > 0) out.push({ env, source: a.source, message: `Kubernetes auth role "auth/${a.backend}/role/${a.name}" (stack ${a.stack.name}) binds namespaces ${JSON.stringify(admitted)}, which admit app ${env.app}'s preview namespaces "${prefix}*": a pull request's pods would log in with its policies ${JSON.stringify(a.policies)}` });
      }
      // Whatever the accessor: only that role hands out the workload's policy.
      for (const a of g.authRoles) {
        if (a.name === name && a.kind === 'kubernetes' && a.stack === stack && exp) continue;
        if (a.policies.includes(name)) out.push({ env, source: a.source, message: `${a.kind} auth role "auth/${a.backend}/role/${a.name}" (stack ${a.stack.name}) grants policy "${name}", app ${env.app}'s preview workload policy: its template reads the creds named after whatever namespace logs in` });
      }
    });
    return out;
  },
};
