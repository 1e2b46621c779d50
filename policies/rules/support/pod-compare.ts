/**
 * Comparing a lifecycle pod whole with what tierkit renders (constructs/lifecycle/jobs.ts,
 * producers.ts): its Vault agent annotations, its pod-level keys, every container of every list,
 * and its emptyDirs. Used by lifecycle-pods.ts and reset-steps.ts (TK133, TK135, TK138, TK184).
 */
import { POD_PG_CA_FILE } from '../../../contract/pg-ca';
import { LIFECYCLE_PATHS as P } from '../../../constructs/lifecycle/scripts';
import { POSTGRES_CLIENT, imageReference } from '../../../constructs/lifecycle/images';
import type { EstateGraph } from '../../graph/types';
import type { FoundTemplate } from './pod-templates';
import { sameCommand } from './pod-command';

const A = 'vault.hashicorp.com/';
/** The agent's resources and token volume (synth/pod-security.ts): values judged by the pod-security rules. */
const AGENT_RUNTIME = ['agent-limits-cpu', 'agent-limits-mem', 'agent-requests-cpu', 'agent-requests-mem', 'agent-service-account-token-volume-name'];
/** Keys a lifecycle container may carry; any other (envFrom, args, workingDir, lifecycle…) changes what the script does. */
const CONTAINER_KEYS = new Set(['name', 'image', 'command', 'env', 'volumeMounts', 'securityContext', 'resources']);
/**
 * Keys a lifecycle pod spec may carry (lifecycle/jobs.ts cronJob, producers.ts); their values are
 * judged by the pod-security rules (TK051, TK055) and the lists below. Any other key changes where
 * the scripts connect or what they share: hostAliases and dnsConfig re-point the server's name (a
 * `require` connection does not verify the certificate), host namespaces, shareProcessNamespace,
 * another runtime or node, a readiness gate, ephemeral containers.
 */
const POD_KEYS = new Set(['serviceAccountName', 'automountServiceAccountToken', 'securityContext', 'nodeSelector', 'tolerations', 'restartPolicy', 'initContainers', 'containers', 'volumes']);
/** tierkit writes no dnsPolicy; Kubernetes' default is ClusterFirst (the cluster's DNS), so that value alone is the same pod. */
const DEFAULT_DNS_POLICY = 'ClusterFirst';
const LISTS = ['initContainers', 'containers', 'ephemeralContainers'] as const;

export interface Expected {
  readonly name: string;
  /** tierkit's pinned image (constructs/lifecycle/images.ts): the image is what runs the script. */
  readonly image: string;
  readonly command: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly mounts: readonly { name: string; mountPath: string; readOnly?: true }[];
}

export type Env = NonNullable<ReturnType<EstateGraph['index']['byNamespace']['get']>>;

export function pgEnv(g: EstateGraph, env: Env): { vars: Record<string, string>; image: string } | undefined {
  const server = (g.manifest.servers ?? []).find((s: any) => s.id === env.server) as any;
  const pinned = server ? POSTGRES_CLIENT[server.majorVersion] : undefined;
  if (!pinned) return undefined;
  return { image: imageReference(pinned), vars: {
    PGDATABASE: env.names.database, PGHOST: server.host, PGPORT: String(server.port), PGSSLMODE: server.sslMode,
    TIERKIT_CREDENTIALS_FILE: P.credentialsFile, TIERKIT_OBJECT_PREFIX: env.objectPrefix,
    // The CA libpq verifies the server with: exactly the manifest's (TK061 holds it to its recorded hash).
    ...(server.sslMode === 'verify-full' && typeof server.caCertificatePem === 'string'
      ? { PGSSLROOTCERT: POD_PG_CA_FILE, TIERKIT_PG_CA_BASE64: Buffer.from(server.caCertificatePem, 'utf8').toString('base64') } : {}),
  } };
}

function vaultProblems(ann: Record<string, unknown>, expected: Record<string, string>, optional: Record<string, string>): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(ann)) {
    if (!key.startsWith(A)) continue;
    const k = key.slice(A.length);
    const want = expected[k] ?? optional[k];
    if (want !== undefined ? value !== want : !(AGENT_RUNTIME.includes(k) && typeof value === 'string')) {
      out.push(want !== undefined ? `annotation ${key} is not the one tierkit renders` : `annotation ${key} is not one tierkit renders (it changes what the Vault agent renders where)`);
    }
  }
  for (const k of Object.keys(expected)) if (!(`${A}${k}` in ann)) out.push(`annotation ${A}${k} is missing`);
  return out;
}

