import { IConstruct } from 'constructs';
import { AppEnvironment } from './app-environment';
import { Estate } from './estate';
import { ValidationIssue, TierkitValidationError } from './errors';
import * as naming from './naming';
import { SandboxKind, SeedProfile } from './enums';
import { propsProblems } from './props';
import { hasGoldenDump, hasReset } from './lifecycle/plan';
import { Sandbox } from './sandbox';
import { Tier } from './tier';
import { appsOf, environmentsOf } from './query';
import { canonicalCidr } from './cidr';
import { releasesAppIssues } from './releases-validation';

/**
 * Input validation as a table of rules, run over the whole estate before anything is
 * synthesized. Each rule returns issues naming the construct path, property, value and fix.
 */
type Rule = (estate: Estate) => ValidationIssue[];

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const PG_IDENTIFIER_MAX_BYTES = 63;
const DNS_LABEL_MAX = 63;
const CRONJOB_NAME_MAX = 52;
export const MIN_REASON_LENGTH = 10;

function issue(estate: Estate, c: IConstruct, property: string, value: unknown, message: string, fix: string): ValidationIssue {
  return { path: estate.displayPath(c), property, value, message, fix };
}

const apps = appsOf;
const environments = environmentsOf;

function hasReason(reason: string | undefined): boolean {
  return typeof reason === 'string' && reason.trim().length >= MIN_REASON_LENGTH;
}

export function checkDnsLabel(estate: Estate, c: IConstruct, property: string, value: string): ValidationIssue[] {
  if (typeof value === 'string' && DNS_LABEL.test(value) && value.length <= DNS_LABEL_MAX) return [];
  return [issue(estate, c, property, value, 'is not a DNS-1123 label (lowercase letters, digits and "-", starting and ending with a letter or digit, at most 63 characters)',
    'rename it, e.g. "' + String(value).toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63) + '"')];
}

const enumFix = (cls: string, members: string[]) => `use one of ${members.map((m) => `${cls}.${m}`).join(', ')}`;

