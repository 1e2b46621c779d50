import { Rule, RuleFinding, describeEnv } from './support/rule';
import { isReason } from '../../contract/tiers';


export const rule: Rule = {
  id: 'TK013',
  name: 'sandbox-ttl',
  severity: 'error',
  title: "Every sandbox has an owner and a TTL within its tier's maximum, and a consistent expiry",
  explanation:
    'Sandboxes are disposable by design: an owner answers for each, and its TTL bounds how long its credentials, data '
    + 'and namespace live. A TTL over the tier maximum needs a reason this report shows. Whether a sandbox has expired '
    + 'is TK015.',
  fix: 'Set an owner; lower ttlHours or give a reason.',
  suppressible: true,
  evaluate(g) {
    const out: RuleFinding[] = [];
    g.envs.forEach((env, i) => {
      const sb = env.sandbox;
      if (!sb) return;
      const at = (prop: string) => ({ file: 'manifest.json', pointer: `/appEnvironments/${i}/sandbox/${prop}`, constructPath: env.constructPath });
      const tier = g.tiers.get(env.tier);
      const who = `sandbox ${describeEnv(env)}`;
      if (typeof sb.owner !== 'string' || sb.owner.trim() === '') out.push({ env, source: at('owner'), message: `${who} has no owner` });
      if (!(typeof sb.ttlHours === 'number' && sb.ttlHours > 0)) {
        out.push({ env, source: at('ttlHours'), message: `${who} has no positive TTL` });
      } else if (tier && sb.ttlHours > tier.sandboxMaxTtlHours) {
        const exception = env.exceptions.find((e) => e.kind === 'ttlHours' && e.value === String(sb.ttlHours));
        if (!exception || !isReason(exception.reason)) {
          out.push({ env, source: at('ttlHours'), message: `${who} lives ${sb.ttlHours}h, over the ${tier.name} maximum of ${tier.sandboxMaxTtlHours}h, without a reasoned exception` });
        }
      }
      const created = Date.parse(sb.createdAt);
      const expires = Date.parse(sb.expiresAt);
      if (Number.isNaN(expires)) {
        out.push({ env, source: at('expiresAt'), message: `${who} has no valid expiry ("${sb.expiresAt}")` });
      } else {
        if (!Number.isNaN(created) && expires > created + sb.ttlHours * 3_600_000) {
          out.push({ env, source: at('expiresAt'), message: `${who} expires at ${sb.expiresAt}, later than createdAt + ttlHours (${new Date(created + sb.ttlHours * 3_600_000).toISOString()})` });
        }
      }
    });
    return out;
  },
};
