import * as naming from '../../constructs/naming';
import { renderedWorkloadPolicyReach } from './support/preview-workload';
import { compareStrings } from '../../contract/order';
import type { VaultPolicy } from '../graph/types';
import { overlapWitness } from '../graph/vault-paths';
import { Rule, RuleFinding } from './support/rule';
import { plannerIssuerServers, type PlannerIssuerServer } from './support/planner-issuer';
import { LiteralTargets } from './support/literal-targets';

/** `planner`: the server's gating tier's planner; `any-planner`: any tier's (the estate gate's plans the platform stacks). */
type Who = 'planner' | 'any-planner' | 'platform-admin' | 'nobody';

/** What of a server's planner login Vault holds, and who may touch it (reads vs. anything else). */
function targets(db: string, kv: string, s: PlannerIssuerServer): { path: string; what: string; read: Who[]; write: Who[] }[] {
  return [
    { path: `${db}/creds/${s.name}`, what: 'its planner logins (creds)', read: ['planner'], write: [] },
    { path: `${db}/config/${s.name}`, what: 'its planner issuer connection', read: ['planner', 'any-planner', 'platform-admin'], write: ['platform-admin'] },
    { path: `${db}/roles/${s.name}`, what: 'its planner login role', read: ['planner', 'any-planner', 'platform-admin'], write: ['platform-admin'] },
    { path: `${db}/rotate-root/${s.name}`, what: "its issuer's rotation", read: [], write: ['platform-admin'] },
    // A static role of the same name would pass allowed_roles and rotate a login the issuer made.
    { path: `${db}/static-roles/${s.name}`, what: 'a static role on its issuer connection', read: [], write: [] },
    { path: `${db}/static-creds/${s.name}`, what: 'a static credential on its issuer connection', read: [], write: [] },
    { path: `${db}/rotate-role/${s.name}`, what: 'a static role rotation on its issuer connection', read: [], write: [] },
    { path: `${kv}/data/${naming.serverPlannerIssuerSecretName(s.id)}`, what: "its issuer's first password", read: ['platform-admin'], write: [] },
  ];
}

/** Which identity a policy is: the server's tier planner (declared in that tier's platform stack), platform-admin (shared platform stack), or another. */
function whoIs(p: VaultPolicy, s: PlannerIssuerServer): Who {
  const kind = p.stack.manifest?.kind;
  if (p.name === naming.plannerRoleName(s.gatingTier) && kind === 'tier-platform' && p.stack.name === naming.tierPlatformStackName(s.gatingTier)) return 'planner';
  const tier = naming.plannerTierOf(p.name);
  if (tier !== undefined && kind === 'tier-platform' && p.stack.name === naming.tierPlatformStackName(tier)) return 'any-planner';
  if (p.name === naming.PLATFORM_ADMIN_ROLE && kind === 'shared-platform' && p.stack.name === naming.SHARED_PLATFORM_STACK) return 'platform-admin';
  return 'nobody';
}

export const rule: Rule = {
  id: 'TK147',
  name: 'planner-login-readers',
  severity: 'error',
  title: "Only a server's gating-tier planner reads its planner logins; only platform-admin writes the issuer connection and role, rotates it and reads its first password",
  explanation:
    'A planner login reads the catalog of every database of its server; the issuer behind it can add members to tierkit_planner. '
    + 'So `creds/tierkit-planner-<server>` is read by the planner identity of the server\'s gating tier alone (bound to pull request '
    + 'runs, behind `<tier>-plan` when human-gated), the connection and role are written and rotated by platform-admin alone, static '
    + 'roles on the issuer connection are refused, and the issuer\'s first password in KV is read by platform-admin alone. Every policy '
    + 'in dist is followed path by path, globs and `+` included; one that cannot be read is a finding. The planner policy may be '
    + 'attached only to the planner\'s own CI JWT role.',
  fix: 'Remove the path from the policy; the planner policy and platform-admin policy are written by buildTierPlatformStack / buildSharedPlatformStack.',
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    const v = g.manifest.estate.vault;
    const servers = [...plannerIssuerServers(g).values()].sort((a, b) => compareStrings(a.id, b.id));
    const all = servers.flatMap((s) => targets(v.databaseMount, v.kvMount, s).map((t) => ({ ...t, s })));
    // Only the targets a path can overlap are followed (same order, same witness test).
    const index = new LiteralTargets(all.map((t) => t.path));
    for (const p of g.vaultPolicies) {
      // tierkit's templated preview workload policy is judged by what its template can render (TK166).
      const previewReach = renderedWorkloadPolicyReach(g, p);
      if (p.parseError !== undefined && previewReach === undefined) {
        out.push({ source: p.source, message: `policy "${p.name}" of stack ${p.stack.name} cannot be read (${p.parseError}): whether it reaches a planner login cannot be judged` });
        continue;
      }
      for (const r of previewReach ?? p.rules) {
        const caps = r.capabilities.filter((c) => c !== 'deny');
        if (caps.length === 0) continue;
        for (const i of index.candidates(r.path)) {
          const t = all[i];
          if (overlapWitness(r.path, t.path) === undefined) continue;
          const who = whoIs(p, t.s);
          const reads = caps.every((c) => c === 'read' || c === 'list');
          const ok = (list: Who[]) => list.includes(who) || (who === 'planner' && list.includes('any-planner'));
          const allowed = reads ? ok(t.read) || ok(t.write) : ok(t.write);
          if (allowed) continue;
          out.push({
            source: p.source,
            message: `policy "${p.name}" of stack ${p.stack.name} reaches ${t.what} of server ${t.s.id} (${t.path}) through "${r.written ?? r.path}" [${caps.join(', ')}]`,
            fix: `remove this path: ${t.path} is for ${[...new Set([...t.read, ...t.write])].join(' and ') || 'no one'}`,
          });
        }
      }
    }
    // The planner policy's reach is the planner's only if nothing else attaches it.
    const jwt = v.jwtAuthPath;
    const plannerPolicies = new Set(servers.map((s) => naming.plannerRoleName(s.gatingTier)));
    for (const a of g.authRoles) {
      for (const name of a.policies) {
        if (!plannerPolicies.has(name)) continue;
        if (a.kind === 'jwt' && a.backend === jwt && a.name === name) continue;
        out.push({ source: a.source, message: `${a.kind} auth role "${a.backend}/role/${a.name}" of stack ${a.stack.name} attaches the planner policy "${name}", which reads planner logins: only the CI JWT role "${name}" may` });
      }
    }
    return out;
  },
};
