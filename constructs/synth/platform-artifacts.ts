import { Chart } from 'cdk8s';
import { Estate } from '../estate';
import * as naming from '../naming';
import { hostsPreviews } from '../previews';
import { environmentsOf, gatingTierOfEstate, gatingTierOfServer, tiersInUse } from '../query';
import { Tier } from '../tier';
import { hasShortLivedPlanner } from '../../contract/planner';
import { buildAppOfAppsChart, buildTierApplicationsChart } from './kubernetes';
import { ManifestStack } from './manifest';
import { buildPreviewChart, previewKustomization } from './preview-manifests';
import { Pending, chartYaml, inScratch, isReferenceRendering, k8sApp, soleStackJson, terraformApp } from './render';
import { yamlStream } from './serialize';
import { buildSharedPlatformStack, buildTierPlatformStack } from './terraform-platform';

/**
 * Everything of a synth but the app-environments' own files: the shared and tier platform stacks,
 * each tier's Applications, previews and app-of-apps manifests — in the order `synthesize` lists
 * them after the envs' files. A function of the estate alone (no env's rendered file goes in), so
 * it may be rendered before, after or beside the envs (`cli/synth-workers.ts` renders it while
 * the worker threads start).
 */
export interface PlatformArtifacts {
  /** The estate rendered, and whether through the reference renderers: `synthesize` uses it only for the same. */
  readonly estate: Estate;
  readonly reference: boolean;
  /** The estate's construct paths when rendered (`constructTree`): `synthesize` refuses a tree changed since. */
  readonly tree: string;
  readonly pending: readonly Pending[];
  readonly stacks: readonly ManifestStack[];
}

/** Every construct path of the estate, in tree order: what a program that adds or removes constructs changes. */
export function constructTree(estate: Estate): string {
  return JSON.stringify(estate.node.findAll().map((c) => c.node.path));
}

/**
 * The platform artifacts of `estate`, each stack on a cdktf App of its own: no env's stack (an
 * escape hatch's included) shares an App with a platform stack, whichever is rendered first, and a
 * stack alone in its App renders without cdktf's cross-stack pass (`soleStackJson`).
 */
export function platformArtifacts(estate: Estate): PlatformArtifacts {
  return inScratch((scratch) => platformArtifactsIn(estate, scratch));
}

/** `platformArtifacts` inside a scratch context already set up (`inScratch`). */
export function platformArtifactsIn(estate: Estate, scratch: string): PlatformArtifacts {
  const envs = environmentsOf(estate);
  const tiers = tiersInUse(estate);
  const estateGate = gatingTierOfEstate(estate);
  const app = () => terraformApp(scratch);
  const pending: Pending[] = [];
  const stacks: ManifestStack[] = [];
  const gate = (t: Tier) => estate.tier(t).config.applyGate;
  // Computed once: each is a walk over every environment.
  const gatingOf = new Map(estate.servers.map((s) => [s, gatingTierOfServer(estate, s)]));

  const platformBase = { gatingTier: estateGate.name, applyGate: gate(estateGate).name, humanGate: gate(estateGate).human };
  // A CI applier (and planner) exists only for a tier that gates something and is applied from CI at all.
  const hasTierPlatform = (tier: (typeof tiers)[number]) => gate(tier).name !== 'none'
    && (envs.some((e) => gatingOf.get(e.server!) === tier) || estate.servers.some((s) => gatingOf.get(s) === tier));
  const platformTiers = tiers.filter(hasTierPlatform).map((t) => t.name);
  // Servers (16+) whose short-lived planner login a tier platform stack declares: platform-admin writes them.
  const plannerIssuerServers = estate.servers
    .filter((s) => hasShortLivedPlanner(s.majorVersion) && platformTiers.includes(gatingOf.get(s)!.name)).map((s) => s.serverId);
  const shared = buildSharedPlatformStack(app(), estate, platformTiers, plannerIssuerServers);
  const sharedPath = naming.dist.terraformStack(naming.SHARED_PLATFORM_STACK);
  pending.push({ path: sharedPath, content: soleStackJson(shared), meta: { kind: 'terraform-stack', stack: naming.SHARED_PLATFORM_STACK, constructPaths: [estate.estateName] } });
  stacks.push({ name: naming.SHARED_PLATFORM_STACK, kind: 'shared-platform', tier: estateGate.name, ...platformBase, artifact: sharedPath, constructPath: estate.estateName });

  for (const tier of tiers) {
    const tierEnvs = envs.filter((e) => e.tier === tier);
    const gatedEnvs = envs.filter((e) => gatingOf.get(e.server!) === tier);
    const gatedServers = estate.servers.filter((s) => gatingOf.get(s) === tier);
    if (hasTierPlatform(tier)) {
      const name = naming.tierPlatformStackName(tier.name);
      const path = naming.dist.terraformStack(name);
      // The tier gating the platform stacks plans them too: its planner reads the platform paths.
      const stack = buildTierPlatformStack(app(), estate, tier, gatedEnvs, gatedServers, tier === estateGate ? { platformTiers, plannerIssuerServers } : {});
      pending.push({ path, content: soleStackJson(stack), meta: { kind: 'terraform-stack', tier: tier.name, stack: name, constructPaths: [estate.estateName] } });
      stacks.push({ name, kind: 'tier-platform', tier: tier.name, ...platformBase, artifact: path, constructPath: estate.estateName });
    }
    const appsPath = naming.dist.k8sTierApplications(tier.name);
    pending.push({ path: appsPath, content: chartYaml(buildTierApplicationsChart(k8sApp(), estate, tier, tierEnvs)),
      meta: { kind: 'kubernetes-manifests', tier: tier.name, constructPaths: tierEnvs.map((e) => estate.displayPath(e)) } });
    // The per-PR manifests every preview Application of the tier deploys (preview-manifests.ts).
    for (const env of tierEnvs.filter(hostsPreviews)) {
      const dir = naming.k8sPreviewDir(tier.name, env.app.appName);
      const meta = { kind: 'kubernetes-manifests' as const, tier: tier.name, app: env.app.appName, constructPaths: [estate.displayPath(env.app)] };
      pending.push({ path: `${dir}/${naming.PREVIEW_KUSTOMIZATION_FILE}`, content: yamlStream([previewKustomization()], isReferenceRendering()), meta });
      const chart = buildPreviewChart(new Chart(k8sApp(), `previews-${env.app.appName}`, { disableResourceNameHashes: true }), env);
      pending.push({ path: `${dir}/${naming.PREVIEW_OBJECTS_FILE}`, content: chartYaml(chart), meta });
    }
    const rootPath = naming.dist.k8sAppOfApps(tier.name);
    pending.push({ path: rootPath, content: chartYaml(buildAppOfAppsChart(k8sApp(), estate, tier)),
      meta: { kind: 'kubernetes-manifests', tier: tier.name, constructPaths: [estate.estateName] } });
  }
  return { estate, reference: isReferenceRendering(), tree: constructTree(estate), pending, stacks };
}
