import { CI_MAIN_REF, DATA_PROMOTE_WORKFLOW_FILE, rehearseName, seedHashKvSecretName } from '../../constructs/naming';
import { rehearseClaims } from '../../contract/ci-names';
import { isLiveTier } from '../../contract/tiers';
import type { Env, EstateGraph } from '../graph/types';
import { matches } from '../graph/vault-paths';
import { RunShape, githubToken } from './support/github-tokens';
import { Rule, RuleFinding } from './support/rule';
import { bindingOf, loginRefusal } from './support/vault-claims';

/** The run the rehearse role exists for: the data-promote workflow at main, dispatched by hand, in the sandbox tier's environment. */
function rehearseRun(repository: string, repositoryId: string, environment: string): RunShape {
  return { repository, repositoryId, environment, event: 'workflow_dispatch', ref: CI_MAIN_REF, workflow: DATA_PROMOTE_WORKFLOW_FILE };
}

function hostileRuns(repository: string, repositoryId: string, environment: string, prodEnvironment: string): { what: string; run: RunShape }[] {
  const own = rehearseRun(repository, repositoryId, environment);
  return [
    { what: 'a pull request run naming the sandbox tier\'s environment', run: { ...own, event: 'pull_request', ref: 'refs/pull/7/merge' } },
    { what: 'a dispatch of the data-promote workflow on another branch', run: { ...own, ref: 'refs/heads/feature' } },
    { what: 'a push to main (the apply workflow)', run: { ...own, event: 'push', workflow: 'tierkit-apply.yml' } },
    { what: 'another workflow dispatched on main', run: { ...own, workflow: 'release.yml' } },
    { what: `the replay job (environment ${prodEnvironment})`, run: { ...own, environment: prodEnvironment } },
    { what: 'a repository re-created under the same name', run: { ...own, repositoryId: `${repositoryId}0` } },
  ];
}

