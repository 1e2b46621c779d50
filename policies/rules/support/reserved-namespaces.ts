import { PREVIEW_JOBS_NAMESPACE, previewApplicationSetName } from '../../../constructs/naming';
import type { EstateGraph } from '../../graph/types';

const NAME_LABEL = 'kubernetes.io/metadata.name';

/** Namespaces the estate's NetworkPolicies name as peers (DNS, the ingress controller) other than their own. */
export function networkPolicyPeerNamespaces(g: EstateGraph): string[] {
  const out = new Set<string>();
  for (const k of g.kubernetes) {
    if (k.kind !== 'NetworkPolicy') continue;
    const rules = [...((k.object.spec?.ingress ?? []) as any[]).map((r) => r?.from), ...((k.object.spec?.egress ?? []) as any[]).map((r) => r?.to)];
    for (const peers of rules) {
      for (const peer of Array.isArray(peers) ? peers : []) {
        const ns = peer?.namespaceSelector?.matchLabels?.[NAME_LABEL];
        if (typeof ns === 'string' && ns !== k.namespace) out.add(ns);
      }
    }
  }
  return [...out].sort();
}

/**
 * Service account names only the preview Jobs may use: `<app>-previews` of every app the manifest
 * gives previews, and every account a Kubernetes auth role trusts in the Jobs' namespace (read
 * from the stacks, so a manifest that drops `previews` hides none).
 */
export function previewJobsServiceAccounts(g: EstateGraph): Set<string> {
  const out = new Set<string>();
  for (const env of g.envs) if (env.previews !== undefined && env.previews !== null && typeof env.app === 'string') out.add(previewApplicationSetName(env.app));
  for (const role of g.authRoles) {
    if (role.kind === 'kubernetes' && role.namespaces.some((n) => n === PREVIEW_JOBS_NAMESPACE || n === '*')) for (const sa of role.serviceAccounts) if (sa !== '*') out.add(sa);
  }
  return out;
}
