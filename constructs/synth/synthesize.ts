import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { canonicalGrants, hasPromoteCredential, rehearsalSandbox } from '../promote-credential';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App as K8sApp, Chart } from 'cdk8s';
import { declaredFlags, hasGoldenDump } from '../lifecycle/plan';
import { seedProducers } from '../lifecycle/producers';
import { TerraformApp, TerraformStack } from '../cdktf';
import { AppEnvironment } from '../app-environment';
import { Estate } from '../estate';
import * as naming from '../naming';
import { environmentsOf, gatingTierOfEstate, gatingTierOfServer, tiersInUse } from '../query';
import { SandboxReset } from '../enums';
import { Sandbox } from '../sandbox';
import { Tier } from '../tier';
import { assertValid } from '../validation';
import { buildAppOfAppsChart, buildEnvironmentChart, buildTierApplicationsChart } from './kubernetes';
import { buildPreviewChart, previewKustomization } from './preview-manifests';
import { chartJson } from './kubernetes-json';
import {
  MANIFEST_SCHEMA_VERSION, Manifest, ManifestAppEnvironment, ManifestArtifact, ManifestPreviews, ManifestServer, ManifestStack, ManifestTier,
} from './manifest';
import { hostsPreviews, previewSettings, previewWorkloadAccessor } from '../previews';
import { canonicalJson, compareStrings, yamlStream } from './serialize';
import { stateAccess } from '../../contract/state-access';
import type { ManifestPromote } from '../../contract/manifest';
import { githubRulesets, rulesetFile } from '../../contract/github-rulesets';
import { DATA_PROMOTE_PLAN_FILE, dataPromotePlan } from '../../contract/data-promote-workflow';
import { REVIEW_PLAN_FILE, reviewWorkflowPlan } from '../../contract/review-workflow';
import { buildAppEnvironmentStack } from './terraform-app-environment';
import { plainAppEnvironmentStack } from './terraform-app-environment-plain';
import { buildSharedPlatformStack, buildTierPlatformStack } from './terraform-platform';
import { hasShortLivedPlanner } from '../../contract/planner';
import { manifestVaultQuotas } from './vault-quotas';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const VERSION: string = require('../../package.json').version;

/** Every artifact of the estate, in memory: relative path → content. */
export interface SynthOutput {
  readonly files: ReadonlyMap<string, string>;
  readonly manifest: Manifest;
}

interface Pending {
  readonly path: string;
  readonly content: string;
  readonly meta: Omit<ManifestArtifact, 'path' | 'sha256'>;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A stack's canonical JSON through cdktf (token resolution, overrides, escape hatches' additions). */
export function stackJson(stack: TerraformStack): string {
  stack.prepareStack();
  return canonicalJson(stack.toTerraform());
}

/** Whether this synth renders through cdktf and `yaml` only (`SynthesizeOptions.reference`). */
let referenceRendering = false;

function chartYaml(chart: Chart): string {
  return yamlStream(referenceRendering ? chart.toJson() : chartJson(chart), referenceRendering);
}

/**
 * Each chart gets an App of its own: cdk8s `Chart.toJson()` resolves dependencies and validates
 * the whole App, so one App holding every chart made synthesis quadratic in the number of envs.
 * Charts never reference each other, so the output is the same.
 */
