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

function runWorker(job: ShardJob): Promise<[string, string][]> {
  return new Promise((resolve, reject) => {
    // The worker runs this very module. A worker started from a .ts file does not inherit tsx's
    // ESM loader on Node 20, so a CommonJS bootstrap registers tsx's require hook first.
    const bootstrap = `${__filename.endsWith('.ts') ? "require('tsx/cjs');" : ''} require(${JSON.stringify(__filename)});`;
    const worker = new Worker(bootstrap, { eval: true, workerData: job, execArgv: [] });
    worker.once('message', (files: [string, string][]) => resolve(files));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`synthesis worker ${job.index} exited with code ${code}`));
    });
  });
}

/**
 * The app-environment files of `estate` (loaded from `entry`), rendered on `threads` threads:
 * shard 0 here, the others on workers.
 */
export async function renderInParallel(entry: string, estate: Estate, threads: number): Promise<Map<string, string>> {
  const workers = Array.from({ length: threads - 1 }, (_, i) => runWorker({ entry, index: i + 1, count: threads }));
  // Keep a rejected worker from being reported as unhandled while this thread renders.
  workers.forEach((w) => w.catch(() => undefined));
  const rendered = synthesizeShard(estate, 0, threads);
  for (const files of await Promise.all(workers)) for (const [path, content] of files) rendered.set(path, content);
  const expected = environmentsOf(estate).length * 2;
  if (rendered.size !== expected) throw new Error(`parallel synthesis rendered ${rendered.size} app-environment files, expected ${expected}`);
  return rendered;
}

if (!isMainThread && parentPort && (workerData as ShardJob | undefined)?.entry) {
  const job = workerData as ShardJob;
  parentPort.postMessage([...synthesizeShard(loadEstate(job.entry), job.index, job.count)]);
}
