/**
 * The seed producers as Jobs (issue 22, docs/seed-data.md): on-demand CronJobs that make a seed,
 * write it to that seed's store (its own writable PV) and publish its hashes to that seed's KV
 * secret, each with its own ServiceAccount and Vault identity (policy + auth role, declared in the
 * host env's stack: synth/app-environment-stack.ts):
 * - synthetic (`App.synthetic`): runs SYNTHETIC_SEED_SCRIPT on the generated SQL (a ConfigMap) in
 *   a non-live namespace of the app; it reads nothing from Vault and mounts nothing but its SQL
 *   and its own store;
 * - sanitized (`App.sanitized`, one per profile): runs SANITIZE_SCRIPT beside the golden dump in
 *   the app's prod namespace, reading the golden read-only and its published hashes (the only
 *   thing its Vault policy reads); it never connects to the prod server (no PGHOST, no credential).
 * Both run as the non-superuser `tierkit_seed` on a throwaway server in their own emptyDir.
 */
import { Chart } from 'cdk8s';
import * as k8s from 'cdk8s-plus-32/lib/imports/k8s';
import type { AppEnvironment } from '../app-environment';
import { DataClass } from '../enums';
import * as naming from '../naming';
import { sanitizeSql } from '../sanitize';
import { syntheticSql } from '../synthetic';
import { DATABASE_TOOL_RESOURCES, SCALE_STEP_RESOURCES } from '../runtime';
import { containerResources, placement, vaultAgentRuntimeAnnotations } from '../synth/pod-security';
import { LIFECYCLE_PATHS as P, PUBLISH_SEED_HASH_SCRIPT, SEED_HASH_FILE, seedHashTemplate } from './scripts';
import { PRODUCER_PATHS, SANITIZE_SCRIPT, SYNTHETIC_SEED_SCRIPT } from './seed-scripts';
import { buildSeedVolume } from './seed-store';
import { hasGoldenDump } from './plan';
import { VAULT_CLI_IMAGE, cronJob, postgresClientImage, securityContext, seedVolume } from './jobs';

export interface SeedProducer {
  readonly seed: string;
  readonly kind: 'synthetic' | 'sanitized';
  /** CronJob, ServiceAccount, Vault policy and auth role (naming.seedProducerName). */
  readonly name: string;
}

const isLive = (env: AppEnvironment) => env.estate.tier(env.tier).config.data.includes(DataClass.LIVE);

/**
 * The env whose namespace runs the app's synthetic producer: a tier env (never a sandbox) of a
 * non-live tier, the lowest-ranked one other than `local` (a developer's cluster), else `local`.
 */
export function syntheticProducerHost(env: AppEnvironment): AppEnvironment | undefined {
  const hosts = env.app.environments.filter((e) => !e.isSandbox && !isLive(e))
    .sort((a, b) => Number(a.tier.name === 'local') - Number(b.tier.name === 'local') || a.tier.rank - b.tier.rank);
  return hosts[0];
}

/** The producers `env`'s namespace runs: the synthetic one where it hosts it, the sanitized ones beside the golden dump. */
export function seedProducers(env: AppEnvironment): SeedProducer[] {
  const c = env.coordinate;
  const out: SeedProducer[] = [];
  const spec = env.app.synthetic;
  if (spec !== undefined && typeof spec.version === 'string' && syntheticProducerHost(env) === env) {
    const seed = `synthetic:${spec.version}`;
    out.push({ seed, kind: 'synthetic', name: naming.seedProducerName(c, seed) });
  }
  if (hasGoldenDump(env)) {
    for (const p of env.app.sanitized) {
      const seed = `sanitized:${p.name}`;
      out.push({ seed, kind: 'sanitized', name: naming.seedProducerName(c, seed) });
    }
  }
  return out;
}

/**
 * The PostgreSQL major whose tools make a synthetic seed: the lowest of the app's servers, since a
 * `pg_dump -Fc` archive is read only by a `pg_restore` of its major or later (every consumer's).
 */
export function syntheticProducerMajor(env: AppEnvironment): number {
  return Math.min(...env.app.environments.map((e) => e.server!.majorVersion));
}

/** The producer's Vault policy rules: write its own seed's hashes; a sanitized one reads the golden's hashes too. */
export function producerPolicyRules(env: AppEnvironment, p: SeedProducer): { path: string; capabilities: string[] }[] {
  const kv = env.estate.naming.kvMount;
  return [
    ...(p.kind === 'sanitized' ? [{ path: `${kv}/data/${naming.seedHashKvSecretName(env.app.appName, 'golden')}`, capabilities: ['read'] }] : []),
    { path: `${kv}/data/${naming.seedHashKvSecretName(env.app.appName, p.seed)}`, capabilities: ['create', 'update'] },
  ];
}

