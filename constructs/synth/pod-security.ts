/**
 * What every pod template tierkit writes carries to pass Pod Security "restricted"
 * (https://kubernetes.io/docs/concepts/security/pod-security-standards/) and to hold its share of
 * a node: pod-level seccomp RuntimeDefault (the injected Vault agent sets no seccomp profile of
 * its own, so the pod's must cover it), non-root with an explicit UID, no privilege escalation,
 * every capability dropped, a read-only root with writable paths as size-capped emptyDirs, and
 * requests/limits on every container, the injected agent's included.
 */
import * as k8s from 'cdk8s-plus-32/lib/imports/k8s';
import { ContainerResources, VAULT_AGENT_RESOURCES, resourceQuantities, tierResources } from '../runtime';
import type { AppEnvironment } from '../app-environment';
import { Tier } from '../tier';

/** Replicas of an env's Deployment; the reset Job scales back to this. */
export const REPLICAS = 1;

/** The app container's resources before prod's Guaranteed raise: the app's own, else its tier's. */
export function workloadResources(env: AppEnvironment): ContainerResources {
  return env.app.resources ?? env.estate.tier(env.tier).workloadResources;
}

/** The Pod Security Standards version the namespaces pin (the Kubernetes API these manifests target). */
export const POD_SECURITY_VERSION = 'v1.32';

/** Namespace labels: enforce, audit and warn the restricted profile at a pinned version. */
export function podSecurityLabels(): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const mode of ['enforce', 'audit', 'warn']) {
    labels[`pod-security.kubernetes.io/${mode}`] = 'restricted';
    labels[`pod-security.kubernetes.io/${mode}-version`] = POD_SECURITY_VERSION;
  }
  return labels;
}

/** Pod-level: seccomp for every container (the injected agent's too), non-root, one UID/GID. */
export function podSecurityContext(uid: number): k8s.PodSecurityContext {
  return { runAsNonRoot: true, runAsUser: uid, runAsGroup: uid, fsGroup: uid, seccompProfile: { type: 'RuntimeDefault' } };
}

export function containerSecurityContext(uid: number): k8s.SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
    privileged: false,
    readOnlyRootFilesystem: true,
    runAsGroup: uid,
    runAsNonRoot: true,
    runAsUser: uid,
  };
}

export function containerResources(tier: Tier, r: ContainerResources): k8s.ResourceRequirements {
  const q = resourceQuantities(tierResources(tier, r));
  return {
    requests: { cpu: k8s.Quantity.fromString(q.requests.cpu), memory: k8s.Quantity.fromString(q.requests.memory) },
    limits: { cpu: k8s.Quantity.fromString(q.limits.cpu), memory: k8s.Quantity.fromString(q.limits.memory) },
  };
}

/** The writable scratch directory of a read-only-root container: capped so no pod fills the node's disk. */
export const TMP_SIZE_LIMIT = '256Mi';
export function tmpVolume(): k8s.Volume {
  return { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString(TMP_SIZE_LIMIT) } };
}

/** The projected token only the Vault agent mounts (vault-k8s `agent-service-account-token-volume-name`). */
export const VAULT_TOKEN_VOLUME = 'vault-token';
export const VAULT_TOKEN_AUDIENCE = 'vault';
/** The shortest expiry the kubelet accepts; it refreshes the token at 80% of it. */
const VAULT_TOKEN_EXPIRATION_SECONDS = 600;

export function vaultTokenVolume(): k8s.Volume {
  return {
    name: VAULT_TOKEN_VOLUME,
    projected: { sources: [{ serviceAccountToken: { audience: VAULT_TOKEN_AUDIENCE, expirationSeconds: VAULT_TOKEN_EXPIRATION_SECONDS, path: 'token' } }] },
  };
}

/**
 * Annotations that make the injector mount the audience-bound token (not the API token, which the
 * pod no longer automounts) and size its agent: Guaranteed on prod like every other prod container.
 */
export function vaultAgentRuntimeAnnotations(tier: Tier): Record<string, string> {
  const q = resourceQuantities(tierResources(tier, VAULT_AGENT_RESOURCES));
  return {
    'vault.hashicorp.com/agent-limits-cpu': q.limits.cpu,
    'vault.hashicorp.com/agent-limits-mem': q.limits.memory,
    'vault.hashicorp.com/agent-requests-cpu': q.requests.cpu,
    'vault.hashicorp.com/agent-requests-mem': q.requests.memory,
    'vault.hashicorp.com/agent-service-account-token-volume-name': VAULT_TOKEN_VOLUME,
  };
}

/** nodeSelector and tolerations of a tier's pods, when the tier has a node pool of its own. */
export function placement(env: AppEnvironment): Pick<k8s.PodSpec, 'nodeSelector' | 'tolerations'> {
  const pool = env.estate.tier(env.tier).nodePool;
  if (!pool) return {};
  return {
    nodeSelector: { ...pool.nodeSelector },
    ...(pool.taint ? { tolerations: [{ key: pool.taint.key, operator: 'Equal', value: pool.taint.value, effect: pool.taint.effect }] } : {}),
  };
}
