import { applierTierOf, PLATFORM_ADMIN_ROLE, plannerTierOf } from '../../constructs/naming';
import { AuthRole, Env, EstateGraph } from '../graph/types';
import { Rule, RuleFinding, describeEnv, upwardEnvReach } from './support/rule';
import { isPreviewJobsAuthRole } from './support/previews';
import { isPreviewWorkloadAuthRole } from './support/preview-workload';
import { vaultGlobMatches } from '../../contract/vault-glob';

/** Vault attaches `default` to every token unless told not to; it grants only token self-service. */
const BUILTIN = new Set(['default']);

function claimValues(v: unknown): string[] {
  return Array.isArray(v) ? v.map(String) : typeof v === 'string' ? v.split(',').map((s) => s.trim()) : [];
}

const ownPoliciesByGraph = new WeakMap<EstateGraph, Map<Env, Set<string>>>();

/** An env's own policies: its workload policy, and any policy its own stack declares (TK007 judges their paths). */
function ownPolicies(g: EstateGraph, env: Env): Set<string> {
  let byEnv = ownPoliciesByGraph.get(g);
  if (!byEnv) {
    byEnv = new Map();
    for (const p of g.vaultPolicies) if (p.stack.env) byEnv.set(p.stack.env, (byEnv.get(p.stack.env) ?? new Set()).add(p.name));
    ownPoliciesByGraph.set(g, byEnv);
  }
  return new Set([env.names.vaultPolicy, ...(byEnv.get(env) ?? [])]);
}

/** What is wrong with an auth role; `unsuppressible` when it hands out a stricter tier's policy. */
interface Problem {
  readonly text: string;
  readonly unsuppressible?: string;
}

const plain = (text: string): Problem => ({ text });

/** A policy name tierkit cannot resolve to an owner may be anyone's, prod's included: one Vault holds prod. */
function unresolved(name: string): string {
  return `it grants "${name}", a policy of no declared env: tierkit cannot bound what it reaches in the Vault that holds prod`;
}

/**
 * Why admitting namespace `v` to `env`'s policies is beyond any suppression: the workloads of a
 * looser tier's namespace (a sandbox, a CI branch, dev, staging) log in with a stricter env's
 * policies — `upwardEnvReach` seen from the admitted side. A namespace no env declares (or a glob,
 * which admits those too) is fail-closed: tierkit cannot tell whose workloads run there, so only
 * an env of the loosest tier may accept it.
 */
function admitsUpward(g: EstateGraph, env: Env, v: string): string | undefined {
  const what = `env ${env.slug}'s policies, which auth role binds to namespace "${v}"`;
  const declared = v.includes('*') ? g.envs.filter((e) => e !== env && vaultGlobMatches(v, e.names.namespace)) : [g.index.byNamespace.get(v)].filter((e): e is Env => e !== undefined);
  for (const admitted of declared) {
    const why = upwardEnvReach(g, admitted.tier, env, `${what} (${admitted.slug}, tier ${admitted.tier})`);
    if (why) return why;
  }
  const loosest = Math.min(...[...g.tiers.values()].map((t) => t.rank));
  if ((v.includes('*') || declared.length === 0) && (g.tiers.get(env.tier)?.rank ?? Infinity) > loosest) {
    return `it admits namespace "${v}", ${v.includes('*') ? 'a glob over namespaces no env declares' : 'which no declared env owns'}, to env ${env.slug}'s policies: tierkit cannot tell which tier's workloads run there`;
  }
  return undefined;
}

function kubernetesProblems(g: EstateGraph, r: AuthRole, env: Env | undefined): Problem[] {
  const problems: Problem[] = [];
  const bind = (what: string, values: readonly string[], own: string | undefined) => {
    if (values.length === 0) problems.push(plain(`binds no ${what}`));
    for (const v of values) {
      // Only the namespace list says whose workloads are admitted (`own` is set for it alone).
      const upward = own !== undefined && env ? admitsUpward(g, env, v) : undefined;
      if (v.includes('*')) problems.push({ text: `binds ${what} "${v}": a wildcard admits every ${what}`, unsuppressible: upward });
      else if (own !== undefined && v !== own) problems.push({ text: `binds ${what} "${v}", not its env's "${own}"`, unsuppressible: upward });
    }
  };
  // Service accounts are namespaced: the namespace is the boundary, so any named (non-wildcard)
  // account of the env's own namespace is the env's (workload, reset Job, golden dump Job).
  bind('service account', r.serviceAccounts, undefined);
  bind('namespace', r.namespaces, env?.names.namespace);
  if (r.namespaceSelector !== undefined) {
    // Vault ORs bound_service_account_namespace_selector with the namespace list: whoever can label a
    // namespace (or names one, kubernetes.io/metadata.name) logs in with this role's policies.
    problems.push({ text: `binds namespaces by label selector ${JSON.stringify(r.namespaceSelector)} (bound_service_account_namespace_selector), which Vault ORs with its namespace list: any namespace whose labels match logs in with its policies`,
      unsuppressible: 'a namespace selector admits namespaces by their labels, another tier\'s included' });
  }
  const own = env ? ownPolicies(g, env) : new Set<string>();
  for (const p of r.policies) {
    if (BUILTIN.has(p)) continue;
    const owner = g.index.byVaultPolicy.get(p);
    if (env && !own.has(p)) {
      const applier = applierTierOf(p);
      problems.push({
        text: `grants policy "${p}"${owner ? ` of ${describeEnv(owner)}` : applier !== undefined ? ' (a CI applier)' : ''}; only ${[...own].map((x) => `"${x}"`).join(', ')} are its env's`,
        unsuppressible: owner ? upwardEnvReach(g, env.tier, owner, `env ${owner.slug}'s policy`)
          : applier !== undefined ? `it hands a workload the ${applier} CI applier's policy` : unresolved(p),
      });
    } else if (!env && owner) {
      // A role outside any env handing out an env's policy must bind exactly that env's workload.
      const strangers = [...r.serviceAccounts.filter((s) => s !== owner.names.serviceAccount), ...r.namespaces.filter((n) => n !== owner.names.namespace)];
      if (strangers.length > 0 || r.namespaces.length === 0) problems.push(plain(`grants policy "${p}" of ${describeEnv(owner)} to ${strangers.join(', ') || 'unbound identities'}`));
    } else if (!env && applierTierOf(p) !== undefined) {
      problems.push(plain(`grants the CI applier policy "${p}" to Kubernetes workloads`));
    }
  }
  return problems;
}

