/**
 * Reading a large dist with the YAML parsing spread over worker threads. YAML is most of a check's
 * reading time (js-yaml, ~45 MB/s), JSON is cheap; so the main thread reads the Terraform stacks
 * and its share of the manifests while workers parse theirs. Each worker reads its files itself and
 * posts the parsed documents back (structured clone keeps every YAML value exact, `.inf` included).
 * The result is the same value `readDist` returns, whatever the thread count (tested).
 */
import { availableParallelism } from 'node:os';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { startOneShotWorker } from '../../constructs/synth/worker';
import {
  DistContents, DistReadError, KubernetesObject, ReadDistOptions, kubernetesObjects, planDist, readStack, readYamlFile,
} from './read';

/** Below this many manifest files a worker's start-up costs more than it parses. */
export const PARALLEL_MIN_MANIFESTS = 400;

interface YamlJob {
  readonly tierkitYamlJob: true;
  readonly dir: string;
  readonly files: readonly string[];
}

/** Per file: its documents, or the reason it could not be read (the shard stops there). */
type YamlResult = { rel: string; docs: unknown[] } | { rel: string; error: string };

function parseShard(dir: string, files: readonly string[]): YamlResult[] {
  const out: YamlResult[] = [];
  for (const rel of files) {
    try {
      out.push({ rel, docs: readYamlFile(dir, rel) });
    } catch (err) {
      out.push({ rel, error: err instanceof DistReadError ? err.reason : String((err as Error)?.message ?? err) });
      break;
    }
  }
  return out;
}

if (!isMainThread && (workerData as YamlJob | undefined)?.tierkitYamlJob) {
  const job = workerData as YamlJob;
  parentPort!.postMessage(parseShard(job.dir, job.files));
}

export interface ReadDistParallelOptions extends ReadDistOptions {
  /** @default - the cores (at most 4) when the dist has at least PARALLEL_MIN_MANIFESTS manifest files, else 1 */
  readonly threads?: number;
}

/** `readDist`, with the manifests' YAML parsed on `threads` threads. */
export async function readDistParallel(distDir: string, options: ReadDistParallelOptions = {}): Promise<DistContents> {
  const plan = planDist(distDir, options);
  const threads = Math.max(1, options.threads
    ?? (plan.manifests.length >= PARALLEL_MIN_MANIFESTS ? Math.min(availableParallelism(), 4) : 1));
  const shardOf = (i: number) => i % threads;
  const rels = plan.manifests.map((m) => m.rel);
  const jobs = Array.from({ length: threads - 1 }, (_, k) =>
    startOneShotWorker<YamlResult[]>(__filename, { tierkitYamlJob: true, dir: plan.dir, files: rels.filter((_, i) => shardOf(i) === k + 1) } satisfies YamlJob, `YAML worker ${k + 1}`));
  try {
    const stacks = plan.stacks.map((s) => readStack(plan.dir, s.name, s.rel, s.listed));
    const parsed = new Map<string, YamlResult>();
    for (const r of parseShard(plan.dir, rels.filter((_, i) => shardOf(i) === 0))) parsed.set(r.rel, r);
    for (const j of jobs) for (const r of await j.result) parsed.set(r.rel, r);
    // In reading order, so the first unreadable file is the one `readDist` would name.
    const kubernetes: KubernetesObject[] = [];
    for (const m of plan.manifests) {
      const r = parsed.get(m.rel);
      // A shard stops at its first unreadable file, which comes earlier in this order and threw.
      if (!r) throw new Error(`internal: ${m.rel} was not parsed`);
      if ('error' in r) throw new DistReadError(m.rel, r.error);
      kubernetes.push(...kubernetesObjects(m.rel, r.docs, m.listed));
    }
    return { dir: plan.dir, manifest: plan.manifest, stacks, kubernetes };
  } finally {
    await Promise.all(jobs.map((j) => j.worker.terminate()));
  }
}
