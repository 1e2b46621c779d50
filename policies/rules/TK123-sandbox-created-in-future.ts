import { Rule, RuleFinding, describeEnv } from './support/rule';

export const rule: Rule = {
  id: 'TK123',
  name: 'sandbox-created-in-future',
  severity: 'error',
  title: 'No sandbox is created after the evaluation time',
  explanation:
    'A sandbox\'s TTL counts from createdAt. A createdAt after the time the pull request is checked (--now, the commit '
    + 'time in CI) is a lifetime nobody reviewed: a 72-hour sandbox "created" next year lives a year, past every TTL '
    + 'maximum and the 7-day approval, while the TTL itself looks ordinary. `tierkit sandbox create` writes the current '
    + 'time; only a hand edit moves it forward. Never suppressible.',
  fix: 'Set createdAt to when the sandbox was created (tierkit sandbox create writes it); lengthen a sandbox with tierkit sandbox extend.',
  suppressible: false,
  evaluate(g, ctx) {
    const out: RuleFinding[] = [];
    g.envs.forEach((env, i) => {
      const created = env.sandbox ? Date.parse(env.sandbox.createdAt) : Number.NaN;
      if (Number.isNaN(created) || created <= ctx.now.getTime()) return;
      out.push({
        env, source: { file: 'manifest.json', pointer: `/appEnvironments/${i}/sandbox/createdAt`, constructPath: env.constructPath },
        message: `sandbox ${describeEnv(env)} of ${env.sandbox!.owner} is created at ${env.sandbox!.createdAt}, after the evaluation time ${ctx.now.toISOString()}`
          + `${env.sandbox!.file ? ` (${env.sandbox!.file})` : ''}`,
      });
    });
    return out;
  },
};
