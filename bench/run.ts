/**
 * `npm run bench [-- --quick] [--runs N] [--multipliers 1,10,100] [--timeout-s S] [--no-phases] [--only check] [--compiled]`
 *
 * `--compiled` adds rows for check and synth through the compiled CLI (lib/), what an installed tierkit runs.
 *
 * `--only` times only the listed operations (synth, baseline, check, diff); check and diff still
 * need a dist, which one untimed synth writes when synth itself is not timed.
 *
 * Measures synth (tierkit vs the plain cdktf + cdk8s baseline), check and diff (against a one-app
 * change) at several multiples of a base estate, each run in a fresh child process, and writes
 * a markdown table and JSON to bench/results/.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ChildOptions, Sample, median, rssMethod, runNode } from './measure';
import { BenchReport, Machine, Operation, Phases, Row, evaluateTargets, toMarkdown } from './report';
import { BASE_SIZE } from './spec';
import { writeCompiledEntry } from './compiled-entry';

const ROOT = resolve(__dirname, '..');
const CLI = join(ROOT, 'cli', 'main.ts');
/**
 * `node --import tsx cli/main.ts`, i.e. `npx tsx cli/main.ts` without npx's start-up. Not
 * bin/tierkit: it registers tsx's CommonJS hook only, and `tierkit check` loads its engine with
 * a dynamic import() that then cannot resolve a .ts file.
 */
const TIERKIT_ARGS = ['--import', 'tsx', CLI];
const ENTRY = join(ROOT, 'bench', 'estate-entry.ts');
const BASELINE = join(ROOT, 'bench', 'baseline', 'main.ts');
const INPROC = join(ROOT, 'bench', 'inproc.ts');
/** The policy clock: every generated sandbox is unexpired at this instant. */
export const CHECK_NOW = '2026-11-22T12:00:00Z';
/** 100 × (3 apps × 7 tiers + 2 sandboxes) = 300 apps × 7 tiers + 200 sandboxes = 2,300 app-environments. */
export const REFERENCE = { apps: 300, sandboxes: 200 } as const;

export interface BenchOptions {
  readonly base: { readonly apps: number; readonly sandboxes: number };
  readonly multipliers: readonly number[];
  readonly runs: number;
  readonly seed: number;
  /** Scratch space for the synthesized dists. */
  readonly workDir: string;
  readonly timeoutMs: number;
  /** Also run bench/inproc.ts once per size (where the time goes). */
  readonly phases: boolean;
  readonly quick: boolean;
  readonly command: string;
  /** Operations to time. @default every one of BENCH_OPERATIONS */
  readonly only?: ReadonlySet<BenchOperation>;
  /**
   * Also time check and synth through the compiled CLI (lib/, built first by `npm run build`,
   * untimed): what an installed tierkit runs. Synth runs the bench estate as an installed user's
   * program importing `tierkit` (bench/compiled-entry.ts), and its dist must equal the source
   * synth's. Extra rows; the `check` and `synth (tierkit)` rows (source checkout, tsx) stay
   * comparable with earlier reports. @default false
   */
  readonly compiled?: boolean;
}

/** What `--only` may name: tierkit's synth, the baseline's synth, check and diff. */
export const BENCH_OPERATIONS = ['synth', 'baseline', 'check', 'diff'] as const;
export type BenchOperation = (typeof BENCH_OPERATIONS)[number];

type Log = (line: string) => void;

function sizeEnv(o: BenchOptions, multiplier: number, change = false): NodeJS.ProcessEnv {
  return {
    BENCH_APPS: String(o.base.apps * multiplier), BENCH_SANDBOXES: String(o.base.sandboxes * multiplier),
    BENCH_SEED: String(o.seed), BENCH_ALL_TIERS: '1', BENCH_CHANGE: change ? '1' : '0',
  };
}

/** A command is available once a colleague registers it in cli/main.ts: `--help` then exits 0. */
export function commandAvailable(name: string): boolean {
  return runNode([...TIERKIT_ARGS, name, '--help'], { cwd: ROOT, timeoutMs: 60_000 }).exitCode === 0;
}

function parsesAsJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * check exits 1 when it has findings and diff may exit non-zero on changes, so the exit code
 * alone cannot tell a result from a crash: `json` requires a JSON report on stdout too.
 */
