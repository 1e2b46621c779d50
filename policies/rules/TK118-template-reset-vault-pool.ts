import { TEMPLATE_RESET_DRAIN_SECONDS } from '../../contract/template-reset-login';
import { Rule, RuleFinding, describeEnv } from './support/rule';
import { templateResetStack } from './support/template-reset';

/**
 * Go's database/sql closes an idle pooled session once it is older than the lifetime, on a cleaner
 * tick of the lifetime itself: a session may live up to two lifetimes. The drain must outlast that.
 */
const MAX_LIFETIME_SECONDS = Math.floor(TEMPLATE_RESET_DRAIN_SECONDS / 2) - 1;

export const rule: Rule = {
  id: 'TK118',
  name: 'template-reset-vault-pool',
  severity: 'error',
  title: 'A template-reset sandbox\'s Vault connection recycles its pooled sessions well within the reset\'s drain',
  explanation:
    'Vault keeps its pooled sessions open on the database of the connection_url — the sandbox\'s own — for ever by default '
    + '(hashicorp/vault sdk/database/helper/connutil/sql.go: SetConnMaxLifetime of max_connection_lifetime, 0 unless set). '
    + 'DROP DATABASE fails while any session remains, and the template reset ends no one\'s session (no pg_signal_backend, '
    + 'no FORCE): with an idle Vault session in the database, every reset waits out its drain and aborts. With '
    + 'max_connection_lifetime set, Go\'s database/sql closes idle sessions older than it; the reset closes the database to '
    + 'new sessions first, so the pool cannot reopen one before the drop.',
  fix: `Keep what tierkit writes on a template-reset sandbox's connection: postgresql.max_connection_lifetime, at most ${MAX_LIFETIME_SECONDS} s, and connection_url on the sandbox's own database.`,
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    for (const env of g.envs) {
      if (env.sandbox?.reset !== 'template') continue;
      const stack = templateResetStack(g.stacks, env);
      if (!stack) continue; // TK128 reports it
      const conns = g.vaultConnections.filter((v) => v.stack === stack && v.name === env.names.vaultConnection);
      if (conns.length === 0) {
        out.push({ env, source: { file: 'manifest.json', pointer: `/appEnvironments/${g.envs.indexOf(env)}/names/vaultConnection`, constructPath: env.constructPath }, message: `${describeEnv(env)}: stack ${stack.name} holds no Vault connection "${env.names.vaultConnection}" to judge` });
      }
      for (const v of conns) {
        const pg = (v.resource.attributes as Record<string, any>).postgresql;
        const lifetime = pg && typeof pg === 'object' && !Array.isArray(pg) ? pg.max_connection_lifetime : undefined;
        if (typeof lifetime !== 'number' || !Number.isInteger(lifetime) || lifetime <= 0 || lifetime > MAX_LIFETIME_SECONDS) {
          out.push({ env, source: v.source, message: `Vault connection "${v.backend}/config/${v.name}" of ${describeEnv(env)} has postgresql.max_connection_lifetime ${JSON.stringify(lifetime ?? null)}: its idle sessions would outlive the template reset's ${TEMPLATE_RESET_DRAIN_SECONDS} s drain and block DROP DATABASE (1–${MAX_LIFETIME_SECONDS} s)` });
        }
      }
    }
    return out;
  },
};
