import { Rule, RuleFinding } from './support/rule';
import { policyOwner } from './support/vault-reach';
import { renderedWorkloadPolicies } from './support/preview-workload';

/**
 * TK070: a Vault policy tierkit cannot read with certainty is an error no suppression accepts. One
 * Vault holds prod, so a policy whose meaning is unknown may reach prod; TK007 and TK014 judge
 * only what this rule lets through (they never see a half-read policy).
 */
export const rule: Rule = {
  id: 'TK070',
  name: 'vault-policy-unreadable',
  severity: 'error',
  title: 'Every Vault policy is in the subset tierkit reads exactly as Vault does',
  explanation:
    'Vault reads policy text in ways a naive parser does not: base64 text is decoded first, JSON `\\u002a` and HCL '
    + 'escapes become globs, repeated keys are unioned, the legacy `policy = "write"` appends capabilities, templates '
    + 'render per request (an empty value widens the path), and a Terraform expression (file(), a variable) is known '
    + 'only at apply time. tierkit accepts `path "<literal>" { capabilities = [...] }` blocks (HCL or JSON, printable '
    + 'ASCII, no escapes), and `data.vault_policy_document` rendered as the provider renders it; anything else could '
    + 'reach any path of the one Vault that holds prod, so it is an error no suppression accepts.',
  fix: 'Write the policy as literal `path "<path>" { capabilities = ["read"] }` blocks (or a vault_policy_document with literal path and capabilities).',
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    const previewWorkload = renderedWorkloadPolicies(g);
    for (const p of g.vaultPolicies) {
      if (p.parseError === undefined) continue;
      // Exactly tierkit's templated preview workload policy: TK166 judges its template.
      if (previewWorkload.has(p)) continue;
      const who = policyOwner(g, p);
      out.push({
        env: who.env, source: { ...p.source, pointer: `${p.source.pointer}/policy` },
        message: `Vault policy "${p.name}" of ${who.label}${p.via ? ` (rendered from ${p.via})` : ''} cannot be read as Vault reads it: ${p.parseError}`,
      });
    }
    return out;
  },
};