function k8sApp(): K8sApp {
  return new K8sApp({ outdir: 'cdk8s.out' });
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

/**
 * cdktf captures a full stack trace for every token it creates (into a plain `{ stack: '' }`
 * object, whose `.stack` it reads at once) and never shows it unless resolution fails. Formatting
 * those traces — and symbolicating them when source maps are on (tsx turns them on) — was a third
 * of synthesis time. While synthesis runs, source maps are off and a non-Error target formats to
 * '' (cdktf then keeps an empty creation stack); real errors keep V8's usual stack text.
 */
function withCheapStackTraces<T>(fn: () => T): T {
  const proc = process as NodeJS.Process & { sourceMapsEnabled?: boolean };
  const sourceMaps = proc.sourceMapsEnabled ?? false;
  const previous = Error.prepareStackTrace;
  if (sourceMaps) proc.setSourceMapsEnabled(false);
  Error.prepareStackTrace = (error, frames) => {
    if (!(error instanceof Error)) return '';
    if (previous) return previous(error, frames);
    return `${error}${frames.map((f) => `\n    at ${f}`).join('')}`;
  };
  try {
    return fn();
  } finally {
    Error.prepareStackTrace = previous;
    if (sourceMaps) proc.setSourceMapsEnabled(true);
  }
}

/** Options of `synthesize`. */
export interface SynthesizeOptions {
  /**
   * App-environment files already rendered elsewhere (`synthesizeShard` on worker threads), by
   * dist path: an env whose two files are here is not built again.
   * @default - every app-environment is built here
   */
  readonly rendered?: ReadonlyMap<string, string>;
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
  referenceRendering = options.reference ?? false;
  try {
    return inScratch((scratch) => build(estate, scratch, options.rendered ?? new Map()));
  } finally {
    referenceRendering = false;
  }
}

/**
 * The two files of every `count`-th app-environment from `index` (declaration order): one shard of
 * the work, for a worker thread. The output is what `synthesize` writes for those envs, byte for byte.
 */
export function synthesizeShard(estate: Estate, index: number, count: number): Map<string, string> {
  return inScratch((scratch) => {
    const tfApp = new TerraformApp({ stackTraces: false, skipValidation: false, outdir: scratch });
    const out = new Map<string, string>();
    const gatingOf = new Map(estate.servers.map((s) => [s, gatingTierOfServer(estate, s)]));
    environmentsOf(estate).forEach((env, i) => {
      if (i % count !== index) return;
      for (const [path, content] of renderEnvironment(tfApp, env, gatingOf.get(env.server!)!.name)) out.set(path, content);
    });
    return out;
  });
}

function inScratch<T>(fn: (scratch: string) => T): T {
  // cdktf's App creates its outdir (and `stacks/`) on construction although nothing is written
  // there: give it a private temp dir instead of littering the cwd with `cdktf.out/`.
  const scratch = mkdtempSync(join(tmpdir(), 'tierkit-cdktf-'));
  try {
    return withCheapStackTraces(() => fn(scratch));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * An app-environment's Terraform stack and Kubernetes manifests: [path, content] twice. The stack
 * is written without cdktf when tierkit alone declares it (same bytes), through cdktf otherwise.
 */
function renderEnvironment(tfApp: TerraformApp, env: AppEnvironment, gatingTier: string): [string, string][] {
  const plain = referenceRendering ? undefined : plainAppEnvironmentStack(env, gatingTier);
  return [
    [naming.dist.terraformStack(env.stackName), plain ? canonicalJson(plain) : stackJson(buildAppEnvironmentStack(tfApp, env, gatingTier).stack)],
    [naming.dist.k8sAppEnvironment(env.tier.name, env.coordinate), chartYaml(buildEnvironmentChart(k8sApp(), env))],
  ];
}

function build(estate: Estate, scratch: string, rendered: ReadonlyMap<string, string>): SynthOutput {
  const envs = environmentsOf(estate);
  const tiers = tiersInUse(estate);
  const estateGate = gatingTierOfEstate(estate);
  const tfApp = new TerraformApp({ stackTraces: false, skipValidation: false, outdir: scratch });
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

  const platformBase = { gatingTier: estateGate.name, applyGate: gate(estateGate).name, humanGate: gate(estateGate).human };
  // A CI applier (and planner) exists only for a tier that gates something and is applied from CI at all.
  const hasTierPlatform = (tier: (typeof tiers)[number]) => gate(tier).name !== 'none'
    && (envs.some((e) => gatingOf.get(e.server!) === tier) || estate.servers.some((s) => gatingOf.get(s) === tier));
  const platformTiers = tiers.filter(hasTierPlatform).map((t) => t.name);
  // Servers (16+) whose short-lived planner login a tier platform stack declares: platform-admin writes them.
  const plannerIssuerServers = estate.servers
    .filter((s) => hasShortLivedPlanner(s.majorVersion) && platformTiers.includes(gatingOf.get(s)!.name)).map((s) => s.serverId);
  const shared = buildSharedPlatformStack(tfApp, estate, platformTiers, plannerIssuerServers);
  const sharedPath = naming.dist.terraformStack(naming.SHARED_PLATFORM_STACK);
  pending.push({ path: sharedPath, content: stackJson(shared), meta: { kind: 'terraform-stack', stack: naming.SHARED_PLATFORM_STACK, constructPaths: [estate.estateName] } });
  stacks.push({ name: naming.SHARED_PLATFORM_STACK, kind: 'shared-platform', tier: estateGate.name, ...platformBase, artifact: sharedPath, constructPath: estate.estateName });

  for (const tier of tiers) {
    const tierEnvs = envs.filter((e) => e.tier === tier);
    const gatedEnvs = envs.filter((e) => gatingOf.get(e.server!) === tier);
    const gatedServers = estate.servers.filter((s) => gatingOf.get(s) === tier);
    if (hasTierPlatform(tier)) {
      const name = naming.tierPlatformStackName(tier.name);
      const path = naming.dist.terraformStack(name);
      // The tier gating the platform stacks plans them too: its planner reads the platform paths.
      const stack = buildTierPlatformStack(tfApp, estate, tier, gatedEnvs, gatedServers, tier === estateGate ? { platformTiers, plannerIssuerServers } : {});
      pending.push({ path, content: stackJson(stack), meta: { kind: 'terraform-stack', tier: tier.name, stack: name, constructPaths: [estate.estateName] } });
      stacks.push({ name, kind: 'tier-platform', tier: tier.name, ...platformBase, artifact: path, constructPath: estate.estateName });
    }
    const appsPath = naming.dist.k8sTierApplications(tier.name);
    pending.push({ path: appsPath, content: chartYaml(buildTierApplicationsChart(k8sApp(), estate, tier, tierEnvs)),
      meta: { kind: 'kubernetes-manifests', tier: tier.name, constructPaths: tierEnvs.map((e) => estate.displayPath(e)) } });
    // The per-PR manifests every preview Application of the tier deploys (preview-manifests.ts).
    for (const env of tierEnvs.filter(hostsPreviews)) {
      const dir = naming.k8sPreviewDir(tier.name, env.app.appName);
      const meta = { kind: 'kubernetes-manifests' as const, tier: tier.name, app: env.app.appName, constructPaths: [estate.displayPath(env.app)] };
      pending.push({ path: `${dir}/${naming.PREVIEW_KUSTOMIZATION_FILE}`, content: yamlStream([previewKustomization()], referenceRendering), meta });
      const chart = buildPreviewChart(new Chart(k8sApp(), `previews-${env.app.appName}`, { disableResourceNameHashes: true }), env);
      pending.push({ path: `${dir}/${naming.PREVIEW_OBJECTS_FILE}`, content: chartYaml(chart), meta });
    }
    const rootPath = naming.dist.k8sAppOfApps(tier.name);
    pending.push({ path: rootPath, content: chartYaml(buildAppOfAppsChart(k8sApp(), estate, tier)),
      meta: { kind: 'kubernetes-manifests', tier: tier.name, constructPaths: [estate.estateName] } });
  }

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
