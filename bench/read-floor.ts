import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseTierkitYaml } from '../contract/yaml-read';

/**
 * `npx tsx bench/read-floor.ts <dist> [--runs N]`: the least any check of this dist must spend on one
 * thread before a rule runs — read every file, JSON.parse the stacks, parse the manifests with
 * tierkit's own fast YAML reader (no verification, no graph, no rules), then the same plus a sha256
 * of every text. One JSON line per run: CPU (user + sys, GC threads included) and wall, in ms.
 * It is a floor, not a check: nothing it parses is judged.
 */
function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)])).sort();
}

function main(): void {
  const dist = process.argv[2];
  const runsAt = process.argv.indexOf('--runs');
  const runs = runsAt > 0 ? Number(process.argv[runsAt + 1]) : 3;
  if (!dist || !Number.isInteger(runs) || runs < 1) {
    console.error('usage: npx tsx bench/read-floor.ts <dist> [--runs N]');
    process.exitCode = 2;
    return;
  }
  const all = files(dist);
  const cpu = () => { const c = process.cpuUsage(); return (c.user + c.system) / 1000; };
  for (let run = 1; run <= runs; run++) {
    const row: Record<string, unknown> = { run, files: all.length };
    for (const step of ['read', 'parse', 'parse+sha256'] as const) {
      const c = cpu();
      const t = performance.now();
      let bytes = 0;
      const kept: unknown[] = [];
      for (const f of all) {
        const text = readFileSync(f, 'utf8');
        bytes += text.length;
        if (step === 'parse+sha256') createHash('sha256').update(text).digest('hex');
        kept.push(step === 'read' ? text : f.endsWith('.json') ? JSON.parse(text) : parseTierkitYaml(text));
      }
      row.megabytes = Math.round(bytes / 1e5) / 10;
      row[step] = { cpuMs: Math.round(cpu() - c), wallMs: Math.round(performance.now() - t) };
    }
    console.log(JSON.stringify(row));
  }
}

main();
