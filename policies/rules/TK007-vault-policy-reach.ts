import { Env, EstateGraph, VaultPolicy } from '../graph/types';
import { Rule, RuleFinding } from './rule';
import { Owner, ReachIndex, ownedPaths, ownerLabel } from './vault-reach';

const APPLIER = /^tierkit-apply-(.+)$/;

/** Whose policy this is, and which owners it may reach. */
function policyOwner(g: EstateGraph, p: VaultPolicy): { label: string; env?: Env; mayReach: (o: Owner) => boolean } {
  const env = g.index.byVaultPolicy.get(p.name) ?? p.stack.env;
  if (env) return { label: `env ${env.slug} (tier ${env.tier})`, env, mayReach: (o) => o.kind === 'env' && o.env === env };
  const applier = APPLIER.exec(p.name);
  if (applier && p.stack.manifest?.kind === 'tier-platform' && p.stack.manifest.tier === applier[1]) {
    const tier = applier[1];
    // An applier reaches exactly the stacks its tier gates (DESIGN layer 5), and its own identity.
    const gated = new Set(g.manifest.stacks.filter((s) => s.kind === 'app-environment' && s.gatingTier === tier).map((s) => s.name));
    return {
      label: `the ${tier} CI applier`,
      mayReach: (o) => (o.kind === 'env' && gated.has(o.env.stack)) || (o.kind === 'tier' && o.tier === tier),
    };
  }
  return { label: `policy "${p.name}" of no declared app-environment`, mayReach: () => false };
}

export const rule: Rule = {
  id: 'TK007',
  name: 'vault-policy-reach',
  severity: 'error',
  title: "No Vault policy grants anything on another env's paths",
  explanation:
    "Vault policies are the secrets layer of isolation: a sandbox policy that can read postgres/creds/erp holds prod's "
    + 'database credential whatever Postgres says. Paths are compared with Vault\'s own matching (a trailing `*` glob, '
    + '`+` for one segment), so `kvv2/data/+/config` or `postgres/creds/erp*` are caught although no string prefix '
    + "names the other env. CI applier policies may reach only the stacks their tier gates.",
  fix: "Narrow the path to the env's own names (naming.ts), or drop the capability.",
  suppressible: true,
  evaluate(g) {
    const out: RuleFinding[] = [];
    const index = new ReachIndex(ownedPaths(g));
    for (const p of g.vaultPolicies) {
      const who = policyOwner(g, p);
      if (p.parseError) {
        out.push({ env: who.env, source: p.source, message: `Vault policy "${p.name}" does not parse: ${p.parseError}`, fix: 'write `path "<path>" { capabilities = ["read"] }` blocks' });
        continue;
      }
      for (const r of p.rules) {
        if (r.capabilities.every((c) => c === 'deny')) continue;
        const foreign = index.reached(r.path).filter((x) => !who.mayReach(x.owned.owner));
        if (foreign.length === 0) continue;
        const owners = new Map<string, string>();
        for (const f of foreign) if (!owners.has(ownerLabel(f.owned.owner))) owners.set(ownerLabel(f.owned.owner), f.witness);
        const listed = [...owners].slice(0, 5).map(([o, w]) => `${o} (e.g. ${w})`).join(', ');
        const more = owners.size > 5 ? ` and ${owners.size - 5} more` : '';
        out.push({
          env: who.env, source: p.source,
          message: `Vault policy "${p.name}" of ${who.label} grants [${r.capabilities.join(', ')}] on "${r.path}", which reaches ${listed}${more}`,
        });
      }
    }
    return out;
  },
};
