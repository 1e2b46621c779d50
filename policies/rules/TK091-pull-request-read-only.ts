import { PLATFORM_ADMIN_ENVIRONMENT, planEnvironmentName } from '../../constructs/naming';
import { groupBy } from '../graph/group';
import { EstateGraph } from '../graph/types';
import { githubToken } from './support/github-tokens';
import { Rule, RuleFinding } from './support/rule';
import { bindingOf, loginRefusal } from './support/vault-claims';

/** Capabilities that change nothing. */
const READ_ONLY = new Set(['read', 'list', 'deny']);

export const rule: Rule = {
  id: 'TK091',
  name: 'pull-request-read-only',
  severity: 'error',
  title: 'A pull request run can only ever obtain read-only Vault policies',
  explanation:
    "A pull request run executes the PR's own code: its workflow file, install scripts, CLI and Terraform. Whatever "
    + 'Vault role such a token can log into, the PR author holds. The rule logs every role of the CI JWT backend in, as '
    + 'Vault would, with the tokens a pull request run can carry (no environment, each `<tier>-plan` environment, each '
    + 'tier environment, `platform-admin`), and requires every policy an admitted role hands out to grant only read or '
    + 'list — planners refresh, they never write. A policy the dist does not declare cannot be judged and is a finding.',
  fix: 'Bind write-capable roles to `event_name: push` and `ref: refs/heads/main` (appliers), and keep planner policies to read/list.',
  suppressible: false,
  evaluate(g: EstateGraph) {
    const out: RuleFinding[] = [];
    const ci = g.manifest.estate.ci;
    const environments = [undefined, PLATFORM_ADMIN_ENVIRONMENT, ...[...g.tiers.keys()].flatMap((t) => [t, planEnvironmentName(t)])];
    // Every policy of a name: Vault keeps one per name, whichever Terraform wrote last, so a
    // write-capable twin before the read-only one must be judged too (a Map would keep the last).
    const policies = groupBy(g.vaultPolicies, (p) => p.name);
    for (const r of g.authRoles) {
      if (r.kind !== 'jwt' || r.backend !== g.manifest.estate.vault.jwtAuthPath) continue;
      const b = bindingOf(r.attributes ?? { bound_claims: r.boundClaims });
      const admitted = environments.filter((environment) => loginRefusal(b, githubToken({
        repository: ci.repository, repositoryId: ci.repositoryId, event: 'pull_request', ref: 'refs/pull/1/merge',
        workflow: 'tierkit-pr.yml', environment,
      })) === undefined);
      if (admitted.length === 0) continue;
      const as = `jwt auth role "auth/${r.backend}/role/${r.name}" admits a pull request run's token (${admitted.map((e) => e ?? 'no environment').join(', ')})`;
      for (const name of r.policies) {
        if (name === 'default') continue;
        const found = policies.get(name) ?? [];
        if (found.length === 0) {
          out.push({ env: r.stack.env, source: r.source, message: `${as} and hands out policy "${name}", which the dist does not declare: it cannot be judged read-only` });
          continue;
        }
        for (const p of found) {
          const which = found.length > 1 ? ` (declared ${found.length} times; ${p.source.file}#${p.source.pointer})` : '';
          if (p.parseError) {
            out.push({ env: r.stack.env, source: r.source, message: `${as} and hands out policy "${name}"${which}, which does not parse (${p.parseError}): it cannot be judged read-only` });
            continue;
          }
          for (const rule of p.rules) {
            const writes = rule.capabilities.filter((c) => !READ_ONLY.has(c));
            if (writes.length > 0) {
              out.push({ env: r.stack.env, source: r.source, message: `${as} and hands out policy "${name}"${which}, which grants [${writes.join(', ')}] on "${rule.written ?? rule.path}"` });
            }
          }
        }
      }
    }
    return out;
  },
};