export function buildSeedProducers(chart: Chart, env: AppEnvironment, labels: Record<string, string>): void {
  const producers = seedProducers(env);
  if (producers.length === 0) return;
  const c = env.coordinate;
  const ns = naming.namespace(c);
  const kv = env.estate.naming.kvMount;
  const tmpMount = { name: 'tmp', mountPath: P.tmpMount };
  const agent = vaultAgentRuntimeAnnotations(env.tier);
  const dbToolResources = containerResources(env.tier, DATABASE_TOOL_RESOURCES);
  const publishResources = containerResources(env.tier, SCALE_STEP_RESOURCES);
  for (const p of producers) {
    const meta = { name: p.name, namespace: ns, labels };
    const id = `seed_producer_${naming.seedSlug(p.seed).replace(/[^A-Za-z0-9]/g, '_')}`;
    new k8s.KubeServiceAccount(chart, `${id}_service_account`, { metadata: meta, automountServiceAccountToken: false });
    const store = buildSeedVolume(chart, env, p.seed, 'write', labels);
    const base = {
      TIERKIT_DUMP_FILE: `${P.seedMount}/${naming.SEED_DUMP_FILE}`, TIERKIT_HASHES_FILE: P.hashesFile,
      TIERKIT_OBJECT_PREFIX: env.app.objectPrefix, TIERKIT_SCRATCH_DIR: P.scratchDir,
    };
    const goldenHashes = `${kv}/data/${naming.seedHashKvSecretName(c.app, 'golden')}`;
    const produce: k8s.Container = p.kind === 'synthetic' ? {
      name: 'synthetic-seed', image: postgresClientImage(syntheticProducerMajor(env)), command: ['/bin/bash', '-c', SYNTHETIC_SEED_SCRIPT],
      env: sortedEnv({ ...base, TIERKIT_SEED_SQL_FILE: `${PRODUCER_PATHS.sqlMount}/${PRODUCER_PATHS.sqlFile}` }),
      volumeMounts: [
        { name: 'seeds', mountPath: P.seedMount }, { name: 'seed-sql', mountPath: PRODUCER_PATHS.sqlMount, readOnly: true },
        { name: 'scratch', mountPath: P.scratchDir }, tmpMount,
      ],
      securityContext, resources: dbToolResources,
    } : {
      // The golden's own major: its archive is read by pg_restore of that major.
      name: 'sanitize', image: postgresClientImage(env.server!.majorVersion), command: ['/bin/bash', '-c', SANITIZE_SCRIPT],
      env: sortedEnv({
        ...base, TIERKIT_GOLDEN_DUMP_FILE: `${PRODUCER_PATHS.goldenMount}/${naming.SEED_DUMP_FILE}`, TIERKIT_GOLDEN_HASH_FILE: SEED_HASH_FILE,
        TIERKIT_SANITIZE_SQL: sanitizeSql(env.app.sanitized.find((s) => `sanitized:${s.name}` === p.seed)!),
      }),
      volumeMounts: [
        { name: 'golden', mountPath: PRODUCER_PATHS.goldenMount, readOnly: true }, { name: 'seeds', mountPath: P.seedMount },
        { name: 'scratch', mountPath: P.scratchDir }, tmpMount,
      ],
      securityContext, resources: dbToolResources,
    };
    if (p.kind === 'synthetic') {
      new k8s.KubeConfigMap(chart, `${id}_sql`, {
        metadata: { name: naming.seedProducerSqlName(c, p.seed), namespace: ns, labels },
        data: { [PRODUCER_PATHS.sqlFile]: syntheticSql(c.app, env.app.synthetic!) },
      });
    }
    cronJob(chart, id, meta, {
      placement: placement(env),
      labels: { ...labels, [naming.LABELS.job]: 'seed-producer' },
      annotations: {
        'vault.hashicorp.com/agent-inject': 'true',
        'vault.hashicorp.com/agent-pre-populate-only': 'true',
        'vault.hashicorp.com/agent-init-first': 'true',
        'vault.hashicorp.com/role': p.name,
        ...(p.kind === 'sanitized' ? {
          'vault.hashicorp.com/agent-inject-secret-seed': goldenHashes,
          'vault.hashicorp.com/agent-inject-template-seed': seedHashTemplate(goldenHashes),
        } : {}),
        'vault.hashicorp.com/agent-inject-token': 'true',
        ...agent,
      },
      serviceAccountName: p.name,
      // Produce first (init), then publish: a refused seed publishes nothing.
      initContainers: [produce],
      containers: [{
        name: 'publish-seed-hash', image: VAULT_CLI_IMAGE, command: ['/bin/sh', '-c', PUBLISH_SEED_HASH_SCRIPT],
        env: sortedEnv({
          TIERKIT_HASHES_FILE: P.hashesFile, TIERKIT_SEED_KV_MOUNT: kv, TIERKIT_SEED_KV_NAME: naming.seedHashKvSecretName(c.app, p.seed),
          TIERKIT_VAULT_TOKEN_FILE: P.vaultTokenFile, VAULT_ADDR: env.estate.vault.address,
        }),
        volumeMounts: [tmpMount], securityContext, resources: publishResources,
      }],
      volumes: [
        seedVolume(store, false),
        ...(p.kind === 'sanitized' ? [{ ...seedVolume(naming.seedClaimName('golden'), true), name: 'golden' }] : []),
        ...(p.kind === 'synthetic' ? [{ name: 'seed-sql', configMap: { name: naming.seedProducerSqlName(c, p.seed) } }] : []),
        { name: 'scratch', emptyDir: {} },
      ],
    });
  }
}

function sortedEnv(vars: Record<string, string>): k8s.EnvVar[] {
  return Object.keys(vars).sort().map((name) => ({ name, value: vars[name] }));
}