const rules: Record<string, Rule> = {
  // First: what a type checker would have refused (estate programs may run untyped through tsx).
  sandboxShape: (e) => environments(e).filter((x): x is Sandbox => x instanceof Sandbox).flatMap((sb) => {
    const out: ValidationIssue[] = [];
    if (!(sb.tier instanceof Tier)) out.push(issue(e, sb, 'tier', sb.tier, 'is not a tier', enumFix('Tier', Tier.ALL.map((t) => t.name.toUpperCase()))));
    if (!(sb.kind instanceof SandboxKind)) out.push(issue(e, sb, 'kind', sb.kind, 'is not a sandbox kind', enumFix('SandboxKind', ['ENGINEER', 'TEAM', 'BRANCH', 'APP'])));
    if (!(sb.seed instanceof SeedProfile)) {
      out.push(issue(e, sb, 'seed', sb.seed, 'is not a seed profile', 'use SeedProfile.SYNTHETIC_V1, SeedProfile.sanitized("<dataset>") or SeedProfile.GOLDEN'));
    } else if (/^sanitized:(?![a-z0-9][a-z0-9._-]*$)/.test(sb.seed.name)) {
      out.push(issue(e, sb, 'seed', sb.seed.name, 'names no sanitized dataset', 'use SeedProfile.sanitized("<dataset>"), e.g. SeedProfile.sanitized("crm-2026-11")'));
    }
    return out;
  }),

  props: (e) => e.node.findAll().flatMap((c) => propsProblems(c).map((p) => issue(e, c, p.property, p.value, p.message, p.fix))),

  estateName: (e) => checkDnsLabel(e, e, 'name', e.estateName),

  domain: (e) => (/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/.test(e.domain) ? []
    : [issue(e, e, 'domain', e.domain, 'is not a DNS domain', 'use a lowercase domain such as "example.lab"')]),

  // CI commits the rendered manifests to this branch (ci/github-publish.ts): never the source branch.
  argocdTargetRevision: (e) => {
    const rev = e.argocd.targetRevision;
    const branch = typeof rev === 'string' && /^[A-Za-z0-9][A-Za-z0-9._/-]*$/.test(rev) && !rev.includes('..') && !rev.endsWith('/')
      && !rev.endsWith('.lock') && !/^[0-9a-f]{7,40}$/.test(rev) && rev !== 'HEAD';
    if (branch && rev !== 'main') return [];
    return [issue(e, e, 'argocd.targetRevision', rev, rev === 'main'
      ? 'is the branch the estate is declared on; CI commits the rendered manifests to this branch'
      : 'is not a plain branch name; CI commits the rendered manifests to it and Argo CD tracks it',
    'leave it out for "rendered", or name another branch')];
  },

  appNames: (e) => apps(e).flatMap((a) => checkDnsLabel(e, a, 'name', a.appName)),

  appTiers: (e) => apps(e).flatMap((a) => {
    if (!Array.isArray(a.tiers) || a.tiers.length === 0) {
      return [issue(e, a, 'tiers', a.tiers, 'an app must run in at least one tier', `list its tiers, e.g. tiers: [Tier.DEV, Tier.PROD]`)];
    }
    return a.tiers.filter((t) => !(t instanceof Tier)).map((t) => issue(e, a, 'tiers', String(t), 'is not a tier',
      `use one of ${Tier.ALL.map((x) => `Tier.${x.name.toUpperCase()}`).join(', ')}`));
  }),

  objectPrefix: (e) => apps(e).flatMap((a) => (/^[a-z_][a-z0-9_]*$/.test(a.objectPrefix) ? []
    : [issue(e, a, 'objectPrefix', a.objectPrefix, 'is not a lowercase SQL identifier prefix', 'use e.g. "llx_"')])),

  envNames: (e) => environments(e).flatMap((env) => checkDnsLabel(e, env, 'env', env.env)),

  derivedLengths: (e) => environments(e).flatMap((env) => {
    const c = env.coordinate;
    const derived: [string, string, number][] = [
      ['database', naming.databaseName(c), PG_IDENTIFIER_MAX_BYTES],
      ['groupRole', naming.groupRoleName(c), PG_IDENTIFIER_MAX_BYTES],
      ['vaultConnectionRole', naming.vaultConnectionRoleName(c), PG_IDENTIFIER_MAX_BYTES],
      ['goldenDumpRole', naming.goldenDumpRoleName(c), PG_IDENTIFIER_MAX_BYTES],
      ['namespace', naming.namespace(c), DNS_LABEL_MAX],
      // A CronJob's name leaves room for the suffix of the Jobs it creates.
      ...(hasReset(env) ? [['resetCronJob', naming.resetName(c), CRONJOB_NAME_MAX] as [string, string, number]] : []),
      ...(env.isSandbox ? [['ttlSweepCronJob', naming.ttlSweepName(c), CRONJOB_NAME_MAX] as [string, string, number]] : []),
      ...(hasGoldenDump(env) ? [['goldenDumpCronJob', naming.goldenDumpName(c), CRONJOB_NAME_MAX] as [string, string, number]] : []),
    ];
    const tooLong = derived.filter(([, name, max]) => Buffer.byteLength(name) > max);
    if (tooLong.length === 0) return [];
    // One issue per env: the longest derived name decides how much to shorten.
    const [what, name, max] = tooLong.reduce((a, b) => (Buffer.byteLength(b[1]) - b[2] > Buffer.byteLength(a[1]) - a[2] ? b : a));
    const over = Buffer.byteLength(name) - max;
    return [issue(e, env, what, name, `derived name is ${Buffer.byteLength(name)} bytes; the limit is ${max}` +
      (tooLong.length > 1 ? ` (${tooLong.map(([w]) => w).join(', ')} are all too long)` : ''),
      `shorten the app or env name by at least ${over} characters`)];
  }),

  coordinateCollisions: (e) => {
    const seen = new Map<string, AppEnvironment>();
    const out: ValidationIssue[] = [];
    for (const env of environments(e)) {
      const c = env.coordinate;
      for (const claimed of naming.claimedNames(c)) {
        const key = `${claimed.kind}\u0000${claimed.name}`;
        const other = seen.get(key);
        if (other && other !== env) {
          out.push(issue(e, env, 'coordinate', `${c.app}/${c.env}`,
            `derives the ${claimed.kind} "${claimed.name}", which ${e.displayPath(other)} (${other.coordinate.app}/${other.coordinate.env}) derives too`,
            'rename the app or the env so every database, role, Vault name and namespace is unique'));
          break;
        }
        seen.set(key, env);
      }
    }
    return out;
  },

  servers: (e) => {
    const out: ValidationIssue[] = [];
    for (const tier of Tier.ALL) {
      const holders = e.servers.filter((s) => s.tiers.includes(tier));
      if (holders.length > 1) {
        out.push(issue(e, holders[1], 'tiers', tier.name, `tier is also placed on server ${holders[0].serverId}`,
          'place each tier on one server; a sandbox may name another server explicitly'));
      }
    }
    const hosted = new Set(environments(e).map((env) => env.server));
    for (const s of e.servers) {
      if (!Number.isInteger(s.majorVersion) || s.majorVersion < 13) {
        out.push(issue(e, s, 'majorVersion', s.majorVersion, 'is not a supported PostgreSQL major version', 'use 13 or newer, e.g. 16'));
      } else if (s.majorVersion < 16 && hosted.has(s) && !hasReason(s.legacyCreateRoleReason)) {
        out.push(issue(e, s, 'majorVersion', s.majorVersion,
          'before PostgreSQL 16 every CREATEROLE role — each env\'s Vault connection user — may grant any non-superuser role, other envs\' groups included',
          `upgrade the server to 16 or newer, or accept the risk with legacyCreateRoleReason: "<why, at least ${MIN_REASON_LENGTH} characters>"`));
      }
      if (!s.adminKind.superuser && s.adminRole === undefined) {
        out.push(issue(e, s, 'adminRole', undefined,
          'a managed server\'s provider is no superuser: it must be a member of each env\'s group for REVOKE … FROM PUBLIC to take effect, so the stacks grant it by name',
          'set adminRole to the role the provider logs in as, e.g. adminRole: "tierkit_admin"'));
      }
      if (s.adminRole !== undefined && !/^[a-z_][a-z0-9_$]{0,62}$/.test(s.adminRole)) {
        out.push(issue(e, s, 'adminRole', s.adminRole, 'is not a lowercase PostgreSQL role name of at most 63 bytes', 'use e.g. "tierkit_admin"'));
      }
    }
    for (const env of environments(e)) {
      if (env.tier instanceof Tier && !env.server) {
        out.push(issue(e, env, 'server', undefined, `no Postgres server hosts tier ${env.tier.name}`,
          `add the tier to a PostgresServer's tiers, or give the environment a server`));
      }
    }
    return out;
  },

  tierSettings: (e) => e.tierSettings.flatMap((s) => {
    const eff = e.tier(s.tier);
    if (eff.loosenings.length === 0 || hasReason(s.reason)) return [];
    return eff.loosenings.map((l) => issue(e, e, `tiers[${s.tier.name}].${l.property}`, l.value,
      `loosens the ${s.tier.name} default (${l.defaultValue}) without a reason`,
      `keep the default, or add reason: "<why, at least ${MIN_REASON_LENGTH} characters>" to the tier settings`));
  }),

  // Kubernetes refuses an ipBlock that is no canonical CIDR: the tier's namespaces would get no egress policy at all.
  egressAllowList: (e) => e.tierSettings.flatMap((s) => (s.egressAllowList ?? []).flatMap((cidr, i) => (typeof cidr === 'string' && canonicalCidr(cidr) === cidr ? []
    : [issue(e, e, `tiers[${s.tier.name}].egressAllowList[${i}]`, cidr, 'is not a CIDR without host bits (Kubernetes refuses it in an ipBlock)',
      `use the network, e.g. "${(typeof cidr === 'string' && canonicalCidr(cidr)) || '10.10.0.0/16'}"`)]))),

  sandboxes: (e) => environments(e).filter((x): x is Sandbox => x instanceof Sandbox).flatMap((sb) => {
    const out: ValidationIssue[] = [];
    if (!(sb.tier instanceof Tier) || !(sb.seed instanceof SeedProfile)) return out; // sandboxShape says why
    const tier = e.tier(sb.tier);
    if (!tier.config.allowsSandboxes) {
      out.push(issue(e, sb, 'tier', sb.tier.name, 'sandboxes may not live on the prod tier',
        'put the sandbox on a non-prod tier (e.g. Tier.DEV) and, if it must sit on the prod server, give it server: <prod server>'));
      return out;
    }
    if (typeof sb.owner !== 'string' || sb.owner.trim() === '') {
      out.push(issue(e, sb, 'owner', sb.owner, 'a sandbox needs an owner', 'set owner to the engineer, team or branch author'));
    }
    if (typeof sb.createdAt !== 'string' || Number.isNaN(Date.parse(sb.createdAt))) {
      out.push(issue(e, sb, 'createdAt', sb.createdAt, 'is not an ISO-8601 date; the TTL counts from it', 'set createdAt: "2026-11-20"'));
    }
    const ttl = sb.ttlHours;
    if (!(typeof ttl === 'number' && Number.isFinite(ttl) && ttl > 0)) {
      out.push(issue(e, sb, 'ttlHours', sb.declaredTtlHours, 'a sandbox needs a positive, finite TTL',
        `set ttlHours (the ${sb.tier.name} default is ${tier.config.sandboxDefaultTtlHours})`));
    } else if (ttl > tier.config.sandboxMaxTtlHours && !hasReason(sb.reason)) {
      out.push(issue(e, sb, 'ttlHours', ttl, `exceeds the ${sb.tier.name} maximum of ${tier.config.sandboxMaxTtlHours} hours`,
        `lower ttlHours, or add reason: "<why, at least ${MIN_REASON_LENGTH} characters>"`));
    }
    if (sb.seed.name === 'golden' && !hasReason(sb.reason)) {
      out.push(issue(e, sb, 'seed', sb.seed.name, 'a golden (iso-prod) seed brings prod data into a sandbox and needs a reason',
        `use SeedProfile.SYNTHETIC_V1, or add reason: "<why, at least ${MIN_REASON_LENGTH} characters>"`));
    } else if (!tier.config.data.includes(sb.seed.dataClass) && !hasReason(sb.reason)) {
      out.push(issue(e, sb, 'seed', sb.seed.name, `${sb.seed.dataClass.name} data is not allowed on tier ${sb.tier.name}`,
        `use a seed of ${tier.config.data.map((d) => d.name).join(' or ')}, or add a reason`));
    }
    return out;
  }),

  sandboxQuota: (e) => {
    const byOwner = new Map<string, Sandbox[]>();
    for (const sb of environments(e)) {
      if (sb instanceof Sandbox) byOwner.set(sb.owner, [...(byOwner.get(sb.owner) ?? []), sb]);
    }
    return [...byOwner.entries()].filter(([, list]) => list.length > e.sandboxQuotaPerOwner).map(([owner, list]) =>
      issue(e, list[e.sandboxQuotaPerOwner], 'owner', owner,
        `owner holds ${list.length} sandboxes; the estate quota is ${e.sandboxQuotaPerOwner}`,
        'remove an expired sandbox, or raise sandboxQuotaPerOwner on the Estate'));
  },

  releases: (e) => apps(e).flatMap((a) => releasesAppIssues(e, a)),

  suppressions: (e) => environments(e).flatMap((env) => env.suppressions.filter((s) => !hasReason(s.reason)).map((s) =>
    issue(e, env, `suppressions[${s.ruleId}].reason`, s.reason, `a suppression needs a reason of at least ${MIN_REASON_LENGTH} characters`,
      'say why the finding is acceptable here'))),
};

/** All issues of the estate, in a stable order. */
export function validateEstate(estate: Estate): ValidationIssue[] {
  // One issue per construct property: the first rule's (a bad shape outranks what follows from it).
  const seen = new Set<string>();
  return Object.values(rules).flatMap((rule) => rule(estate)).filter((i) => {
    const key = `${i.path}\u0000${i.property}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export function assertValid(estate: Estate): void {
  const issues = validateEstate(estate);
  if (issues.length > 0) throw new TierkitValidationError(issues);
}
