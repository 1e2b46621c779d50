import { Estate } from 'tierkit';
import { orders } from '../apps/orders';
import { defineEstate } from './estate';

/** The program `tierkit synth` runs (cdktf.json's "app"): the estate and every app. */
export default function estate(): Estate {
  const e = defineEstate();
  orders(e);
  return e;
}