function containerProblems(c: any, e: Expected): string[] {
  const out: string[] = [];
  const extra = Object.keys(c ?? {}).filter((k) => !CONTAINER_KEYS.has(k)).sort();
  if (extra.length > 0) out.push(`container "${e.name}" carries ${extra.join(', ')}`);
  if (!sameCommand(c?.command, e.command)) out.push(`container "${e.name}" does not run tierkit's script`);
  if (c?.image !== e.image) out.push(`container "${e.name}" runs image ${JSON.stringify(c?.image ?? null)}, not tierkit's ${JSON.stringify(e.image)}`);
  const env: any[] = Array.isArray(c?.env) ? c.env : [];
  const want = Object.keys(e.env).sort();
  // How often each name is set, counted once (the names wanted are strings: a Map matches them as `===` does).
  const counts = new Map<unknown, number>();
  for (const v of env) counts.set(v?.name, (counts.get(v?.name) ?? 0) + 1);
  for (const v of env) {
    if (e.env[v?.name] === undefined) out.push(`container "${e.name}" sets ${JSON.stringify(v?.name)}, which tierkit does not render`);
    else if (Object.keys(v).some((k) => k !== 'name' && k !== 'value') || v.value !== e.env[v.name]) out.push(`container "${e.name}" sets ${v.name} to ${JSON.stringify(v.value ?? v.valueFrom ?? null)}, not ${JSON.stringify(e.env[v.name])}`);
  }
  for (const n of want) if (counts.get(n) !== 1) out.push(`container "${e.name}" does not set ${n} exactly once`);
  const mounts: any[] = Array.isArray(c?.volumeMounts) ? c.volumeMounts : [];
  const norm = (m: any) => JSON.stringify(Object.keys(m ?? {}).sort().map((k) => [k, m[k]]));
  const wantMounts = e.mounts.map(norm).sort();
  if (JSON.stringify(mounts.map(norm).sort()) !== JSON.stringify(wantMounts)) out.push(`container "${e.name}" mounts ${JSON.stringify(mounts)}, not ${JSON.stringify(e.mounts)}`);
  return out;
}

/** The pod spec's keys beyond those tierkit writes (and a dnsPolicy other than the default it leaves). */
export function podKeyProblems(spec: Record<string, unknown>): string[] {
  const extra = Object.keys(spec).filter((k) => !POD_KEYS.has(k) && !(k === 'dnsPolicy' && spec[k] === DEFAULT_DNS_POLICY)).sort();
  return extra.length === 0 ? [] : [`its pod spec sets ${extra.map((k) => `${k} ${JSON.stringify(spec[k])}`).join(', ')}, which tierkit does not write (they change where its scripts connect or what they share)`];
}

/**
 * What differs between pod `t` and tierkit's: the Vault annotations (`expected` present and equal,
 * `optional` equal if present), the pod keys, each container list (every container compared whole),
 * and the pod's own emptyDirs.
 */
export function podProblems(t: FoundTemplate, ann: Record<string, unknown>, expected: Record<string, string>, optional: Record<string, string>,
  containers: Record<string, readonly Expected[]>, emptyDirs: readonly string[]): string[] {
  const spec = t.template.spec ?? {};
  const out = vaultProblems(ann, expected, optional);
  out.push(...podKeyProblems(spec));
  for (const list of LISTS) {
    const got: any[] = Array.isArray(spec[list]) ? spec[list] : [];
    const want = containers[list] ?? [];
    const names = want.map((x) => x.name);
    if (JSON.stringify(got.map((c) => c?.name)) !== JSON.stringify(names)) {
      out.push(`its ${list} are ${JSON.stringify(got.map((c) => c?.name))}, not ${JSON.stringify(names)}`);
      continue;
    }
    want.forEach((w, i) => out.push(...containerProblems(got[i], w)));
  }
  const volumes: any[] = Array.isArray(spec.volumes) ? spec.volumes : [];
  for (const name of emptyDirs) {
    const v = volumes.filter((x) => x?.name === name);
    if (v.length !== 1 || Object.keys(v[0]).some((k) => k !== 'name' && k !== 'emptyDir')) out.push(`volume "${name}" is not one emptyDir of the pod`);
  }
  return out;
}

/** Deep equality of two JSON values, key order aside. */
export function same(a: unknown, b: unknown): boolean {
  const norm = (x: any): unknown => (Array.isArray(x) ? x.map(norm) : x && typeof x === 'object'
    ? Object.keys(x).sort().map((k) => [k, norm(x[k])]) : x);
  return JSON.stringify(norm(a)) === JSON.stringify(norm(b));
}
