/**
 * The golden dump's and the reset's pods compared whole with what tierkit renders
 * (constructs/lifecycle/jobs.ts), for TK133 and TK135. Their scripts trust their inputs: the
 * golden dump sources the credentials file and reads its paths from the environment, the reset
 * trusts the hash file and the dump path. So every Vault agent annotation, every env var, every
 * mount and every container of these pods is what tierkit renders, derived from the manifest;
 * anything else (an extra template, `agent-inject-file-*`, an env var the script or libpq reads,
 * a mount, an image other than tierkit's pinned one, a step of the pod, a pod spec key) is a problem
 * (the comparison itself: pod-compare.ts). securityContext and resources are judged by the pod-security rules.
 */
import { predicateProblem } from '../../../contract/sql-predicate';
import { GOLDEN_DUMP_SCRIPT, LIFECYCLE_PATHS as P, PUBLISH_SEED_HASH_SCRIPT, RESET_SCRIPT, SEED_HASH_FILE, credentialsTemplate, seedHashTemplate } from '../../../constructs/lifecycle/scripts';
import { POSTGRES_CLIENT, VAULT_CLI, imageReference } from '../../../constructs/lifecycle/images';
import * as naming from '../../../constructs/naming';
import { GOLDEN_TEMPLATE_LOAD_SCRIPT, TEMPLATE_RESET_SCRIPT } from '../../../constructs/lifecycle/template-reset';
import { TEMPLATE_RESET_DRAIN_SECONDS } from '../../../contract/template-reset-login';
import { PRODUCER_PATHS, SANITIZE_SCRIPT, SYNTHETIC_SEED_SCRIPT } from '../../../constructs/lifecycle/seed-scripts';
import type { EstateGraph } from '../../graph/types';
import { type Env, type Expected, pgEnv, podProblems, same } from './pod-compare';
import type { FoundTemplate } from './pod-templates';
import { revokeSteps, scaleStep } from './reset-steps';
import { needsResetRevoke } from './ttl-sweep';

/** What differs between a golden-writing pod of `env` and tierkit's golden dump; [] when nothing does. */
export function goldenPodProblems(g: EstateGraph, t: FoundTemplate, env: Env | undefined): string[] {
  if (!env) return ['its namespace is no app-environment of the manifest'];
  const pg = pgEnv(g, env);
  if (!pg) return [`its server ${JSON.stringify(env.server)} is not in the manifest, or has a major with no pinned client image`];
  const kv = g.manifest.estate?.vault?.kvMount ?? 'kvv2';
  const c = { app: env.app, env: env.env };
  const secret = `${kv}/data/${naming.goldenDumpKvSecretName(c)}`;
  const spec = t.template.spec ?? {};
  const dump = (Array.isArray(spec.initContainers) ? spec.initContainers : []).find((x: any) => x?.name === 'golden-dump');
  // The scrub SQL is judged by TK133 itself (its calls, its predicates, or a reasoned scrubReason).
  const scrub = (Array.isArray(dump?.env) ? dump.env : []).find((v: any) => v?.name === 'TIERKIT_SCRUB_SQL')?.value;
  return podProblems(t, t.template.metadata?.annotations ?? {}, {
    'agent-inject': 'true', 'agent-pre-populate-only': 'true', 'agent-init-first': 'true', role: naming.goldenDumpName(c),
    'agent-inject-secret-database': secret, 'agent-inject-template-database': credentialsTemplate(secret, true), 'agent-inject-token': 'true',
  }, {}, {
    initContainers: [{
      name: 'golden-dump', image: pg.image, command: ['/bin/bash', '-c', GOLDEN_DUMP_SCRIPT],
      env: {
        ...pg.vars, TIERKIT_DUMP_FILE: `${P.seedMount}/${naming.SEED_DUMP_FILE}`, TIERKIT_HASHES_FILE: P.hashesFile, TIERKIT_SCRATCH_DIR: P.scratchDir,
        TIERKIT_SCRUB_SQL: typeof scrub === 'string' ? scrub : '',
      },
      mounts: [{ name: 'seeds', mountPath: P.seedMount }, { name: 'scratch', mountPath: P.scratchDir }, { name: 'tmp', mountPath: P.tmpMount }],
    }],
    containers: [{
      name: 'publish-seed-hash', image: imageReference(VAULT_CLI), command: ['/bin/sh', '-c', PUBLISH_SEED_HASH_SCRIPT],
      env: {
        TIERKIT_HASHES_FILE: P.hashesFile, TIERKIT_SEED_KV_MOUNT: kv, TIERKIT_SEED_KV_NAME: naming.seedHashKvSecretName(env.app, 'golden'),
        TIERKIT_VAULT_TOKEN_FILE: P.vaultTokenFile, VAULT_ADDR: String(g.manifest.estate?.vault?.address),
      },
      mounts: [{ name: 'tmp', mountPath: P.tmpMount }],
    }],
  }, ['scratch', 'tmp']);
}

