import { EstateGraph } from '../graph/types';
import { Rule, RuleFinding, RuleContext } from './support/rule';

/** `owner/name` a GitHub URL names (https or ssh), lower-cased; undefined for another host. */
function githubRepository(url: string): string | undefined {
  const m = /^(?:https:\/\/github\.com\/|git@github\.com:|ssh:\/\/git@github\.com\/)([^/\s]+\/[^/\s]+?)(?:\.git)?\/?$/.exec(url.trim());
  return m?.[1].toLowerCase();
}

export const rule: Rule = {
  id: 'TK095',
  name: 'argocd-source-repository',
  severity: 'error',
  title: 'Argo CD reads the rendered branch from the repository whose rulesets guard it, or from a declared mirror',
  explanation:
    "The publishers' rulesets (TK094) guard the rendered branch on GitHub, in `ci.repository`. Argo CD syncs every tier "
    + 'from `argocd.repoUrl`: when that is another host, whoever can push there changes every tier\'s pods — prod\'s '
    + 'included — and no ruleset, review or approval of this estate stands in the way. Such a mirror must be declared, '
    + 'with who writes it and what keeps it identical (`ci.argocdMirrorReason`), so reviewers see it; an undeclared one '
    + 'is an error.',
  fix: 'Set `argocd.repoUrl` to `https://github.com/<ci.repository>.git`, or declare the mirror with `ci.argocdMirrorReason`.',
  suppressible: false,
  evaluate(g: EstateGraph, ctx: RuleContext) {
    const out: RuleFinding[] = [];
    const { argocd, ci } = g.manifest.estate;
    const read = githubRepository(argocd.repoUrl);
    if (read === ci.repository.toLowerCase()) return out;
    const source = { file: 'manifest.json', pointer: '/estate/argocd/repoUrl' };
    const reason = (ci.argocdMirrorReason ?? '').trim();
    if (reason) {
      ctx.exempt({ subject: `argocd.repoUrl ${argocd.repoUrl} mirrors ${ci.repository}`, reason, source });
      return out;
    }
    out.push({ source, message: `Argo CD reads the rendered branch from ${argocd.repoUrl}, not from ${ci.repository} on GitHub where the publishers' rulesets guard it: an undeclared mirror, whose writers change every tier's pods` });
    return out;
  },
};
