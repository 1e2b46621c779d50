import { Rule, RuleFinding, describeEnv } from './support/rule';

export const rule: Rule = {
  id: 'TK123',
  name: 'sandbox-created-in-future',
  severity: 'error',
  title: 'A sandbox lives what was reviewed: created by the evaluation time, expiring exactly at createdAt + ttlHours',
  explanation:
    'A sandbox\'s TTL counts from createdAt. A createdAt after the time the pull request is checked (--now: in CI the '
    + 'review and apply jobs\' own clock, never a commit date the author wrote) is a lifetime nobody reviewed: a 72-hour sandbox "created" next year lives a year, past every TTL '
    + 'maximum and the 7-day approval, while the TTL itself looks ordinary. `tierkit sandbox create` writes the current '
    + 'time; only a hand edit moves it forward. Likewise its expiry is createdAt + ttlHours, no other instant: the expiry '
    + 'guard, the renewal and the TTL sweep all read expiresAt, so a createdAt that does not parse (which leaves '
    + 'nothing to compare) or an expiresAt later than its TTL would carry a lifetime no reviewer saw. Never suppressible.',
  fix: 'Set createdAt to when the sandbox was created (tierkit sandbox create writes it); lengthen a sandbox with tierkit sandbox extend.',
  suppressible: false,
  evaluate(g, ctx) {
    const out: RuleFinding[] = [];
    g.envs.forEach((env, i) => {
      const sb = env.sandbox;
      if (!sb) return;
      const at = (prop: string) => ({ file: 'manifest.json', pointer: `/appEnvironments/${i}/sandbox/${prop}`, constructPath: env.constructPath });
      const created = typeof sb.createdAt === 'string' ? Date.parse(sb.createdAt) : Number.NaN;
      if (Number.isNaN(created)) {
        out.push({ env, source: at('createdAt'), message: `sandbox ${describeEnv(env)} has no readable createdAt (${JSON.stringify(sb.createdAt)}): its lifetime cannot be checked` });
        return;
      }
      const expires = typeof sb.expiresAt === 'string' ? Date.parse(sb.expiresAt) : Number.NaN;
      const ttl = sb.ttlHours;
      if (typeof ttl === 'number' && ttl > 0 && (Number.isNaN(expires) || expires !== created + ttl * 3_600_000)) {
        out.push({
          env, source: at('expiresAt'),
          message: `sandbox ${describeEnv(env)} expires at ${JSON.stringify(sb.expiresAt)}, not at createdAt + ttlHours (${new Date(created + ttl * 3_600_000).toISOString()})`,
        });
      }
      if (created <= ctx.now.getTime()) return;
      out.push({
        env, source: { file: 'manifest.json', pointer: `/appEnvironments/${i}/sandbox/createdAt`, constructPath: env.constructPath },
        message: `sandbox ${describeEnv(env)} of ${env.sandbox!.owner} is created at ${env.sandbox!.createdAt}, after the evaluation time ${ctx.now.toISOString()}`
          + `${env.sandbox!.file ? ` (${env.sandbox!.file})` : ''}`,
      });
    });
    return out;
  },
};
