/**
 * The network contract of an app-environment, read from the manifest: which destinations beyond
 * its tier's allow list its pods may reach, and on which port. TK011 judges NetworkPolicies with it
 * and the diff decides with it which new egress is the template — one definition for both.
 */
import type { Manifest, ManifestAppEnvironment } from '../../contract/manifest';

export interface PlatformEndpoint {
  /** For messages: `its Postgres server prod-pg`, `Vault`, `the Kubernetes API (reset and TTL-sweep Job pods)`. */
  readonly what: string;
  readonly cidr: string;
  readonly port: number;
}

/**
 * The env's own Postgres server, Vault, and — only for reset and TTL-sweep Job pods — the Kubernetes API, as the
 * manifest declares them (`servers[].cidr`, `estate.network`). Nothing for a namespace of no env.
 */
export function platformEndpoints(manifest: Manifest, env: ManifestAppEnvironment | undefined, resetPods: boolean): PlatformEndpoint[] {
  if (!env) return [];
  const server = manifest.servers.find((s) => s.id === env.server);
  const network = manifest.estate.network ?? {};
  return [
    ...(server?.cidr ? [{ what: `its Postgres server ${server.id}`, cidr: server.cidr, port: server.port }] : []),
    ...(network.vault ? [{ what: 'Vault', ...network.vault }] : []),
    ...(network.kubernetesApi && resetPods ? [{ what: 'the Kubernetes API (reset and TTL-sweep Job pods)', ...network.kubernetesApi }] : []),
  ];
}

export { cidrWithin } from '../../constructs/cidr';

export interface NetworkPolicyPort {
  readonly protocol?: unknown;
  readonly port?: unknown;
  readonly endPort?: unknown;
}

/** Every port of an egress rule is TCP `port` (a rule without ports opens every port). */
export function onlyPort(ports: readonly NetworkPolicyPort[] | undefined, port: number): boolean {
  const list = ports ?? [];
  return list.length > 0 && list.every((p) => (p.protocol ?? 'TCP') === 'TCP' && Number(p.port) === port && p.endPort === undefined);
}
