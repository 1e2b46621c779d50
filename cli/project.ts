import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { Estate } from '../constructs/estate';
import { UsageError } from './command';

/** The estate repository: the nearest directory up from cwd holding cdktf.json. */
export function projectRoot(cwd: string): string {
  let dir = resolve(cwd);
  for (;;) {
    if (existsSync(join(dir, 'cdktf.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return resolve(cwd);
    dir = parent;
  }
}

export function resolveFrom(cwd: string, path: string): string {
  return isAbsolute(path) ? path : resolve(cwd, path);
}

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