/**
 * What differs between a seed-reading pod of `env` and tierkit's reset; [] when nothing does. Every
 * step is compared whole: the scale steps always, the revoke and flags steps (and the agent's token)
 * exactly where the env's reset revokes (an hourly reset, `needsResetRevoke`) and never elsewhere.
 */
export function resetPodProblems(g: EstateGraph, t: FoundTemplate, env: Env | undefined, seed: string): string[] {
  if (!env) return ['its namespace is no app-environment of the manifest'];
  const pg = pgEnv(g, env);
  if (!pg) return [`its server ${JSON.stringify(env.server)} is not in the manifest, or has a major with no pinned client image`];
  const kv = g.manifest.estate?.vault?.kvMount ?? 'kvv2';
  const c = { app: env.app, env: env.env };
  const hashes = `${kv}/data/${naming.seedHashKvSecretName(env.app, seed)}`;
  // A template-reset sandbox's reset clones its golden as a login of its template role (TK117 judges that role).
  const template = (env as { sandbox?: { reset?: unknown } }).sandbox?.reset === 'template';
  const creds = template ? naming.templateResetCredsPath(c, { databaseMount: String(g.manifest.estate?.vault?.databaseMount ?? 'database') } as naming.EstateNaming) : env.names.vaultCredsPath;
  const spec = t.template.spec ?? {};
  const init: any[] = Array.isArray(spec.initContainers) ? spec.initContainers : [];
  // From the manifest, never from the pod: a pod's own "revoke-leases" must not earn it a Vault token.
  const revoke = needsResetRevoke(g, env);
  const reset = init.find((x) => x?.name === 'reset');
  const vars = (Array.isArray(reset?.env) ? reset.env : []) as any[];
  const val = (n: string) => vars.find((v) => v?.name === n)?.value;
  return podProblems(t, t.template.metadata?.annotations ?? {}, {
    'agent-inject': 'true', 'agent-pre-populate-only': 'true', 'agent-init-first': 'true', role: naming.resetName(c),
    'agent-inject-secret-database': creds, 'agent-inject-template-database': credentialsTemplate(creds, false),
    'agent-inject-secret-seed': hashes, 'agent-inject-template-seed': seedHashTemplate(hashes),
    ...(revoke ? { 'agent-inject-token': 'true' } : {}),
  }, {}, {
    initContainers: [scaleStep(env, 'scale-down'), template ? {
      name: 'reset', image: pg.image, command: ['/bin/bash', '-c', TEMPLATE_RESET_SCRIPT],
      env: { ...pg.vars, ...templateResetVars(g, env) },
      mounts: [{ name: 'seeds', mountPath: P.seedMount, readOnly: true }, { name: 'tmp', mountPath: P.tmpMount }],
    } : {
      name: 'reset', image: pg.image, command: ['/bin/bash', '-c', RESET_SCRIPT],
      env: {
        ...pg.vars, TIERKIT_GROUP_ROLE: env.names.groupRole, TIERKIT_VAULT_CONNECTION_ROLE: env.names.vaultConnectionRole,
        TIERKIT_DUMP_FILE: `${P.seedMount}/${naming.SEED_DUMP_FILE}`, TIERKIT_SEED_HASH_FILE: SEED_HASH_FILE,
        // How long the reset waits for the app's sessions: a number, not a path or a command.
        TIERKIT_DRAIN_TIMEOUT_SECONDS: /^[0-9]{1,5}$/.test(String(val('TIERKIT_DRAIN_TIMEOUT_SECONDS'))) ? String(val('TIERKIT_DRAIN_TIMEOUT_SECONDS')) : '120',
      },
      mounts: [{ name: 'seeds', mountPath: P.seedMount, readOnly: true }, { name: 'tmp', mountPath: P.tmpMount }],
    }, ...(revoke ? revokeSteps(g, env) : [])],
    containers: [scaleStep(env, 'scale-up')],
  }, ['tmp']);
}

