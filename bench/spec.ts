/**
 * The benchmark estate as plain data, from a seeded PRNG. Both sides of the comparison build
 * from this one description: `generate.ts` through tierkit's public API, `baseline/` through
 * plain cdktf + cdk8s. Nothing here imports tierkit, so the baseline stays tierkit-free.
 */

import { createHash } from 'node:crypto';

const benchImage = (ref: string): string => `${ref}@sha256:${createHash('sha256').update(ref).digest('hex')}`;

export const TIER_NAMES = ['local', 'ci', 'dev', 'demo', 'staging', 'preprod', 'prod'] as const;
export type TierName = (typeof TIER_NAMES)[number];

export type SandboxKindName = 'engineer' | 'team' | 'branch';

export interface AppSpec {
  readonly name: string;
  readonly tiers: readonly TierName[];
  readonly objectPrefix: string;
  readonly image: string;
  readonly port: number;
  readonly flags: Readonly<Record<string, boolean>>;
}

export interface SandboxSpec {
  readonly app: string;
  readonly env: string;
  readonly tier: TierName;
  readonly kind: SandboxKindName;
  readonly owner: string;
  readonly createdAt: string;
  readonly ttlHours: number;
  /** `synthetic:v1`, or `sanitized:<name>` on tiers that hold sanitized data only. */
  readonly seed: string;
}

/** The bench's PostgreSQL CA (self-signed, key discarded): prod's server is verify-full. */
export const BENCH_CA_PEM =
  '-----BEGIN CERTIFICATE-----\n' +
  'MIIBljCCAT2gAwIBAgIULyS27AB5qF3i+cgdQ37Zh9nj7tMwCgYIKoZIzj0EAwIw\n' +
  'ITEfMB0GA1UEAwwWdGVzdCBsYWIgUG9zdGdyZVNRTCBDQTAeFw0yNjExMjYwNjUw\n' +
  'MzJaFw0zNjExMjMwNjUwMzJaMCExHzAdBgNVBAMMFnRlc3QgbGFiIFBvc3RncmVT\n' +
  'UUwgQ0EwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAATcUGJ6/NmjS26rqi8flw9Y\n' +
  'XevDBhLNeiOIAkZI7jKpTYL8+YvMGg6PcEVRdy/cNcoYsxNmlih0CvOuXkGTo0SR\n' +
  'o1MwUTAdBgNVHQ4EFgQUzThzYPBrgF52ThlmL6paZHJ2hHgwHwYDVR0jBBgwFoAU\n' +
  'zThzYPBrgF52ThlmL6paZHJ2hHgwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQD\n' +
  'AgNHADBEAiAeU7QotPmEgpjd1DVT4pa8aBVB2Aj74f5rtG8apqL2AgIgDImDuaVt\n' +
  'ME/cQ27HDEKaYmNBR2a1sF0r2imoZMVGeXo=\n' +
  '-----END CERTIFICATE-----\n';

export interface ServerSpec {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly majorVersion: number;
  readonly superuser: boolean;
  /** Managed servers: the role the provider logs in as (it joins each env's group). */
  readonly adminRole?: string;
  readonly sslMode: 'disable' | 'require' | 'verify-full';
  readonly tiers: readonly TierName[];
}

export interface EstateSpec {
  readonly apps: readonly AppSpec[];
  readonly sandboxes: readonly SandboxSpec[];
}

/** Settings shared by every generated estate (mirrors the example estate's shape). */
export const ESTATE_SETTINGS = {
  name: 'bench',
  domain: 'bench.lab',
  vaultAddress: 'https://vault.bench.lab:8200',
  argoRepoUrl: 'https://github.com/bench/estate.git',
  ciRepository: 'bench/estate',
  backend: { bucket: 'bench-tfstate', region: 'eu-west-3', keyPrefix: 'estate', accountId: '123456789012' },
  /** Owners hold at most two sandboxes each (see `owner` below), under this quota. */
  sandboxQuotaPerOwner: 3,
  egressAllowList: { prod: ['10.20.0.0/16'], preprod: ['10.30.0.0/16'], staging: ['10.30.0.0/16'], dev: ['10.10.0.0/16'] } as Partial<Record<TierName, string[]>>,
  /** Live tiers name their egress ports (TK048): prod reaches its network on HTTPS only. */
  egressPorts: { prod: [443] } as Partial<Record<TierName, number[]>>,
  servers: [
    { id: 'prod-pg', host: 'pg-prod.bench.lab', port: 5432, majorVersion: 16, superuser: true, sslMode: 'verify-full', tiers: ['prod'] },
    { id: 'stage-pg', host: 'pg-stage.bench.lab', port: 5432, majorVersion: 16, superuser: false, adminRole: 'tierkit_admin', sslMode: 'require', tiers: ['staging', 'preprod'] },
    { id: 'nonprod-pg', host: 'pg-nonprod.bench.lab', port: 5432, majorVersion: 18, superuser: false, adminRole: 'tierkit_admin', sslMode: 'require', tiers: ['dev', 'ci', 'demo'] },
    { id: 'local-pg', host: 'localhost', port: 5432, majorVersion: 18, superuser: true, sslMode: 'disable', tiers: ['local'] },
  ] as readonly ServerSpec[],
} as const;

