/**
 * Namespaces no app-environment may own (issue 21, attack7). An env's namespace is `<app>-<env>`
 * and its Application applies there a Namespace, a default-deny NetworkPolicy (podSelector {}),
 * a ResourceQuota and a LimitRange: owning the cluster's DNS, ingress or Argo CD namespace cuts
 * every tier off, and owning `tierkit-previews` lends the preview Jobs' Vault login. Validation
 * (constructs/validation.ts) and check (TK177) read this one list.
 */

/**
 * The cluster's own namespaces, DNS's (the NetworkPolicies' DNS peer), and the defaults of the ingress
 * controller's and Argo CD's: reserved even when the estate names others, so a hand-edited manifest
 * that moves `estate.argocd.namespace` frees none of them.
 */
export const RESERVED_NAMESPACES: readonly string[] = ['argocd', 'default', 'ingress-nginx', 'kube-node-lease', 'kube-public', 'kube-system'];

/** Kubernetes reserves `kube-*`; tierkit's own namespaces (the preview Jobs') are `tierkit-*`. */
export const RESERVED_NAMESPACE_PREFIXES: readonly string[] = ['kube-', 'tierkit-'];

/** The namespaces the estate itself names: Argo CD's (manifest `estate.argocd.namespace`) and the peers its NetworkPolicies name. */
export interface EstateNamespaces {
  readonly argocd?: string;
  /** The ingress controller's and DNS's namespaces, as the estate (or its NetworkPolicies) names them. */
  readonly peers?: readonly string[];
}

/** Why `namespace` is reserved, or undefined when an env may own it. */
export function namespaceReservation(namespace: string, estate: EstateNamespaces = {}): string | undefined {
  if (estate.argocd !== undefined && namespace === estate.argocd) return "Argo CD's namespace";
  if (estate.peers?.includes(namespace)) return 'a namespace the NetworkPolicies name as the ingress controller\'s or DNS\'s';
  if (RESERVED_NAMESPACES.includes(namespace)) return "a namespace of the cluster itself (Kubernetes', its DNS's, or by default its ingress controller's or Argo CD's)";
  const prefix = RESERVED_NAMESPACE_PREFIXES.find((p) => namespace.startsWith(p));
  if (prefix !== undefined) return `reserved (${prefix}* belongs to ${prefix === 'kube-' ? 'Kubernetes' : "tierkit's own Jobs, e.g. the preview Jobs' tierkit-previews"})`;
  return undefined;
}