/**
 * The template reset's inputs as tierkit renders them (lifecycle/jobs.ts templateResetEnv): names
 * derived from the coordinate, the apply's CONNECT grants and connection limit read from the env's
 * own `postgresql_database.database`, and the drain that outlasts Vault's pooled sessions (exactly).
 */
function goldenLoadVars(env: Env): Record<string, string> {
  const c = { app: env.app, env: env.env };
  return {
    TIERKIT_TEMPLATE_ROLE: naming.templateResetRoleName(c), TIERKIT_GROUP_ROLE: env.names.groupRole,
    TIERKIT_DATABASE: env.names.database, TIERKIT_GOLDEN_DATABASE: naming.goldenTemplateDatabaseName(c), TIERKIT_SEED_HASH_FILE: SEED_HASH_FILE,
    TIERKIT_VAULT_CONNECTION_ROLE: env.names.vaultConnectionRole,
  };
}

function templateResetVars(g: EstateGraph, env: Env): Record<string, string> {
  const db = g.resources.find((r) => r.stack === env.stack && r.address === 'postgresql_database.database');
  const limit = db?.attributes.connection_limit;
  return {
    ...goldenLoadVars(env),
    TIERKIT_CONNECT_ROLES: `${env.names.groupRole} ${naming.PLANNER_GROUP_ROLE}`,
    // An unreadable limit expects a value no rendering has: the pod is then a finding, never a pass.
    TIERKIT_CONNECTION_LIMIT: typeof limit === 'number' ? String(limit) : limit === undefined && db ? '-1' : '<unreadable connection_limit>',
    TIERKIT_DRAIN_TIMEOUT_SECONDS: String(TEMPLATE_RESET_DRAIN_SECONDS),
    TIERKIT_DUMP_FILE: `${P.seedMount}/${naming.SEED_DUMP_FILE}`,
  };
}

/**
 * What differs between a golden-load pod of `env` and tierkit's (lifecycle/jobs.ts): only a
 * template-reset sandbox has one; it logs in as the template role's login, like its reset.
 */
export function goldenLoadPodProblems(g: EstateGraph, t: FoundTemplate, env: Env | undefined, seed: string): string[] {
  if (!env) return ['its namespace is no app-environment of the manifest'];
  if ((env as { sandbox?: { reset?: unknown } }).sandbox?.reset !== 'template') return [`${env.slug} does not reset from a template: it has no golden to load`];
  const pg = pgEnv(g, env);
  if (!pg) return [`its server ${JSON.stringify(env.server)} is not in the manifest, or has a major with no pinned client image`];
  const kv = g.manifest.estate?.vault?.kvMount ?? 'kvv2';
  const c = { app: env.app, env: env.env };
  const hashes = `${kv}/data/${naming.seedHashKvSecretName(env.app, seed)}`;
  const creds = naming.templateResetCredsPath(c, { databaseMount: String(g.manifest.estate?.vault?.databaseMount ?? 'database') } as naming.EstateNaming);
  return podProblems(t, t.template.metadata?.annotations ?? {}, {
    'agent-inject': 'true', 'agent-pre-populate-only': 'true', 'agent-init-first': 'true', role: naming.resetName(c),
    'agent-inject-secret-database': creds, 'agent-inject-template-database': credentialsTemplate(creds, false),
    'agent-inject-secret-seed': hashes, 'agent-inject-template-seed': seedHashTemplate(hashes),
  }, {}, {
    containers: [{
      name: 'golden-load', image: pg.image, command: ['/bin/bash', '-c', GOLDEN_TEMPLATE_LOAD_SCRIPT],
      env: { ...pg.vars, ...goldenLoadVars(env), TIERKIT_DUMP_FILE: `${P.seedMount}/${naming.SEED_DUMP_FILE}` },
      mounts: [{ name: 'seeds', mountPath: P.seedMount, readOnly: true }, { name: 'tmp', mountPath: P.tmpMount }],
    }],
  }, ['tmp']);
}

