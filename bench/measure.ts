import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

/** One child process run: wall time seen by the parent, peak RSS seen by the kernel. */
export interface Sample {
  readonly wallMs: number;
  /** Peak resident set size of the child (the largest process of its tree), in MiB. */
  readonly maxRssMiB: number;
  /** User + system CPU time of the child (NaN without GNU time): less sensitive to machine load than wall time. */
  readonly cpuMs: number;
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ChildOptions {
  readonly cwd: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Kill the child after this long; the sample then has exitCode -1. */
  readonly timeoutMs?: number;
}

const GNU_TIME = '/usr/bin/time';

/**
 * Fallback when GNU time is absent: preloaded into the child, it writes
 * `process.resourceUsage().maxRSS` (KiB) to BENCH_RSS_FILE on exit.
 */
const RSS_REPORTER = `process.on('exit', () => require('node:fs').writeFileSync(process.env.BENCH_RSS_FILE, String(process.resourceUsage().maxRSS)));\n`;

/** How peak RSS is measured on this machine, for the report. */
export function rssMethod(): string {
  return existsSync(GNU_TIME) ? 'GNU time %M (ru_maxrss of the child)' : 'process.resourceUsage().maxRSS reported by the child';
}

/** Run `node <args>` in a fresh process and measure it. */
export function runNode(args: readonly string[], options: ChildOptions): Sample {
  const scratch = mkdtempSync(join(tmpdir(), 'tierkit-bench-'));
  const rssFile = join(scratch, 'rss');
  try {
    const env = { ...process.env, ...options.env, BENCH_RSS_FILE: rssFile };
    let command: string;
    let argv: string[];
    if (existsSync(GNU_TIME)) {
      command = GNU_TIME;
      argv = ['-f', '%M %U %S', '-o', rssFile, process.execPath, ...args];
    } else {
      const reporter = join(scratch, 'rss.cjs');
      writeFileSync(reporter, RSS_REPORTER);
      command = process.execPath;
      argv = ['--require', reporter, ...args];
    }
    const started = performance.now();
    const result = spawnSync(command, argv, {
      cwd: options.cwd, env, encoding: 'utf8', maxBuffer: 1 << 30, timeout: options.timeoutMs,
    });
    const wallMs = performance.now() - started;
    // GNU time prefixes "Command exited with non-zero status N" to its output file.
    const [rssText, user, sys] = (existsSync(rssFile) ? readFileSync(rssFile, 'utf8').trim().split('\n').pop() ?? '' : '').split(' ');
    const rssKiB = Number(rssText);
    return {
      wallMs,
      maxRssMiB: Number.isFinite(rssKiB) && rssKiB > 0 ? rssKiB / 1024 : NaN,
      cpuMs: user !== undefined && sys !== undefined ? (Number(user) + Number(sys)) * 1000 : NaN,
      exitCode: result.error || result.status === null ? -1 : result.status,
      stdout: result.stdout ?? '',
      stderr: (result.stderr ?? '') + (result.error ? `\n${result.error.message}` : ''),
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

export function median(values: readonly number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
