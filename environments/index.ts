import { join } from 'node:path';
import { Estate, loadSandboxFiles } from 'tierkit';
import { crm } from '../apps/crm';
import { erp } from '../apps/erp';
import { shop } from '../apps/shop';
import { defineEstate } from './estate';

/** The example estate `npm run synth` writes to dist/. */
export default function estate(): Estate {
  const e = defineEstate();
  erp(e);
  crm(e);
  shop(e);
  // Sandboxes as data (written by `tierkit sandbox create`, reviewed as pull requests).
  loadSandboxFiles(e, join(__dirname, '..', 'sandboxes'));
  return e;
}
