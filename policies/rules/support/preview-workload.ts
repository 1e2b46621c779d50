/**
 * The preview workload's Vault login (docs/previews.md, constructs/synth/terraform-previews.ts),
 * derived again from the manifest for TK164–TK166: a Kubernetes auth role `<app>-pr-workload`
 * bound to ServiceAccounts `<app>-preview-pr-*` in namespaces `<app>-pr-*`, whose one policy reads
 * `<db>/creds/{{identity.entity.aliases.<accessor>.metadata.service_account_namespace}}`.
 * The policy is templated, so the reader cannot parse it (TK070); TK070 and TK147 leave it to
 * TK166 only when its text is byte for byte what tierkit renders.
 */
import * as naming from '../../../constructs/naming';
import { renderPolicy } from '../../../constructs/statements';
import type { AuthRole, Env, EstateGraph, PolicyPathRule, VaultPolicy } from '../../graph/types';
import { previewHost } from './previews';

/** Vault names an auth mount `auth_<type>_<8 hex>` (hashicorp/vault vault/mount.go, generateMountAccessor). */
export const KUBERNETES_ACCESSOR = /^auth_kubernetes_[0-9a-f]{8}$/;
/** The agent renews the token; past this it logs in again (terraform-previews.ts writes exactly this). */
export const PREVIEW_WORKLOAD_MAX_TTL_SECONDS = 86400;

export interface ExpectedWorkloadLogin {
  readonly name: string;
  readonly accessor: string;
  readonly credsPath: string;
  readonly policyText: string;
  readonly serviceAccounts: string;
  readonly namespaces: string;
}

/** The accessor the manifest gives for env's previews, as written (undefined: no workload login). */
export function manifestAccessor(env: Env): unknown {
  const p = env.previews as { vaultKubernetesAuthAccessor?: unknown } | undefined | null;
  return p === undefined || p === null ? undefined : p.vaultKubernetesAuthAccessor;
}

/** What tierkit renders for the workload login of env's previews, or undefined when the manifest gives no (valid) accessor. */
export function expectedWorkloadLogin(g: EstateGraph, env: Env): ExpectedWorkloadLogin | undefined {
  const accessor = manifestAccessor(env);
  if (typeof accessor !== 'string' || !KUBERNETES_ACCESSOR.test(accessor)) return undefined;
  const app = env.app;
  const credsPath = naming.previewWorkloadCredsTemplate(g.manifest.estate.vault.databaseMount, accessor);
  return {
    name: naming.previewWorkloadLoginName(app), accessor, credsPath,
    policyText: renderPolicy(`tierkit: preview workloads of ${app}, each its own PR's credential`, [{ path: credsPath, capabilities: ['read'] }]),
    serviceAccounts: `${naming.previewWorkloadName(app)}-pr-*`, namespaces: naming.previewNamespacePattern(app),
  };
}

/** The policy's text as the stack writes it (a string literal), or undefined. */
export function policyText(g: EstateGraph, p: VaultPolicy): string | undefined {
  const found = g.resources.filter((r) => r.stack === p.stack.name && r.type === 'vault_policy' && r.attributes.name === p.name);
  return found.length === 1 && typeof found[0].attributes.policy === 'string' ? found[0].attributes.policy : undefined;
}

const renderedByGraph = new WeakMap<EstateGraph, Set<VaultPolicy>>();

/**
 * The policies that are, byte for byte, a preview workload policy tierkit renders, in the stack
 * that holds the app's previews: the only templated policies check accepts (TK166 judges why).
 */
export function renderedWorkloadPolicies(g: EstateGraph): Set<VaultPolicy> {
  let set = renderedByGraph.get(g);
  if (set) return set;
  set = new Set();
  for (const p of g.vaultPolicies) {
    const env = previewHost(p.stack);
    const exp = env ? expectedWorkloadLogin(g, env) : undefined;
    if (exp && p.name === exp.name && p.via === undefined && policyText(g, p) === exp.policyText) set.add(p);
  }
  renderedByGraph.set(g, set);
  return set;
}

/** The workload's auth role as tierkit declares it: by name, in the previews' host stack, when the manifest gives an accessor (TK164 judges it whole). */
export function isPreviewWorkloadAuthRole(g: EstateGraph, a: AuthRole): boolean {
  const env = previewHost(a.stack);
  const exp = env ? expectedWorkloadLogin(g, env) : undefined;
  return a.kind === 'kubernetes' && exp !== undefined && a.name === exp.name;
}

/**
 * What a rendered workload policy can reach, as literal rules: its template renders the pod's
 * namespace, which its auth role binds to `<app>-pr-*` (TK164), so at most `<db>/creds/<app>-pr-*`.
 * For rules that judge reach by path (TK147); undefined for any other policy.
 */
export function renderedWorkloadPolicyReach(g: EstateGraph, p: VaultPolicy): PolicyPathRule[] | undefined {
  if (!renderedWorkloadPolicies(g).has(p)) return undefined;
  const env = previewHost(p.stack)!;
  return [{ path: `${g.manifest.estate.vault.databaseMount}/creds/${naming.previewNamespacePattern(env.app)}`, capabilities: ['read'] }];
}

/**
 * Whether a bound-namespace glob (Vault's go-glob: `*` anywhere) admits some name under `prefix`:
 * exactly when its text before the first `*` and the prefix agree (one starts with the other), or,
 * without a `*`, when the name itself is under the prefix.
 */
export function admitsUnder(pattern: string, prefix: string): boolean {
  const star = pattern.indexOf('*');
  if (star < 0) return pattern.startsWith(prefix);
  const head = pattern.slice(0, star);
  return head.startsWith(prefix) || prefix.startsWith(head);
}
