import {
  AdminKind, App, Backend, Estate, PostgresServer, Sandbox, SandboxKind, SeedProfile, Tier, TierSettings,
} from '../constructs';
import { BENCH_CA_PEM, ESTATE_SETTINGS, EstateSpec, GenerateOptions, SandboxKindName, TierName, generateSpec } from './spec';

/**
 * A benchmark estate of any size, built only through tierkit's public API (`constructs/index.ts`),
 * exactly as an estate repository would declare it.
 */
export function generateEstate(options: GenerateOptions): Estate {
  return estateFromSpec(generateSpec(options));
}

function tier(name: TierName): Tier {
  const t = Tier.of(name);
  if (!t) throw new Error(`unknown tier ${name}`);
  return t;
}

const KINDS: Record<SandboxKindName, SandboxKind> = {
  engineer: SandboxKind.ENGINEER, team: SandboxKind.TEAM, branch: SandboxKind.BRANCH,
};

function seedProfile(seed: string): SeedProfile {
  if (seed === SeedProfile.SYNTHETIC_V1.name) return SeedProfile.SYNTHETIC_V1;
  if (seed.startsWith('sanitized:')) return SeedProfile.sanitized(seed.slice('sanitized:'.length));
  throw new Error(`the benchmark generates no ${seed} seed`);
}

export function estateFromSpec(spec: EstateSpec): Estate {
  const s = ESTATE_SETTINGS;
  const tiers: TierSettings[] = Object.entries(s.egressAllowList).map(([name, cidrs], i) => {
    const ports = s.egressPorts[name as TierName];
    return {
      tier: tier(name as TierName), reason: `the ${name} tier reaches its own network (${cidrs.join(', ')})`,
      ...(ports ? { egressTargets: cidrs.map((cidr) => ({ cidr, ports: ports.map((port) => ({ protocol: 'TCP' as const, port })) })) } : { egressAllowList: cidrs }),
      // Human-gated tiers accept only commits signed by their own publisher's key (TK098).
      ...(tier(name as TierName).defaults.applyGate.human ? { signatureKeyIds: [`0123456789ABCD${i.toString(16).toUpperCase().padStart(2, '0')}`] } : {}),
    };
  });
  const estate = new Estate({
    name: s.name,
    domain: s.domain,
    vault: { address: s.vaultAddress },
    argocd: { repoUrl: s.argoRepoUrl },
    ci: { repository: s.ciRepository, repositoryId: '100002', reviewAppId: 100003 },
    backend: Backend.s3(s.backend),
    sandboxQuotaPerOwner: s.sandboxQuotaPerOwner,
    tiers,
    sharedClusters: [{ server: 'https://kubernetes.default.svc', tiers: Tier.ALL, reason: 'a generated bench estate runs every tier on one cluster' }],
  });
  for (const server of s.servers) {
    new PostgresServer(estate, server.id, {
      host: server.host, port: server.port, majorVersion: server.majorVersion,
      adminKind: server.superuser ? AdminKind.SUPERUSER : AdminKind.MANAGED, adminRole: server.adminRole, sslMode: server.sslMode,
      ...(server.sslMode === 'verify-full' ? { caCertificatePem: BENCH_CA_PEM } : {}),
      tiers: server.tiers.map(tier),
    });
  }
  const apps = new Map<string, App>();
  for (const a of spec.apps) {
    apps.set(a.name, new App(estate, a.name, {
      tiers: a.tiers.map(tier), objectPrefix: a.objectPrefix, image: a.image, port: a.port, flags: a.flags,
    }));
  }
  for (const sb of spec.sandboxes) {
    new Sandbox(apps.get(sb.app)!, sb.env, {
      tier: tier(sb.tier), kind: KINDS[sb.kind], owner: sb.owner, createdAt: sb.createdAt,
      ttlHours: sb.ttlHours, seed: seedProfile(sb.seed),
    });
  }
  return estate;
}
