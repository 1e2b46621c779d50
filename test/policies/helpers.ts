import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { AppEnvironment, Estate } from '../../constructs';
import { synthesize } from '../../constructs/synth/synthesize';
import { writeDist } from '../../constructs/synth/write';
import exampleEstate from '../../environments';
import { checkDist } from '../../policies/engine';
import type { CheckReport, Finding } from '../../policies/report/finding';
import { testTmp } from '../setup/tmpdir';

/** A moment when every sandbox of the example estate is alive (the CI branch sandbox expires 2026-11-22T09:30Z). */
export const NOW = new Date('2026-11-22T06:00:00Z');

let counter = 0;

export function freshDir(label: string): string {
  return join(testTmp('policies'), `${label}-${process.pid}-${counter++}`);
}

/** Synthesize the example estate, after `mutate` changed it, into a fresh dist dir. */
export function synthDist(mutate: (estate: Estate) => void = () => {}, label = 'dist'): string {
  const estate = exampleEstate();
  mutate(estate);
  const dir = freshDir(label);
  writeDist(dir, synthesize(estate).files);
  return dir;
}

let clean: string | undefined;
/** The unmodified example estate's dist (synthesized once per test file; copy it before changing it). */
export function cleanDist(): string {
  clean ??= synthDist(undefined, 'clean');
  return clean;
}

/** A copy of the clean dist with extra hand-written files dropped in (not listed in the manifest). */
export function distWithFiles(files: Record<string, unknown>): string {
  const dir = freshDir('handwritten');
  cpSync(cleanDist(), dir, { recursive: true });
  for (const [rel, content] of Object.entries(files)) {
    const path = join(dir, rel);
    mkdirSync(dirname(path), { recursive: true });
    const text = typeof content === 'string' ? content
      : rel.endsWith('.json') ? JSON.stringify(content, null, 2)
        : (content as unknown[]).map((d) => stringify(d)).join('---\n');
    writeFileSync(path, text);
  }
  return dir;
}

export function env(estate: Estate, app: string, name: string): AppEnvironment {
  const found = estate.node.tryFindChild(app)?.node.tryFindChild(name);
  if (!(found instanceof AppEnvironment)) throw new Error(`no env ${app}/${name}`);
  return found;
}

export async function check(dir: string, now = NOW): Promise<CheckReport> {
  return checkDist(dir, { now });
}

export function findings(report: CheckReport, ruleId: string): Finding[] {
  return report.findings.filter((f) => f.ruleId === ruleId);
}

/** A hand-written Terraform stack on the prod server (as someone might drop into dist/terraform). */
export function handStack(resources: Record<string, Record<string, unknown>>, provider: Record<string, unknown> = {
  host: 'pg-prod.arcodange.lab', port: 5432, superuser: false, username: '${var.u}', password: '${var.p}',
}): Record<string, unknown> {
  return { provider: { postgresql: [provider] }, resource: resources, variable: { u: { type: 'string' }, p: { type: 'string', sensitive: true } } };
}
