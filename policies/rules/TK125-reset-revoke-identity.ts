// The script text is part of the artifact contract, as naming is: what the reset's revoke runs, verbatim.
import { RESET_REVOKE_LEASES_SCRIPT, RESET_SCRIPT } from '../../constructs/lifecycle/scripts';
import { TEMPLATE_RESET_SCRIPT } from '../../constructs/lifecycle/template-reset';
import { Rule, RuleFinding, describeEnv } from './support/rule';
import { needsResetRevoke, resetAuthRoleName, resetRevokeOwner, resetRevokePolicyName, sweepRevokePath } from './support/ttl-sweep';
import { k8sNamed, authRolesOfEnv } from './support/graph-index';
import { sameCommand } from './support/pod-command';

type Obj = Record<string, any>;
const envVars = (c: Obj): Record<string, unknown> => Object.fromEntries((Array.isArray(c?.env) ? c.env : []).map((v: Obj) => [v?.name, v?.value]));
const same = (a: readonly string[], b: readonly string[]) => [...a].sort().join('\u0000') === [...b].sort().join('\u0000');
/** Vault attaches `default` to every token unless told not to; it grants only token self-service. */
const BUILTIN = new Set(['default']);

export const rule: Rule = {
  id: 'TK125',
  name: 'reset-revoke-identity',
  severity: 'error',
  title: "Only an hourly reset's own role hands out its revoke policy, and its CronJob revokes after the restore, before the scale-up",
  explanation:
    'The reset-revoke policy (TK124) is handed out by the env\'s reset auth role `<env>-reset` only — which binds the '
    + 'reset\'s service account in the env\'s namespace and hands out exactly the env\'s workload policy, the reset '
    + 'policy and the revoke policy. Any other role handing it out lets another pod cut off the env\'s credentials. '
    + 'Its CronJob must run the revoke: one init container with tierkit\'s revoke script verbatim on exactly the env\'s '
    + 'path, after the restore and before the app scales back up (else the app\'s new pods\' credentials are revoked, '
    + 'or the last hour\'s survive), with the agent\'s token rendered. A missing, re-pointed or reordered step leaves '
    + 'the last hour\'s credentials live. Never suppressible.',
  fix: 'Leave the reset\'s auth role and CronJob as tierkit renders them (constructs/lifecycle/jobs.ts, terraform-app-environment.ts).',
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    const revokePolicies = new Map(g.vaultPolicies.filter((p) => resetRevokeOwner(g, p)).map((p) => [p.name, resetRevokeOwner(g, p)!]));
    for (const a of g.authRoles) {
      for (const p of a.policies) {
        const env = revokePolicies.get(p);
        if (!env || (a.name === resetAuthRoleName(env) && a.stack.env === env && a.kind === 'kubernetes')) continue;
        out.push({ env, source: a.source, message: `auth role "${a.backend}/${a.name}" hands out the reset-revoke policy "${p}" of ${describeEnv(env)}; only its own reset role may` });
      }
    }
    for (const env of g.envs) {
      if (!needsResetRevoke(g, env)) continue;
      const name = resetAuthRoleName(env);
      for (const a of authRolesOfEnv(g, env).filter((x) => x.name === name)) {
        const where = `reset auth role "${a.backend}/${a.name}" of ${describeEnv(env)}`;
        const expected = [env.names.vaultPolicy, name, resetRevokePolicyName(env)];
        if (!same(a.policies.filter((p) => !BUILTIN.has(p)), expected)) {
          out.push({ env, source: a.source, message: `${where} hands out policies [${a.policies.join(', ')}]; it must hand out exactly [${expected.join(', ')}]` });
        }
        if (!same(a.serviceAccounts, [name]) || !same(a.namespaces, [env.names.namespace])) {
          out.push({ env, source: a.source, message: `${where} binds service accounts [${a.serviceAccounts.join(', ')}] in [${a.namespaces.join(', ')}]; it must bind exactly [${name}] in [${env.names.namespace}]` });
        }
      }
      const jobs = k8sNamed(g, 'CronJob', env.names.namespace, name);
      const where = `reset CronJob ${env.names.namespace}/${name} of ${describeEnv(env)}`;
      if (jobs.length !== 1) {
        out.push({ env, message: `${where} ${jobs.length === 0 ? 'is missing: its hourly reset would revoke no lease' : `is rendered ${jobs.length} times`}` });
        continue;
      }
      const job = jobs[0];
      const pod = job.object.spec?.jobTemplate?.spec?.template ?? {};
      const inits: Obj[] = Array.isArray(pod.spec?.initContainers) ? pod.spec.initContainers : [];
      const mains: Obj[] = Array.isArray(pod.spec?.containers) ? pod.spec.containers : [];
      const path = sweepRevokePath(g, env);
      const problems: string[] = [];
      const revoking = [...inits, ...mains].filter((c) => envVars(c).TIERKIT_VAULT_REVOKE_PATH !== undefined);
      const at = inits.findIndex((c) => envVars(c).TIERKIT_VAULT_REVOKE_PATH !== undefined);
      // A template-reset sandbox restores by cloning its golden (template-reset.ts): its restore step runs that script.
      const restore = inits.findIndex((c) => [RESET_SCRIPT, TEMPLATE_RESET_SCRIPT].some((script) => sameCommand(c.command, ['/bin/bash', '-c', script])));
      if (revoking.length !== 1 || envVars(revoking[0]).TIERKIT_VAULT_REVOKE_PATH !== path) {
        problems.push(`revokes ${JSON.stringify(revoking.map((c) => envVars(c).TIERKIT_VAULT_REVOKE_PATH))}, not exactly ["${path}"]`);
      } else if (!sameCommand(revoking[0].command, ['/bin/sh', '-c', RESET_REVOKE_LEASES_SCRIPT]) || revoking[0].args !== undefined) {
        problems.push(`container ${JSON.stringify(revoking[0].name)} does not run tierkit's reset revoke script as rendered (command or args changed)`);
      } else if (at < 0 || restore < 0 || at < restore) {
        problems.push(`its revoke step must be an init container after the restore (${restore < 0 ? 'no restore step found' : `restore at ${restore}, revoke ${at < 0 ? 'not an init container' : `at ${at}`}`}), before the app scales back up`);
      }
      if (pod.metadata?.annotations?.['vault.hashicorp.com/agent-inject-token'] !== 'true') problems.push('the Vault agent renders no token (agent-inject-token), so the revoke cannot authenticate');
      if (pod.metadata?.annotations?.['vault.hashicorp.com/role'] !== name) problems.push(`logs in to Vault as ${JSON.stringify(pod.metadata?.annotations?.['vault.hashicorp.com/role'])}, not ${name}`);
      for (const p of problems) out.push({ env, source: job.source, message: `${where}: ${p}` });
    }
    return out;
  },
};
