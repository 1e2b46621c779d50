import { performance } from 'node:perf_hooks';

/**
 * In-process phases of one tierkit synth, for the profile section: module loading, building the
 * construct tree, `synthesize` (validate + stacks + charts + manifest) and `writeDist`.
 * Prints one JSON line. Sized by the same BENCH_* variables as `estate-entry.ts`.
 */
function main(): void {
  const out = process.argv[2];
  // Experiments (bench/experiments/patches.ts): BENCH_PATCHES=children,stacks
  if (process.env.BENCH_PATCHES) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require('./experiments/patches') as typeof import('./experiments/patches')).applyPatches(process.env.BENCH_PATCHES.split(','));
  }
  const t0 = performance.now();
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { synthesize } = require('../constructs/synth/synthesize') as typeof import('../constructs/synth/synthesize');
  const { writeDist } = require('../constructs/synth/write') as typeof import('../constructs/synth/write');
  const { generateEstate } = require('./generate') as typeof import('./generate');
  const { optionsFromEnv } = require('./spec') as typeof import('./spec');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const t1 = performance.now();
  const estate = generateEstate(optionsFromEnv());
  const t2 = performance.now();
  const cpu = process.cpuUsage();
  const { files, manifest } = synthesize(estate);
  const synthCpu = process.cpuUsage(cpu);
  const t3 = performance.now();
  if (out) writeDist(out, files);
  const t4 = performance.now();
  const ms = (a: number, b: number) => Math.round(b - a);
  process.stdout.write(JSON.stringify({
    appEnvironments: manifest.appEnvironments.length, files: files.size,
    importMs: ms(t0, t1), buildMs: ms(t1, t2), synthesizeMs: ms(t2, t3), writeMs: ms(t3, t4),
    synthesizeCpuMs: Math.round((synthCpu.user + synthCpu.system) / 1000),
    maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  }) + '\n');
}

main();
