import { existsSync } from 'node:fs';
// Kept apart from project.ts: importing Estate loads cdktf, which check and diff never need.
import { Estate } from '../constructs/estate';
import { UsageError } from './command';

export const DEFAULT_ENTRY = 'environments/index.ts';

/**
 * Load the estate program: a module whose default export is an Estate or a function returning
 * one. The library never imports the estate; the CLI does, by path.
 */
export function loadEstate(entry: string): Estate {
  if (!existsSync(entry)) throw new UsageError(`estate entry not found: ${entry} (pass --app <file>)`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(entry);
  const exported = mod.default ?? mod.estate ?? mod;
  const estate = typeof exported === 'function' ? exported() : exported;
  if (!(estate instanceof Estate)) {
    throw new UsageError(`${entry} must export default an Estate or a function returning one`);
  }
  return estate;
}
