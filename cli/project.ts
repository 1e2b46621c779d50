import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';

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
 * The estate program `tierkit synth` runs without --app: the `--app <file>` of cdktf.json's
 * `app` command (cdktf's own convention for where the program is), else environments/index.ts.
 * The generated workflows run a bare `tierkit synth`, so they follow the same file.
 */
export function configuredEntry(root: string): string {
  const file = join(root, 'cdktf.json');
  if (!existsSync(file)) return resolve(root, DEFAULT_ENTRY);
  let app: unknown;
  try {
    app = JSON.parse(readFileSync(file, 'utf8')).app;
  } catch (err) {
    throw new Error(`${file} is not valid JSON (${(err as Error).message}); fix it, or pass --app <file>`);
  }
  const m = typeof app === 'string' ? /(?:^|\s)--app(?:=|\s+)(\S+)/.exec(app) : null;
  return resolve(root, m ? m[1] : DEFAULT_ENTRY);
}
