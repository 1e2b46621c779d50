import { Rule, RuleFinding, describeEnv } from './support/rule';

export const rule: Rule = {
  id: 'TK015',
  name: 'sandbox-expired',
  severity: 'warning',
  title: 'No sandbox has outlived its TTL',
  explanation:
    'An expired sandbox still holds a database, credentials and a namespace nobody answers for any more. Within the '
    + 'hour after its expiry its TTL-sweep CronJob scales its workload to 0 (a reset keeps it there); the rest goes when '
    + 'its declaration is removed, through the reviewed destroy plans. This is a warning, not an error: an expired sandbox is its owner\'s to sweep, and '
    + 'must not block everyone else\'s pull requests. Expiry is judged at the evaluation time given by --now (the PR '
    + 'workflow passes the commit time), so a report is reproducible.',
  fix: 'Remove the Sandbox (its stacks are destroyed through reviewed destroy plans), or renew it by moving createdAt.',
  suppressible: true,
  evaluate(g, ctx) {
    const out: RuleFinding[] = [];
    g.envs.forEach((env, i) => {
      const expires = env.sandbox ? Date.parse(env.sandbox.expiresAt) : Number.NaN;
      // An invalid expiry is TK013's finding.
      if (Number.isNaN(expires) || expires > ctx.now.getTime()) return;
      out.push({
        env, source: { file: 'manifest.json', pointer: `/appEnvironments/${i}/sandbox/expiresAt`, constructPath: env.constructPath },
        message: `sandbox ${describeEnv(env)} of ${env.sandbox!.owner} expired at ${new Date(expires).toISOString()} (evaluated at ${ctx.now.toISOString()})`,
      });
    });
    return out;
  },
};
