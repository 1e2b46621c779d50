import { Rule, RuleFinding, describeEnv } from './support/rule';
import { sweepName, sweepOwner } from './support/ttl-sweep';
import { groupBy } from '../graph/group';
import { authRolesOfEnv } from './support/graph-index';

/** Vault attaches `default` to every token unless told not to; it grants only token self-service. */
const BUILTIN = new Set(['default']);

const same = (a: readonly string[], b: readonly string[]) => [...a].sort().join('\u0000') === [...b].sort().join('\u0000');

export const rule: Rule = {
  id: 'TK121',
  name: 'ttl-sweep-identity',
  severity: 'error',
  title: "Every sandbox has its TTL-sweep Vault identity, and only the sweep's service account gets it",
  explanation:
    'Expiry must revoke the sandbox\'s secrets, not only scale it to 0: each sandbox\'s own stack declares the sweep '
    + 'policy and a Kubernetes auth role of the same name that binds exactly the sweep\'s service account in the '
    + 'sandbox\'s namespace and hands out exactly that policy. A sweep role that also hands out the workload policy '
    + 'would give the sweep database credentials; another role handing out the sweep policy would let any pod revoke '
    + 'the sandbox\'s leases; a missing policy or role means expiry revokes nothing. Never suppressible.',
  fix: 'Leave the TTL-sweep policy and auth role as tierkit writes them (constructs/synth/terraform-app-environment.ts buildTtlSweep).',
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    // By the env their stack belongs to (a Map finds the env object as `===` does), once rather than per sandbox.
    const policiesOf = groupBy(g.vaultPolicies, (p) => p.stack.env);
    for (const env of g.envs) {
      if (!env.sandbox) continue;
      const name = sweepName(env);
      if (!(policiesOf.get(env) ?? []).some((p) => sweepOwner(p) === env)) {
        out.push({ env, message: `sandbox ${describeEnv(env)} has no TTL-sweep policy "${name}" in its own stack: its expiry would revoke no lease` });
      }
      const roles = authRolesOfEnv(g, env).filter((a) => a.name === name);
      if (roles.length === 0) {
        out.push({ env, message: `sandbox ${describeEnv(env)} has no TTL-sweep auth role "${name}" in its own stack: its sweep could not log in to revoke its leases` });
      }
      for (const a of roles) {
        const where = `TTL-sweep auth role "${a.backend}/${a.name}" of ${describeEnv(env)}`;
        if (a.kind !== 'kubernetes') out.push({ env, source: a.source, message: `${where} is a ${a.kind} role; it must be a Kubernetes auth role` });
        if (!same(a.serviceAccounts, [name])) {
          out.push({ env, source: a.source, message: `${where} binds service accounts [${a.serviceAccounts.join(', ')}]; it must bind exactly [${name}]` });
        }
        if (!same(a.namespaces, [env.names.namespace])) {
          out.push({ env, source: a.source, message: `${where} binds namespaces [${a.namespaces.join(', ')}]; it must bind exactly [${env.names.namespace}]` });
        }
        const extra = a.policies.filter((p) => p !== name && !BUILTIN.has(p));
        if (extra.length > 0 || !a.policies.includes(name)) {
          out.push({ env, source: a.source, message: `${where} hands out policies [${a.policies.join(', ')}]; it must hand out exactly [${name}] (never a database credential)` });
        }
      }
    }
    // The sweep policy reaches a login through its own role only.
    const sweepPolicies = new Map(g.vaultPolicies.filter((p) => sweepOwner(p)).map((p) => [p.name, sweepOwner(p)!]));
    for (const a of g.authRoles) {
      for (const p of a.policies) {
        const env = sweepPolicies.get(p);
        if (!env || (a.name === p && a.stack.env === env)) continue;
        out.push({ env, source: a.source, message: `auth role "${a.backend}/${a.name}" hands out the TTL-sweep policy "${p}" of ${describeEnv(env)}; only its own sweep role may` });
      }
    }
    return out;
  },
};
