import { liveTierName } from '../../contract/tiers';
import { Rule, RuleFinding, envReaches } from './support/rule';
import { ownerLabel, policyOwner, reachIndexOf } from './support/vault-reach';

export const rule: Rule = {
  id: 'TK007',
  name: 'vault-policy-reach',
  severity: 'error',
  title: "No Vault policy grants anything on another env's paths",
  explanation:
    "Vault policies are the secrets layer of isolation: a sandbox policy that can read postgres/creds/erp holds prod's "
    + 'database credential whatever Postgres says. Paths are compared with Vault\'s own matching (a trailing `*` glob, '
    + '`+` for one segment), so `kvv2/data/+/config` or `postgres/creds/erp*` are caught although no string prefix '
    + 'names the other env; a leading `/` is stripped as Vault strips it, and `sys/policy/<name>` is the same policy as '
    + "`sys/policies/acl/<name>`. CI applier policies may reach only the stacks their tier gates. A finding that reaches "
    + 'a live-data (prod) tier, or a stricter tier than the policy\'s own, cannot be suppressed.',
  fix: "Narrow the path to the env's own names (naming.ts), or drop the capability.",
  suppressible: true,
  evaluate(g) {
    const out: RuleFinding[] = [];
    const index = reachIndexOf(g);
    for (const p of g.vaultPolicies) {
      const who = policyOwner(g, p);
      if (p.parseError) continue; // TK070 reports it, unsuppressibly
      for (const r of p.rules) {
        if (r.capabilities.every((c) => c === 'deny')) continue;
        const foreign = index.reached(r.path).filter((x) => !who.mayReach(x.owned.owner));
        if (foreign.length === 0) continue;
        const owners = new Map<string, string>();
        for (const f of foreign) if (!owners.has(ownerLabel(f.owned.owner))) owners.set(ownerLabel(f.owned.owner), f.witness);
        const listed = [...owners].slice(0, 5).map(([o, w]) => `${o} (e.g. ${w})`).join(', ');
        const more = owners.size > 5 ? ` and ${owners.size - 5} more` : '';
        // The engine decides suppressibility from what is reached; the shared mounts and auth methods hold prod's secrets too.
        const live = liveTierName(g.tiers);
        const reaches = foreign.map((f) => f.owned.owner).flatMap((o) => (o.kind === 'env' ? envReaches(g, o.env, `env ${o.env.slug}`)
          : o.kind === 'tier' ? [{ tier: o.tier, what: `the ${o.tier} CI applier's paths` }] : [{ tier: live, what: 'the shared platform\'s mounts and auth methods' }]));
        out.push({
          env: who.env, source: p.source, reaches,
          message: `Vault policy "${p.name}" of ${who.label} grants [${r.capabilities.join(', ')}] on "${r.written ?? r.path}", which reaches ${listed}${more}`,
        });
      }
    }
    return out;
  },
};
