import { Worker } from 'node:worker_threads';

/** A worker that runs a module once and posts one message: its result. */
export interface OneShotWorker<T> {
  readonly worker: Worker;
  /** The worker's one message; rejects on an error, or on an exit before the message. */
  readonly result: Promise<T>;
}

/**
 * Start `moduleFile` on a worker thread with `data` as its `workerData`. The module posts its one
 * result itself (guarded by `isMainThread` and a marker in `data`). Callers terminate the worker.
 */
export function startOneShotWorker<T>(moduleFile: string, data: unknown, what: string): OneShotWorker<T> {
  // A worker started from a .ts file does not inherit tsx's ESM loader on Node 20, so a CommonJS
  // bootstrap registers tsx's require hook first.
  const bootstrap = `${moduleFile.endsWith('.ts') ? "require('tsx/cjs');" : ''} require(${JSON.stringify(moduleFile)});`;
  const worker = new Worker(bootstrap, { eval: true, workerData: data, execArgv: [] });
  const result = new Promise<T>((resolve, reject) => {
    let received = false;
    worker.once('message', (message: T) => {
      received = true;
      resolve(message);
    });
    worker.once('error', reject);
    // An exit before any message (a crash, process.exit in loaded code) must not hang the caller.
    worker.once('exit', (code) => {
      if (!received) reject(new Error(`${what} exited with code ${code} before sending its result`));
    });
  });
  // Keep a rejection from being reported as unhandled while the caller works on its own share.
  result.catch(() => undefined);
  return { worker, result };
}
