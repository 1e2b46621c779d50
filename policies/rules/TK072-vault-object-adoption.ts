import { liveTierName } from '../../contract/tiers';
import { EstateGraph, Stack } from '../graph/types';
import { Rule, RuleFinding } from './support/rule';
import { Owner, ownerLabel, reachIndexOf } from './support/vault-reach';

/** The Vault path a modelled resource writes (the provider overwrites whatever is there: no "already exists" error). */
const s = (v: unknown, fallback?: string) => (typeof v === 'string' ? v : fallback);

function objectPath(type: string, a: Readonly<Record<string, unknown>>): string | undefined {
  // Module-level `s`: this runs for every resource of the estate, most of them no Vault object.
  switch (type) {
    case 'vault_policy': return s(a.name) && `sys/policies/acl/${s(a.name)}`;
    case 'vault_kubernetes_auth_backend_role': return s(a.role_name) && `auth/${s(a.backend, 'kubernetes')}/role/${s(a.role_name)}`;
    case 'vault_jwt_auth_backend_role': return s(a.role_name) && `auth/${s(a.backend, 'jwt')}/role/${s(a.role_name)}`;
    case 'vault_database_secret_backend_connection': return s(a.backend) && s(a.name) && `${s(a.backend)}/config/${s(a.name)}`;
    case 'vault_database_secret_backend_role': return s(a.backend) && s(a.name) && `${s(a.backend)}/roles/${s(a.name)}`;
    case 'vault_kv_secret_v2': return s(a.mount) && s(a.name) && `${s(a.mount)}/data/${s(a.name)}`;
    default: return undefined;
  }
}

/** Whose objects a stack may write: its env's, its tier applier's (tier platform stack), the shared platform's. */
function mayWrite(s: Stack, o: Owner): boolean {
  if (!s.listed) return false;
  if (s.env) return o.kind === 'env' && o.env === s.env;
  if (s.manifest?.kind === 'tier-platform') return o.kind === 'tier' && o.tier === s.manifest.tier;
  return s.manifest?.kind === 'shared-platform' && o.kind === 'shared';
}

function tierOf(g: EstateGraph, o: Owner): string {
  if (o.kind === 'env') return o.env.tier;
  if (o.kind === 'tier') return o.tier;
  return liveTierName(g.tiers);
}

export const rule: Rule = {
  id: 'TK072',
  name: 'vault-object-adoption',
  severity: 'error',
  title: "No stack writes a Vault object another env, tier applier or the platform owns",
  explanation:
    'The Vault provider overwrites a policy, auth role, connection, dynamic role or KV secret that already exists at '
    + 'its path. A dev stack declaring a `vault_policy` named after prod\'s policy therefore rewrites prod\'s policy from '
    + 'an automatically applied stack, whatever its text says. Each object must sit on a path its own stack owns (the '
    + 'naming contract, or a name no other owner uses); anything else is an error no suppression accepts.',
  fix: "Name the object from the env's own coordinate (naming.ts), or move it to the stack that owns the path.",
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    const index = reachIndexOf(g);
    const stacks = new Map(g.stacks.map((s) => [s.file, s]));
    for (const r of g.resources) {
      const path = objectPath(r.type, r.attributes);
      if (path === undefined || /\$\{|%\{/.test(path)) continue; // TK071 reports names it cannot resolve
      const s = stacks.get(r.file);
      if (!s) continue;
      const reached = index.reached(path);
      // A stack writing its own contract path is the owner, whoever else declares an object there.
      const rightful = reached.some((x) => !x.owned.declared && mayWrite(s, x.owned.owner));
      const foreign = reached.filter((x) => !mayWrite(s, x.owned.owner) && !(rightful && x.owned.declared));
      if (foreign.length === 0) continue;
      const owners = [...new Set(foreign.map((f) => ownerLabel(f.owned.owner)))];
      out.push({
        env: s.env, source: { file: r.file, pointer: r.pointer, resourcePath: r.constructPath, constructPath: s.env?.constructPath ?? s.manifest?.constructPath },
        reaches: foreign.map((f) => ({ tier: tierOf(g, f.owned.owner), what: ownerLabel(f.owned.owner) })),
        message: `${r.address} in stack ${s.name} writes "${path}", which belongs to ${owners.join(', ')}`,
      });
    }
    return out;
  },
};