function summarize(operation: Operation, multiplier: number, appEnvironments: number, samples: Sample[], acceptExit: readonly number[], json = false): Row {
  const bad = samples.find((s) => !acceptExit.includes(s.exitCode) || (json && !parsesAsJson(s.stdout)));
  const base = { operation, multiplier, appEnvironments, runs: samples.length, samplesMs: samples.map((s) => Math.round(s.wallMs)) };
  if (bad) {
    const timeout = bad.exitCode === -1;
    const detail = (bad.stderr || bad.stdout).trim().split('\n').slice(0, 3).join(' / ').slice(0, 300);
    return { ...base, status: timeout ? 'timeout' : 'failed', medianMs: NaN, medianRssMiB: NaN, medianCpuMs: NaN, note: timeout ? `killed after ${Math.round(bad.wallMs / 1000)} s` : `exit ${bad.exitCode}: ${detail}` };
  }
  const exits = [...new Set(samples.map((s) => s.exitCode))];
  return {
    ...base, status: 'ok', medianMs: median(samples.map((s) => s.wallMs)), medianRssMiB: median(samples.map((s) => s.maxRssMiB)),
    medianCpuMs: median(samples.map((s) => s.cpuMs)),
    note: exits.some((e) => e !== 0) ? `exit ${exits.join('/')}` : undefined,
  };
}

function unavailable(operation: Operation, multiplier: number, appEnvironments: number, name: string): Row {
  return {
    operation, multiplier, appEnvironments, status: 'unavailable', runs: 0, medianMs: NaN, medianRssMiB: NaN, medianCpuMs: NaN, samplesMs: [],
    note: `not available yet (\`tierkit ${name}\` is not registered in cli/main.ts)`,
  };
}

function appEnvironmentsIn(dist: string): number {
  const manifest = join(dist, 'manifest.json');
  return existsSync(manifest) ? JSON.parse(readFileSync(manifest, 'utf8')).appEnvironments.length : NaN;
}

function machine(loadBefore: number[]): Machine {
  const model = existsSync('/proc/cpuinfo')
    ? /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpus()[0]?.model ?? 'unknown'
    : cpus()[0]?.model ?? 'unknown';
  return {
    cpus: cpus().length, cpuModel: model, node: process.version, platform: `${process.platform}-${process.arch}`,
    totalMemMiB: Math.round(totalmem() / 1048576), loadBefore, loadAfter: loadavg(), rssMethod: rssMethod(),
  };
}

/**
 * The compiled synth's row: failed if the build failed, or if its dist differs from the source
 * synth's (`manifest.json` lists every artifact's sha256, so equal manifests mean equal dists).
 */
function compiledSynthRow(x: number, envCount: number, dist: string, build: Sample, run: () => Sample[], compiledDist: string): Row {
  const op = 'synth (compiled lib/)';
  if (build.exitCode !== 0) return { ...unavailable(op, x, envCount, 'synth'), status: 'failed', note: `npm run build failed: ${build.stderr.slice(0, 200)}` };
  const row = summarize(op, x, envCount, run(), [0]);
  const manifest = (d: string) => (existsSync(join(d, 'manifest.json')) ? readFileSync(join(d, 'manifest.json'), 'utf8') : undefined);
  if (row.status === 'ok' && manifest(dist) === undefined) return { ...row, status: 'failed', note: 'the source synth wrote no dist to compare its dist with' };
  if (row.status === 'ok' && manifest(compiledDist) !== manifest(dist)) {
    return { ...row, status: 'failed', medianMs: NaN, medianRssMiB: NaN, medianCpuMs: NaN, note: `its dist differs from the source synth's (${compiledDist}, ${dist})` };
  }
  return row;
}

