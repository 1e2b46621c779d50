import { isLiveTier } from '../../contract/tiers';
import { Rule, RuleFinding, describeEnv } from './support/rule';

/** pg_database_owner, which the golden's public schema follows into the clone, is PostgreSQL 15's. */
const MIN_MAJOR = 15;

export const rule: Rule = {
  id: 'TK137',
  name: 'template-reset-sandbox-tier',
  severity: 'error',
  title: 'Only a sandbox of a non-live tier that allows sandboxes, on a PostgreSQL 15+ server without live data, resets from a template',
  explanation:
    'A template reset gives a role CREATEDB outside the human gate (TK128). The decision record accepts that only for a '
    + 'sandbox: a tier env (prod above all) keeps the pg_restore reset or none, and a tier that holds live data or allows no '
    + 'sandboxes has no business holding one; nor does a server holding live data, since CREATEDB cannot be scoped by name. The reset relies on PostgreSQL 15\'s pg_database_owner (proven on 15 and 18).',
  fix: 'Declare `reset: SandboxReset.TEMPLATE` only on a Sandbox of a sandbox tier (dev, ci, demo, …) on a PostgreSQL 15+ server; remove it elsewhere.',
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    g.envs.forEach((env, i) => {
      if (env.sandbox?.reset === undefined) return;
      const source = { file: 'manifest.json', pointer: `/appEnvironments/${i}/sandbox/reset`, constructPath: env.constructPath };
      const who = `${describeEnv(env)} declares reset ${JSON.stringify(env.sandbox.reset)}`;
      if (env.sandbox.reset !== 'template') {
        out.push({ env, source, message: `${who}: the only reset a manifest names is "template" (absent: the pg_restore reset)` });
        return;
      }
      if (env.kind !== 'sandbox') out.push({ env, source, message: `${who} but is a ${JSON.stringify(env.kind)} env, not a sandbox` });
      const tier = g.tiers.get(env.tier);
      if (!tier || isLiveTier(g.tiers, env.tier, true) || !tier.allowsSandboxes) {
        out.push({ env, source, message: `${who}: tier ${env.tier} ${tier ? 'holds live data or allows no sandboxes' : 'is not declared'}` });
      }
      const server = env.server === undefined ? undefined : g.servers.get(env.server);
      // CREATEDB cannot be scoped by name: on a server holding live data its holder creates databases without
      // bound there and clones any template database of it (defence in depth, as TK170 for previews).
      if (server && (isLiveTier(g.tiers, server.gatingTier, true) || server.tiers.some((t) => isLiveTier(g.tiers, t, true)))) {
        out.push({ env, source, message: `${who}: server ${server.id} holds live data (gated by tier ${server.gatingTier}); a CREATEDB role belongs on a server without it` });
      }
      if (!server || !Number.isInteger(server.majorVersion) || server.majorVersion < MIN_MAJOR) {
        out.push({ env, source, message: `${who}: server ${env.server} is PostgreSQL ${server?.majorVersion ?? '(unknown)'}; the template reset needs ${MIN_MAJOR} or later` });
      }
    });
    return out;
  },
};
