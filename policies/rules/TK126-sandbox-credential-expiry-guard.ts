import { expiryGuardInputsOk, sandboxExpiryGuard, sandboxRenewStatements } from '../../contract/vault-statements';
import { Rule, RuleFinding, describeEnv } from './support/rule';
import { dynamicRoleEnv } from './support/vault-env';

export const rule: Rule = {
  id: 'TK126',
  name: 'sandbox-credential-expiry-guard',
  severity: 'error',
  title: "A sandbox's dynamic role carries the expiry guard of its own expiry, and renews no later than it",
  explanation:
    'The TTL sweep runs hourly: between its runs, whoever can scale an expired sandbox back up would get a fresh '
    + 'database credential from Vault, and a credential issued the hour before expiry would log in for its whole lease. '
    + 'tierkit ends every sandbox\'s creation statements with one guard (contract/vault-statements.ts): at or after the '
    + 'sandbox\'s expiry it raises, so the creation fails and Vault issues nothing; before it, it clamps the login\'s '
    + 'VALID UNTIL to the expiry. The guard must be there exactly once, with the manifest\'s expiry: a missing guard, or '
    + 'one naming a later time, reopens the window (any other DO block is refused by TK004). Its renew_statements must be '
    + 'Vault\'s default renewal followed by tierkit\'s refusal of any new expiration past the sandbox\'s: Vault\'s '
    + 'default alone would move VALID UNTIL past it at the next renewal. Never suppressible.',
  fix: 'Leave the sandbox\'s creation statements as tierkit writes them (constructs/statements.ts creationStatements with the sandbox\'s expiry).',
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    for (const r of g.dynamicRoles) {
      const env = dynamicRoleEnv(g, r);
      if (!env?.sandbox) continue;
      if (!expiryGuardInputsOk(env.slug, env.sandbox.expiresAt)) {
        out.push({ env, source: r.source, message: `sandbox ${describeEnv(env)} has expiry ${JSON.stringify(env.sandbox.expiresAt)} (slug ${JSON.stringify(env.slug)}), not a canonical UTC instant and DNS label: its expiry guard cannot be judged` });
        continue;
      }
      const guard = sandboxExpiryGuard(env.slug, env.sandbox.expiresAt);
      const n = r.creationStatements.filter((s) => s === guard).length;
      const renew = sandboxRenewStatements(env.slug, env.sandbox.expiresAt);
      if (JSON.stringify(r.renewStatements ?? []) !== JSON.stringify(renew)) {
        out.push({
          env, source: r.source,
          message: `Vault role "${r.backend}/roles/${r.name}" of sandbox ${describeEnv(env)} renews with ${JSON.stringify(r.renewStatements ?? [])}: a renewal would move VALID UNTIL past the expiry ${env.sandbox.expiresAt}; expected ${JSON.stringify(renew)}`,
        });
      }
      if (n === 1) continue;
      out.push({
        env, source: r.source,
        message: `Vault role "${r.backend}/roles/${r.name}" of sandbox ${describeEnv(env)} ${n === 0 ? 'lacks' : `repeats (${n}×)`} the expiry guard for ${env.sandbox.expiresAt}: `
          + `${n === 0 ? 'a credential issued after the expiry (a scale-up between two sweeps) would log in' : 'it must appear once'}; expected the statement ${JSON.stringify(guard)}`,
      });
    }
    return out;
  },
};
