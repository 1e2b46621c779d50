import { existsSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
// Kept apart from project.ts: importing Estate loads cdktf, which check and diff never need.
import { Estate } from '../constructs/estate';
import { isValidationError } from '../constructs/errors';
import { UsageError } from './command';

export { DEFAULT_ENTRY } from './project';

/**
 * A TypeScript estate program needs a loader: tsx (a dependency of tierkit) registers its
 * CommonJS hook once, unless one is already active (tierkit's own sources run under tsx).
 */
function ensureTypeScriptLoader(entry: string): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  if (/\.[cm]?tsx?$/.test(entry) && !require.extensions['.ts']) require('tsx/cjs/api').register();
}

/** tierkit's own code (sources or compiled lib/): a frame there is never the user's line. */
const OWN_DIRS = ['constructs', 'cli', 'lib', 'policies'].map((d) => join(resolve(__dirname, '..'), d) + sep);

/** The first stack frame in the user's code (not node internals, node_modules or tierkit): `file:line:col`. */
export function userFrame(err: unknown, cwd: string): string | undefined {
  const stack = (err as Error)?.stack;
  if (typeof stack !== 'string') return undefined;
  for (const line of stack.split('\n').slice(1)) {
    const m = /\(?((?:file:\/\/)?\/[^()]+?):(\d+):(\d+)\)?\s*$/.exec(line.trim());
    if (!m) continue;
    const file = m[1].replace(/^file:\/\//, '');
    if (file.includes(`${sep}node_modules${sep}`) || OWN_DIRS.some((d) => file.startsWith(d))) continue;
    return `${relative(cwd, file) || file}:${m[2]}:${m[3]}`;
  }
  return undefined;
}

export class EstateProgramError extends Error {
  constructor(message: string, readonly cause: unknown) {
    super(message);
    this.name = 'EstateProgramError';
    this.stack = `${message}\n${(cause as Error)?.stack ?? ''}`;
  }
}

/**
 * Load the estate program: a module whose default export is an Estate or a function returning
 * one. The library never imports the estate; the CLI does, by path. A program that throws is
 * reported with the file:line where it threw.
 */
export function loadEstate(entry: string): Estate {
  if (!existsSync(entry)) throw new UsageError(`estate entry not found: ${entry} (pass --app <file>, or set "app" in cdktf.json)`);
  ensureTypeScriptLoader(entry);
  let estate: unknown;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(entry);
    const exported = mod.default ?? mod.estate ?? mod;
    estate = typeof exported === 'function' ? exported() : exported;
  } catch (err) {
    if (isValidationError(err) || err instanceof UsageError) throw err;
    const where = userFrame(err, process.cwd()) ?? entry;
    throw new EstateProgramError(`the estate program threw at ${where}: ${(err as Error)?.message ?? String(err)}`, err);
  }
  if (!(estate instanceof Estate)) {
    const twoCopies = (estate as object)?.constructor?.name === 'Estate';
    throw new UsageError(twoCopies
      ? `${entry} builds its Estate with another copy of tierkit than this CLI's: import it from 'tierkit' and run the CLI installed beside it (npx tierkit)`
      : `${entry} must export default an Estate or a function returning one`);
  }
  return estate;
}