/** Sandboxes never live on prod; ci caps TTLs at 72 h, the others at 168 h (built-in defaults). */
const SANDBOX_TIERS: readonly TierName[] = ['local', 'ci', 'dev', 'demo', 'staging', 'preprod'];
const MAX_TTL: Record<TierName, number> = { local: 168, ci: 72, dev: 168, demo: 168, staging: 168, preprod: 168, prod: 0 };
/** staging and preprod hold sanitized data only: a synthetic seed there would fail validation. */
const SANITIZED_ONLY: ReadonlySet<TierName> = new Set(['staging', 'preprod']);
const TTL_CHOICES = [24, 48, 72, 120, 168];
const KINDS: readonly SandboxKindName[] = ['engineer', 'team', 'branch'];

/** mulberry32: a tiny, well-distributed 32-bit PRNG; same seed, same sequence, on every platform. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface GenerateOptions {
  readonly apps: number;
  readonly sandboxes: number;
  /** @default 1 */
  readonly seed?: number;
  /**
   * Every app in all seven tiers (the reference estate is "300 apps × 7 tiers"); otherwise each
   * app runs in a seeded, non-empty subset. @default false
   */
  readonly allTiers?: boolean;
  /**
   * The "one-app change" `diff` is measured against: app 0 gets a new image tag (every env's
   * Deployment changes) and one more sandbox (a new stack, namespace, Argo CD Application and
   * applier-policy paths). @default false
   */
  readonly change?: boolean;
}

export function generateSpec(options: GenerateOptions): EstateSpec {
  const { apps: appCount, sandboxes: sandboxCount } = options;
  if (!Number.isInteger(appCount) || appCount < 1) throw new Error(`apps must be a positive integer, got ${appCount}`);
  if (!Number.isInteger(sandboxCount) || sandboxCount < 0) throw new Error(`sandboxes must be a non-negative integer, got ${sandboxCount}`);
  const rand = mulberry32(options.seed ?? 1);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)];
  const width = Math.max(3, String(appCount - 1).length);

  const apps: AppSpec[] = [];
  for (let i = 0; i < appCount; i++) {
    const name = `app-${String(i).padStart(width, '0')}`;
    let tiers: TierName[] = TIER_NAMES.filter(() => options.allTiers || rand() < 0.6);
    if (tiers.length === 0) tiers = [pick(TIER_NAMES)];
    const version = `${1 + Math.floor(rand() * 5)}.${Math.floor(rand() * 20)}.${Math.floor(rand() * 10)}`;
    apps.push({
      name,
      tiers,
      objectPrefix: `a${i}_`,
      // Prod runs images by digest: the bench's images are fictional, their digest a hash of the tag.
      image: benchImage(`ghcr.io/bench/${name}:${options.change && i === 0 ? `${version}-next` : version}`),
      port: pick([8080, 3000, 8000]),
      flags: { [`feature-${i % 7}`]: rand() < 0.5 },
    });
  }

  const sandboxes: SandboxSpec[] = [];
  const sandbox = (i: number, app: string, env: string): SandboxSpec => {
    const tier = pick(SANDBOX_TIERS);
    const kind = pick(KINDS);
    // floor(i / 2): every owner holds at most two sandboxes, under the quota of three.
    const owner = `${kind === 'team' ? 'team' : 'eng'}-${Math.floor(i / 2)}`;
    return {
      app, env, tier, kind, owner,
      // Fixed dates: unexpired at the benchmark's --now (2026-11-22T12:00:00Z) for every TTL ≥ 24 h.
      createdAt: `2026-11-22T${String(Math.floor(rand() * 12)).padStart(2, '0')}:00:00Z`,
      ttlHours: pick(TTL_CHOICES.filter((t) => t <= MAX_TTL[tier])),
      seed: SANITIZED_ONLY.has(tier) ? 'sanitized:bench-q4' : 'synthetic:v1',
    };
  };
  for (let i = 0; i < sandboxCount; i++) sandboxes.push(sandbox(i, apps[Math.floor(rand() * appCount)].name, `sb-${i}`));
  if (options.change) sandboxes.push({ ...sandbox(sandboxCount, apps[0].name, 'sb-change'), owner: 'eng-change' });
  return { apps, sandboxes };
}

/** Sizes as the benchmark names them: `multiplier` × the base estate (3 apps × 7 tiers + 2 sandboxes). */
export const BASE_SIZE = { apps: 3, sandboxes: 2 } as const;

export function sizeOf(multiplier: number): { apps: number; sandboxes: number } {
  return { apps: BASE_SIZE.apps * multiplier, sandboxes: BASE_SIZE.sandboxes * multiplier };
}

/** Size and variant from the environment, for the child processes (`BENCH_APPS`, `BENCH_SANDBOXES`, …). */
export function optionsFromEnv(env: NodeJS.ProcessEnv = process.env): GenerateOptions {
  const int = (name: string, fallback: number) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
    return n;
  };
  return {
    apps: int('BENCH_APPS', BASE_SIZE.apps),
    sandboxes: int('BENCH_SANDBOXES', BASE_SIZE.sandboxes),
    seed: int('BENCH_SEED', 1),
    allTiers: env.BENCH_ALL_TIERS !== '0',
    change: env.BENCH_CHANGE === '1',
  };
}
