import type { Estate } from './estate';
import type { ValidationIssue } from './errors';
import { environmentsOf, gateOf, gatingTierOfServer } from './query';
import { Tier } from './tier';
import { isReason, MIN_REASON_LENGTH } from '../contract/tiers';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * Each entry names a stack no longer declared, once, a CI-applied tier and, for an app-environment,
 * a declared server whose gating tier it does not undercut (TK150 judges the same in dist). A value
 * of the wrong type is a type issue, recorded already.
 */
export function retiredStackIssues(e: Estate): ValidationIssue[] {
  const issue = (property: string, value: unknown, message: string, fix: string): ValidationIssue => ({ path: e.displayPath(e), property, value, message, fix });
  const live = new Set(environmentsOf(e).map((x) => x.stackName));
  const seen = new Set<string>();
  return e.retiredStacks.flatMap((r, i) => {
    const at = `retiredStacks[${i}]`;
    const out: ValidationIssue[] = [];
    if (typeof r.stack === 'string' && !DNS_LABEL.test(r.stack)) out.push(issue(`${at}.stack`, r.stack, 'is not a stack name (a DNS-1123 label)', 'give the name of its dist/terraform/<stack> directory'));
    if (live.has(r.stack)) out.push(issue(`${at}.stack`, r.stack, 'is a stack the estate still declares: its state key is its tier\'s already', 'drop the entry (retire a stack only once its env or app is removed)'));
    if (seen.has(r.stack)) out.push(issue(`${at}.stack`, r.stack, 'is retired twice', 'keep one entry per stack'));
    seen.add(r.stack);
    if (r.tier instanceof Tier && gateOf(e, r.tier).name === 'none') {
      out.push(issue(`${at}.tier`, r.tier.name, 'applies by hand (apply gate none): no CI applier exists to keep the state key', 'destroy the stack by hand and drop the entry, or name the tier that gated it in CI'));
    }
    if (r.server !== undefined) {
      const server = e.servers.find((s) => s.serverId === r.server);
      const gating = server && gatingTierOfServer(e, server);
      if (!server) {
        out.push(issue(`${at}.server`, r.server, 'is not a declared PostgreSQL server: the destroy logs in with its admin credential', `name one of ${e.servers.map((s) => s.serverId).join(', ') || '(none declared)'}, or destroy the stack by hand and drop the entry`));
      } else if (gating && r.tier instanceof Tier && r.tier.rank < gating.rank) {
        out.push(issue(`${at}.tier`, r.tier.name, `is laxer than ${gating.name}, which gates server ${r.server}: that tier's applier would hold state of a stack on ${gating.name}'s server`, `set tier: Tier.${gating.name.toUpperCase()} (the tier that gated the stack)`));
      }
    }
    if (typeof r.reason === 'string' && !isReason(r.reason)) out.push(issue(`${at}.reason`, r.reason, `needs a reason of at least ${MIN_REASON_LENGTH} characters`, 'say why the stack was removed and that its destroy is pending'));
    return out;
  });
}