/** A literal as constructs/sanitize.ts writes it. */
const LIT = "'((?:[^']|'')*)'";
const SANITIZE_CALLS: readonly RegExp[] = [
  new RegExp(`^SELECT pg_temp\\.tk_sample\\(${LIT}, ([0-9][0-9.e+-]*)\\);$`),
  /^SELECT pg_temp\.tk_drop_orphans\(\);$/,
  new RegExp(`^SELECT pg_temp\\.tk_mask\\(${LIT}, ${LIT}, '(null|constant|keyed-hash|generalize-prefix|generalize-bucket|generalize-year)', (?:NULL|${LIT})\\);$`),
  new RegExp(`^SELECT pg_temp\\.tk_k_anonymity\\(${LIT}, ARRAY\\[${LIT}(?:, ${LIT})*\\]::text\\[\\], [1-9][0-9]{0,8}\\);$`),
];
const SANITIZE_DELETE = new RegExp(`^SELECT pg_temp\\.tk_delete\\(${LIT}, ${LIT}\\);$`);

/**
 * Why a sanitized producer's TIERKIT_SANITIZE_SQL is not only tierkit's sanitize calls
 * (constructs/sanitize.ts) with predicates tierkit reads; undefined when it is. The script pipes it
 * into psql between its guard and its verification: anything else (a psql meta-command, a statement
 * that replaces the verification) would publish what was never masked.
 */
export function sanitizeSqlProblem(sql: string): string | undefined {
  if (sql === '') return 'it is empty';
  for (const line of sql.split('\n')) {
    const del = SANITIZE_DELETE.exec(line);
    if (del) {
      const problem = predicateProblem(del[2].replace(/''/g, "'"));
      if (problem) return `the delete predicate on ${del[1]} ${problem}`;
      continue;
    }
    const sample = SANITIZE_CALLS[0].exec(line);
    if (sample) {
      const share = Number(sample[2]);
      if (!(share > 0 && share < 1)) return `the sample share ${JSON.stringify(sample[2])} is not between 0 and 1`;
      continue;
    }
    if (!SANITIZE_CALLS.some((r) => r.test(line))) return `${JSON.stringify(line.slice(0, 80))} is not one of tierkit's sanitize calls`;
  }
  return undefined;
}

export interface ProducerShape {
  readonly seed: string;
  readonly kind: 'synthetic' | 'sanitized';
  readonly name: string;
}

/**
 * What differs between a pod of `env` and the seed producer `p` tierkit renders
 * (constructs/lifecycle/producers.ts); [] when nothing does. The producer reads nothing live (no
 * PGHOST, no credential), so every env var, mount, volume and annotation is pinned: an extra Vault
 * template, a writable golden, a second store, a ConfigMap of another name are all problems.
 */
