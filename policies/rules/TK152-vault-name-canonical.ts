import { compareStrings } from '../../contract/order';
import { Rule, RuleFinding } from './support/rule';
import { BUILTIN_POLICIES, KIND_LABEL, VaultNameUse, nameProblem, vaultKey, vaultNameUses } from './support/vault-names';

export const rule: Rule = {
  id: 'TK152',
  name: 'vault-name-canonical',
  severity: 'error',
  title: 'Every Vault policy and auth role name is already in the form Vault stores it (lowercase, trimmed, only letters, digits, _ . -), and no two objects share one',
  explanation:
    'Vault lowercases and trims ACL policy names (vault/policy_store.go sanitizeName), the policies an auth role hands out '
    + '(sdk/helper/policyutil SanitizePolicies at login), Kubernetes auth role names (vault-plugin-auth-kubernetes stores '
    + 'role/ + strings.ToLower(name)) and JWT auth role names (vault-plugin-auth-jwt: framework.TypeLowerCaseString). '
    + 'The rules compare names as written, so a `vault_policy` "ERP-SANDBOX" in prod\'s stack passes as prod\'s own policy '
    + 'while Vault writes it over the dev sandbox\'s "erp-sandbox" (its pods then read prod\'s credentials), and a dev stack\'s '
    + 'role "ERP" rewrites prod\'s auth/kubernetes/role/erp. A name not already canonical, or two objects Vault files under '
    + 'one key, is an error no suppression accepts. Database secrets roles and connections are case-sensitive in Vault '
    + '(framework.TypeString): only their duplicates and unreadable names are refused. A character outside Vault\'s name '
    + 'pattern (framework.GenericNameRegex: letters, digits, _ . -) or outside ASCII (Go\'s Unicode lowercasing and trimming '
    + 'differ from JavaScript\'s) is refused rather than modelled. Vault\'s built-in policies (default, root, '
    + 'response-wrapping, control-group: vault/policy_store.go) are no stack\'s to declare: `default` is attached to every '
    + 'token, prod\'s included, and `vault_policy` overwrites it in place.',
  fix: 'Write the name exactly as Vault stores it (lowercase; letters, digits, _ . - only) — tierkit\'s names '
    + '(constructs/naming.ts) already are — and give each Vault object its own name.',
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    const stacks = new Map(g.stacks.map((s) => [s.name, s]));
    const at = (u: VaultNameUse) => {
      const s = stacks.get(u.resource.stack);
      const r = u.resource;
      return {
        env: s?.env,
        source: { file: r.file, pointer: `${r.pointer}/${u.attribute}`, resourcePath: r.constructPath, constructPath: s?.env?.constructPath ?? s?.manifest?.constructPath },
      };
    };
    const uses = vaultNameUses(g);
    for (const u of uses) {
      // Vault's built-in policies (support/vault-names.ts): `default` rides on every token, prod's included.
      if (u.kind === 'policy' && u.declares && typeof u.value === 'string' && !/[^ -~]/.test(u.value) && BUILTIN_POLICIES.includes(vaultKey('policy', u.value))) {
        out.push({
          ...at(u),
          message: `${u.resource.address} in stack ${u.resource.stack}: name ${JSON.stringify(u.value)} is Vault's built-in "${vaultKey('policy', u.value)}" policy${vaultKey('policy', u.value) === 'default' ? ', attached to every token Vault issues (every tier\'s, prod\'s included): writing it rewrites what all of them may do' : ', which Vault keeps for itself'}`,
          fix: 'give the policy a name of its own (constructs/naming.ts), and leave Vault\'s built-in policies to Vault',
        });
      }
      const why = nameProblem(u.kind, u.value);
      if (why === undefined) continue;
      const shown = typeof u.value === 'string' ? JSON.stringify(u.value) : '(not a string)';
      const canonical = typeof u.value === 'string' && !/[^ -~]/.test(u.value) ? vaultKey(u.kind, u.value) : undefined;
      out.push({
        ...at(u),
        message: `${u.resource.address} in stack ${u.resource.stack}: ${u.attribute.replace(/\//g, '.')} ${shown} (a ${KIND_LABEL[u.kind]}) ${why}`,
        fix: canonical && canonical !== '' && canonical !== u.value ? `write ${u.attribute.replace(/\//g, '.')} = ${JSON.stringify(canonical)} (and make sure that name is this stack's own)` : undefined,
      });
    }
    // Defense in depth: two declarations Vault files under one key overwrite each other, whichever applies last.
    const byKey = new Map<string, VaultNameUse[]>();
    for (const u of uses) {
      if (!u.declares || typeof u.value !== 'string') continue;
      const key = `${u.kind}\u0000${u.mount}\u0000${vaultKey(u.kind, u.value)}`;
      byKey.set(key, [...(byKey.get(key) ?? []), u]);
    }
    for (const [key, group] of [...byKey].sort(([a], [b]) => compareStrings(a, b))) {
      if (group.length < 2) continue;
      const name = key.split('\u0000')[2];
      const where = (u: VaultNameUse) => `${u.resource.address} (stack ${u.resource.stack}, ${JSON.stringify(u.value)})`;
      for (const u of group) {
        const others = group.filter((x) => x !== u).map(where);
        out.push({
          ...at(u),
          message: `${where(u)} and ${others.join(', ')} are one ${KIND_LABEL[u.kind]} in Vault, "${group[0].mount ? `${group[0].mount}/` : ''}${name}": each apply overwrites the other`,
        });
      }
    }
    return out;
  },
};
