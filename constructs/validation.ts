import { IConstruct } from 'constructs';
import { AppEnvironment } from './app-environment';
import { Estate } from './estate';
import { ValidationIssue, TierkitValidationError } from './errors';
import * as naming from './naming';
import { DataClass, SandboxKind, SeedProfile } from './enums';
import { propsProblems, recordedIssues } from './props';
import { endpointIssues, portIssues } from './postgres-server';
import { databaseCapsIssues, nodePoolIssues, resourcesIssues, vaultQuotasIssues } from './runtime';
import { hasGoldenDump, hasReset } from './lifecycle/plan';
import { seedProducers } from './lifecycle/producers';
import { PINNED_POSTGRES_MAJORS, POSTGRES_CLIENT } from './lifecycle/images';
import { IMAGE_BY_DIGEST } from './releases';
import { Sandbox } from './sandbox';
import { Tier } from './tier';
import { appsOf, environmentsOf } from './query';
import { retiredStackIssues } from './retired-stack-checks';
import { canonicalCidr } from './cidr';
import { scrubIssues } from './scrub';
import { promoteGrantIssues } from './promote-grants';
import { GITHUB_ACTIONS_APP_ID } from '../contract/review-workflow';
import { syntheticIssues, syntheticSql } from './synthetic';
import { sanitizedIssues } from './sanitize';
import { MIN_REASON_LENGTH, isReason } from '../contract/tiers';
import { sandboxIssue, sandboxTemplateIssues } from './sandbox-checks';
import { releasesAppIssues } from './releases-validation';
import { previewIssues } from './previews';
import { namespaceReservation } from '../contract/reserved-namespaces';

/** One PEM certificate, nothing else (a key pasted by mistake is refused). */
const PEM_CERTIFICATE = /^-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----\r?\n?$/;

/**
 * Input validation as a table of rules, run over the whole estate before anything is
 * synthesized. Each rule returns issues naming the construct path, property, value and fix.
 */
type Rule = (estate: Estate) => ValidationIssue[];

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const PG_IDENTIFIER_MAX_BYTES = 63;
const DNS_LABEL_MAX = 63;
const CRONJOB_NAME_MAX = 52;
/** A ConfigMap's data is capped at 1 MiB (1,048,576 bytes); the rest leaves room for its metadata. */
const SYNTHETIC_SQL_MAX_BYTES = 1_000_000;
export { MIN_REASON_LENGTH };

function issue(estate: Estate, c: IConstruct, property: string, value: unknown, message: string, fix: string): ValidationIssue {
  // A data-file sandbox's issue names its file and JSON pointer.
  if (c instanceof Sandbox && c.declaredIn) return sandboxIssue(estate, c, property, value, message, fix);
  return { path: estate.displayPath(c), property, value, message, fix };
}

const apps = appsOf;
const environments = environmentsOf;

const hasReason = isReason;

export function checkDnsLabel(estate: Estate, c: IConstruct, property: string, value: string): ValidationIssue[] {
  if (typeof value === 'string' && DNS_LABEL.test(value) && value.length <= DNS_LABEL_MAX) return [];
  return [issue(estate, c, property, value, 'is not a DNS-1123 label (lowercase letters, digits and "-", starting and ending with a letter or digit, at most 63 characters)',
    'rename it, e.g. "' + String(value).toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63) + '"')];
}

