import { EstateGraph } from '../graph/types';
import { Rule, RuleFinding, upwardReach } from './support/rule';
import { isLiveTier } from '../../contract/tiers';

export const rule: Rule = {
  id: 'TK056',
  name: 'vault-auth-audience',
  severity: 'error',
  title: 'Every Vault Kubernetes auth role requires the token audience "vault"',
  explanation:
    'A Kubernetes auth role without an audience accepts any service-account token of its bound accounts, including the API '
    + 'token a pod automounts and hands to every container and to whatever it calls. Requiring audience "vault" accepts only '
    + 'the projected token the Vault agent alone mounts.',
  fix: 'Set audience = "vault" on the vault_kubernetes_auth_backend_role (tierkit writes it; remove the override).',
  suppressible: true,
  evaluate(g: EstateGraph) {
    const out: RuleFinding[] = [];
    for (const r of g.resources) {
      if (r.type !== 'vault_kubernetes_auth_backend_role') continue;
      const audience = r.attributes.audience;
      if (audience === 'vault') continue;
      const env = g.index.byStack.get(r.stack);
      const namespaces = Array.isArray(r.attributes.bound_service_account_namespaces) ? r.attributes.bound_service_account_namespaces as unknown[] : [];
      const tiers = namespaces.map((ns) => g.index.byNamespace.get(String(ns))?.tier);
      const unsuppressible = namespaces.length === 0 || tiers.includes(undefined)
        ? 'its bound namespaces are not all declared environments'
        : tiers.map((t) => upwardReach(g, env?.tier, t!, `namespace of tier ${t}`)).find(Boolean) ?? (tiers.some((t) => isLiveTier(g.tiers, t)) ? 'it logs in pods of prod' : undefined);
      out.push({
        env, unsuppressible, source: { file: r.file, pointer: r.pointer, resourcePath: r.constructPath, constructPath: env?.constructPath },
        message: `${r.address} in stack ${r.stack} (role ${String(r.attributes.role_name)}) accepts tokens of ${audience === undefined || audience === null || audience === '' ? 'any audience' : `audience ${JSON.stringify(audience)}`}`,
      });
    }
    return out;
  },
};
