import { Rule, RuleFinding, describeEnv } from './support/rule';
import { groupBy } from '../graph/group';
import type { Env, VaultPolicy } from '../graph/types';
import { SWEEP_CAPABILITIES, isOwnResetRevokeGrant, needsResetRevoke, resetRevokeOwner, resetRevokePolicyName, sweepRevokePath } from './support/ttl-sweep';

export const rule: Rule = {
  id: 'TK124',
  name: 'reset-revoke-policy',
  severity: 'error',
  title: "An hourly reset's revoke policy grants update + sudo on its env's own revoke-prefix path, and nothing else",
  explanation:
    'The demo tier\'s hourly reset revokes every lease of the env\'s dynamic role after restoring its data, so no '
    + 'credential handed out during the last hour (a prospect\'s, a leaked one, the reset\'s own) survives the reset. '
    + 'It calls `sys/leases/revoke-prefix/<mount>/creds/<env>`, a root-protected endpoint (`sudo`), through a policy '
    + 'of its own, `<env>-reset-revoke`. As for the TTL sweep (TK120), that power is only safe on one literal path: a '
    + 'glob, a `+`, a shorter prefix (`…/creds/` cuts off every env, prod included), another capability or a second '
    + 'path is a finding; so are a missing policy, an unreadable one, and a policy of that name another stack writes. '
    + 'Never suppressible.',
  fix: 'Leave the reset-revoke policy as tierkit writes it: path "sys/leases/revoke-prefix/<mount>/creds/<env>" { capabilities = ["update", "sudo"] }.',
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    let owned: Map<Env | undefined, VaultPolicy[]> | undefined;
    for (const env of g.envs) {
      if (!needsResetRevoke(g, env)) continue;
      const name = resetRevokePolicyName(env);
      const expected = `"${sweepRevokePath(g, env)}" with [${SWEEP_CAPABILITIES.join(', ')}]`;
      // Grouped by owner on first need (one pass over the policies, in their order): a scan per env is quadratic.
      owned ??= groupBy(g.vaultPolicies, (p) => resetRevokeOwner(g, p));
      const mine = owned.get(env) ?? [];
      if (mine.length === 0) {
        out.push({ env, message: `${describeEnv(env)} resets hourly but its own stack writes no reset-revoke policy "${name}": its reset would leave the last hour's credentials live` });
      }
      for (const p of mine) {
        const where = `reset-revoke policy "${p.name}" of ${describeEnv(env)}`;
        if (p.parseError) {
          out.push({ env, source: p.source, message: `${where} cannot be read with certainty (${p.parseError}); it must grant exactly ${expected}` });
          continue;
        }
        const own = p.rules.filter((r) => isOwnResetRevokeGrant(g, p, r));
        for (const r of p.rules.filter((x) => !own.includes(x))) {
          out.push({ env, source: p.source, message: `${where} grants [${r.capabilities.join(', ')}] on "${r.written ?? r.path}"; it may grant exactly ${expected}` });
        }
        if (own.length !== 1) out.push({ env, source: p.source, message: `${where} ${own.length === 0 ? 'lacks' : 'repeats'} its one grant ${expected}` });
      }
    }
    // A policy bearing an env's reset-revoke name that is not that env's own is posing as one.
    for (const p of g.vaultPolicies) {
      if (resetRevokeOwner(g, p) || !p.name.endsWith('-reset-revoke')) continue;
      const named = g.envs.find((e) => resetRevokePolicyName(e) === p.name);
      out.push({
        env: named, source: p.source,
        message: `Vault policy "${p.name}" bears a reset-revoke name but is not the hourly reset's own (written by stack ${p.stack.name}${named ? `; ${describeEnv(named)} ${needsResetRevoke(g, named) ? 'writes its own' : 'has no hourly reset'}` : ''})`,
      });
    }
    return out;
  },
};
