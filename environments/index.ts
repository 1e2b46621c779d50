import { Estate } from 'tierkit';
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
  return e;
}
