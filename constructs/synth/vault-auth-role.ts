import { VAULT_TOKEN_AUDIENCE } from './pod-security';
import { ResourceDescription, ref } from './stack-description';

/** Who a Vault Kubernetes auth role admits, and what it issues. */
export interface KubernetesAuthRoleProps {
  /** The auth mount (`naming.kubernetesAuthPath`). */
  readonly backend: string;
  readonly roleName: string;
  /** The service account: a name, or (the previews' workload, one per PR) Vault's glob of names. */
  readonly serviceAccount: string;
  /** Its namespace, or a glob of namespaces (the PR namespaces `<app>-pr-*`). */
  readonly namespace: string;
  /** Ids of `vault_policy` resources of the same stack. */
  readonly policyIds: readonly string[];
  readonly ttl: { readonly defaultSeconds: number; readonly maxSeconds: number };
}

/**
 * A Vault Kubernetes auth role bound to exactly `serviceAccount` in `namespace`, and only to the
 * token projected for Vault (pod-security.ts): a pod's API token is refused. The one shape of every
 * auth role an app-environment stack declares (its env's service accounts, the preview Jobs and
 * workload).
 */
export function kubernetesAuthRole(id: string, p: KubernetesAuthRoleProps): ResourceDescription {
  return {
    type: 'vault_kubernetes_auth_backend_role', id,
    attributes: {
      backend: p.backend,
      role_name: p.roleName,
      bound_service_account_names: [p.serviceAccount],
      bound_service_account_namespaces: [p.namespace],
      audience: VAULT_TOKEN_AUDIENCE,
      token_policies: p.policyIds.map((x) => ref('vault_policy', x)),
      token_ttl: p.ttl.defaultSeconds,
      token_max_ttl: p.ttl.maxSeconds,
    },
  };
}
