/**
 * EXPERIMENT: does synthesizing the app-environment stacks and charts on worker threads pay off
 * on this machine? Each worker loads cdktf/cdk8s itself, rebuilds the (deterministic) estate and
 * renders every N-th environment; the main thread compares the result byte for byte with the
 * serial `synthesize()` output.
 *
 *   node --require tsx/cjs bench/experiments/worker-synth.ts [workers] [--app-per-chart]   (size from BENCH_* env)
 *
 * Prints one JSON line: serial import + synthesize() time vs the parallel wall time.
 */
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { GenerateOptions } from '../spec';

interface Job { readonly options: GenerateOptions; readonly index: number; readonly count: number; readonly appPerChart: boolean }

/* eslint-disable @typescript-eslint/no-require-imports */
function renderShard(job: Job): [string, string][] {
  process.setSourceMapsEnabled(false);
  const { App: K8sApp } = require('cdk8s') as typeof import('cdk8s');
  const { TerraformApp } = require('../../constructs/cdktf') as typeof import('../../constructs/cdktf');
  const { environmentsOf } = require('../../constructs/query') as typeof import('../../constructs/query');
  const naming = require('../../constructs/naming') as typeof import('../../constructs/naming');
  const { buildAppEnvironmentStack } = require('../../constructs/synth/terraform-app-environment') as typeof import('../../constructs/synth/terraform-app-environment');
  const { buildEnvironmentChart } = require('../../constructs/synth/kubernetes') as typeof import('../../constructs/synth/kubernetes');
  const { canonicalJson, yamlStream } = require('../../constructs/synth/serialize') as typeof import('../../constructs/synth/serialize');
  const { generateEstate } = require('../generate') as typeof import('../generate');
  const estate = generateEstate(job.options);
  const tfApp = new TerraformApp({ stackTraces: false, skipValidation: false, outdir: 'cdktf.out' });
  // cdk8s's chart.toJson() resolves dependencies and validates the WHOLE App each time: one App
  // per chart makes it O(chart) instead of O(all charts).
  const shared = new K8sApp({ outdir: 'cdk8s.out' });
  const k8sAppFor = () => (job.appPerChart ? new K8sApp({ outdir: 'cdk8s.out' }) : shared);
  const out: [string, string][] = [];
  environmentsOf(estate).forEach((env, i) => {
    if (i % job.count !== job.index) return;
    const { stack } = buildAppEnvironmentStack(tfApp, env);
    stack.prepareStack();
    out.push([naming.dist.terraformStack(env.stackName), canonicalJson(stack.toTerraform())]);
    out.push([naming.dist.k8sAppEnvironment(env.tier.name, env.coordinate), yamlStream(buildEnvironmentChart(k8sAppFor(), env).toJson())]);
  });
  return out;
}

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? cpus().length);
  const appPerChart = process.argv.includes('--app-per-chart');
  const t0 = performance.now();
  const { synthesize } = require('../../constructs/synth/synthesize') as typeof import('../../constructs/synth/synthesize');
  const { generateEstate } = require('../generate') as typeof import('../generate');
  const { optionsFromEnv } = require('../spec') as typeof import('../spec');
  const t1 = performance.now();
  const options = optionsFromEnv();
  const serial = synthesize(generateEstate(options)).files;
  const t2 = performance.now();
  const shards = await Promise.all(Array.from({ length: count }, (_, index) => new Promise<[string, string][]>((resolve, reject) => {
    const worker = new Worker(__filename, { workerData: { options, index, count, appPerChart } satisfies Job, execArgv: process.execArgv });
    worker.once('message', resolve);
    worker.once('error', reject);
  })));
  const t3 = performance.now();
  const parallel = new Map(shards.flat());
  const mismatched = [...parallel].filter(([path, content]) => serial.get(path) !== content).map(([p]) => p);
  const envFiles = [...serial.keys()].filter((p) => !p.startsWith('k8s/argocd/') && !p.includes('/argocd/') && p !== 'manifest.json' && !/terraform\/platform(-[a-z]+)?\//.test(p));
  process.stdout.write(JSON.stringify({
    workers: count, appPerChart, envFiles: envFiles.length, parallelFiles: parallel.size, identical: mismatched.length === 0 && parallel.size === envFiles.length,
    mismatched: mismatched.slice(0, 3),
    serialImportMs: Math.round(t1 - t0), serialSynthesizeMs: Math.round(t2 - t1), parallelWallMs: Math.round(t3 - t2),
  }) + '\n');
}

if (isMainThread) {
  main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
} else {
  parentPort!.postMessage(renderShard(workerData as Job));
}
