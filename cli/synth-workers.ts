/**
 * Synthesis of a large estate over worker threads. Each worker loads the estate program itself
 * (estate programs are deterministic: the same file builds the same tree), renders its shard of
 * the app-environments with `synthesizeShard`, and returns the files; the main thread renders its
 * own shard meanwhile and then assembles the platform stacks and the manifest. Which thread
 * rendered a file never shows in it, so the output is byte-identical to a serial synth.
 */
import { availableParallelism } from 'node:os';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { Estate } from '../constructs/estate';
import * as naming from '../constructs/naming';
import { environmentsOf } from '../constructs/query';
import { synthesizeShard } from '../constructs/synth/synthesize';
import { loadEstate } from './estate-entry';

/** Below this many app-environments a worker's start-up (≈ 1 s of module loading) does not pay off. */
export const PARALLEL_MIN_ENVIRONMENTS = 300;

interface ShardJob {
  readonly entry: string;
  readonly index: number;
  readonly count: number;
}

/** `--jobs`: an explicit count, or (auto) the cores, only for estates large enough. */
export function threadCount(requested: number | undefined, environments: number): number {
  if (requested !== undefined) return requested;
  return environments >= PARALLEL_MIN_ENVIRONMENTS ? Math.min(availableParallelism(), 4) : 1;
}

/** The app-environment files shard `index` of `count` must hold: both files of each of its envs. */
function shardPaths(estate: Estate, index: number, count: number): string[] {
  return environmentsOf(estate).filter((_, i) => i % count === index)
    .flatMap((env) => [naming.dist.terraformStack(env.stackName), naming.dist.k8sAppEnvironment(env.tier.name, env.coordinate)]);
}

function startWorker(job: ShardJob): { worker: Worker; files: Promise<[string, string][]> } {
  // The worker runs this very module. A worker started from a .ts file does not inherit tsx's
  // ESM loader on Node 20, so a CommonJS bootstrap registers tsx's require hook first.
  const bootstrap = `${__filename.endsWith('.ts') ? "require('tsx/cjs');" : ''} require(${JSON.stringify(__filename)});`;
  const worker = new Worker(bootstrap, { eval: true, workerData: job, execArgv: [] });
  const files = new Promise<[string, string][]>((resolve, reject) => {
    let received = false;
    worker.once('message', (message: [string, string][]) => {
      received = true;
      resolve(message);
    });
    worker.once('error', reject);
    // An exit before any message (a crash, process.exit in an estate program) must not hang synth.
    worker.once('exit', (code) => {
      if (!received) reject(new Error(`synthesis worker ${job.index} exited with code ${code} before sending its files`));
    });
  });
  return { worker, files };
}

/**
 * The app-environment files of `estate` (loaded from `entry`), rendered on `threads` threads:
 * shard 0 here, the others on workers. Each shard must return exactly its envs' files: an estate
 * program that builds another tree in a worker (it must be deterministic) is refused.
 */
export async function renderInParallel(entry: string, estate: Estate, threads: number): Promise<Map<string, string>> {
  const jobs = Array.from({ length: threads - 1 }, (_, i) => startWorker({ entry, index: i + 1, count: threads }));
  try {
    // Keep a rejected worker from being reported as unhandled while this thread renders.
    jobs.forEach((j) => j.files.catch(() => undefined));
    const rendered = synthesizeShard(estate, 0, threads);
    const shards = await Promise.all(jobs.map((j) => j.files));
    shards.forEach((files, i) => {
      const expected = shardPaths(estate, i + 1, threads);
      const got = files.map(([path]) => path).sort();
      if (JSON.stringify(got) !== JSON.stringify([...expected].sort())) {
        throw new Error(`synthesis worker ${i + 1} rendered other app-environments than this thread expects: is the estate program (${entry}) deterministic?`);
      }
      for (const [path, content] of files) rendered.set(path, content);
    });
    return rendered;
  } finally {
    // Whatever happened, no worker outlives the synth.
    await Promise.all(jobs.map((j) => j.worker.terminate()));
  }
}

if (!isMainThread && parentPort && (workerData as ShardJob | undefined)?.entry) {
  const job = workerData as ShardJob;
  parentPort.postMessage([...synthesizeShard(loadEstate(job.entry), job.index, job.count)]);
}
