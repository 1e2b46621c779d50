import { renderedWorkloadPolicyReach } from './support/preview-workload';
import * as naming from '../../constructs/naming';
import {
  TEMPLATE_RESET_LOGIN_TTL_SECONDS, templateResetLoginRevocation, templateResetLoginStatements,
} from '../../contract/template-reset-login';
import { expiryGuardInputsOk, sandboxRenewStatements } from '../../contract/vault-statements';
import { matches } from '../graph/vault-paths';
import { Rule, RuleFinding, describeEnv } from './support/rule';
import { isTemplateResetVaultAdmin, templateResetNames, templateResetSource as at, templateResetStack } from './support/template-reset';

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

export const rule: Rule = {
  id: 'TK117',
  name: 'template-reset-login',
  severity: 'error',
  title: 'A template reset\'s Job login is exactly a short-lived plain login IN ROLE its own template role, readable only by its own reset',
  explanation:
    'The template reset Job (constructs/lifecycle/template-reset.ts) logs in with a credential Vault issues from the '
    + 'sandbox\'s own connection: CREATE ROLE … LOGIN … IN ROLE "<env>_template" (contract/template-reset-login.ts), '
    + 'which on PostgreSQL 16+ needs the connection user\'s ADMIN OPTION on the template role (exactly one grant; the provider '
    + 'cannot write INHERIT FALSE, SET FALSE, so the operator narrows it and the Job refuses to run while it still inherits or '
    + 'may SET: contract/template-reset-login.ts, held by TK135 through the Job\'s script and inputs). That login may SET ROLE to '
    + 'a CREATEDB role that drops and clones the sandbox\'s database without the human gate. It is harmless only as tierkit '
    + 'writes it (proven on PostgreSQL 15 and 18 in test/pg/template-reset.test.ts): other creation statements (another '
    + 'role, an attribute, a grant), a longer life, no expiry guard past the sandbox\'s expiry, another connection, or '
    + 'any Vault policy but the reset\'s own reading its creds path, or that policy handed to anything but the reset\'s '
    + 'service account in the sandbox\'s namespace, hands a CREATEDB role to someone else.',
  fix: 'Keep what tierkit writes for `reset: SandboxReset.TEMPLATE` (synth/terraform-template-reset.ts and the reset policy); remove the escape hatch, the extra policy path or the extra auth role.',
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    for (const env of g.envs) {
      if (env.sandbox?.reset !== 'template') continue;
      const stack = templateResetStack(g.stacks, env);
      if (!stack) continue; // TK128 reports a template reset without its stack
      const n = templateResetNames(env);
      const c = { app: env.app, env: env.env };
      const who = `template reset login of ${describeEnv(env)}`;
      const roles = g.dynamicRoles.filter((r) => r.name === n.vaultRole);
      const own = roles.filter((r) => r.stack === stack);
      if (own.length !== 1) out.push({ env, source: at(g, env), message: `${who}: stack ${stack.name} declares ${own.length} Vault roles "${n.vaultRole}"; exactly one issues the reset's login` });
      for (const r of roles.filter((x) => x.stack !== stack)) {
        out.push({ env, source: r.source, message: `Vault role "${n.vaultRole}" (the reset login of ${env.slug}) is declared again in stack ${r.stack.name}` });
      }
      const expiresAt = env.sandbox?.expiresAt;
      const guarded = expiresAt === undefined || expiryGuardInputsOk(env.slug, expiresAt);
      if (!guarded) out.push({ env, source: at(g, env), message: `${who}: the manifest's expiry ${JSON.stringify(expiresAt)} is not a canonical instant; its statements cannot be judged` });
      for (const r of own) {
        const where = `Vault role "${r.backend}/roles/${r.name}" (${who})`;
        if (r.dbName !== env.names.vaultConnection) out.push({ env, source: r.source, message: `${where} uses connection ${JSON.stringify(r.dbName ?? null)}, not the sandbox's own "${env.names.vaultConnection}"` });
        if (guarded && !same(r.creationStatements, templateResetLoginStatements(n.role, env.slug, expiresAt as string | undefined))) {
          out.push({ env, source: r.source, message: `${where}: its creation statements are not tierkit's (a plain LOGIN with CONNECTION LIMIT, IN ROLE "${n.role}", SET ROLE to it${expiresAt ? ', the sandbox\'s expiry guard' : ''}): ${JSON.stringify(r.creationStatements)}` });
        }
        if (!same(r.revocationStatements, templateResetLoginRevocation(env.names.groupRole))) {
          out.push({ env, source: r.source, message: `${where}: its revocation statements are not tierkit's: ${JSON.stringify(r.revocationStatements)}` });
        }
        if (guarded && !same(r.renewStatements, expiresAt ? sandboxRenewStatements(env.slug, expiresAt as string) : undefined)) {
          out.push({ env, source: r.source, message: `${where}: its renewal is not tierkit's (a renewal would move VALID UNTIL past the sandbox's expiry): ${JSON.stringify(r.renewStatements ?? null)}` });
        }
        if (r.rollbackStatements !== undefined && !same(r.rollbackStatements, [])) {
          out.push({ env, source: r.source, message: `${where} sets rollback statements ${JSON.stringify(r.rollbackStatements)}: Vault runs them as the connection user` });
        }
        const max = TEMPLATE_RESET_LOGIN_TTL_SECONDS.maxSeconds;
        for (const [k, v] of [['default_ttl', r.defaultTtl], ['max_ttl', r.maxTtl]] as const) {
          if (typeof v !== 'number' || v <= 0 || v > max) out.push({ env, source: r.source, message: `${where} has ${k} ${JSON.stringify(v ?? null)}; the login lives one reset: at most ${max} s` });
        }
      }
      const admins = g.memberships.filter((m) => m.stack === stack && isTemplateResetVaultAdmin(m));
      if (admins.length !== 1) out.push({ env, source: at(g, env), message: `${who}: stack ${stack.name} grants "${env.names.vaultConnectionRole}" ADMIN OPTION on "${n.role}" ${admins.length} times; PostgreSQL 16+ issues the login only with exactly that grant` });

      // Who reads the login: the reset's own policy, and only the reset's auth role carries it.
      const mount = g.manifest.estate?.vault?.databaseMount;
      if (typeof mount !== 'string' || mount === '') {
        out.push({ env, source: { file: 'manifest.json', pointer: '/estate/vault/databaseMount' }, message: `${who}: the manifest names no database mount; who reads the login cannot be judged` });
        continue;
      }
      const creds = `${mount}/creds/${n.vaultRole}`;
      const resetPolicy = naming.resetName(c);
      for (const p of g.vaultPolicies) {
        // The preview workload's templated policy reaches at most `<db>/creds/<app>-pr-*` (TK164–TK166 hold it).
        const previewReach = renderedWorkloadPolicyReach(g, p);
        if (p.parseError !== undefined && previewReach === undefined) {
          out.push({ env, source: p.source, message: `Vault policy "${p.name}" (stack ${p.stack.name}) cannot be read (${p.parseError}): it may read ${creds}, the ${who}` });
          continue;
        }
        for (const rule of previewReach ?? p.rules) {
          if (!matches(rule.path, creds) || rule.capabilities.every((x) => x === 'deny')) continue;
          const own = p.name === resetPolicy && p.stack === stack && rule.path === creds && same([...rule.capabilities].sort(), ['read']);
          if (!own) out.push({ env, source: p.source, message: `Vault policy "${p.name}" (stack ${p.stack.name}) grants ${JSON.stringify(rule.capabilities)} on "${rule.written ?? rule.path}", which reaches ${creds}: only ${env.slug}'s reset policy "${resetPolicy}" reads the ${who}` });
        }
      }
      for (const a of g.authRoles) {
        if (!a.policies.includes(resetPolicy)) continue;
        const ok = a.kind === 'kubernetes' && a.name === resetPolicy && same(a.serviceAccounts, [resetPolicy]) && same(a.namespaces, [env.names.namespace])
          && a.namespaceSelector === undefined && a.stack === stack;
        if (!ok) out.push({ env, source: a.source, message: `${a.kind} auth role "${a.name}" (stack ${a.stack.name}) hands out policy "${resetPolicy}", which reads the ${who}: only the reset's service account "${resetPolicy}" in namespace "${env.names.namespace}" may` });
      }
    }
    return out;
  },
};
