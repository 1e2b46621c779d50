import { Estate } from '../constructs';
import { generateEstate } from './generate';
import { optionsFromEnv } from './spec';

/**
 * `tierkit synth --app bench/estate-entry.ts`: the generated estate, sized by BENCH_APPS,
 * BENCH_SANDBOXES, BENCH_SEED, BENCH_ALL_TIERS (default 1) and BENCH_CHANGE (the one-app change).
 */
export default function estate(): Estate {
  return generateEstate(optionsFromEnv());
}
