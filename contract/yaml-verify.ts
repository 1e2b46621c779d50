import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';

/**
 * The fast YAML reader's write-back check (`yaml-read.ts`) on a second thread, so that `check`
 * uses the machine's other core. The reading thread parses each text itself and sends the text
 * here; a worker parses it again with the same pure function, writes the documents back and
 * answers one verdict per text. Only a `true` verdict lets the reader keep its own parse (the same
 * function of the same text gives the same documents); anything else — `false`, or a worker that
 * fails to start, throws or exits — sends the reader back to checking in its own thread, or to the
 * full parser: the result never depends on the worker.
 */
export interface YamlVerifier {
  /** Sends `text` (the file `rel`) for checking; its verdict is `verdicts()[ticket]`. */
  submit(text: string, rel?: string): number;
  /** Every submitted text's verdict, in order; rejects if the worker failed. */
  verdicts(): Promise<readonly boolean[]>;
  close(): void;
}

/** The worker, started from the compiled file or, in a source checkout, through tsx's require hook. */
function startWorker(): Worker {
  const ext = extname(__filename);
  const file = join(__dirname, `yaml-verify-worker${ext}`);
  if (ext === '.js') return new Worker(file);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const tsx = require.resolve('tsx/cjs/api');
  return new Worker(`require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(file)});`, { eval: true });
}

/** A verifier on its own thread, or `undefined` when no worker can be started (the caller checks in-thread). */
export function startYamlVerifier(): YamlVerifier | undefined {
  let worker: Worker;
  try {
    worker = startWorker();
  } catch {
    return undefined;
  }
  let submitted = 0;
  let failure: Error | undefined;
  let settle: ((v: readonly boolean[]) => void) | undefined;
  let fail: ((e: Error) => void) | undefined;
  const failed = (e: Error) => {
    failure ??= e;
    fail?.(failure);
  };
  worker.on('error', failed);
  worker.on('exit', (code) => failed(new Error(`the YAML verifier exited (${code})`)));
  worker.on('message', (m: unknown) => {
    if (m instanceof Uint8Array && m.length === submitted) settle?.([...m].map((v) => v === 1));
    else failed(new Error('the YAML verifier answered something else than one verdict per text'));
  });
  return {
    submit(text) {
      if (failure === undefined) worker.postMessage(text);
      return submitted++;
    },
    verdicts() {
      return new Promise((resolve, reject) => {
        if (failure) return reject(failure);
        settle = resolve;
        fail = reject;
        worker.postMessage({ end: true });
      });
    },
    close() {
      void worker.terminate();
    },
  };
}
