import { applierTierOf, PLATFORM_ADMIN_ROLE, plannerTierOf } from '../../constructs/naming';
import { serverPlannerSecretName } from '../../contract/planner';
import { compareStrings } from '../../contract/order';
import type { AuthRole, EstateGraph, VaultPolicy } from '../graph/types';
import { literalPrefix, overlapWitness } from '../graph/vault-paths';
import { Rule, RuleFinding } from './support/rule';

/** One Postgres credential of a server, as its KV v2 `data/` path (what a read of it returns). */
interface Credential {
  readonly server: string;
  readonly gatingTier?: string;
  readonly kind: 'admin' | 'planner';
  readonly path: string;
}

function credentials(g: EstateGraph): Credential[] {
  const kv = g.manifest.estate.vault.kvMount;
  const out: Credential[] = [];
  for (const s of g.manifest.servers) {
    const admin = s.adminSecretPath.startsWith(`${kv}/`) ? s.adminSecretPath.slice(kv.length + 1) : s.adminSecretPath;
    out.push({ server: s.id, gatingTier: s.gatingTier, kind: 'admin', path: `${kv}/data/${admin}` });
    out.push({ server: s.id, gatingTier: s.gatingTier, kind: 'planner', path: `${kv}/data/${serverPlannerSecretName(s.id)}` });
  }
  return out;
}

/** Which credentials a CI identity may reach: a tier's planner its tier's planner logins, its applier its tier's admin credentials, nothing else. */
function allowed(role: string, c: Credential): boolean {
  const planner = plannerTierOf(role);
  if (planner !== undefined) return c.kind === 'planner' && c.gatingTier === planner;
  const applier = applierTierOf(role);
  if (applier !== undefined) return c.kind === 'admin' && c.gatingTier === applier;
  return false;
}

const label = (c: Credential) => `${c.kind === 'admin' ? 'the admin credential' : 'the read-only planner login'} of server ${c.server} (${c.path}, gated by ${c.gatingTier ?? 'no tier'})`;

export const rule: Rule = {
  id: 'TK096',
  name: 'ci-postgres-credential-reach',
  severity: 'error',
  title: "CI planners reach only their tier's read-only planner logins; appliers only their tier's Postgres admin credentials",
  explanation:
    'A plan runs the pull request\'s code (its workflow, its install scripts, its provider binary), so whatever its '
    + 'Vault token reads, the pull request author can read. Plans therefore log in to Postgres as the server\'s '
    + 'read-only planner login (CONNECT and catalog reads only), never as the admin, which can change every database '
    + 'on the server. The rule follows every JWT role on the CI auth backend to the policies it attaches, as Vault '
    + 'would, and requires: a `tierkit-plan-<tier>` role reaches no admin credential and no other tier\'s planner login; '
    + 'a `tierkit-apply-<tier>` role reaches only the admin credentials of the servers its tier gates; platform-admin '
    + 'and any other CI role reach no Postgres credential. A policy it cannot find or read is a finding.',
  fix: 'Declare CI roles and policies only through the platform stacks (buildTierPlatformStack): the planner policy reads kv/data/tierkit/postgres-planner/<server>, the applier kv/data/tierkit/postgres-admin/<server>.',
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    const creds = credentials(g);
    const policiesByName = new Map<string, VaultPolicy[]>();
    for (const p of g.vaultPolicies) policiesByName.set(p.name, [...(policiesByName.get(p.name) ?? []), p]);
    const jwtPath = g.manifest.estate.vault.jwtAuthPath;
    const roles = g.authRoles.filter((r): r is AuthRole => r.kind === 'jwt' && r.backend === jwtPath)
      .sort((a, b) => compareStrings(a.name, b.name));
    // Two patterns share a path only when one's literal prefix starts with the other's: the cheap test
    // skips the product automaton for the credentials a path cannot reach.
    const credPrefixes = creds.map((c) => literalPrefix(c.path));
    for (const r of roles) {
      const who = r.name === PLATFORM_ADMIN_ROLE ? 'platform-admin' : r.name;
      const mayRead = creds.map((c) => allowed(r.name, c));
      for (const name of [...r.policies].sort(compareStrings)) {
        const found = policiesByName.get(name) ?? [];
        if (found.length === 0) {
          out.push({ env: r.stack.env, source: r.source, message: `CI role ${who} attaches policy "${name}", which no stack in dist declares: what it reaches cannot be judged` });
          continue;
        }
        for (const p of found) {
          if (p.parseError !== undefined) {
            out.push({ env: p.stack.env, source: p.source, message: `CI role ${who} attaches policy "${name}", which cannot be read (${p.parseError}): what it reaches cannot be judged` });
            continue;
          }
          for (const rule of p.rules) {
            // A deny-only block grants nothing; any other capability on the path is reach.
            if (rule.capabilities.every((c) => c === 'deny')) continue;
            const lp = literalPrefix(rule.path);
            for (let i = 0; i < creds.length; i++) {
              if (mayRead[i] || !(creds[i].path.startsWith(lp) || lp.startsWith(credPrefixes[i]))) continue;
              const c = creds[i];
              const witness = overlapWitness(rule.path, c.path);
              if (witness === undefined) continue;
              out.push({
                env: p.stack.env, source: p.source,
                message: `CI role ${who} reaches ${label(c)} through policy "${name}" path "${rule.written ?? rule.path}" [${rule.capabilities.join(', ')}]`,
                fix: plannerTierOf(r.name) !== undefined
                  ? `a planner reads only kv/data/${serverPlannerSecretName(c.server)} of servers its tier gates: remove this path`
                  : 'remove this path: an applier reads only the admin credentials of the servers its tier gates',
              });
            }
          }
        }
      }
    }
    return out;
  },
};
