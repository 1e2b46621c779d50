import { Rule, RuleFinding, describeEnv } from './support/rule';
import { dynamicRoleEnv } from './support/vault-env';

export const rule: Rule = {
  id: 'TK006',
  name: 'credential-ttl',
  severity: 'error',
  title: "Dynamic credentials' default and max TTL stay within the tier's limits",
  explanation:
    "A lease is how long a leaked credential stays useful. Each tier sets a default and a maximum TTL (an estate may "
    + "loosen them only with a reason, shown in this report); a Vault role without TTLs gets the mount's or the "
    + 'system default (32 days), far beyond any tier.',
  fix: "Set default_ttl and max_ttl to at most the tier's secretTtl (or declare a reasoned tier loosening).",
  suppressible: true,
  evaluate(g) {
    const out: RuleFinding[] = [];
    for (const r of g.dynamicRoles) {
      const env = dynamicRoleEnv(g, r);
      const tier = env && g.tiers.get(env.tier);
      if (!env || !tier) continue; // TK004 already reports a dynamic role outside any env
      const where = `Vault role "${r.backend}/roles/${r.name}" of ${describeEnv(env)}`;
      const limits: [string, number | undefined, number][] = [
        ['default_ttl', r.defaultTtl, tier.secretTtl.defaultSeconds],
        ['max_ttl', r.maxTtl, tier.secretTtl.maxSeconds],
      ];
      for (const [attr, value, max] of limits) {
        if (value === undefined || value === 0) {
          out.push({ env, source: r.source, message: `${where} sets no ${attr}: Vault falls back to the mount/system default`, fix: `set ${attr} = ${max}` });
        } else if (value > max) {
          out.push({ env, source: r.source, message: `${where} has ${attr} ${value}s, over the ${tier.name} limit of ${max}s`, fix: `set ${attr} ≤ ${max}` });
        }
      }
      if (r.defaultTtl !== undefined && r.maxTtl !== undefined && r.defaultTtl > r.maxTtl && r.maxTtl > 0) {
        out.push({ env, source: r.source, message: `${where} has default_ttl ${r.defaultTtl}s over its max_ttl ${r.maxTtl}s` });
      }
    }
    return out;
  },
};