const enumFix = (cls: string, members: string[]) => `use one of ${members.map((m) => `${cls}.${m}`).join(', ')}`;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const rules: Record<string, Rule> = {
  // First: what a type checker would have refused (estate programs may run untyped through tsx),
  // recorded while the constructs were built (props' types at any depth, duplicate names).
  recorded: (e) => e.node.findAll().flatMap((c) => recordedIssues(c)),

  sandboxShape: (e) => environments(e).filter((x): x is Sandbox => x instanceof Sandbox).flatMap((sb) => {
    const out: ValidationIssue[] = [];
    if (!(sb.tier instanceof Tier)) out.push(issue(e, sb, 'tier', sb.tier, 'is not a tier', enumFix('Tier', Tier.ALL.map((t) => t.name.toUpperCase()))));
    if (!(sb.kind instanceof SandboxKind)) out.push(issue(e, sb, 'kind', sb.kind, 'is not a sandbox kind', enumFix('SandboxKind', ['ENGINEER', 'TEAM', 'BRANCH', 'APP'])));
    if (!(sb.seed instanceof SeedProfile)) {
      out.push(issue(e, sb, 'seed', sb.seed, 'is not a seed profile', 'use SeedProfile.SYNTHETIC_V1, SeedProfile.synthetic("<version>"), SeedProfile.sanitized("<dataset>") or SeedProfile.GOLDEN'));
    } else if (/^synthetic:(?![a-z0-9][a-z0-9._-]*$)/.test(sb.seed.name)) {
      out.push(issue(e, sb, 'seed', sb.seed.name, 'names no synthetic version', 'use SeedProfile.synthetic("<version>"), e.g. SeedProfile.synthetic("v2")'));
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

  // Declared network destinations: a bad CIDR must not reach a NetworkPolicy.
  networkEndpoints: (e) => [
    ...(e.vaultEndpoint ? endpointIssues(e.displayPath(e), 'vault', e.vaultEndpoint) : []),
    ...(e.kubernetesApi ? endpointIssues(e.displayPath(e), 'kubernetesApi', e.kubernetesApi) : []),
  ],

  // Where seed dumps live: a host and an absolute export root (every seed's PersistentVolume path derives from them).
  seedStore: (e) => {
    const out: ValidationIssue[] = [];
    if (!/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(String(e.seedStore.server))) {
      out.push(issue(e, e, 'seedStore.server', e.seedStore.server, 'is not a host name or IPv4 address', 'e.g. "nfs.example.internal"'));
    }
    if (!/^(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)+$/.test(String(e.seedStore.exportRoot)) || /\/\.\.?(\/|$)/.test(String(e.seedStore.exportRoot))) {
      out.push(issue(e, e, 'seedStore.exportRoot', e.seedStore.exportRoot, 'is not an absolute directory path without `.`/`..` segments or a trailing slash', 'e.g. "/tierkit-seeds"'));
    }
    return out;
  },

  // The estate's Vault mounts: the Vault client cleans every request path (path.Join), so "kvv2/" or
  // "a/../kvv2" would be written somewhere else than every path tierkit derives from it (TK062).
  vaultMounts: (e) => (['databaseMount', 'kvMount', 'kubernetesAuthPath', 'jwtAuthPath'] as const).flatMap((k) => {
    const v = e.vault[k];
    return typeof v === 'string' && /^[A-Za-z0-9_-][A-Za-z0-9._-]*(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$/.test(v) ? []
      : [issue(e, e, `vault.${k}`, v, 'is not a clean Vault mount path (letters, digits, "_", "-", "." and inner "/"; no segment starting with "." and no leading, trailing or doubled "/")',
        'write the mount path as Vault lists it without its trailing "/", e.g. "kvv2"')];
  }),

  ci: (e) => {
    const out: ValidationIssue[] = [];
    // (Missing, it is a type issue: a required property of ci.)
    if (e.ci.repositoryId !== undefined && !/^[1-9][0-9]*$/.test(String(e.ci.repositoryId))) {
      out.push(issue(e, e, 'ci.repositoryId', e.ci.repositoryId,
        "must be the repository's numeric GitHub id (a string of digits): Vault's CI roles bind the token's repository_id claim to it",
        `run \`gh api repos/${e.ci.repository} --jq .id\` and set ci.repositoryId to its output (as a string)`));
    }
    for (const [tier, id] of Object.entries(e.ci.publisherAppIds)) {
      if (!Number.isSafeInteger(id) || id < 1) {
        out.push(issue(e, e, `ci.publisherAppIds.${tier}`, id,
          "must be the publisher GitHub App's numeric id: the rendered branch's rulesets let only that App write the tier's paths",
          `set ci.publisherAppIds.${tier} to the App's id (its settings page, "App ID")`));
      }
    }
    const review = e.ci.reviewAppId;
    if (review !== undefined) {
      const publisher = Object.entries(e.ci.publisherAppIds).find(([, id]) => id === review);
      const why = !Number.isSafeInteger(review) || review < 1 ? "is not a GitHub App's numeric id"
        : review === GITHUB_ACTIONS_APP_ID ? 'is GitHub Actions itself, which every workflow of the repository posts statuses as (a branch\'s own workflow could post `tierkit review`)'
          : publisher ? `is also tier ${publisher[0]}'s publisher App: one App per purpose, or that tier's publish job can post the review's status` : undefined;
      if (why) {
        out.push(issue(e, e, 'ci.reviewAppId', review, `${why}: main's required \`tierkit review\` status is accepted only from this App`,
          'create a GitHub App of its own for the review (permissions: Commit statuses and Pull requests, read and write), install it on the repository and set ci.reviewAppId to its "App ID"'));
      }
    }
    const age = e.ci.maxPlanAgeHours;
    if (!Number.isInteger(age) || age < 1 || age > 720) {
      out.push(issue(e, e, 'ci.maxPlanAgeHours', age, 'must be a whole number of hours between 1 and 720: the apply refuses reviewed plans older than this',
        'set ci.maxPlanAgeHours to e.g. 24 (or leave it out for the default)'));
    }
    return out;
  },

  tierRuntime: (e) => e.tierSettings.flatMap((s, i) => {
    if (!isObject(s)) return []; // a type issue
    const at = (what: string, x: { property: string }) => `tiers[${i}].${what}${x.property ? `.${x.property}` : ''}`;
    const out: ValidationIssue[] = [];
    if (s.nodePool !== undefined) out.push(...nodePoolIssues(s.nodePool).map((x) => ({ ...x, path: e.displayPath(e), property: at('nodePool', x) })));
    if (s.argocdDestinationServer !== undefined && !/^https:\/\/[^\s/]+/.test(String(s.argocdDestinationServer))) {
      out.push(issue(e, e, `tiers[${i}].argocdDestinationServer`, s.argocdDestinationServer, 'is not an https URL of a Kubernetes API server', 'e.g. "https://prod.k8s.example:6443"'));
    }
    (Array.isArray(s.signatureKeyIds) ? s.signatureKeyIds : []).forEach((k, j) => {
      if (typeof k === 'string' && !/^[0-9A-Fa-f]{16}$/.test(k)) {
        out.push(issue(e, e, `tiers[${i}].signatureKeyIds[${j}]`, k, 'is not a GPG long key id (16 hex digits), which Argo CD\'s signatureKeys expect',
          'use `gpg --list-secret-keys --keyid-format long` on the publisher key, e.g. "4AEE18F83AFDEB23"'));
      }
    });
    if (s.databaseCaps !== undefined) out.push(...databaseCapsIssues(s.databaseCaps).map((x) => ({ ...x, path: e.displayPath(e), property: at('databaseCaps', x) })));
    if (s.vaultQuotas !== undefined) out.push(...vaultQuotasIssues(s.vaultQuotas).map((x) => ({ ...x, path: e.displayPath(e), property: at('vaultQuotas', x) })));
    if (s.workloadResources !== undefined) out.push(...resourcesIssues(s.workloadResources).map((x) => ({ ...x, path: e.displayPath(e), property: at('workloadResources', x) })));
    return out;
  }),

  // Tiers of different strictness on one cluster (TK044 refuses an undeclared one): each declaration complete.
  sharedClusters: (e) => e.sharedClusters.flatMap((c, i) => {
    const at = `sharedClusters[${i}]`;
    const out: ValidationIssue[] = [];
    if (typeof c?.server !== 'string' || !/^https:\/\/[^\s/]+/.test(c.server)) {
      out.push(issue(e, e, `${at}.server`, c?.server, 'is not an https URL of a Kubernetes API server', 'e.g. "https://kubernetes.default.svc"'));
    }
    if (c.tiers.length < 2) {
      out.push(issue(e, e, `${at}.tiers`, c.tiers, 'is not a list of at least two tiers', 'list every tier that deploys to the cluster, e.g. [Tier.DEV, Tier.PROD]'));
    }
    if (!isReason(c?.reason)) {
      out.push(issue(e, e, `${at}.reason`, c?.reason, `needs a reason of at least ${MIN_REASON_LENGTH} characters`, 'say why these tiers share one cluster and what separates them there'));
    }
    return out;
  }),

  // A retired stack keeps its state key for its tier's applier (contract/state-access.ts).
  retiredStacks: (e) => retiredStackIssues(e),

  serverEndpoints: (e) => e.servers.flatMap((s) => (s.cidr === undefined ? portIssues(e.displayPath(s), 'port', s.port)
    : endpointIssues(e.displayPath(s), '', { cidr: s.cidr, port: s.port }))),

  appRuntime: (e) => apps(e).flatMap((a) => {
    const out: ValidationIssue[] = [];
    if (!Number.isInteger(a.runAsUser) || a.runAsUser < 1 || a.runAsUser > 2147483647) {
      out.push(issue(e, a, 'runAsUser', a.runAsUser, 'is not a non-root UID (Pod Security "restricted" refuses UID 0)', 'give the UID the image runs as, e.g. 10001'));
    }
    if (a.resources !== undefined) out.push(...resourcesIssues(a.resources).map((x) => issue(e, a, x.property ? `resources.${x.property}` : 'resources', x.value, x.message, x.fix)));
    if (typeof a.healthPath !== 'string' || !/^\/[\x21-\x7e]*$/.test(a.healthPath)) {
      out.push(issue(e, a, 'healthPath', a.healthPath, 'is not an absolute HTTP path', 'use e.g. "/healthz"'));
    }
    out.push(...scrubIssues(e.displayPath(a), a.objectPrefix, a.scrub));
    out.push(...promoteGrantIssues(e.displayPath(a), a.objectPrefix, a.promoteGrants,
      a.sandboxes.some((s) => s.seed === SeedProfile.GOLDEN), a.environments.some((x) => x.tier === Tier.PROD && !x.isSandbox)));
    const synthetic = syntheticIssues(e.displayPath(a), a.objectPrefix, a.synthetic);
    out.push(...synthetic);
    // The producer mounts the generated SQL from a ConfigMap, which the API server caps at 1 MiB.
    const sqlBytes = synthetic.length === 0 && a.synthetic !== undefined ? Buffer.byteLength(syntheticSql(a.appName, a.synthetic)) : 0;
    if (sqlBytes > SYNTHETIC_SQL_MAX_BYTES) {
      out.push(issue(e, a, 'synthetic.tables', `${sqlBytes} bytes of SQL`, `generates more SQL than its producer's ConfigMap holds (${SYNTHETIC_SQL_MAX_BYTES} bytes)`,
        'generate fewer rows (the rows are the SQL), or produce the seed outside tierkit'));
    }
    out.push(...sanitizedIssues(e.displayPath(a), a.objectPrefix, a.sanitized));
    return out;
  }),

  // A sandbox seeded with a version or dataset the app's declared producers do not make would wait
  // for a seed nobody publishes: refused where the app declares its generator or profiles.
  seedProducers: (e) => apps(e).flatMap((a) => a.sandboxes.flatMap((s) => {
    const seed = typeof s.seed?.name === 'string' ? s.seed.name : '';
    const [kind, rest] = [seed.split(':')[0], seed.slice(seed.indexOf(':') + 1)];
    if (kind === 'synthetic' && a.synthetic && typeof a.synthetic.version === 'string' && rest !== a.synthetic.version) {
      return [issue(e, s, 'seed', seed, `is not the synthetic seed app ${a.appName}'s generator produces (synthetic:${a.synthetic.version})`, `seed it "synthetic:${a.synthetic.version}", or change the generator's version`)];
    }
    // v1 may predate tierkit's generators (produced and published by hand); any later version is
    // one the app declares, or no producer ever makes it.
    if (kind === 'synthetic' && !a.synthetic && rest !== 'v1') {
      return [issue(e, s, 'seed', seed, `app ${a.appName} declares no synthetic generator, so nothing produces ${seed}`, `declare App.synthetic with version "${rest}", or seed it "synthetic:v1"`)];
    }
    if (kind === 'sanitized' && a.sanitized.length > 0 && !a.sanitized.some((p) => p?.name === rest)) {
      return [issue(e, s, 'seed', seed, `names no sanitized profile of app ${a.appName} (${a.sanitized.map((p) => p?.name).join(', ')})`, 'seed it with a declared profile, or declare this one in App.sanitized')];
    }
    return [];
  })),

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
      ...seedProducers(env).map((p) => [`seedProducerCronJob[${p.seed}]`, p.name, CRONJOB_NAME_MAX] as [string, string, number]),
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

  // The cluster's, Argo CD's, the ingress controller's and tierkit's own namespaces (contract/reserved-namespaces.ts).
  reservedNamespaces: (e) => environments(e).flatMap((env) => {
    const ns = naming.namespace(env.coordinate);
    const why = namespaceReservation(ns, { argocd: e.argocd.namespace, peers: [e.ingressController.namespace] });
    return why === undefined ? [] : [issue(e, env, 'namespace', ns, `derives Kubernetes namespace "${ns}", which is ${why}: the env's Namespace, default-deny NetworkPolicy and quota would land there`,
      'rename the app or the env so its namespace <app>-<env> is none of default, argocd, ingress-nginx, kube-*, tierkit-*, Argo CD\'s or the ingress controller\'s')];
  }),

  coordinateCollisions: (e) => {
    const seen = new Map<string, AppEnvironment>();
    const out: ValidationIssue[] = [];
    for (const env of environments(e)) {
      const c = env.coordinate;
      // A seed producer's policy and auth role share its name (lifecycle/producers.ts): an env named
      // `ci-seed-synthetic-v1` of the app would otherwise declare the same Vault policy.
      const producers = seedProducers(env).flatMap((p) => [{ kind: 'Vault policy', name: p.name }, { kind: 'Vault Kubernetes auth role', name: p.name }]);
      for (const claimed of [...naming.claimedNames(c), ...producers]) {
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
      if (s.tempFileLimitRole !== undefined && (!/^[a-z_][a-z0-9_$]{0,62}$/.test(s.tempFileLimitRole) || /^(pg_|postgres$|public$)/.test(s.tempFileLimitRole))) {
        out.push(issue(e, s, 'tempFileLimitRole', s.tempFileLimitRole, 'is not a lowercase PostgreSQL role name of at most 63 bytes, or is a reserved or predefined role', 'use e.g. "tierkit_temp_file_limit"'));
      } else if (s.tempFileLimitRole !== undefined && s.majorVersion < 15) {
        out.push(issue(e, s, 'tempFileLimitRole', s.tempFileLimitRole, `needs GRANT SET ON PARAMETER, which PostgreSQL ${s.majorVersion} does not have (15+)`,
          'upgrade the server to 15 or newer, or remove tempFileLimitRole'));
      }
      // A server holding live data authenticates itself to every client that sends it a password (Vault,
      // CI's provider): `require` encrypts to whoever answers, so only verify-full stops an impostor.
      const live = s.tiers.find((t) => e.tier(t).config.data.includes(DataClass.LIVE));
      if (live && s.sslMode !== 'verify-full') {
        out.push(issue(e, s, 'sslMode', s.sslMode, `holds live data (tier ${live.name}): with sslmode ${s.sslMode} Vault and CI send its passwords to whoever answers at ${s.host}`,
          'set sslMode: "verify-full" and caCertificatePem: the PEM of the CA that signs the server\'s certificate'));
      }
      // verify-full authenticates the server only against a CA the client holds: Vault gets it as tls_ca.
      if (s.sslMode === 'verify-full' && s.caCertificatePem === undefined) {
        out.push(issue(e, s, 'caCertificatePem', undefined, 'is required with sslMode verify-full: Vault verifies the server against it',
          'give the PEM of the CA that signs the server\'s certificate, e.g. caCertificatePem: readFileSync("pg-prod-ca.pem", "utf8")'));
      }
      if (s.caCertificatePem !== undefined && !PEM_CERTIFICATE.test(s.caCertificatePem)) {
        out.push(issue(e, s, 'caCertificatePem', `${String(s.caCertificatePem).slice(0, 40)}…`, 'is not one PEM certificate (-----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----)',
          'give the CA\'s certificate, never its key'));
      } else if (s.caCertificatePem !== undefined && s.sslMode !== 'verify-full') {
        out.push(issue(e, s, 'sslMode', s.sslMode, 'declares a CA but does not verify the server with it', 'set sslMode: "verify-full"'));
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

  // (Elements that are no TierSettings of a Tier are type issues: judged here are the others, named by index.)
  tierSettings: (e) => e.tierSettings.flatMap((s, i) => {
    if (!isObject(s) || !(s.tier instanceof Tier)) return [];
    const eff = e.tier(s.tier);
    if (eff.loosenings.length === 0 || hasReason(s.reason)) return [];
    return eff.loosenings.map((l) => issue(e, e, `tiers[${i}].${l.property}`, l.value,
      `loosens the ${s.tier.name} default (${l.defaultValue}) without a reason`,
      `keep the default, or add reason: "<why, at least ${MIN_REASON_LENGTH} characters>" to the tier settings`));
  }),

  // Kubernetes refuses an ipBlock that is no canonical CIDR: the tier's namespaces would get no egress policy at all.
  egressAllowList: (e) => e.tierSettings.flatMap((s, t) => (isObject(s) && Array.isArray(s.egressAllowList) ? s.egressAllowList : []).flatMap((cidr, i) => (
    typeof cidr !== 'string' || canonicalCidr(cidr) === cidr ? []
      : [issue(e, e, `tiers[${t}].egressAllowList[${i}]`, cidr, 'is not a CIDR without host bits (Kubernetes refuses it in an ipBlock)',
        `use the network, e.g. "${canonicalCidr(cidr) || '10.10.0.0/16'}"`)]))),

  // A target without ports would open every port; a CIDR listed twice would be judged by one entry only.
  egressTargets: (e) => e.tierSettings.flatMap((s, t) => {
    if (!isObject(s) || !Array.isArray(s.egressTargets)) return [];
    const out: ValidationIssue[] = [];
    const seen = new Set(Array.isArray(s.egressAllowList) ? s.egressAllowList : []);
    s.egressTargets.forEach((target, i) => {
      const at = `tiers[${t}].egressTargets[${i}]`;
      if (!isObject(target)) return; // a type issue
      const cidr = target.cidr;
      if (typeof cidr === 'string' && canonicalCidr(cidr) !== cidr) {
        out.push(issue(e, e, `${at}.cidr`, cidr, 'is not a CIDR without host bits (Kubernetes refuses it in an ipBlock)', `use the network, e.g. "${canonicalCidr(cidr) || '10.20.0.0/16'}"`));
      } else if (typeof cidr === 'string' && seen.has(cidr)) {
        out.push(issue(e, e, `${at}.cidr`, cidr, 'is listed twice (in egressAllowList or another target)', 'declare each destination once, with all its ports'));
      }
      if (typeof cidr === 'string') seen.add(cidr);
      if (Array.isArray(target.ports) && target.ports.length === 0) {
        out.push(issue(e, e, `${at}.ports`, target.ports, 'is empty: a NetworkPolicy rule without ports opens every port', 'list the ports, e.g. [{ protocol: "TCP", port: 443 }]'));
      }
      (Array.isArray(target.ports) ? target.ports : []).forEach((p, j) => {
        if (isObject(p) && (!Number.isInteger(p.port) || (p.port as number) < 1 || (p.port as number) > 65535)) {
          out.push(issue(e, e, `${at}.ports[${j}].port`, p.port, 'is not a port number (1–65535)', 'e.g. 443'));
        }
      });
    });
    return out;
  }),

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

  sandboxTemplates: sandboxTemplateIssues,
  releases: (e) => apps(e).flatMap((a) => releasesAppIssues(e, a)),
  // A tag can be moved under a running pod: what runs on a live tier is named by digest (the
  // release's, or the app's image); tierkit's own Job images are pinned in lifecycle/images.ts.
  imageDigests: (e) => [
    ...apps(e).flatMap((a) => {
      // An app with a releases file: that file names each env's image, by digest (releases validation).
      if (a.releases !== undefined) return [];
      const live = a.environments.filter((x) => e.tier(x.tier).config.data.includes(DataClass.LIVE) && !IMAGE_BY_DIGEST.test(x.image));
      return live.length === 0 ? [] : [issue(e, a, 'image', a.image,
        `runs on live tier ${live[0].tier.name} (env ${live[0].env}) without a digest: whoever moves the tag changes what runs on live data`,
        `pin it: image: "${typeof a.image === 'string' ? a.image.replace(/@.*$/, '') : '<repo>:<tag>'}@sha256:<digest>" (or give the env a release with an image by digest)`)];
    }),
    ...e.servers.flatMap((s) => {
      // A pinned major needs no search (most servers): the envs are walked only for one without a client image.
      if (!Number.isInteger(s.majorVersion) || POSTGRES_CLIENT[s.majorVersion] !== undefined) return [];
      // A synthetic producer uses the lowest major of its app's servers (lifecycle/producers.ts).
      const needs = environments(e).find((x) => x.server === s && (hasGoldenDump(x) || hasReset(x) || x.app.synthetic !== undefined));
      return needs === undefined ? [] : [issue(e, s, 'majorVersion', s.majorVersion,
        `has no pinned PostgreSQL client image, and env ${needs.slug}'s lifecycle Job needs one (pinned majors: ${PINNED_POSTGRES_MAJORS.join(', ')})`,
        `use a pinned major, or pin docker.io/library/postgres:<tag>@sha256:<digest> for ${s.majorVersion} in constructs/lifecycle/images.ts`)];
    }),
  ],
  // The envs once, not once per app: quadratic at 300 apps × 2,300 envs (~0.5 s of synth at 100×).
  previews: (e) => {
    const envs = environments(e);
    return apps(e).flatMap((a) => previewIssues(e, a, envs));
  },
  promotion: (e) => e.promotion.issues(e.displayPath(e), (t) => e.tier(t).config.applyGate.human),
  backend: (e) => e.backend.issues(e.displayPath(e)),

  suppressions: (e) => environments(e).flatMap((env) => env.suppressions.filter((s) => !hasReason(s.reason)).map((s) =>
    issue(e, env, `suppressions[${s.ruleId}].reason`, s.reason, `a suppression needs a reason of at least ${MIN_REASON_LENGTH} characters`,
      'say why the finding is acceptable here'))),
};

/**
 * Every issue of the estate, in a stable order, in one run: every rule runs over the whole
 * estate. An issue on a construct property already reported by an earlier rule is left out (a
 * bad shape outranks what follows from it); a rule's own issues are all kept (two duplicates,
 * two issues). A rule that throws is an issue of its own — unless earlier issues explain it (it
 * tripped over what they report).
 */
export function validateEstate(estate: Estate): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  const seen = new Map<string, string[]>();
  // The same property, or one inside or around it (`ci` and `ci.repositoryId`): what follows from a reported problem.
  const related = (a: string, b: string) => a === b || b.startsWith(`${a}.`) || b.startsWith(`${a}[`) || a.startsWith(`${b}.`) || a.startsWith(`${b}[`);
  const covered = (i: ValidationIssue) => (seen.get(i.path) ?? []).some((p) => related(p, i.property));
  for (const [name, rule] of Object.entries(rules)) {
    let found: ValidationIssue[];
    try {
      found = rule(estate);
    } catch (err) {
      if (out.length > 0) continue;
      found = [{ path: estate.displayPath(estate), property: `(validation: ${name})`, value: undefined,
        message: `could not be checked: ${err instanceof Error ? err.message : String(err)}`, fix: 'report this to tierkit with the estate program' }];
    }
    const fresh = found.filter((i) => !covered(i));
    for (const i of fresh) seen.set(i.path, [...(seen.get(i.path) ?? []), i.property]);
    out.push(...fresh);
  }
  return out;
}

export function assertValid(estate: Estate): void {
  const issues = validateEstate(estate);
  if (issues.length > 0) throw new TierkitValidationError(issues);
}
