import { EstateGraph, PolicyPathRule, VaultPolicy } from '../graph/types';
import { overlapWitness } from '../graph/vault-paths';
import { Rule, RuleFinding } from './support/rule';
import { PolicyOwner, policyOwner, reachIndexOf } from './support/vault-reach';
import { isOwnResetRevokeGrant, isOwnSweepGrant } from './support/ttl-sweep';
import { isPreviewJobsPolicy } from './support/previews';

/**
 * Paths from which a token can give itself (or mint) more than its own policies. Writing a policy,
 * a mount, an auth method, an identity group or an auth role is the power to grant anything; a
 * token role mints tokens with the role's policies rather than the caller's.
 */
const ESCALATION: { pattern: string; why: string; writesOnly?: boolean }[] = [
  { pattern: 'sys/*', why: 'sys/ writes policies, mounts and auth methods for every env (and reads their configuration)' },
  { pattern: 'auth/token/create*', why: 'a token role (auth/token/create/<role>) mints tokens with its own policies, not the caller\'s; create-orphan escapes revocation' },
  { pattern: 'identity/*', why: 'identity entities and groups carry policies: writing one grants any policy to any login' },
  {
    pattern: 'auth/*', writesOnly: true,
    why: "roles, users, groups and the configuration of every auth method decide which policies a login receives: writing one (even the env's own role) hands out any policy",
  },
];
const WRITES = new Set(['create', 'update', 'patch', 'delete']);

/**
 * Vault's built-in `default` policy, which every token already holds: granting these again reaches
 * nothing new, so they are not escalations (templated paths exactly as Vault writes them).
 */
const DEFAULT_POLICY: Record<string, readonly string[]> = {
  'sys/capabilities-self': ['update'], 'sys/renew': ['update'], 'sys/leases/renew': ['update'],
  'sys/leases/lookup': ['update'], 'sys/internal/ui/resultant-acl': ['read'], 'sys/wrapping/wrap': ['update'],
  'sys/wrapping/lookup': ['update'], 'sys/wrapping/unwrap': ['update'], 'sys/tools/hash': ['update'],
  'sys/tools/hash/*': ['update'], 'sys/control-group/request': ['update'], 'sys/mfa/challenge': ['update'],
  'identity/entity/id/{{identity.entity.id}}': ['read'], 'identity/entity/name/{{identity.entity.name}}': ['read'],
};

/**
 * The keys a lookup on DEFAULT_POLICY can hit: its own and Object.prototype's (a path named `constructor`
 * reaches the latter, as it always has). Probing a Set first spares the object lookup of every other path.
 */
const DEFAULT_KEYS: ReadonlySet<string> = new Set([...Object.keys(DEFAULT_POLICY), ...Object.getOwnPropertyNames(Object.prototype)]);

function inDefaultPolicy(r: PolicyPathRule): boolean {
  if (!DEFAULT_KEYS.has(r.path)) return false;
  const allowed = DEFAULT_POLICY[r.path];
  return allowed !== undefined && r.capabilities.every((c) => allowed.includes(c));
}

/** No trailing glob and no `+` segment (tested without splitting: it runs for every path of every policy). */
function isLiteral(path: string): boolean {
  return !path.endsWith('*') && path !== '+' && !path.startsWith('+/') && !path.endsWith('/+') && !path.includes('/+/');
}

/** The finding's subject, built only for a finding (the rule reads every path of every policy). */
function where(p: VaultPolicy, who: PolicyOwner, granted: readonly string[], r: PolicyPathRule): string {
  return `Vault policy "${p.name}" of ${who.label} grants [${granted.join(', ')}] on "${r.written ?? r.path}"`;
}

export const rule: Rule = {
  id: 'TK014',
  name: 'vault-policy-escalation',
  severity: 'error',
  title: 'No Vault policy opens an escalation path (sys/, token creation, identity, auth role writes, sudo)',
  explanation:
    'TK007 compares a policy with the paths envs own today; these paths grant power over paths nobody owns yet. A token '
    + 'that can write sys/policies, a mount, an identity group or an auth role — even its own env\'s — can give itself '
    + "any policy, prod's included; a token role mints tokens with the role's policies; `sudo` opens root-protected "
    + "endpoints. An env's workload needs none of them. CI applier policies may write exactly the policies and auth "
    + 'roles of the stacks their tier gates (literal paths), nothing wider.',
  fix: 'Remove the path (or the sudo capability); manage policies, auth roles and identities from the gated platform stack.',
  suppressible: false,
  evaluate(g: EstateGraph) {
    const out: RuleFinding[] = [];
    const index = reachIndexOf(g);
    for (const p of g.vaultPolicies) {
      if (p.parseError) continue; // TK070 reports it (unsuppressible)
      if (isPreviewJobsPolicy(p)) continue; // exactly three paths, sudo on one lease prefix: TK172 judges it whole
      const who = policyOwner(g, p);
      for (const r of p.rules) {
        // A block holding deny grants nothing; without one, every capability is granted (no copy per path).
        if (r.capabilities.length === 0 || r.capabilities.includes('deny') || inDefaultPolicy(r)) continue;
        const granted = r.capabilities;
        // The TTL sweep (and an hourly reset) revoking its env's leases needs sudo on that one literal path; TK120 (TK124) holds the policy to it.
        if (isOwnSweepGrant(g, p, r) || isOwnResetRevokeGrant(g, p, r)) continue;
        // Enabling the platform's own auth methods (a literal sys/auth/<path> of the shared platform)
        // needs sudo: the platform-admin identity's job, and nobody else's.
        const platformSudo = who.platformAdmin && isLiteral(r.path) && r.path.startsWith('sys/auth/')
          && index.reached(r.path).length > 0 && index.reached(r.path).every((x) => x.owned.owner.kind === 'shared');
        if (granted.includes('sudo') && !platformSudo) {
          out.push({ env: who.env, source: p.source, message: `${where(p, who, granted, r)}: sudo opens root-protected endpoints` });
          continue;
        }
        // An applier's literal path to something its tier gates is its job (TK007 judges the reach).
        if ((who.applierTier || who.platformAdmin) && isLiteral(r.path)) {
          const reached = index.reached(r.path);
          if (reached.length > 0 && reached.every((x) => who.mayReach(x.owned.owner))) continue;
        }
        for (const e of ESCALATION) {
          if (e.writesOnly && !granted.some((c) => WRITES.has(c))) continue;
          const witness = overlapWitness(r.path, e.pattern);
          if (witness === undefined) continue;
          out.push({ env: who.env, source: p.source, message: `${where(p, who, granted, r)}, an escalation path (e.g. ${witness}): ${e.why}` });
          break;
        }
      }
    }
    return out;
  },
};
