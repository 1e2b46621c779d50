import { Rule, RuleFinding, describeEnv } from './support/rule';
import { SWEEP_CAPABILITIES, isOwnSweepGrant, sweepName, sweepOwner, sweepRevokePath } from './support/ttl-sweep';

export const rule: Rule = {
  id: 'TK120',
  name: 'ttl-sweep-policy',
  severity: 'error',
  title: "A sandbox's TTL-sweep policy grants update + sudo on its own revoke-prefix path, and nothing else",
  explanation:
    'At expiry the TTL sweep revokes every lease of the sandbox\'s dynamic role through '
    + '`sys/leases/revoke-prefix/<mount>/creds/<env>`, a root-protected endpoint (it needs `sudo`). That power is only '
    + 'safe on one literal path: a glob, a `+`, a shorter prefix (`…/creds/` revokes every env\'s credentials, prod\'s '
    + 'included), another capability or a second path turns the sweep into a way to cut off — or, with `read`, to '
    + 'take — other envs\' secrets. The policy is held to exactly that one path; an unreadable policy text is a finding, '
    + 'not a pass. Never suppressible.',
  fix: 'Leave the sweep policy as tierkit writes it: path "sys/leases/revoke-prefix/<mount>/creds/<env>" { capabilities = ["update", "sudo"] }.',
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    for (const p of g.vaultPolicies) {
      const env = sweepOwner(p);
      if (!env) continue;
      const where = `TTL-sweep policy "${p.name}" of ${describeEnv(env)}`;
      const expected = `"${sweepRevokePath(g, env)}" with [${SWEEP_CAPABILITIES.join(', ')}]`;
      if (p.parseError) {
        out.push({ env, source: p.source, message: `${where} cannot be read with certainty (${p.parseError}); it must grant exactly ${expected}` });
        continue;
      }
      const own = p.rules.filter((r) => isOwnSweepGrant(g, p, r));
      for (const r of p.rules.filter((x) => !own.includes(x))) {
        out.push({ env, source: p.source, message: `${where} grants [${r.capabilities.join(', ')}] on "${r.written ?? r.path}"; it may grant exactly ${expected}` });
      }
      if (own.length !== 1) {
        out.push({ env, source: p.source, message: `${where} ${own.length === 0 ? 'lacks' : 'repeats'} its one grant ${expected}` });
      }
    }
    // A policy of the sweep's name that no sandbox's own stack writes is someone else's, posing as one.
    for (const p of g.vaultPolicies) {
      if (sweepOwner(p) || !p.name.endsWith('-ttl-sweep')) continue;
      const named = g.envs.find((e) => e.sandbox && sweepName(e) === p.name);
      if (!named) continue;
      out.push({ env: named, source: p.source, message: `Vault policy "${p.name}" bears the TTL-sweep name of ${describeEnv(named)} but is written by stack ${p.stack.name}` });
    }
    return out;
  },
};
