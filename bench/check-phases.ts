/**
 * `npx tsx bench/check-phases.ts <dist> [--now <instant>] [--all]`: where one `check` spends its CPU, in
 * process — module loading, the SQL parser, `readDist`, `buildGraph`, the rules (each rule's own
 * CPU, the slowest listed) — as one JSON line. CPU time (user + sys of the whole process, so GC
 * threads count) is the number to compare on a shared machine; wall is printed beside it.
 * A rule pays for whatever per-graph index or lazy evaluation it is the first to ask for.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/**
 * CPU of this (the main) thread alone, in ms, where Linux says it (/proc/self/task/<pid>/stat, 10 ms
 * ticks): process CPU also counts the YAML verifier thread and GC helpers, and the main thread is
 * what check's wall time waits on. `undefined` elsewhere.
 */
function mainThreadCpu(): number | undefined {
  try {
    const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

function main(): void {
  const dist = process.argv[2];
  if (!dist) {
    console.error('usage: npx tsx bench/check-phases.ts <dist> [--now <instant>]');
    process.exitCode = 2;
    return;
  }
  const nowAt = process.argv.indexOf('--now');
  const now = new Date(nowAt > 0 ? process.argv[nowAt + 1] : '2026-11-22T12:00:00Z');
  const cpu = () => {
    const c = process.cpuUsage();
    return (c.user + c.system) / 1000;
  };
  const phases: Record<string, { cpuMs: number; mainThreadCpuMs?: number; wallMs: number }> = {};
  const timed = (c: number, m: number | undefined, t: number) => {
    const m1 = mainThreadCpu();
    return { cpuMs: Math.round(cpu() - c), ...(m !== undefined && m1 !== undefined ? { mainThreadCpuMs: m1 - m } : {}), wallMs: Math.round(performance.now() - t) };
  };
  const phase = <T>(name: string, f: () => T): T => {
    const c = cpu();
    const m = mainThreadCpu();
    const t = performance.now();
    const out = f();
    phases[name] = timed(c, m, t);
    return out;
  };
  /* eslint-disable @typescript-eslint/no-require-imports */
  const m = phase('load', () => ({
    read: require('../contract/read-parallel') as typeof import('../contract/read-parallel'),
    build: require('../policies/graph/build') as typeof import('../policies/graph/build'),
    sql: require('../policies/graph/sql') as typeof import('../policies/graph/sql'),
    rules: require('../policies/rules') as typeof import('../policies/rules'),
  }));
  /* eslint-enable @typescript-eslint/no-require-imports */
  const c0 = cpu();
  const t0 = performance.now();
  m.sql.loadSqlParser().then(async () => {
    phases.sqlParser = { cpuMs: Math.round(cpu() - c0), wallMs: Math.round(performance.now() - t0) };
    // As check reads it: the YAML write-back check on a worker thread (its CPU counts: same process).
    const c1 = cpu();
    const m1 = mainThreadCpu();
    const t1 = performance.now();
    const dist1 = await m.read.readDistInParallel(dist);
    phases.readDist = timed(c1, m1, t1);
    const g = phase('buildGraph', () => m.build.buildGraph(dist1));
    const perRule: [string, number][] = [];
    let findings = 0;
    phase('rules', () => {
      for (const rule of m.rules.RULES) {
        const c = cpu();
        try {
          findings += [...rule.evaluate(g, { now, exempt: () => undefined })].length;
        } catch {
          findings += 1;
        }
        perRule.push([rule.id, Math.round(cpu() - c)]);
      }
    });
    perRule.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    process.stdout.write(JSON.stringify({
      dist, appEnvironments: dist1.manifest.appEnvironments.length, rawFindings: findings, phases,
      totalCpuMs: Math.round(cpu()), slowestRulesCpuMs: Object.fromEntries(perRule.slice(0, process.argv.includes('--all') ? perRule.length : 12)),
    }) + '\n');
  }, (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}

main();
