/** The benchmark's results: data model, target verdicts and the markdown table. */

export type Operation = 'synth (tierkit)' | 'synth (baseline)' | 'check' | 'diff' | 'check (compiled lib/)' | 'synth (compiled lib/)';
/** The rows of every run; `check (compiled lib/)` and `synth (compiled lib/)` are extra rows, with `--compiled` only. */
export const OPERATIONS: readonly Operation[] = ['synth (tierkit)', 'synth (baseline)', 'check', 'diff'];

export interface Row {
  readonly operation: Operation;
  readonly multiplier: number;
  readonly appEnvironments: number;
  /** ok: measured; unavailable: the command is not registered yet; failed/timeout: see note. */
  readonly status: 'ok' | 'unavailable' | 'failed' | 'timeout';
  readonly runs: number;
  readonly medianMs: number;
  readonly medianRssMiB: number;
  /** Median user + system CPU time of the child process. */
  readonly medianCpuMs: number;
  readonly samplesMs: readonly number[];
  readonly note?: string;
}

/** In-process phases of one tierkit synth (bench/inproc.ts): where the time goes. */
export interface Phases {
  readonly multiplier: number;
  readonly appEnvironments: number;
  readonly importMs: number;
  readonly buildMs: number;
  readonly synthesizeMs: number;
  readonly writeMs: number;
  /** CPU time (user + system) of the synthesize() call. */
  readonly synthesizeCpuMs: number;
  readonly maxRssMiB: number;
}

export interface Target {
  readonly name: string;
  readonly limit: string;
  readonly measured: string;
  readonly verdict: 'met' | 'missed' | 'not measured';
}

export interface Machine {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly node: string;
  readonly platform: string;
  readonly totalMemMiB: number;
  readonly loadBefore: readonly number[];
  readonly loadAfter: readonly number[];
  readonly rssMethod: string;
}

export interface BenchReport {
  readonly command: string;
  readonly quick: boolean;
  readonly base: { readonly apps: number; readonly sandboxes: number };
  readonly multipliers: readonly number[];
  readonly referenceMultiplier: number | undefined;
  readonly machine: Machine;
  readonly rows: readonly Row[];
  readonly phases: readonly Phases[];
  readonly targets: readonly Target[];
}

export function findRow(rows: readonly Row[], operation: Operation, multiplier: number): Row | undefined {
  return rows.find((r) => r.operation === operation && r.multiplier === multiplier);
}

const ok = (r: Row | undefined): r is Row => r !== undefined && r.status === 'ok' && Number.isFinite(r.medianMs);
const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** The issue's targets, judged at the reference size (or the largest measured size, flagged). */
export function evaluateTargets(rows: readonly Row[], multipliers: readonly number[], reference: number | undefined, phases: readonly Phases[]): Target[] {
  const at = reference ?? Math.max(...multipliers);
  const where = reference === undefined ? ` (at ${at}×, not the reference size)` : '';
  const targets: Target[] = [];
  const limit = (name: string, row: Row | undefined, max: number, value: (r: Row) => number, fmt: (v: number) => string, unit: string) => {
    if (!ok(row)) {
      const measured = row === undefined ? 'not run' : (row as Row).status;
      targets.push({ name: name + where, limit: `≤ ${fmt(max)}`, measured, verdict: 'not measured' });
      return;
    }
    const v = value(row);
    targets.push({ name: name + where, limit: `≤ ${fmt(max)}${unit}`, measured: fmt(v) + unit, verdict: v <= max ? 'met' : 'missed' });
  };
  const synth = findRow(rows, 'synth (tierkit)', at);
  limit('synth wall time', synth, 8000, (r) => r.medianMs, sec, '');
  limit('synth peak RSS', synth, 1024, (r) => r.medianRssMiB, (v) => `${Math.round(v)} MiB`, '');
  const base = findRow(rows, 'synth (baseline)', at);
  if (ok(synth) && ok(base)) {
    const ratio = synth.medianMs / base.medianMs;
    targets.push({ name: `synth time tierkit / baseline${where}`, limit: '≤ 0.50', measured: ratio.toFixed(2), verdict: ratio <= 0.5 ? 'met' : 'missed' });
  } else {
    targets.push({ name: `synth time tierkit / baseline${where}`, limit: '≤ 0.50', measured: 'n/a', verdict: 'not measured' });
  }
  limit('check wall time', findRow(rows, 'check', at), 2000, (r) => r.medianMs, sec, '');
  limit('diff wall time', findRow(rows, 'diff', at), 2000, (r) => r.medianMs, sec, '');
  for (const op of ['synth (tierkit)', 'check', 'diff'] as const) {
    const one = findRow(rows, op, 1);
    const ten = findRow(rows, op, 10);
    const name = `scaling time(10×)/time(1×), ${op}`;
    if (ok(one) && ok(ten)) {
      const s = ten.medianMs / one.medianMs;
      targets.push({ name, limit: '≤ 11', measured: s.toFixed(2), verdict: s <= 11 ? 'met' : 'missed' });
    } else {
      targets.push({ name, limit: '≤ 11', measured: 'n/a', verdict: 'not measured' });
    }
  }
  // Wall time includes ~1–2 s of node + tsx + module loading at every size, which flatters the
  // ratio; the in-process synthesize() time is the work that has to scale.
  const p1 = phases.find((p) => p.multiplier === 1);
  const p10 = phases.find((p) => p.multiplier === 10);
  const name = 'scaling time(10×)/time(1×), synthesize() in-process (no startup)';
  if (p1 && p10 && p1.synthesizeMs > 0) {
    const s = p10.synthesizeMs / p1.synthesizeMs;
    targets.push({ name, limit: '≤ 11', measured: s.toFixed(2), verdict: s <= 11 ? 'met' : 'missed' });
  } else {
    targets.push({ name, limit: '≤ 11', measured: 'n/a', verdict: 'not measured' });
  }
  return targets;
}

