import { parentPort } from 'node:worker_threads';
import { parseTierkitYaml, writesBack } from './yaml-read';

/**
 * The other half of `yaml-verify.ts`: for each YAML text it is sent, the fast reader's verdict —
 * parsed and written back to exactly that text — and, after `end`, every verdict in order.
 */
const verdicts: number[] = [];
parentPort!.on('message', (m: string | { end: true }) => {
  if (typeof m === 'string') {
    const docs = parseTierkitYaml(m);
    verdicts.push(docs !== undefined && writesBack(m, docs) ? 1 : 0);
  } else {
    parentPort!.postMessage(Uint8Array.from(verdicts));
  }
});
