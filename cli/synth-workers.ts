/**
 * Synthesis of a large estate over worker threads. Each worker loads the estate program itself
 * (estate programs are deterministic: the same file builds the same tree), renders its shard of
 * the app-environments with `synthesizeShard`, and returns the files; the main thread renders its
 * own shard meanwhile and then assembles the platform stacks and the manifest. Which thread
 * rendered a file never shows in it, so the output is byte-identical to a serial synth.
 */
import { availableParallelism } from 'node:os';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { Estate } from '../constructs/estate';
import * as naming from '../constructs/naming';
import { environmentsOf } from '../constructs/query';
import { synthesizeShard } from '../constructs/synth/synthesize';
import { startOneShotWorker } from '../constructs/synth/worker';
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

/**
 * The app-environment files of `estate` (loaded from `entry`), rendered on `threads` threads:
 * shard 0 here, the others on workers. Each shard must return exactly its envs' files: an estate
 * program that builds another tree in a worker (it must be deterministic) is refused.
 */
export async function renderInParallel(entry: string, estate: Estate, threads: number): Promise<Map<string, string>> {
  const jobs = Array.from({ length: threads - 1 }, (_, i) =>
    startOneShotWorker<[string, string][]>(__filename, { entry, index: i + 1, count: threads } satisfies ShardJob, `synthesis worker ${i + 1}`));
  try {
    const rendered = synthesizeShard(estate, 0, threads);
    const shards = await Promise.all(jobs.map((j) => j.result));
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