export function runBench(o: BenchOptions, log: Log = () => undefined): BenchReport {
  const loadBefore = loadavg();
  const child = (timeoutMs = o.timeoutMs): ChildOptions => ({ cwd: ROOT, timeoutMs });
  const available = { check: commandAvailable('check'), diff: commandAvailable('diff') };
  for (const [name, yes] of Object.entries(available)) if (!yes) log(`tierkit ${name}: not available yet (not registered in cli/main.ts); skipped`);
  rmSync(o.workDir, { recursive: true, force: true });
  mkdirSync(o.workDir, { recursive: true });
  const rows: Row[] = [];
  const phases: Phases[] = [];
  const timed = (op: BenchOperation) => o.only === undefined || o.only.has(op);
  // Built once, before anything is timed; a failed build makes the compiled rows failed, never stale.
  const compiled = o.compiled && ((timed('check') && available.check) || timed('synth')) ? runNode([join(ROOT, 'scripts', 'build.js')], child()) : undefined;
  const compiledCli = join(ROOT, 'lib', 'cli', 'main.js');
  // bin/tierkit's installed path: lib/cli/main.js, no tsx.
  const compiledScript = `require(${JSON.stringify(compiledCli)}).main(process.argv.slice(1), { out: (t) => console.log(t), err: (t) => console.error(t), cwd: process.cwd() }).then((c) => { process.exitCode = c; })`;
  const compiledEntry = compiled && timed('synth') ? writeCompiledEntry(join(o.workDir, 'compiled-estate')) : undefined;

  for (const x of o.multipliers) {
    const env = sizeEnv(o, x);
    const dist = join(o.workDir, `tierkit-${x}x`);
    const samples = (op: string, args: () => string[], opts: ChildOptions & { env?: NodeJS.ProcessEnv }, json = false) => {
      const out: Sample[] = [];
      for (let i = 0; i < o.runs; i++) {
        const s = runNode(args(), opts);
        log(`  ${op} ${x}× run ${i + 1}/${o.runs}: ${(s.wallMs / 1000).toFixed(2)} s wall, ${(s.cpuMs / 1000).toFixed(2)} s CPU, ${Math.round(s.maxRssMiB)} MiB, exit ${s.exitCode}, load ${loadavg()[0].toFixed(2)}`);
        out.push(s);
        if (s.exitCode === -1 || (s.exitCode !== 0 && s.exitCode !== 1) || (json && !parsesAsJson(s.stdout))) break; // no point repeating a failure
      }
      return out;
    };
    log(`${x}× (${o.base.apps * x} apps, ${o.base.sandboxes * x} sandboxes)`);
    const synthArgs = () => [...TIERKIT_ARGS, 'synth', '--app', ENTRY, '--out', dist, '--quiet'];
    let synthRow: Row | undefined;
    if (timed('synth')) {
      synthRow = summarize('synth (tierkit)', x, NaN, samples('synth (tierkit)', synthArgs, { ...child(), env }), [0]);
    } else if (timed('check') || timed('diff')) {
      // Not timed, not reported: the dist check and diff read.
      synthRow = summarize('synth (tierkit)', x, NaN, [runNode(synthArgs(), { ...child(), env })], [0]);
    }
    const envCount = appEnvironmentsIn(dist);
    if (synthRow) synthRow = { ...synthRow, appEnvironments: envCount };
    if (synthRow && timed('synth')) rows.push(synthRow);
    if (compiled && compiledEntry) rows.push(compiledSynthRow(x, envCount, dist, compiled, () => samples('synth (compiled lib/)', () => ['-e', compiledScript, 'synth', '--app', compiledEntry, '--out', `${dist}-compiled`, '--quiet'], { ...child(), env }), `${dist}-compiled`));
    if (timed('baseline')) {
      const bl = samples('synth (baseline)', () => ['--import', 'tsx', BASELINE, join(o.workDir, `baseline-${x}x`)], { ...child(), env });
      rows.push(summarize('synth (baseline)', x, envCount, bl, [0]));
    }

    if (!timed('check')) {
      // not asked for
    } else if (available.check && synthRow?.status === 'ok') {
      const s = samples('check', () => [...TIERKIT_ARGS, 'check', dist, '--format', 'json', '--now', CHECK_NOW], child(), true);
      rows.push(summarize('check', x, envCount, s, [0, 1], true));
    } else {
      rows.push(available.check ? { ...unavailable('check', x, envCount, 'check'), status: 'failed', note: 'no dist: synth failed' } : unavailable('check', x, envCount, 'check'));
    }
    if (compiled && timed('check') && available.check && synthRow?.status === 'ok') {
      const op = 'check (compiled lib/)';
      if (compiled.exitCode !== 0) {
        rows.push({ ...unavailable(op, x, envCount, 'check'), status: 'failed', note: `npm run build failed: ${compiled.stderr.slice(0, 200)}` });
      } else {
        const s = samples(op, () => ['-e', compiledScript, 'check', dist, '--format', 'json', '--now', CHECK_NOW], child(), true);
        rows.push(summarize(op, x, envCount, s, [0, 1], true));
      }
    }
    if (!timed('diff')) {
      // not asked for
    } else if (available.diff && synthRow?.status === 'ok') {
      const head = join(o.workDir, `tierkit-${x}x-changed`);
      const prep = runNode([...TIERKIT_ARGS, 'synth', '--app', ENTRY, '--out', head, '--quiet'], { ...child(), env: sizeEnv(o, x, true) });
      if (prep.exitCode !== 0) {
        rows.push({ ...unavailable('diff', x, envCount, 'diff'), status: 'failed', note: `synth of the changed estate failed: ${prep.stderr.slice(0, 200)}` });
      } else {
        const s = samples('diff', () => [...TIERKIT_ARGS, 'diff', dist, head, '--format', 'json'], child(), true);
        rows.push(summarize('diff', x, envCount, s, [0, 1], true));
      }
    } else {
      rows.push(available.diff ? { ...unavailable('diff', x, envCount, 'diff'), status: 'failed', note: 'no dist: synth failed' } : unavailable('diff', x, envCount, 'diff'));
    }

    if (o.phases && timed('synth')) {
      const s = runNode(['--import', 'tsx', INPROC, join(o.workDir, `inproc-${x}x`)], { ...child(), env });
      if (s.exitCode === 0) {
        const p = JSON.parse(s.stdout.trim().split('\n').pop()!);
        phases.push({ multiplier: x, ...p });
        log(`  phases ${x}×: ${JSON.stringify(p)}`);
      } else {
        log(`  phases ${x}×: failed (exit ${s.exitCode}) ${s.stderr.slice(0, 200)}`);
      }
    }
  }

  const reference = o.multipliers.find((x) => o.base.apps * x === REFERENCE.apps && o.base.sandboxes * x === REFERENCE.sandboxes);
  return {
    command: o.command, quick: o.quick, base: o.base, multipliers: o.multipliers, referenceMultiplier: reference,
    machine: machine(loadBefore), rows, phases, targets: evaluateTargets(rows, o.multipliers, reference, phases),
  };
}

