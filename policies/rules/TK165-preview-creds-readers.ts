import { overlapWitness } from '../graph/vault-paths';
import { previewNames } from './support/previews';
import { renderedWorkloadPolicies } from './support/preview-workload';
import { Rule, RuleFinding } from './support/rule';

export const rule: Rule = {
  id: 'TK165',
  name: 'preview-creds-readers',
  severity: 'error',
  title: 'Only the preview workload policy tierkit renders reaches an app\'s preview credentials `<db>/creds/<app>-pr-*`',
  explanation:
    'Each preview\'s database credential is a Vault role `<app>-pr-<n>` written by the PreSync Job. tierkit\'s templated '
    + 'workload policy lets a pod read only the creds named after its own namespace. Any other policy reaching '
    + '`<db>/creds/<app>-pr-*` — a glob, a `+`, a literal PR number — hands one PR\'s database (and what its code wrote '
    + 'there) to another identity, or lets one preview read another\'s; a policy tierkit cannot read may do the same.',
  fix: 'Remove the path from the policy; a preview\'s workload reads its own credential through `<app>-pr-workload`, which tierkit writes.',
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    const db = g.manifest.estate.vault.databaseMount;
    const rendered = renderedWorkloadPolicies(g);
    const apps = [...new Set(g.envs.filter((e) => e.previews !== undefined && e.previews !== null && typeof e.app === 'string').map((e) => e.app))].sort();
    if (apps.length === 0) return out;
    for (const p of g.vaultPolicies) {
      if (rendered.has(p)) continue;
      if (p.parseError !== undefined) {
        out.push({ env: p.stack.env, source: p.source, message: `Vault policy "${p.name}" of stack ${p.stack.name} cannot be read (${p.parseError}): it may read any preview's credential (${apps.map((a) => `"${db}/creds/${previewNames(a).rolePattern}"`).join(', ')})` });
        continue;
      }
      for (const app of apps) {
        const creds = `${db}/creds/${previewNames(app).rolePattern}`;
        for (const r of p.rules) {
          if (!r.capabilities.some((c) => c !== 'deny')) continue;
          const hit = overlapWitness(r.path, creds);
          if (hit !== undefined) {
            out.push({ env: p.stack.env, source: p.source, message: `Vault policy "${p.name}" of stack ${p.stack.name} grants [${r.capabilities.join(', ')}] on "${r.written ?? r.path}", which reaches "${hit}", a credential of app ${app}'s previews; only each preview's own workload reads it` });
          }
        }
      }
    }
    return out;
  },
};
