import { createHash } from 'node:crypto';
import { canonicalGrants, hasPromoteCredential, rehearsalSandbox } from '../promote-credential';
import { declaredFlags, hasGoldenDump } from '../lifecycle/plan';
import { seedProducers } from '../lifecycle/producers';
import { AppEnvironment } from '../app-environment';
import { Estate } from '../estate';
import * as naming from '../naming';
import { environmentsOf, gatingTierOfServer, tiersInUse } from '../query';
import { SandboxReset } from '../enums';
import { Sandbox } from '../sandbox';
import { Tier } from '../tier';
import { assertValid } from '../validation';
import {
  MANIFEST_SCHEMA_VERSION, Manifest, ManifestAppEnvironment, ManifestArtifact, ManifestPreviews, ManifestServer, ManifestStack, ManifestTier,
} from './manifest';
import { hostsPreviews, previewSettings, previewWorkloadAccessor } from '../previews';
import { canonicalJson, compareStrings } from './serialize';
import { PlatformArtifacts, constructTree, platformArtifactsIn } from './platform-artifacts';
import { Pending, inScratch, isReferenceRendering, renderEnvironment, terraformApp, withRendering } from './render';
import { stateAccess } from '../../contract/state-access';
import type { ManifestPromote } from '../../contract/manifest';
import { githubRulesets, rulesetFile } from '../../contract/github-rulesets';
import { DATA_PROMOTE_PLAN_FILE, dataPromotePlan } from '../../contract/data-promote-workflow';
import { REVIEW_PLAN_FILE, reviewWorkflowPlan } from '../../contract/review-workflow';
import { manifestVaultQuotas } from './vault-quotas';

export { stackJson } from './render';
export { PlatformArtifacts, platformArtifacts } from './platform-artifacts';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const VERSION: string = require('../../package.json').version;

