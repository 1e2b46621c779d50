import type { Manifest, ManifestAppEnvironment } from '../contract/manifest';
import { compareStrings } from '../contract/order';
import { code, text } from './markdown-text';
import type { ReachItem, TerraformChange } from './model';
import { tierRank } from './summary';
import { vaultGlobMatches } from '../contract/vault-glob';

/**
 * Reach into a stricter tier through whom a Kubernetes auth role ADMITS (seen from the other side
 * of what it issues): a stricter env's role bound to a looser tier's namespace lets that namespace's
 * pods log in with the stricter env's policies. Only admissions the change adds count. A namespace no
 * env declares, a glob, or a label selector may be anyone's: it is an item unless the policies are
 * of the loosest tier.
 */

type Attrs = Readonly<Record<string, unknown>>;

function strings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.flatMap(strings);
  return [];
}

interface Admission {
  /** The namespace (or glob, or selector) as written. */
  readonly bound: string;
  /** The declared env whose namespace it is (or one the glob matches); undefined: none declared. */
  readonly admitted?: ManifestAppEnvironment;
  readonly selector?: true;
}

function admissions(envs: readonly ManifestAppEnvironment[], a: Attrs): Admission[] {
  const out: Admission[] = [];
  for (const ns of strings(a.bound_service_account_namespaces)) {
    const declared = envs.filter((e) => (ns.includes('*') ? vaultGlobMatches(ns, e.names.namespace) : e.names.namespace === ns));
    // A glob also admits namespaces nobody declared; a name nobody declared is anyone's.
    if (ns.includes('*') || declared.length === 0) out.push({ bound: ns });
    for (const e of declared) out.push({ bound: ns, admitted: e });
  }
  const selector = a.bound_service_account_namespace_selector;
  if (selector !== undefined && selector !== null && selector !== '' && !(typeof selector === 'string' && /^\s*\{\s*\}\s*$/.test(selector))) {
    out.push({ bound: typeof selector === 'string' ? selector : JSON.stringify(selector), selector: true });
  }
  return out;
}

/** The envs whose policies the role hands out: those it issues, and the env of its own stack. */
function issuers(envs: readonly ManifestAppEnvironment[], a: Attrs, own: ManifestAppEnvironment | undefined): ManifestAppEnvironment[] {
  const policies = [...strings(a.token_policies), ...strings(a.policies)];
  const out = envs.filter((e) => policies.includes(e.names.vaultPolicy));
  return [...new Set(own ? [own, ...out] : out)];
}

export function admitReach(manifests: readonly Manifest[], r: TerraformChange, ownSlug: string | undefined, subject: string,
  base: Attrs | undefined, head: Attrs | undefined): ReachItem[] {
  if (r.type !== 'vault_kubernetes_auth_backend_role' || !head) return [];
  const envs = manifests.flatMap((m) => m.appEnvironments);
  const own = envs.find((e) => e.slug === ownSlug);
  const loosest = Math.min(...manifests.flatMap((m) => m.tiers).map((t) => tierRank(manifests, t.name)));
  const key = (x: Admission, t: ManifestAppEnvironment) => `${x.bound}\u0000${x.admitted?.slug ?? ''}\u0000${t.slug}`;
  const before = new Set(base ? issuers(envs, base, own).flatMap((t) => admissions(envs, base).map((x) => key(x, t))) : []);
  const role = code(String(head.role_name ?? r.address));
  const out: ReachItem[] = [];
  for (const target of issuers(envs, head, own)) {
    const rank = tierRank(manifests, target.tier);
    for (const x of admissions(envs, head)) {
      if (before.has(key(x, target)) || x.admitted?.slug === target.slug) continue;
      const upward = x.admitted ? tierRank(manifests, x.admitted.tier) < rank : rank > loosest;
      if (!upward) continue;
      const whom = x.selector ? `every namespace whose labels match ${code(x.bound)}`
        : x.admitted ? `the pods of ${code(x.admitted.names.namespace)} (${text(x.admitted.tier)}${x.admitted.sandbox ? `, ${text(x.admitted.sandbox.kind)} sandbox` : ''})`
          : `the pods of ${x.bound.includes('*') ? `every namespace matching ${code(x.bound)}` : `namespace ${code(x.bound)}, which no env declares`}`;
      out.push({
        subject, stack: r.stack, tier: x.admitted?.tier ?? '(undeclared namespace)', targetTier: target.tier, targetEnv: target.slug, name: x.bound,
        message: `auth role ${role} would admit ${whom} to ${text(target.tier)}'s Vault policy ${code(target.names.vaultPolicy)} (of ${code(target.slug)})`,
      });
    }
  }
  return out.sort((a, b) => compareStrings(a.message, b.message));
}
