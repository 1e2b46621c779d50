import { join } from 'node:path';
import { Estate, loadSandboxFiles } from 'tierkit';
import { orders } from '../apps/orders';
import { defineEstate } from './estate';

/** The program `tierkit synth` runs (cdktf.json's "app"): the estate and every app. */
export default function estate(): Estate {
  const e = defineEstate();
  orders(e);
  // Sandboxes as data (`tierkit sandbox create`; declare sandboxOwners and a SandboxTemplate first).
  loadSandboxFiles(e, join(__dirname, '..', 'sandboxes'));
  return e;
}
