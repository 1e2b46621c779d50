/**
 * The rendering primitives synthesis shares between the assembly (`synthesize.ts`), the platform
 * artifacts (`platform-artifacts.ts`) and the threads rendering app-environments: a stack or a
 * chart to its text, and the scratch context cdktf needs. Kept apart so neither module imports the
 * other.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App as K8sApp, Chart } from 'cdk8s';
import { TerraformApp, TerraformStack } from '../cdktf';
import { AppEnvironment } from '../app-environment';
import * as naming from '../naming';
import { buildEnvironmentChart } from './kubernetes';
import { chartJson } from './kubernetes-json';
import { ManifestArtifact } from './manifest';
import { canonicalJson, yamlStream } from './serialize';
import { buildAppEnvironmentStack } from './terraform-app-environment';
import { plainAppEnvironmentStack } from './terraform-app-environment-plain';

/** An artifact rendered and waiting for the manifest: its path, text and manifest entry. */
export interface Pending {
  readonly path: string;
  readonly content: string;
  readonly meta: Omit<ManifestArtifact, 'path' | 'sha256'>;
}

/** A stack's canonical JSON through cdktf (token resolution, overrides, escape hatches' additions). */
export function stackJson(stack: TerraformStack): string {
  stack.prepareStack();
  return canonicalJson(stack.toTerraform());
}

/**
 * A stack alone in its App, which no escape hatch reaches (tierkit's platform stacks): the same
 * JSON as `stackJson` without cdktf's preparing pass. That pass resolves every token once only to
 * wire cross-stack references (`Reference.resolve` when `context.preparing`), and a stack alone in
 * its App has no other stack to reference (a third of the platform stacks' time at 100×). In
 * another App, or under reference rendering, it is `stackJson`.
 */
export function soleStackJson(stack: TerraformStack): string {
  if (referenceRendering || stack.node.scope?.node.children.length !== 1) return stackJson(stack);
  stack.ensureBackendExists();
  return canonicalJson(stack.toTerraform());
}

/** Whether this synth renders through cdktf and `yaml` only (`SynthesizeOptions.reference`). */
let referenceRendering = false;

export function isReferenceRendering(): boolean {
  return referenceRendering;
}

/** Run `fn` with reference rendering on or off, restoring the fast paths afterwards. */
export function withRendering<T>(reference: boolean, fn: () => T): T {
  referenceRendering = reference;
  try {
    return fn();
  } finally {
    referenceRendering = false;
  }
}

export function chartYaml(chart: Chart): string {
  return yamlStream(referenceRendering ? chart.toJson() : chartJson(chart), referenceRendering);
}

/**
 * Each chart gets an App of its own: cdk8s `Chart.toJson()` resolves dependencies and validates
 * the whole App, so one App holding every chart made synthesis quadratic in the number of envs.
 * Charts never reference each other, so the output is the same.
 */
export function k8sApp(): K8sApp {
  return new K8sApp({ outdir: 'cdk8s.out' });
}

/** A cdktf App for stacks built in `scratch` (`inScratch`). */
export function terraformApp(scratch: string): TerraformApp {
  return new TerraformApp({ stackTraces: false, skipValidation: false, outdir: scratch });
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

export function inScratch<T>(fn: (scratch: string) => T): T {
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
export function renderEnvironment(tfApp: TerraformApp, env: AppEnvironment, gatingTier: string): [string, string][] {
  const plain = referenceRendering ? undefined : plainAppEnvironmentStack(env, gatingTier);
  return [
    [naming.dist.terraformStack(env.stackName), plain ? canonicalJson(plain) : stackJson(buildAppEnvironmentStack(tfApp, env, gatingTier).stack)],
    [naming.dist.k8sAppEnvironment(env.tier.name, env.coordinate), chartYaml(buildEnvironmentChart(k8sApp(), env))],
  ];
}
