import { PLANNER_CREDENTIAL_TTL } from '../../contract/planner';
import { Rule, RuleFinding } from './support/rule';
import { plannerIssuerOfRole } from './support/planner-issuer';

const CAP = PLANNER_CREDENTIAL_TTL;

export const rule: Rule = {
  id: 'TK146',
  name: 'planner-login-ttl',
  severity: 'error',
  title: "A server's planner login lives at most one plan job: default_ttl ≤ 900 s and max_ttl ≤ 3600 s, both set",
  explanation:
    'A plan job runs the pull request\'s code with the planner login in its environment; whatever the login\'s lease allows, the '
    + 'pull request author holds for that long (read the catalog, change its own password and session defaults). VALID UNTIL follows '
    + 'the lease\'s expiration, so the TTLs bound the login\'s life in PostgreSQL too. Unset TTLs fall back to the mount\'s or '
    + 'Vault\'s system defaults (32 days unless tuned), which dist cannot show: unset is a finding.',
  fix: `Set default_ttl to at most ${CAP.defaultSeconds} and max_ttl to at most ${CAP.maxSeconds} (contract/planner.ts PLANNER_CREDENTIAL_TTL), default_ttl ≤ max_ttl.`,
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    for (const d of g.dynamicRoles) {
      const s = plannerIssuerOfRole(g, d);
      if (!s) continue;
      const where = `Vault role "${d.backend}/roles/${d.name}" (server ${s.id}'s planner login)`;
      const ok = (v: number | undefined, cap: number) => typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= cap;
      if (!ok(d.defaultTtl, CAP.defaultSeconds)) out.push({ source: d.source, message: `${where} has default_ttl ${JSON.stringify(d.defaultTtl ?? null)}: at most ${CAP.defaultSeconds} s, set` });
      if (!ok(d.maxTtl, CAP.maxSeconds)) out.push({ source: d.source, message: `${where} has max_ttl ${JSON.stringify(d.maxTtl ?? null)}: at most ${CAP.maxSeconds} s, set` });
      if (typeof d.defaultTtl === 'number' && typeof d.maxTtl === 'number' && d.defaultTtl > d.maxTtl) {
        out.push({ source: d.source, message: `${where} has default_ttl ${d.defaultTtl} above max_ttl ${d.maxTtl}` });
      }
    }
    return out;
  },
};