/** Every artifact of the estate, in memory: relative path → content. */
export interface SynthOutput {
  readonly files: ReadonlyMap<string, string>;
  readonly manifest: Manifest;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function manifestTier(estate: Estate, tier: Tier): ManifestTier {
  const eff = estate.tier(tier);
  const c = eff.config;
  return {
    name: tier.name, rank: tier.rank, data: c.data.map((d) => d.name),
    secretTtl: { ...c.secretTtl }, egress: c.egress.name, egressAllowList: eff.egressAllowList,
    applyGate: { name: c.applyGate.name, human: c.applyGate.human, requiredReviewers: c.applyGate.requiredReviewers },
    flagsDefault: c.flagsDefault.name, allowsSandboxes: c.allowsSandboxes,
    sandboxDefaultTtlHours: c.sandboxDefaultTtlHours, sandboxMaxTtlHours: c.sandboxMaxTtlHours, resetSchedule: c.resetSchedule,
    exceptions: eff.loosenings.map((l) => ({ ...l, reason: eff.reason ?? '' })),
    ...(eff.argocdDestinationServer !== undefined ? { argocdDestinationServer: eff.argocdDestinationServer } : {}),
    ...(eff.egressTargets.length > 0 ? { egressTargets: eff.egressTargets.map((t) => ({ cidr: t.cidr, ports: t.ports.map((p) => ({ ...p })) })) } : {}),
    ...(eff.vaultQuotas !== undefined ? { vaultQuotas: manifestVaultQuotas(eff.vaultQuotas) } : {}),
  };
}

function manifestPreviews(env: AppEnvironment): ManifestPreviews {
  const app = env.app.appName;
  const p = previewSettings(env.app.previews!);
  return {
    maxOpen: p.maxOpen, label: p.label, requeueAfterSeconds: p.requeueAfterSeconds, orphanAfterHours: p.orphanAfterHours,
    names: {
      adminRole: naming.previewAdminRoleName(app), homeDatabase: naming.previewHomeDatabaseName(app), connection: naming.previewConnectionName(app),
      rolePattern: naming.previewVaultRolePattern(app), adminKvSecret: naming.previewAdminKvSecretName(app), jobs: naming.previewApplicationSetName(app),
      jobsNamespace: naming.PREVIEW_JOBS_NAMESPACE,
    },
    ...(previewWorkloadAccessor(env) !== undefined ? { vaultKubernetesAuthAccessor: previewWorkloadAccessor(env) } : {}),
  };
}

function manifestEnvironment(env: AppEnvironment, artifacts: string[]): ManifestAppEnvironment {
  const estate = env.estate;
  const c = env.coordinate;
  const n = estate.naming;
  const sandbox = env instanceof Sandbox ? env : undefined;
  const exceptions: { kind: string; value: string; reason: string }[] = [];
  if (sandbox?.reason) {
    const tier = estate.tier(env.tier).config;
    if (sandbox.seed.name === 'golden' || !tier.data.includes(sandbox.seed.dataClass)) {
      exceptions.push({ kind: 'seed', value: sandbox.seed.name, reason: sandbox.reason });
    }
    if (sandbox.ttlHours > tier.sandboxMaxTtlHours) {
      exceptions.push({ kind: 'ttlHours', value: String(sandbox.ttlHours), reason: sandbox.reason });
    }
  }
  // A golden dumped without scrub rules: the reason TK133 requires, on the env that dumps it.
  if (hasGoldenDump(env) && env.app.scrub.length === 0 && env.app.scrubReason) {
    exceptions.push({ kind: 'scrub', value: 'none', reason: env.app.scrubReason });
  }
  return {
    app: c.app, env: c.env, slug: env.slug, tier: env.tier.name, kind: sandbox ? 'sandbox' : 'tier',
    server: env.server!.serverId, stack: env.stackName, constructPath: estate.displayPath(env),
    objectPrefix: env.app.objectPrefix, image: env.image,
    flags: declaredFlags(env),
    names: {
      database: env.database.name, groupRole: env.groupRole.name, vaultConnectionRole: env.vaultConnectionRole.name,
      goldenDumpRole: naming.goldenDumpRoleName(c), vaultConnection: naming.vaultConnectionName(c),
      vaultRole: naming.vaultRoleName(c), vaultCredsPath: naming.vaultCredsPath(c, n), kvPath: naming.kvConfigPath(c, n),
      vaultPolicy: naming.vaultPolicyName(c), kubernetesAuthRole: naming.kubernetesAuthRoleName(c),
      namespace: naming.namespace(c), serviceAccount: naming.serviceAccountName(c), host: env.host,
      argoApplication: naming.argoApplicationName(c),
    },
    sandbox: sandbox && {
      kind: sandbox.kind.name, owner: sandbox.owner, createdAt: sandbox.createdAt, ttlHours: sandbox.ttlHours,
      expiresAt: sandbox.expiresAt!, seed: sandbox.seed.name, reason: sandbox.reason,
      template: sandbox.template?.templateName, file: sandbox.declaredIn?.file, managed: sandbox.declaredIn?.managed,
      egress: sandbox.egressAllowed ? undefined : false,
      reset: sandbox.reset === SandboxReset.TEMPLATE ? 'template' : undefined,
    },
    promote: hasPromoteCredential(env) ? {
      name: naming.promoteName(c.app), credsPath: naming.promoteCredsPath(c.app, n), workflow: naming.DATA_PROMOTE_WORKFLOW_FILE,
      rehearse: manifestRehearse(env),
      grants: canonicalGrants(env.app.promoteGrants),
    } : undefined,
    previews: hostsPreviews(env) ? manifestPreviews(env) : undefined,
    seedProducers: seedProducers(env).length > 0 ? seedProducers(env).map((p) => ({ seed: p.seed, kind: p.kind, name: p.name })) : undefined,
    exceptions,
    suppressions: [...env.suppressions].sort((a, b) => compareStrings(a.ruleId, b.ruleId)),
    artifacts: [...artifacts].sort(),
  };
}

/** Options of `synthesize`. */
export interface SynthesizeOptions {
  /**
   * App-environment files already rendered elsewhere (`synthesizeTaken` on worker threads), by
   * dist path: an env whose two files are here is not built again.
   * @default - every app-environment is built here
   */
  readonly rendered?: ReadonlyMap<string, string>;
  /**
   * The platform artifacts already rendered (`platformArtifacts`, while worker threads render the
   * envs). Used only when rendered from this very estate, by the same renderers.
   * @default - rendered here
   */
  readonly platform?: PlatformArtifacts;
  /**
   * Render every stack through cdktf and every manifest through `yaml`, as before the fast paths:
   * the reference the tests compare the fast output with, byte for byte.
   * @default false
   */
  readonly reference?: boolean;
}

/**
 * Validate, then build every artifact in memory. Nothing touches the disk here, so a failure
 * can never leave a half-written `dist/`.
 */
export function synthesize(estate: Estate, options: SynthesizeOptions = {}): SynthOutput {
  assertValid(estate);
  return withRendering(options.reference ?? false, () => inScratch((scratch) => {
    const given = options.platform;
    // Rendered before the estate program could run again (an await, a timer): a tree changed since is refused, not mixed in.
    if (given && given.estate === estate && given.tree !== constructTree(estate)) {
      throw new Error('the estate program added or removed constructs while synth rendered it: build the whole tree before returning the Estate');
    }
    const platform = given && given.estate === estate && given.reference === isReferenceRendering() ? given : platformArtifactsIn(estate, scratch);
    return build(estate, scratch, options.rendered ?? new Map(), platform);
  }));
}

/**
 * The two files of every `count`-th app-environment from `index` (declaration order): one shard of
 * the work, for a worker thread. The output is what `synthesize` writes for those envs, byte for byte.
 */
export function synthesizeShard(estate: Estate, index: number, count: number): Map<string, string> {
  const out = new Map<string, string>();
  let next = index;
  const take = () => {
    const i = next;
    next += count;
    return i;
  };
  for (const [, files] of synthesizeTaken(estate, take)) for (const [path, content] of files) out.set(path, content);
  return out;
}

/**
 * The two files of each app-environment whose index (declaration order) `take` hands out, until it
 * hands out one past the last: threads sharing one counter share the envs between them
 * (`cli/synth-workers.ts`). The files are what `synthesize` writes for those envs, byte for byte.
 */
export function synthesizeTaken(estate: Estate, take: () => number): Map<number, [string, string][]> {
  return inScratch((scratch) => {
    const tfApp = terraformApp(scratch);
    const out = new Map<number, [string, string][]>();
    const envs = environmentsOf(estate);
    const gatingOf = new Map(estate.servers.map((s) => [s, gatingTierOfServer(estate, s)]));
    for (let i = take(); i >= 0 && i < envs.length; i = take()) {
      out.set(i, renderEnvironment(tfApp, envs[i], gatingOf.get(envs[i].server!)!.name));
    }
    return out;
  });
}

function build(estate: Estate, scratch: string, rendered: ReadonlyMap<string, string>, platform: PlatformArtifacts): SynthOutput {
  const envs = environmentsOf(estate);
  const tiers = tiersInUse(estate);
  const tfApp = terraformApp(scratch);
  const pending: Pending[] = [];
  const stacks: ManifestStack[] = [];
  const envArtifacts = new Map<AppEnvironment, string[]>();
  const gate = (t: Tier) => estate.tier(t).config.applyGate;
  // Computed once: each is a walk over every environment.
  const gatingOf = new Map(estate.servers.map((s) => [s, gatingTierOfServer(estate, s)]));

  for (const env of envs) {
    const server = env.server!;
    const gating = gatingOf.get(server)!;
    const tfPath = naming.dist.terraformStack(env.stackName);
    const k8sPath = naming.dist.k8sAppEnvironment(env.tier.name, env.coordinate);
    const [[, tfContent], [, k8sContent]] = rendered.has(tfPath) && rendered.has(k8sPath)
      ? [[tfPath, rendered.get(tfPath)!], [k8sPath, rendered.get(k8sPath)!]]
      : renderEnvironment(tfApp, env, gating.name);
    const base = { tier: env.tier.name, app: env.app.appName, env: env.env, constructPaths: [estate.displayPath(env)] };
    pending.push({ path: tfPath, content: tfContent, meta: { ...base, kind: 'terraform-stack', stack: env.stackName } });
    pending.push({ path: k8sPath, content: k8sContent, meta: { ...base, kind: 'kubernetes-manifests' } });
    envArtifacts.set(env, [tfPath, k8sPath]);
    stacks.push({
      name: env.stackName, kind: 'app-environment', tier: env.tier.name, gatingTier: gating.name,
      applyGate: gate(gating).name, humanGate: gate(gating).human, server: server.serverId, artifact: tfPath,
      constructPath: estate.displayPath(env),
    });
  }
  pending.push(...platform.pending);
  stacks.push(...platform.stacks);

  const files = new Map<string, string>();
  for (const p of pending) {
    // Two constructs writing one path would silently lose one of them.
    if (files.has(p.path)) throw new Error(`two artifacts would be written to ${p.path}`);
    files.set(p.path, p.content);
  }
  const artifacts = pending
    .map((p): ManifestArtifact => ({ path: p.path, ...p.meta, sha256: sha256(p.content) }))
    .sort((a, b) => compareStrings(a.path, b.path));
  const servers: ManifestServer[] = estate.servers.map((s) => ({
    id: s.serverId, host: s.host, port: s.port, cidr: s.cidr, majorVersion: s.majorVersion, adminKind: s.adminKind.name,
    superuser: s.adminKind.superuser, adminRole: s.adminRole, legacyCreateRoleReason: s.legacyCreateRoleReason, tempFileLimitRole: s.tempFileLimitRole, sslMode: s.sslMode,
    ...(s.caCertificatePem !== undefined ? { caCertificateSha256: sha256(s.caCertificatePem), caCertificatePem: s.caCertificatePem } : {}),
    tiers: s.tiers.map((t) => t.name), gatingTier: gatingOf.get(s)?.name,
    adminSecretPath: `${estate.vault.kvMount}/${naming.serverAdminSecretName(s.serverId)}`, constructPath: estate.displayPath(s),
  }));
  const promotionOf = (p: ReturnType<typeof estate.promotion.inUse>) => ({ chain: p.chain.map((t) => t.name), feeds: p.feeds.map((f) => ({ tier: f.tier.name, from: f.from.name })) });
  const manifest: Manifest = {
    schemaVersion: MANIFEST_SCHEMA_VERSION,
    generator: { name: 'tierkit', version: VERSION },
    estate: {
      name: estate.estateName, domain: estate.domain, vault: { ...estate.vault }, argocd: { ...estate.argocd },
      ci: { ...estate.ci }, backend: estate.backend.describe(), sandboxQuotaPerOwner: estate.sandboxQuotaPerOwner,
      ...(estate.sharedClusters.length > 0 ? { sharedClusters: estate.sharedClusters.map((c) => ({ ...c })) } : {}),
      network: { vault: estate.vaultEndpoint && { ...estate.vaultEndpoint }, kubernetesApi: estate.kubernetesApi && { ...estate.kubernetesApi } },
      seedStore: {
        server: estate.seedStore.server, exportRoot: estate.seedStore.exportRoot,
        ...(estate.seedStore.reason !== undefined ? { reason: estate.seedStore.reason } : {}),
      },
      promotion: promotionOf(estate.promotion.inUse(tiers)),
      ...(estate.retiredStacks.length > 0 ? {
        retiredStacks: estate.retiredStacks.map((r) => ({
          stack: r.stack, kind: r.server === undefined ? 'platform' as const : 'app-environment' as const, gatingTier: r.tier.name,
          ...(r.server !== undefined ? { server: r.server } : {}), reason: r.reason,
        })).sort((a, b) => compareStrings(a.stack, b.stack)),
      } : {}),
    },
    tiers: tiers.map((t) => manifestTier(estate, t)),
    servers,
    stacks: stacks.sort((a, b) => compareStrings(a.name, b.name)),
    appEnvironments: envs.map((e) => manifestEnvironment(e, envArtifacts.get(e)!)).sort((a, b) => compareStrings(a.slug, b.slug)),
    artifacts,
  };
  // The state identities derive from the estate, tiers and stacks alone (not from the artifact list
  // they join): the manifest is built first, then lists them.
  const access = stateAccess(manifest);
  const ciFiles: ManifestArtifact[] = [];
  const addCiFile = (path: string, kind: ManifestArtifact['kind'], content: string) => {
    files.set(path, content);
    ciFiles.push({ path, kind, constructPaths: [estate.estateName], sha256: sha256(content) });
  };
  if (access) addCiFile(naming.dist.ciStateAccess, 'ci-state-access', canonicalJson(access));
  for (const r of githubRulesets(manifest)) addCiFile(rulesetFile(r.name), 'ci-github-ruleset', canonicalJson(r));
  const dataPromote = dataPromotePlan(manifest);
  if (dataPromote) addCiFile(DATA_PROMOTE_PLAN_FILE, 'ci-data-promote', canonicalJson(dataPromote));
  addCiFile(REVIEW_PLAN_FILE, 'ci-review', canonicalJson(reviewWorkflowPlan(manifest.estate)));
  const listed = { ...manifest, artifacts: [...artifacts, ...ciFiles].sort((a, b) => compareStrings(a.path, b.path)) };
  files.set(naming.dist.manifest, canonicalJson(listed));
  return { files, manifest: listed };
}

/** The data promote's rehearsal, as the manifest records it (promote-credential.ts decides it). */
function manifestRehearse(env: AppEnvironment): ManifestPromote['rehearse'] {
  const sandbox = rehearsalSandbox(env)!;
  return { name: naming.rehearseName(env.coordinate.app), sandbox: naming.slug(sandbox.coordinate), environment: sandbox.tier.name };
}
