import { CI_MAIN_REF, DATA_PROMOTE_WORKFLOW_FILE } from '../../constructs/naming';
import { promoteClaims } from '../../contract/ci-names';
import type { Env, EstateGraph } from '../graph/types';
import { matches } from '../graph/vault-paths';
import { RunShape, githubToken } from './support/github-tokens';
import { Rule, RuleFinding } from './support/rule';
import { bindingOf, loginRefusal } from './support/vault-claims';

/** Capabilities that, on a creds path, mint a credential (everything but deny and list). */
const MINTS = (caps: readonly string[]) => caps.some((c) => c !== 'deny' && c !== 'list');

/** The one run that may read the promote credential: the replay job of the data-promote workflow at main, dispatched by hand in prod. */
function replayRun(repository: string, repositoryId: string, environment: string): RunShape {
  return { repository, repositoryId, environment, event: 'workflow_dispatch', ref: CI_MAIN_REF, workflow: DATA_PROMOTE_WORKFLOW_FILE };
}

/** Runs the promote role must refuse, each in the prod environment (the worst case: it got past the environment's branch rule). */
function hostileRuns(repository: string, repositoryId: string, environment: string): { what: string; run: RunShape }[] {
  const own = replayRun(repository, repositoryId, environment);
  return [
    { what: 'a pull request run naming the prod environment', run: { ...own, event: 'pull_request', ref: 'refs/pull/7/merge' } },
    { what: 'a dispatch of the data-promote workflow on another branch', run: { ...own, ref: 'refs/heads/feature' } },
    { what: 'a push to main (the apply workflow)', run: { ...own, event: 'push', workflow: 'tierkit-apply.yml' } },
    { what: 'another workflow dispatched on main', run: { ...own, workflow: 'release.yml' } },
    { what: 'the data-promote workflow in another environment (the rehearsal\'s)', run: { ...own, environment: 'dev' } },
    { what: 'a repository re-created under the same name', run: { ...own, repositoryId: `${repositoryId}0` } },
  ];
}

