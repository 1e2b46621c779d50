/**
 * Synthesis of a large estate over worker threads. Each worker loads the estate program itself
 * (estate programs are deterministic: the same file builds the same tree) and, like the main
 * thread, takes the next app-environment from one shared counter until none is left
 * (`synthesizeTaken`), so a thread that starts late (a worker loads its modules first) or runs
 * slow takes fewer. The main thread renders the platform artifacts first, then takes envs too, and
 * finally assembles the manifest. Which thread rendered a file never shows in it, so the output is
 * byte-identical to a serial synth.
 */
import { availableParallelism } from 'node:os';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { Estate } from '../constructs/estate';
import * as naming from '../constructs/naming';
import { environmentsOf } from '../constructs/query';
import { synthesizeTaken } from '../constructs/synth/synthesize';
import { OneShotWorker, startOneShotWorker } from '../constructs/synth/worker';
import { loadEstate } from './estate-entry';

/** Below this many app-environments a worker's start-up (≈ 1 s of module loading) does not pay off. */
export const PARALLEL_MIN_ENVIRONMENTS = 300;

interface ShardJob {
  readonly entry: string;
  /** One Int32: the index of the next env to take, shared by every thread. */
  readonly counter: SharedArrayBuffer;
}

/** What a worker sends back: the env list it loaded (to compare), and the envs it took. */
interface ShardResult {
  readonly envPaths: string;
  readonly taken: [number, [string, string][]][];
}

/** `--jobs`: an explicit count, or (auto) the cores, only for estates large enough. */
export function threadCount(requested: number | undefined, environments: number): number {
  if (requested !== undefined) return requested;
  return environments >= PARALLEL_MIN_ENVIRONMENTS ? Math.min(availableParallelism(), 4) : 1;
}

/** Every env's two dist paths, in declaration order: what two threads must agree on before sharing indices. */
function envPaths(estate: Estate): string {
  return JSON.stringify(environmentsOf(estate).map((env) => [naming.dist.terraformStack(env.stackName), naming.dist.k8sAppEnvironment(env.tier.name, env.coordinate)]));
}

function taker(counter: SharedArrayBuffer): () => number {
  const next = new Int32Array(counter);
  return () => Atomics.add(next, 0, 1);
}

/** Workers started, sharing one counter with this thread; `render` must run (or `stop`) once. */
export interface ParallelRender {
  /** This thread's share of the envs, then the workers': every env's two files, by dist path. */
  render(estate: Estate): Promise<Map<string, string>>;
  /** Terminate every worker (idempotent): call it whatever happened. */
  stop(): Promise<void>;
}

/**
 * Start `threads - 1` workers on `entry` at once, so that they load their modules while this
 * thread validates the estate and renders the platform artifacts. Until `render` is called they
 * take envs alone; an estate that turns out invalid is never rendered from their files (`stop`).
 */
export function startParallelRender(entry: string, threads: number): ParallelRender {
  const counter = new SharedArrayBuffer(4);
  const jobs: OneShotWorker<ShardResult>[] = Array.from({ length: threads - 1 }, (_, i) =>
    startOneShotWorker<ShardResult>(__filename, { entry, counter } satisfies ShardJob, `synthesis worker ${i + 1}`));
  return {
    async render(estate) {
      const mine = synthesizeTaken(estate, taker(counter));
      const expected = envPaths(estate);
      const envCount = environmentsOf(estate).length;
      const rendered = new Map<string, string>();
      const seen = new Set<number>();
      const add = (taken: Iterable<[number, [string, string][]]>, who: string) => {
        for (const [i, files] of taken) {
          if (seen.has(i) || i < 0 || i >= envCount) throw new Error(`${who} rendered app-environment ${i} twice or out of range`);
          seen.add(i);
          for (const [path, content] of files) rendered.set(path, content);
        }
      };
      add(mine, 'this thread');
      const results = await Promise.all(jobs.map((j) => j.result));
      results.forEach((r, i) => {
        // The same env at the same index on every thread, or the shared indices mean nothing.
        if (r.envPaths !== expected) {
          throw new Error(`synthesis worker ${i + 1} rendered other app-environments than this thread expects: is the estate program (${entry}) deterministic?`);
        }
        add(r.taken, `synthesis worker ${i + 1}`);
      });
      if (seen.size !== envCount) throw new Error(`the synthesis threads rendered ${seen.size} of ${envCount} app-environments`);
      return rendered;
    },
    async stop() {
      await Promise.all(jobs.map((j) => j.worker.terminate()));
    },
  };
}

if (!isMainThread && parentPort && (workerData as ShardJob | undefined)?.entry) {
  const job = workerData as ShardJob;
  const estate = loadEstate(job.entry);
  const taken = synthesizeTaken(estate, taker(job.counter));
  parentPort.postMessage({ envPaths: envPaths(estate), taken: [...taken] } satisfies ShardResult);
}