function cell(r: Row): string[] {
  if (r.status !== 'ok') return ['—', '—', '—', r.status + (r.note ? `: ${r.note}` : '')];
  return [sec(r.medianMs), Number.isFinite(r.medianCpuMs) ? sec(r.medianCpuMs) : 'n/a', `${Math.round(r.medianRssMiB)}`, r.note ?? ''];
}

export function toMarkdown(report: BenchReport): string {
  const m = report.machine;
  const lines: string[] = [];
  lines.push(`Machine: ${m.cpus} CPUs (${m.cpuModel}), ${Math.round(m.totalMemMiB / 1024)} GiB RAM, node ${m.node}, ${m.platform}; ` +
    `load average before ${m.loadBefore.map((l) => l.toFixed(2)).join(' ')}, after ${m.loadAfter.map((l) => l.toFixed(2)).join(' ')}. ` +
    `Peak RSS: ${m.rssMethod}.`);
  lines.push(`Base size (1×): ${report.base.apps} apps × ${report.quick ? 'their' : '7'} tiers + ${report.base.sandboxes} sandboxes; ` +
    `multipliers ${report.multipliers.join(', ')}${report.referenceMultiplier ? ` (${report.referenceMultiplier}× is the reference estate)` : ''}.`);
  lines.push('');
  lines.push('| operation | size | app-environments | median wall time | median CPU time | median peak RSS (MiB) | runs | notes |');
  lines.push('|---|---:|---:|---:|---:|---:|---:|---|');
  for (const r of report.rows) {
    const [t, cpu, rss, note] = cell(r);
    lines.push(`| ${r.operation} | ${r.multiplier}× | ${r.appEnvironments} | ${t} | ${cpu} | ${rss} | ${r.runs} | ${note} |`);
  }
  lines.push('');
  lines.push('| size | synth time tierkit / baseline | synth RSS tierkit / baseline |');
  lines.push('|---:|---:|---:|');
  for (const x of report.multipliers) {
    const t = findRow(report.rows, 'synth (tierkit)', x);
    const b = findRow(report.rows, 'synth (baseline)', x);
    const ratio = ok(t) && ok(b) ? [(t.medianMs / b.medianMs).toFixed(2), (t.medianRssMiB / b.medianRssMiB).toFixed(2)] : ['n/a', 'n/a'];
    lines.push(`| ${x}× | ${ratio[0]} | ${ratio[1]} |`);
  }
  if (report.phases.length > 0) {
    lines.push('');
    lines.push('In-process phases of one tierkit synth (bench/inproc.ts, one run):');
    lines.push('');
    lines.push('| size | app-environments | module loading | build estate | synthesize() | synthesize() CPU | writeDist | peak RSS (MiB) |');
    lines.push('|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const p of report.phases) {
      lines.push(`| ${p.multiplier}× | ${p.appEnvironments} | ${sec(p.importMs)} | ${sec(p.buildMs)} | ${sec(p.synthesizeMs)} | ${sec(p.synthesizeCpuMs)} | ${sec(p.writeMs)} | ${Math.round(p.maxRssMiB)} |`);
    }
  }
  lines.push('');
  lines.push('| target | limit | measured | verdict |');
  lines.push('|---|---|---|---|');
  for (const t of report.targets) lines.push(`| ${t.name} | ${t.limit} | ${t.measured} | ${t.verdict} |`);
  return lines.join('\n') + '\n';
}