function judgeEnv(g: EstateGraph, env: Env): string[] {
  const promote = env.promote!;
  const rehearse = promote.rehearse as Partial<typeof promote.rehearse> | undefined;
  const ci = g.manifest.estate.ci;
  const v = g.manifest.estate.vault;
  const name = rehearseName(env.app);
  const problems: string[] = [];
  if (!rehearse || typeof rehearse !== 'object') return ['the manifest declares no rehearse identity: the rehearsal\'s reach cannot be judged'];
  if (rehearse.name !== name) problems.push(`the manifest names the rehearse identity "${rehearse.name}", not "${name}"`);
  // 1. The sandbox: a golden sandbox of the same app, on no live tier; the job's environment is its tier's, never prod's.
  const sandbox = g.envs.find((e) => e.slug === rehearse.sandbox);
  if (!sandbox) return [...problems, `the manifest names rehearsal sandbox "${rehearse.sandbox}", which is no app-environment of dist`];
  if (sandbox.kind !== 'sandbox' || sandbox.app !== env.app || sandbox.sandbox?.seed !== 'golden') {
    problems.push(`the rehearsal target ${sandbox.slug} is not a golden sandbox of ${env.app} (kind ${sandbox.kind}, app ${sandbox.app}, seed ${sandbox.sandbox?.seed ?? 'none'})`);
  }
  if (isLiveTier(g.tiers, sandbox.tier, true)) problems.push(`the rehearsal target ${sandbox.slug} is on live tier ${sandbox.tier}: a rehearsal never writes live data`);
  if (rehearse.environment !== sandbox.tier) problems.push(`the rehearse job's environment is "${rehearse.environment}", not the sandbox's tier "${sandbox.tier}"`);
  if (rehearse.environment === env.tier || isLiveTier(g.tiers, rehearse.environment, true)) {
    problems.push(`the rehearse job runs in environment "${rehearse.environment}", a live tier's: its token would pass where only the approved replay may`);
  }
  const creds = sandbox.names.vaultCredsPath;
  const hashes = `${v.kvMount}/data/${seedHashKvSecretName(env.app, 'golden')}`;
  const want = [`${creds} [read]`, `${hashes} [read]`];
  // 2. Its policy: exactly read on the sandbox's credential and the golden's published hashes, in a tier platform stack.
  const platform = (s: { manifest?: { kind?: string } }) => s.manifest?.kind === 'tier-platform';
  const own = g.vaultPolicies.filter((p) => p.name === name);
  if (own.length === 0) problems.push(`no Vault policy "${name}" is declared: the rehearse job could not log in, and what it reaches cannot be judged`);
  for (const p of own) {
    if (!platform(p.stack)) problems.push(`Vault policy "${name}" is declared by stack ${p.stack.name}: only the tier platform stack declares CI identities`);
    if (p.parseError !== undefined) { problems.push(`Vault policy "${name}" cannot be read (${p.parseError})`); continue; }
    const got = p.rules.map((r) => `${r.written ?? r.path} [${[...r.capabilities].sort().join(', ')}]`).sort();
    if (got.join('\n') !== [...want].sort().join('\n')) problems.push(`Vault policy "${name}" grants ${JSON.stringify(got)}: exactly ${JSON.stringify(want)}`);
    // Whatever its text, no path of it may match prod's promote credential or any live env's credential.
    for (const r of p.rules) {
      if (r.capabilities.every((c) => c === 'deny' || c === 'list')) continue;
      for (const e of g.envs) {
        if (!isLiveTier(g.tiers, e.tier, true)) continue;
        for (const live of [e.names.vaultCredsPath, ...(e.promote ? [e.promote.credsPath] : [])]) {
          if (matches(r.path, live)) problems.push(`Vault policy "${name}" path "${r.written ?? r.path}" reaches ${live} (env ${e.slug}, live tier ${e.tier})`);
        }
      }
    }
  }
  // 3. Who holds it: the rehearse JWT role only, bound to exactly the rehearse run.
  const [owner] = ci.repository.split('/');
  const audience = `https://github.com/${owner}`;
  const claims = rehearseClaims(ci.repository, ci.repositoryId ?? '(ci.repositoryId)', sandbox.tier);
  let held = 0;
  for (const r of g.authRoles) {
    if (!r.policies.includes(name) && r.name !== name) continue;
    held++;
    const who = `${r.kind} auth role "auth/${r.backend}/role/${r.name}"`;
    if (r.kind !== 'jwt') { problems.push(`${who} hands out ${name}: only the rehearse job's JWT role may`); continue; }
    if (r.name !== name || r.backend !== v.jwtAuthPath || !platform(r.stack)) problems.push(`${who} (stack ${r.stack.name}) hands out ${name}: only "auth/${v.jwtAuthPath}/role/${name}" of a tier platform stack may`);
    if (r.policies.length !== 1 || r.policies[0] !== name) problems.push(`${who} hands out ${JSON.stringify(r.policies)}: the rehearse role hands out "${name}" alone`);
    const b = bindingOf(r.attributes ?? { bound_claims: r.boundClaims });
    if (b.roleType !== 'jwt') problems.push(`${who} is role_type "${b.roleType}", not "jwt"`);
    if (b.boundClaimsType !== 'string') problems.push(`${who} matches bound claims as "${b.boundClaimsType}": use "string"`);
    if (b.boundAudiences.length === 0 || b.boundAudiences.some((a) => a !== audience)) problems.push(`${who} binds audiences ${JSON.stringify(b.boundAudiences)}, not exactly ["${audience}"]`);
    for (const [claim, value] of Object.entries(claims)) {
      const got = b.boundClaims[claim];
      if (!got) problems.push(`${who} binds no ${claim} claim (want "${value}")`);
      else if (got.length !== 1 || got[0] !== value) problems.push(`${who} binds ${claim} ${JSON.stringify(got)}, not exactly "${value}"`);
    }
    if (!ci.repositoryId) { problems.push(`${who} cannot be judged: the manifest declares no ci.repositoryId`); continue; }
    for (const h of hostileRuns(ci.repository, ci.repositoryId, sandbox.tier, env.tier)) {
      if (loginRefusal(b, githubToken(h.run)) === undefined) problems.push(`${who} admits the token of ${h.what}`);
    }
    const refused = loginRefusal(b, githubToken(rehearseRun(ci.repository, ci.repositoryId, sandbox.tier)));
    if (refused !== undefined) problems.push(`${who} refuses the rehearse job's own token (${refused}): the rehearsal would fail`);
  }
  if (held === 0) problems.push(`no JWT role "${name}" is declared: the rehearse job could not log in`);
  return problems;
}

export const rule: Rule = {
  id: 'TK162',
  name: 'rehearse-identity',
  severity: 'error',
  title: "The data promote's rehearse job reaches its app's golden sandbox only, from the sandbox tier's environment",
  explanation:
    'The rehearsal runs a change script before anyone approved it. Its identity must therefore reach no more than the '
    + 'sandbox it rehearses on: the Vault policy `<app>-rehearse` grants exactly read on that golden sandbox\'s creds path and '
    + 'on the golden\'s published hashes, and no path of it matches a live env\'s credential or the promote credential; the '
    + 'sandbox is a golden sandbox of the same app on no live tier; and exactly one JWT role, `<app>-rehearse` of a tier '
    + 'platform stack, holds the policy, bound with string matching to this repository (name and id), the sandbox tier\'s '
    + 'environment, `ref: refs/heads/main`, `event_name: workflow_dispatch` and the data-promote workflow at main. The rule '
    + 'logs it in, as Vault would, with hostile runs\' tokens (the replay job in prod, a pull request, another branch, a '
    + 'push, another workflow, another repository id): each must be refused.',
  fix: 'Let tierkit write the rehearse policy and role (constructs/synth/terraform-platform.ts); never give them another path, environment or policy.',
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    for (const env of g.envs) {
      if (!env.promote) continue;
      const source = { file: 'manifest.json', pointer: `/appEnvironments/${g.manifest.appEnvironments.indexOf(env)}/promote/rehearse`, constructPath: env.constructPath };
      for (const m of judgeEnv(g, env)) out.push({ env, source, message: `rehearse identity of ${env.app}: ${m}` });
    }
    return out;
  },
};