export function producerPodProblems(g: EstateGraph, t: FoundTemplate, env: Env, p: ProducerShape): string[] {
  const kv = g.manifest.estate?.vault?.kvMount ?? 'kvv2';
  const servers = new Map((g.manifest.servers ?? []).map((s: any) => [s.id, s]));
  const majorOf = (e: Env) => (servers.get(e.server) as any)?.majorVersion;
  const majors = p.kind === 'synthetic' ? g.envs.filter((e) => e.app === env.app).map(majorOf) : [majorOf(env)];
  if (majors.some((m) => !Number.isInteger(m))) return ['a server of its app is not in the manifest: the producer\'s PostgreSQL tools cannot be judged'];
  const pinned = POSTGRES_CLIENT[Math.min(...majors)];
  if (!pinned) return [`PostgreSQL ${Math.min(...majors)} has no pinned client image`];
  const spec = t.template.spec ?? {};
  const out: string[] = [];
  if (spec.serviceAccountName !== p.name) out.push(`it runs as service account ${JSON.stringify(spec.serviceAccountName ?? null)}, not "${p.name}"`);
  const goldenHashes = `${kv}/data/${naming.seedHashKvSecretName(env.app, 'golden')}`;
  const base = {
    TIERKIT_DUMP_FILE: `${P.seedMount}/${naming.SEED_DUMP_FILE}`, TIERKIT_HASHES_FILE: P.hashesFile,
    TIERKIT_OBJECT_PREFIX: env.objectPrefix, TIERKIT_SCRATCH_DIR: P.scratchDir,
  };
  const c = { app: env.app, env: env.env };
  let produce: Expected;
  if (p.kind === 'synthetic') {
    produce = {
      name: 'synthetic-seed', image: imageReference(pinned), command: ['/bin/bash', '-c', SYNTHETIC_SEED_SCRIPT],
      env: { ...base, TIERKIT_SEED_SQL_FILE: `${PRODUCER_PATHS.sqlMount}/${PRODUCER_PATHS.sqlFile}` },
      mounts: [{ name: 'seeds', mountPath: P.seedMount }, { name: 'seed-sql', mountPath: PRODUCER_PATHS.sqlMount, readOnly: true },
        { name: 'scratch', mountPath: P.scratchDir }, { name: 'tmp', mountPath: P.tmpMount }],
    };
  } else {
    const init = (Array.isArray(spec.initContainers) ? spec.initContainers : []).find((x: any) => x?.name === 'sanitize');
    const sql = (Array.isArray(init?.env) ? init.env : []).find((v: any) => v?.name === 'TIERKIT_SANITIZE_SQL')?.value;
    const problem = typeof sql === 'string' ? sanitizeSqlProblem(sql) : 'it is not set';
    if (problem) out.push(`its TIERKIT_SANITIZE_SQL is not tierkit's sanitize calls (${problem}): what it publishes may never have been masked`);
    produce = {
      name: 'sanitize', image: imageReference(pinned), command: ['/bin/bash', '-c', SANITIZE_SCRIPT],
      env: {
        ...base, TIERKIT_GOLDEN_DUMP_FILE: `${PRODUCER_PATHS.goldenMount}/${naming.SEED_DUMP_FILE}`, TIERKIT_GOLDEN_HASH_FILE: SEED_HASH_FILE,
        TIERKIT_SANITIZE_SQL: typeof sql === 'string' ? sql : '',
      },
      mounts: [{ name: 'golden', mountPath: PRODUCER_PATHS.goldenMount, readOnly: true }, { name: 'seeds', mountPath: P.seedMount },
        { name: 'scratch', mountPath: P.scratchDir }, { name: 'tmp', mountPath: P.tmpMount }],
    };
  }
  out.push(...podProblems(t, t.template.metadata?.annotations ?? {}, {
    'agent-inject': 'true', 'agent-pre-populate-only': 'true', 'agent-init-first': 'true', role: p.name, 'agent-inject-token': 'true',
    ...(p.kind === 'sanitized' ? { 'agent-inject-secret-seed': goldenHashes, 'agent-inject-template-seed': seedHashTemplate(goldenHashes) } : {}),
  }, {}, {
    initContainers: [produce],
    containers: [{
      name: 'publish-seed-hash', image: imageReference(VAULT_CLI), command: ['/bin/sh', '-c', PUBLISH_SEED_HASH_SCRIPT],
      env: {
        TIERKIT_HASHES_FILE: P.hashesFile, TIERKIT_SEED_KV_MOUNT: kv, TIERKIT_SEED_KV_NAME: naming.seedHashKvSecretName(env.app, p.seed),
        TIERKIT_VAULT_TOKEN_FILE: P.vaultTokenFile, VAULT_ADDR: String(g.manifest.estate?.vault?.address),
      },
      mounts: [{ name: 'tmp', mountPath: P.tmpMount }],
    }],
  }, ['scratch', 'tmp']));
  // Every volume is pinned: the store its own seed's claim, the golden read-only, the SQL its own ConfigMap, nothing else.
  const wantVolumes: Record<string, (v: any) => boolean> = {
    seeds: (v) => same(v, { name: 'seeds', persistentVolumeClaim: { claimName: naming.seedClaimName(p.seed), readOnly: false } }),
    scratch: () => true, tmp: () => true, // emptyDirs: judged above
    'vault-token': (v) => Object.keys(v).sort().join() === 'name,projected'
      && JSON.stringify(v.projected?.sources?.map((s: any) => Object.keys(s))) === '[["serviceAccountToken"]]',
    ...(p.kind === 'sanitized' ? { golden: (v: any) => same(v, { name: 'golden', persistentVolumeClaim: { claimName: naming.seedClaimName('golden'), readOnly: true } }) } : {}),
    ...(p.kind === 'synthetic' ? { 'seed-sql': (v: any) => same(v, { name: 'seed-sql', configMap: { name: naming.seedProducerSqlName(c, p.seed) } }) } : {}),
  };
  const volumes: any[] = Array.isArray(spec.volumes) ? spec.volumes : [];
  for (const v of volumes) {
    const ok = wantVolumes[v?.name];
    if (!ok || volumes.filter((x) => x?.name === v.name).length !== 1 || !ok(v)) out.push(`volume ${JSON.stringify(v?.name ?? null)} is not one tierkit renders for this producer (${JSON.stringify(v)})`);
  }
  for (const n of Object.keys(wantVolumes)) if (!volumes.some((v) => v?.name === n)) out.push(`volume "${n}" is missing`);
  return out;
}
