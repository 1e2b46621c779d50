// The script text is part of the artifact contract, as naming is: what the sweep must run, verbatim.
import { REVOKE_LEASES_SCRIPT } from '../../constructs/lifecycle/scripts';
import type { K8sObject } from '../graph/types';
import { Rule, RuleFinding, describeEnv } from './support/rule';
import { podKeyProblems } from './support/pod-compare';
import { sweepName, sweepRevokePath } from './support/ttl-sweep';
import { sameCommand } from './support/pod-command';

type Obj = Record<string, any>;
const envVars = (c: Obj): Record<string, unknown> => Object.fromEntries((Array.isArray(c?.env) ? c.env : []).map((v: Obj) => [v?.name, v?.value]));

export const rule: Rule = {
  id: 'TK122',
  name: 'ttl-sweep-job',
  severity: 'error',
  title: "Every sandbox's TTL-sweep CronJob runs, as the sweep, and revokes the sandbox's own leases",
  explanation:
    'The Vault side of the sweep (TK120, TK121) is only half of "expiry revokes secrets": the CronJob that logs in as '
    + 'the sweep and calls revoke-prefix must exist in the sandbox\'s namespace, be scheduled (not suspended), run as the '
    + 'sweep\'s service account with the sweep\'s Vault role, and name the sandbox\'s own revoke path. A hand-edited '
    + 'manifest that drops, suspends or re-points it leaves an expired sandbox\'s credentials live until their max TTL. '
    + 'Never suppressible.',
  fix: 'Leave the TTL-sweep CronJob as tierkit renders it (constructs/lifecycle/jobs.ts).',
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    // One pass over the objects, not one per sandbox (quadratic at a few thousand envs).
    const cronJobs = new Map<string, K8sObject[]>();
    for (const o of g.kubernetes) {
      if (o.kind !== 'CronJob') continue;
      const key = `${o.namespace}\u0000${o.name}`;
      cronJobs.set(key, [...(cronJobs.get(key) ?? []), o]);
    }
    for (const env of g.envs) {
      if (!env.sandbox) continue;
      const name = sweepName(env);
      const jobs = cronJobs.get(`${env.names.namespace}\u0000${name}`) ?? [];
      const where = `TTL-sweep CronJob ${env.names.namespace}/${name} of ${describeEnv(env)}`;
      if (jobs.length !== 1) {
        out.push({ env, message: `${where} ${jobs.length === 0 ? 'is missing: expiry would revoke no lease' : `is rendered ${jobs.length} times`}` });
        continue;
      }
      const job = jobs[0];
      const spec = job.object.spec ?? {};
      const pod = spec.jobTemplate?.spec?.template ?? {};
      const problems: string[] = [];
      if (spec.suspend !== false) problems.push(`suspend is ${JSON.stringify(spec.suspend)}, not false`);
      if (pod.spec?.serviceAccountName !== name) problems.push(`runs as service account ${JSON.stringify(pod.spec?.serviceAccountName)}, not ${name}`);
      if (pod.metadata?.annotations?.['vault.hashicorp.com/role'] !== name) problems.push(`logs in to Vault as ${JSON.stringify(pod.metadata?.annotations?.['vault.hashicorp.com/role'])}, not ${name}`);
      const containers: Obj[] = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
      const revoking = containers.filter((c) => envVars(c).TIERKIT_VAULT_REVOKE_PATH !== undefined);
      const path = sweepRevokePath(g, env);
      if (revoking.length !== 1 || envVars(revoking[0]).TIERKIT_VAULT_REVOKE_PATH !== path) {
        problems.push(`revokes ${JSON.stringify(revoking.map((c) => envVars(c).TIERKIT_VAULT_REVOKE_PATH))}, not exactly ["${path}"]`);
      } else if (!sameCommand(revoking[0].command, ['/bin/sh', '-c', REVOKE_LEASES_SCRIPT]) || revoking[0].args !== undefined) {
        problems.push(`container ${JSON.stringify(revoking[0].name)} does not run tierkit's revoke script as rendered (command or args changed)`);
      }
      // The expiry each step acts on is the manifest's: a later one postpones the revocation unseen.
      const epoch = String(Date.parse(env.sandbox.expiresAt) / 1000);
      for (const c of containers) {
        const v = envVars(c);
        if (v.TIERKIT_EXPIRES_AT_EPOCH !== undefined && v.TIERKIT_EXPIRES_AT_EPOCH !== epoch) {
          problems.push(`container ${JSON.stringify(c.name)} acts at epoch ${JSON.stringify(v.TIERKIT_EXPIRES_AT_EPOCH)}, not the sandbox's expiry ${epoch} (${env.sandbox.expiresAt})`);
        }
      }
      if (revoking.length === 1 && envVars(revoking[0]).TIERKIT_EXPIRES_AT_EPOCH === undefined) problems.push('its revoke step carries no expiry (the script then revokes nothing)');
      // hostAliases or a DNS override send the revoke to another Vault (it fails: the leases live on).
      problems.push(...podKeyProblems(pod.spec ?? {}));
      for (const p of problems) out.push({ env, source: job.source, message: `${where}: ${p}` });
    }
    return out;
  },
};