function jwtProblems(g: EstateGraph, r: AuthRole): Problem[] {
  const problems: Problem[] = [];
  const tier = applierTierOf(r.name);
  if (tier !== undefined && r.stack.manifest?.kind === 'tier-platform') {
    const repo = claimValues(r.boundClaims.repository);
    const environment = claimValues(r.boundClaims.environment);
    if (repo.length !== 1 || repo[0] !== g.manifest.estate.ci.repository) {
      problems.push(plain(`binds repository ${JSON.stringify(repo)}, not exactly "${g.manifest.estate.ci.repository}"`));
    }
    if (environment.length !== 1 || environment[0] !== tier) problems.push(plain(`binds GitHub environment ${JSON.stringify(environment)}, not exactly "${tier}"`));
    for (const p of r.policies) if (!BUILTIN.has(p) && p !== r.name) problems.push(plain(`grants policy "${p}"; only "${r.name}" is the ${tier} applier's`));
    return problems;
  }
  // The planners and the platform-admin identity (TK090/TK091 judge their claims): each hands out
  // only its own policy, and only from the platform stack that declares CI identities.
  const ciIdentity = (plannerTierOf(r.name) !== undefined && r.stack.manifest?.kind === 'tier-platform')
    || (r.name === PLATFORM_ADMIN_ROLE && r.stack.manifest?.kind === 'shared-platform');
  if (ciIdentity) {
    for (const p of r.policies) {
      if (!BUILTIN.has(p) && p !== r.name) {
        problems.push({ text: `grants policy "${p}"; only "${r.name}" is this CI identity's`, unsuppressible: `it hands CI tokens the policy "${p}"` });
      }
    }
    return problems;
  }
  // An app's data-promote replay identity (TK161 judges its claims and policy): its own policy only.
  // Its rehearse identity likewise (TK162 judges claims, policy and reach).
  const promote = g.envs.find((e) => e.promote?.name === r.name || e.promote?.rehearse?.name === r.name);
  if (promote && r.stack.manifest?.kind === 'tier-platform') {
    for (const p of r.policies) {
      if (!BUILTIN.has(p) && p !== r.name) problems.push({ text: `grants policy "${p}"; only "${r.name}" is this promote identity's`, unsuppressible: `it hands CI tokens the policy "${p}"` });
    }
    return problems;
  }
  // An env's own stack declaring a JWT role is one place a suppression could be written: what it
  // hands out upward (another tier's env policy, any applier's policy) no suppression accepts.
  const from = r.stack.env?.tier;
  for (const p of r.policies) {
    const owner = g.index.byVaultPolicy.get(p);
    const applier = applierTierOf(p);
    if (owner) {
      problems.push({ text: `grants policy "${p}" of ${describeEnv(owner)} to CI tokens`,
        unsuppressible: owner === r.stack.env ? undefined : upwardEnvReach(g, from, owner, `env ${owner.slug}'s policy`) });
    } else if (applier !== undefined) {
      problems.push({ text: `grants the CI applier policy "${p}" without being that tier's applier role`,
        unsuppressible: `it hands CI tokens the ${applier} CI applier's policy` });
    } else if (!BUILTIN.has(p) && !(r.stack.env && ownPolicies(g, r.stack.env).has(p))) {
      problems.push({ text: `grants policy "${p}", which no declared env or CI applier owns`, unsuppressible: unresolved(p) });
    }
  }
  return problems;
}

export const rule: Rule = {
  id: 'TK008',
  name: 'auth-role-binding',
  severity: 'error',
  title: "An auth role binds only its own namespace and service account (or CI claims) and grants only its env's policies",
  explanation:
    'Auth roles turn an identity into Vault policies. A Kubernetes role bound to `*` namespaces, or to another '
    + "env's service account, hands this env's credentials to foreign workloads; a role granting another env's policy "
    + 'hands those credentials here. A CI applier role must be bound to this repository and to the GitHub environment '
    + 'named after its tier, or any workflow could apply prod.',
  fix: "Bind exactly the env's service account and namespace (or the repository and tier environment), and only its policy.",
  suppressible: true,
  evaluate(g) {
    const out: RuleFinding[] = [];
    for (const r of g.authRoles) {
      if (isPreviewJobsAuthRole(r)) continue; // bound in tierkit-previews by design: TK172 judges it whole
      if (isPreviewWorkloadAuthRole(g, r)) continue; // globs `<app>-pr-*` by design: TK164 judges it whole
      const env = r.kind === 'kubernetes' ? r.stack.env ?? g.index.bySlug.get(r.name) : r.stack.env;
      const problems = r.kind === 'kubernetes' ? kubernetesProblems(g, r, env) : jwtProblems(g, r);
      for (const p of problems) {
        out.push({ env, source: r.source, unsuppressible: p.unsuppressible, message: `${r.kind} auth role "auth/${r.backend}/role/${r.name}" of ${describeEnv(env)} ${p.text}` });
      }
    }
    return out;
  },
};