function judgeEnv(g: EstateGraph, env: Env): string[] {
  const promote = env.promote!;
  const ci = g.manifest.estate.ci;
  const v = g.manifest.estate.vault;
  const creds = `${v.databaseMount}/creds/${promote.name}`;
  const problems: string[] = [];
  if (promote.credsPath !== creds) problems.push(`the manifest names creds path "${promote.credsPath}", not "${creds}"`);
  if (promote.workflow !== DATA_PROMOTE_WORKFLOW_FILE) problems.push(`the manifest names workflow "${promote.workflow}", not tierkit's "${DATA_PROMOTE_WORKFLOW_FILE}"`);
  // 1. Which policies mint it: exactly the promote policy of prod's own stack.
  const readers = g.vaultPolicies.filter((p) => p.rules.some((r) => MINTS(r.capabilities) && matches(r.path, creds)));
  // CI identities (the promote one included) are declared by a tier platform stack, applied by platform-admin only.
  const platform = (s: { manifest?: { kind?: string } }) => s.manifest?.kind === 'tier-platform';
  for (const p of readers) {
    if (p.name !== promote.name || !platform(p.stack)) problems.push(`Vault policy "${p.name}" (stack ${p.stack.name}) can read ${creds}: only the promote policy "${promote.name}" of a tier platform stack may`);
  }
  const own = g.vaultPolicies.filter((p) => p.name === promote.name);
  for (const p of own) {
    const exact = p.rules.length === 1 && p.rules[0].path === creds && p.rules[0].capabilities.length === 1 && p.rules[0].capabilities[0] === 'read';
    if (!exact) problems.push(`Vault policy "${p.name}" grants ${JSON.stringify(p.rules.map((r) => ({ path: r.written ?? r.path, capabilities: r.capabilities })))}: exactly read on ${creds}`);
  }
  // 2. Who holds those policies: the replay job's JWT role only, bound to exactly that run.
  const names = new Set([promote.name, ...readers.map((p) => p.name)]);
  const [owner] = ci.repository.split('/');
  const audience = `https://github.com/${owner}`;
  const want = promoteClaims(ci.repository, ci.repositoryId ?? '(ci.repositoryId)', env.tier);
  for (const r of g.authRoles) {
    const held = r.policies.filter((p) => names.has(p));
    if (held.length === 0) continue;
    const who = `${r.kind} auth role "auth/${r.backend}/role/${r.name}"`;
    if (r.kind !== 'jwt') { problems.push(`${who} hands out ${held.join(', ')}: pods, sandboxes and jobs in the cluster never hold the promote credential`); continue; }
    if (r.name !== promote.name || r.backend !== v.jwtAuthPath || !platform(r.stack)) {
      problems.push(`${who} (stack ${r.stack.name}) hands out ${held.join(', ')}: only "auth/${v.jwtAuthPath}/role/${promote.name}" of a tier platform stack may`);
    }
    if (r.policies.length !== 1) problems.push(`${who} hands out ${JSON.stringify(r.policies)}: the promote role hands out its policy alone`);
    const b = bindingOf(r.attributes ?? { bound_claims: r.boundClaims });
    if (b.roleType !== 'jwt') problems.push(`${who} is role_type "${b.roleType}", not "jwt"`);
    if (b.boundClaimsType !== 'string') problems.push(`${who} matches bound claims as "${b.boundClaimsType}": use "string"`);
    if (b.boundAudiences.length === 0 || b.boundAudiences.some((a) => a !== audience)) problems.push(`${who} binds audiences ${JSON.stringify(b.boundAudiences)}, not exactly ["${audience}"]`);
    for (const [claim, value] of Object.entries(want)) {
      const got = b.boundClaims[claim];
      if (!got) problems.push(`${who} binds no ${claim} claim (want "${value}")`);
      else if (got.length !== 1 || got[0] !== value) problems.push(`${who} binds ${claim} ${JSON.stringify(got)}, not exactly "${value}"`);
    }
    if (ci.repositoryId) {
      for (const h of hostileRuns(ci.repository, ci.repositoryId, env.tier)) {
        if (loginRefusal(b, githubToken(h.run)) === undefined) problems.push(`${who} admits the token of ${h.what}`);
      }
      const refused = loginRefusal(b, githubToken(replayRun(ci.repository, ci.repositoryId, env.tier)));
      if (refused !== undefined) problems.push(`${who} refuses the replay job's own token (${refused}): the promote would fail`);
    } else {
      problems.push(`${who} cannot be judged: the manifest declares no ci.repositoryId`);
    }
  }
  return problems;
}

export const rule: Rule = {
  id: 'TK161',
  name: 'promote-credential-readers',
  severity: 'error',
  title: "Only the data-promote replay job (prod environment, the workflow at main, dispatched by hand) can read an app's promote credential",
  explanation:
    'The promote credential writes prod data. ADR-0003 keeps it out of every standing credential: no pod, sandbox, '
    + 'reset or lower tier may obtain it, only the human-approved replay. So exactly one Vault policy may read '
    + '`<mount>/creds/<app>-promote` (matched as Vault matches globs and `+`), that policy grants nothing else, and it is '
    + 'held by exactly one JWT role bound with string matching to this repository (name and id), the prod environment '
    + '(whose reviewers approve), `ref: refs/heads/main`, `event_name: workflow_dispatch` and the data-promote workflow at '
    + 'main. The rule logs the role in, as Vault would, with hostile runs\' tokens (a pull request, another branch, a push, '
    + 'another workflow, another environment, another repository id): each must be refused.',
  fix: 'Let tierkit write the promote policy and role (constructs/promote-credential.ts); remove any other policy or role that reaches the promote creds path.',
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    for (const env of g.envs) {
      if (!env.promote) continue;
      const source = { file: 'manifest.json', pointer: `/appEnvironments/${g.manifest.appEnvironments.indexOf(env)}/promote`, constructPath: env.constructPath };
      for (const m of judgeEnv(g, env)) out.push({ env, source, message: `promote credential of ${env.app}: ${m}` });
    }
    return out;
  },
};
