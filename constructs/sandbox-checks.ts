/**
 * The pre-create checks of seed 002, run at synth (so in PR CI) and by `tierkit sandbox create`
 * and `extend` before they write: owner among the declared owners, the template's TTL limits,
 * seeds, egress and the app's flags. (Quota and the tier's limits are validation.ts's.)
 */
import { MIN_REASON_LENGTH, isReason } from '../contract/tiers';
import type { Estate } from './estate';
import { ValidationIssue } from './errors';
import { PROD_ENV } from './naming';
import { environmentsOf } from './query';
import { SandboxReset } from './enums';
import { Sandbox } from './sandbox';
import { APPROVAL_TTL_HOURS } from './sandbox-template';

/** The oldest server the template reset runs on. */
export const TEMPLATE_RESET_MIN_MAJOR = 15;
const hasReason = isReason;

/** Where an issue about a sandbox's property points: its data file and JSON pointer, else its construct path. */
export function sandboxIssue(estate: Estate, sb: Sandbox, property: string, value: unknown, message: string, fix: string): ValidationIssue {
  if (sb.declaredIn) {
    const key = property === 'tier' || property === 'server' ? 'template' : property === 'flags' ? 'flags' : property.split(/[.[]/)[0];
    return { path: sb.declaredIn.file, property: `/${key}`, value, message, fix };
  }
  return { path: estate.displayPath(sb), property, value, message, fix };
}

export function sandboxTemplateIssues(e: Estate): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  for (const t of e.sandboxTemplates) {
    const at = (property: string, value: unknown, message: string, fix: string) => out.push({ path: e.displayPath(t), property, value, message, fix });
    if (!(t.defaultTtlHours > 0)) at('defaultTtlHours', t.defaultTtlHours, 'must be a positive number of hours', 'e.g. defaultTtlHours: 72');
    if (!(t.maxTtlHours >= t.defaultTtlHours)) at('maxTtlHours', t.maxTtlHours, `is below defaultTtlHours (${t.defaultTtlHours})`, 'raise maxTtlHours, or lower defaultTtlHours');
    if (t.seeds.length === 0) at('seeds', [], 'a template must allow at least one seed', 'leave seeds out for [SeedProfile.SYNTHETIC_V1]');
    if (t.tier && !e.tier(t.tier).config.allowsSandboxes) at('tier', t.tier.name, `sandboxes may not live on tier ${t.tier.name}`, 'use a non-prod tier, e.g. Tier.DEV');
  }
  const sandboxes = environmentsOf(e).filter((x): x is Sandbox => x instanceof Sandbox);
  const owners = e.sandboxOwners === undefined ? undefined : new Set(e.sandboxOwners);
  for (const sb of sandboxes) {
    const at = (property: string, value: unknown, message: string, fix: string) => out.push(sandboxIssue(e, sb, property, value, message, fix));
    // `prod` is the coordinate whose names are the app's own (database `erp`, role `erp_role`): a
    // sandbox of an app without a prod tier must not take them.
    if (sb.env === PROD_ENV) {
      out.push(sb.declaredIn
        ? { path: sb.declaredIn.file, property: '', value: sb.env, message: 'names a sandbox "prod": its database, roles and Vault paths would be the app\'s prod names', fix: 'rename the file' }
        : sandboxIssue(e, sb, 'env', sb.env, 'a sandbox may not be named "prod": its database, roles and Vault paths would be the app\'s prod names', 'give the sandbox another name'));
    }
    // Once the estate declares its owners, every sandbox is held to them — a data file's, a
    // template's, and a TypeScript sandbox without a template alike (else a hand-written one is
    // the way around the list and the per-owner quota). Data files need the list.
    if (owners === undefined && sb.declaredIn) {
      at('owner', sb.owner, 'the estate declares no sandbox owners, so no data-file sandbox may be created', 'declare them: new Estate({ …, sandboxOwners: ["alice", "team-growth"] })');
    } else if (owners !== undefined && !owners.has(sb.owner)) {
      at('owner', sb.owner, 'is not among the estate\'s declared sandbox owners and groups', `use one of ${[...owners].sort().join(', ')}, or add the owner to sandboxOwners`);
    }
    if (sb.declaredIn) {
      const unknown = Object.keys(sb.flagOverrides).filter((f) => !(f in sb.app.flags)).sort();
      if (unknown.length > 0) at('flags', unknown, `names flags app ${sb.app.appName} does not declare`, `use only ${Object.keys(sb.app.flags).sort().join(', ') || '(none: the app declares no flags)'}`);
    }
    // The template reset's SQL relies on PostgreSQL 15's pg_database_owner (the golden's public
    // schema follows its database's owner into the clone); it is proven on 15 and 18 (test/pg/template-reset.test.ts).
    const server = sb.server;
    if (sb.reset === SandboxReset.TEMPLATE && server && server.majorVersion < TEMPLATE_RESET_MIN_MAJOR) {
      at('reset', sb.reset.name, `needs PostgreSQL ${TEMPLATE_RESET_MIN_MAJOR} or later; server ${server.serverId} is ${server.majorVersion}`, 'remove reset (the pg_restore reset works on every version), or move the sandbox to a newer server');
    }
    const t = sb.template;
    if (!t) continue;
    if (sb.tier !== t.tier) at('tier', sb.tier?.name, `differs from template ${t.templateName}'s tier ${t.tier.name}`, `use tier Tier.${t.tier.name.toUpperCase()}, or another template`);
    const ttl = sb.ttlHours;
    if (typeof ttl === 'number' && ttl > t.maxTtlHours) {
      at('ttlHours', ttl, `exceeds template ${t.templateName}'s maximum of ${t.maxTtlHours} hours`, 'lower the TTL; a longer-lived environment is not a sandbox of this template');
    } else if (typeof ttl === 'number' && ttl > APPROVAL_TTL_HOURS && !hasReason(sb.reason)) {
      at('ttlHours', ttl, `goes past 7 days (${APPROVAL_TTL_HOURS} hours), which needs a reason and an approval`,
        `lower the TTL, or give a reason of at least ${MIN_REASON_LENGTH} characters (tierkit sandbox extend … --reason "<why>")`);
    }
    if (!t.allowsSeed(sb.seed)) {
      at('seed', sb.seed.name, `is not a seed template ${t.templateName} allows`, `use ${t.seeds.map((s) => s.name).join(' or ')}`);
    }
    if (sb.requestedEgress === true && !t.egress) {
      at('egress', true, `template ${t.templateName} denies egress beyond the platform's destinations`, 'remove "egress", or use a template that allows egress');
    }
  }
  return out;
}
