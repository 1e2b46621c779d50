import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';

/**
 * Replace `outDir` with exactly `files`: written into a sibling temp dir, then swapped in with
 * renames. Stale files disappear with the old dir; on any failure the old `dist/` stays as it was.
 */
export function writeDist(outDir: string, files: ReadonlyMap<string, string>): void {
  const target = resolve(outDir);
  const staging = `${target}.tmp-${process.pid}`;
  const previous = `${target}.old-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  try {
    for (const [rel, content] of files) {
      const file = resolve(staging, rel);
      if (!file.startsWith(staging + sep)) throw new Error(`artifact path escapes the output directory: ${rel}`);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, content);
    }
    mkdirSync(staging, { recursive: true });
    if (existsSync(target)) renameSync(target, previous);
    renameSync(staging, target);
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    if (existsSync(previous) && !existsSync(target)) renameSync(previous, target);
    throw err;
  }
  rmSync(previous, { recursive: true, force: true });
}