export function optionsFromArgv(argv: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean' }, runs: { type: 'string' }, multipliers: { type: 'string' }, seed: { type: 'string' },
      'timeout-s': { type: 'string' }, 'no-phases': { type: 'boolean' }, 'work-dir': { type: 'string' }, only: { type: 'string' },
      compiled: { type: 'boolean' },
    },
    strict: true,
  });
  const int = (name: string, raw: string | undefined, fallback: number) => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got "${raw}"`);
    return n;
  };
  const quick = values.quick ?? false;
  let only: Set<BenchOperation> | undefined;
  if (values.only !== undefined) {
    only = new Set();
    for (const op of values.only.split(',').map((s) => s.trim())) {
      if (!(BENCH_OPERATIONS as readonly string[]).includes(op)) throw new Error(`--only takes a comma-separated list of ${BENCH_OPERATIONS.join(', ')}, got "${op}"`);
      only.add(op as BenchOperation);
    }
  }
  const multipliers = values.multipliers
    ? values.multipliers.split(',').map((m) => int('multipliers', m.trim(), 1))
    : quick ? [1, 10] : [1, 10, 100];
  return {
    // --quick: a 1-app base (≈ 8 and ≈ 80 app-environments), one run: the harness, not the numbers.
    base: quick ? { apps: 1, sandboxes: 1 } : BASE_SIZE,
    multipliers,
    runs: int('runs', values.runs, quick ? 1 : 3),
    seed: int('seed', values.seed, 1),
    workDir: resolve(values['work-dir'] ?? join(ROOT, '.tmp', 'bench')),
    timeoutMs: int('timeout-s', values['timeout-s'], 900) * 1000,
    // --quick skips the in-process phase run to stay under a minute on a busy 2-core machine.
    phases: !values['no-phases'] && !quick,
    quick,
    ...(only ? { only } : {}),
    ...(values.compiled ? { compiled: true } : {}),
    command: ['npm run bench', ...(argv.length ? ['--', ...argv] : [])].join(' '),
  };
}

function main(): void {
  let options: BenchOptions;
  try {
    options = optionsFromArgv(process.argv.slice(2));
  } catch (err) {
    console.error(`bench: ${(err as Error).message}`);
    process.exitCode = 2;
    return;
  }
  const report = runBench(options, (l) => console.error(l));
  const results = join(ROOT, 'bench', 'results');
  mkdirSync(results, { recursive: true });
  const name = options.quick ? 'quick' : 'report';
  writeFileSync(join(results, `${name}.json`), JSON.stringify(report, null, 2) + '\n');
  const md = toMarkdown(report);
  writeFileSync(join(results, `${name}.md`), md);
  console.log(md);
  console.error(`wrote ${join(results, `${name}.md`)} and ${name}.json`);
}

if (require.main === module) main();
